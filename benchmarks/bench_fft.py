"""The power spectrum ``|rfft2d(gray)|^2`` in onnxruntime (CPU): the four-step MatMul DFT against the DFT operator.

Candidates, per image size (gray float32 batch in, the power spectrum out), all in onnxruntime except ``tf``:

* ``four_step`` / ``four_step_f32``: :func:`upconv_tf.layers.dft.power_columns` (what the exported detector
  runs) in float64 / float32, converted by tf2onnx;
* ``dft_op`` / ``dft_op_f32``: ``tf.square(tf.abs(tf.signal.rfft2d(gray)))`` with the RFFT2D node written as two
  ONNX ``DFT`` operators (:func:`upconv_tf.export.onnx.function_to_onnx` with ``dft_operator=True``);
* ``tf2onnx_matmul_f32``: the same function through tf2onnx's own conversion, one full-size DFT matrix per
  axis (float32 only: tf2onnx's conversion of a float64 rfft2d does not load in onnxruntime);
* ``tf`` / ``tf_f32``: TensorFlow's ``rfft2d`` (the SavedModel's FFT), for scale.

Sessions use the runners' options (:func:`upconv_tf.runtime.session_options`). Each output is checked
against numpy's float64 FFT (largest error relative to the largest power).

Target: ``four_step`` >= ``dft_op`` (same precision) at every size.

Run: ``python benchmarks/bench_fft.py [--quick]`` -> ``benchmarks/results/fft.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import numpy as np  # noqa: E402

# (height, width) -> batch: about 1-2 M pixels per call.
SIZES = {(64, 64): 256, (128, 128): 64, (192, 192): 32, (256, 256): 16, (400, 400): 8, (218, 178): 32,
         (1024, 1024): 2}
SLOW_MATMUL = 256  # tf2onnx's full-size DFT is O(N^3): measured up to this side only
CHECK = 2


def _session(model):
    import onnxruntime

    from upconv_tf.runtime import CPU, session_options

    session = onnxruntime.InferenceSession(model.SerializeToString(), session_options(CPU), providers=[CPU])
    name = session.get_inputs()[0].name
    return lambda array: session.run(None, {name: array})[0]


def build(height, width, batch, outputs):
    """``{name: (function, images_per_call)}``; ``outputs[name]`` gets the power of the first images as
    ``(CHECK, H, W // 2 + 1)`` for the error check."""
    import tensorflow as tf
    import tf2onnx

    from upconv_tf.export.onnx import OPSET, function_to_onnx
    from upconv_tf.layers import dft as fft

    gray = np.random.default_rng(0).random((batch, height, width), dtype=np.float32)
    signature = [tf.TensorSpec([None, height, width], tf.float32, name="gray")]
    positions = fft.half_plane_positions(height, width)
    candidates = {}
    for suffix, dtype in (("", "float64"), ("_f32", "float32")):
        four_step = tf.function(lambda g, d=dtype: fft.power_columns(g, d), input_signature=signature)
        rfft = tf.function(lambda g, d=dtype: tf.square(tf.abs(tf.signal.rfft2d(tf.cast(g, d)))),
                           input_signature=signature)
        with tempfile.TemporaryDirectory() as folder:
            run = _session(function_to_onnx(four_step, signature, os.path.join(folder, "a.onnx"), ["power"]))
            candidates[f"four_step{suffix}"] = (lambda run=run: run(gray), batch)
            outputs[f"four_step{suffix}"] = run(gray[:CHECK])[positions].T.reshape(CHECK, height, -1)
            run = _session(function_to_onnx(rfft, signature, os.path.join(folder, "b.onnx"), ["power"],
                                            dft_operator=True))
            candidates[f"dft_op{suffix}"] = (lambda run=run: run(gray), batch)
            outputs[f"dft_op{suffix}"] = run(gray[:CHECK])
        if dtype == "float32" and max(height, width) <= SLOW_MATMUL:
            model, _ = tf2onnx.convert.from_function(rfft, input_signature=signature, opset=OPSET)
            run = _session(model)
            candidates["tf2onnx_matmul_f32"] = (lambda run=run: run(gray), batch)
            outputs["tf2onnx_matmul_f32"] = run(gray[:CHECK])
        tensor = tf.constant(gray)
        candidates[f"tf{suffix}"] = (lambda rfft=rfft: rfft(tensor).numpy(), batch)
        outputs[f"tf{suffix}"] = rfft(tensor[:CHECK]).numpy()
    return candidates, gray[:CHECK]


def main(argv=None) -> int:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    data = {"environment": harness.environment(), "timing": harness.timing(args.quick), "sizes": {}, "targets": {}}
    from upconv_tf.layers import dft as fft

    for (height, width), batch in SIZES.items():
        outputs = {}
        candidates, check = build(height, width, batch, outputs)
        rates = harness.measure(candidates, **harness.timing(args.quick))
        exact = np.abs(np.fft.rfft2(check.astype(np.float64))) ** 2
        errors = {name: float(np.abs(value - exact).max() / exact.max()) for name, value in outputs.items()}
        rate = {name: value["per_second"] for name, value in rates.items()}
        ratios = {"four_step_vs_dft_op": rate["four_step"] / rate["dft_op"],
                  "four_step_f32_vs_dft_op_f32": rate["four_step_f32"] / rate["dft_op_f32"],
                  "four_step_vs_tf": rate["four_step"] / rate["tf"]}
        if "tf2onnx_matmul_f32" in rate:
            ratios["four_step_f32_vs_tf2onnx_matmul_f32"] = rate["four_step_f32"] / rate["tf2onnx_matmul_f32"]
        plan = fft.plan(height, width)
        key = f"{height}x{width}"
        data["sizes"][key] = {"batch": batch, "factors": [plan.h1, plan.h2, plan.w1, plan.w2],
                              "images_per_second": rates, "ratios": ratios, "max_relative_error": errors}
        value = ratios["four_step_vs_dft_op"]
        data["targets"][f"four_step_vs_dft_op@{key}"] = {"value": value, "target": 1.0, "met": value >= 1.0}
        print(key, {name: round(value) for name, value in rate.items()}, flush=True)
    harness.save("fft", data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
