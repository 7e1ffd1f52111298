"""Azimuthal-integral feature throughput (images/s) against the published pipeline and the FFT floor.

Candidates, per image size (``mode="reference"``, the published features; float32 RGB in [0, 1]):

* ``reference``: the published numpy pipeline, one image at a time (:mod:`upconv_tf.reference_impl`);
* ``numpy``: :func:`upconv_tf.spectral.azimuthal_integral` on the batch (float64 inside);
* ``layer_eager`` / ``layer_function`` / ``layer_xla``: :class:`upconv_tf.layers.AzimuthalIntegral` called
  eagerly, inside a ``tf.function``, and inside a ``tf.function(jit_compile=True)``;
* ``layer_segment_sum``: the layer with ``reduction="segment_sum"`` (the previous implementation);
* ``layer_function_gray``: the layer (``tf.function``) on the gray batch (one channel, no gray conversion:
  the same input as the FFT floor);
* ``onnx_matmul_dft``: the layer converted by ``tf2onnx.convert.from_function`` (float32, tf2onnx's MatMul
  DFT) in onnxruntime; ``onnx_dft_op``: the same through :func:`upconv_tf.export.onnx.function_to_onnx` with
  ``dft_operator=True`` (the RFFT2D node as two ONNX DFT operators; the exported detector uses neither, see
  ``bench_fft.py``);
* ``fft``: ``tf.signal.rfft2d`` alone on the batch of gray images (the floor), and ``fft_onnx_matmul`` /
  ``fft_onnx_dft_op``: ``|rfft2d|`` alone in onnxruntime with either DFT.

Peak memory at 1024 px, batch 16, is measured on the first call of each candidate in a fresh subprocess:
the TensorFlow CPU allocator's peak above the resident input tensors
(``tf.config.experimental.get_memory_info("CPU:0")``, which works on CPU in TF 2.21), the ``tracemalloc``
peak (numpy's allocations) and the process's peak resident set during the call above the resident set
before it (``VmHWM`` after resetting it through ``/proc/self/clear_refs``; the only one that sees
onnxruntime's arenas). The reference loops over the 16 images one at a time.

Run: ``python benchmarks/bench_spectral.py [--quick]`` -> ``benchmarks/results/spectral.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import numpy as np  # noqa: E402

SIZES = {64: 256, 128: 128, 256: 64, 1024: 16}  # size -> batch
REFERENCE_IMAGES = {64: 64, 128: 32, 256: 8, 1024: 2}  # images per call of the one-at-a-time reference
ONNX_BATCH = {64: 256, 128: 128, 256: 32, 1024: 2}  # the MatMul DFT is O(N^3): smaller batches at 1024
MODE = "reference"
CHECK_IMAGES = 2
MEMORY_SIZE, MEMORY_BATCH = 1024, 16


def _images(size, batch, seed=0):
    return np.random.default_rng(seed).random((batch, size, size, 3), dtype=np.float32)


def onnx_session(function, signature, dft_op: bool):
    """onnxruntime session for a ``tf.function``: tf2onnx's MatMul DFT, or the DFT operator."""
    import onnxruntime
    import tf2onnx

    if dft_op:
        import tempfile

        from upconv_tf.export.onnx import OPSET, function_to_onnx

        with tempfile.TemporaryDirectory() as folder:
            model = function_to_onnx(function, signature, os.path.join(folder, "m.onnx"), ["out"], OPSET,
                                     dft_operator=True)
    else:
        model, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=17)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda array: session.run(None, {name: array})[0]


def build(size: int, batch: int, names=None, full: bool = False, outputs: dict | None = None) -> dict:
    """``{name: (function, images_per_call)}`` for one size; ``names`` limits which are built; ``full``
    gives every candidate the whole batch (for memory: the reference then loops over all of it).
    ``outputs``, when given, receives each path's profiles of the first :data:`CHECK_IMAGES` images."""
    import tensorflow as tf

    from upconv_tf import spectral
    from upconv_tf.layers import AzimuthalIntegral
    from upconv_tf.layers.azimuthal import rgb_to_gray
    from upconv_tf.reference_impl import reference_profile

    wanted = (lambda name: names is None or name in names)
    outputs = {} if outputs is None else outputs
    images = _images(size, batch)
    check = images[:CHECK_IMAGES]
    tensor = tf.constant(images)
    gray = rgb_to_gray(tensor)
    signature = [tf.TensorSpec([None, size, size, 3], tf.float32, name="images")]
    gray_signature = [tf.TensorSpec([None, size, size], tf.float32, name="gray")]
    layer = AzimuthalIntegral(mode=MODE)
    segment_layer = AzimuthalIntegral(mode=MODE, reduction="segment_sum")
    layer_fn = tf.function(lambda x: layer(x), input_signature=signature)
    fft_fn = tf.function(lambda g: tf.signal.rfft2d(g), input_signature=gray_signature)
    abs_fft_fn = tf.function(lambda g: tf.abs(tf.signal.rfft2d(g)), input_signature=gray_signature)
    out = {}
    if wanted("reference"):
        few = images if full else images[:REFERENCE_IMAGES[size]]
        out["reference"] = (lambda: [reference_profile(image) for image in few], len(few))
        outputs["reference"] = np.stack([reference_profile(image) for image in check.astype(np.float64)])
    if wanted("numpy"):
        out["numpy"] = (lambda: spectral.azimuthal_integral(images, MODE), batch)
    if wanted("layer_eager"):
        out["layer_eager"] = (lambda: layer(tensor).numpy(), batch)
    if wanted("layer_function"):
        out["layer_function"] = (lambda: layer_fn(tensor).numpy(), batch)
        outputs["layer_function"] = layer_fn(check).numpy()
    if wanted("layer_function_gray"):  # one channel in: no gray conversion (the FFT floor's input)
        gray_images, gray_layer = tf.reshape(gray, [batch, size, size, 1]), AzimuthalIntegral(mode=MODE)
        layer_fn_gray = tf.function(lambda x: gray_layer(x))
        out["layer_function_gray"] = (lambda: layer_fn_gray(gray_images).numpy(), batch)
    if wanted("layer_xla"):
        xla_fn = tf.function(lambda x: layer(x), input_signature=signature, jit_compile=True)
        out["layer_xla"] = (lambda: xla_fn(tensor).numpy(), batch)
    if wanted("layer_segment_sum"):
        segment_fn = tf.function(lambda x: segment_layer(x), input_signature=signature)
        out["layer_segment_sum"] = (lambda: segment_fn(tensor).numpy(), batch)
    onnx_batch = batch if full else ONNX_BATCH[size]
    small, small_gray = images[:onnx_batch], gray.numpy()[:onnx_batch]
    for dft_op, suffix in ((False, "matmul_dft"), (True, "dft_op")):
        if wanted(f"onnx_{suffix}"):
            run = onnx_session(layer_fn, signature, dft_op)
            out[f"onnx_{suffix}"] = ((lambda run=run: run(small)), len(small))
            outputs[f"onnx_{suffix}"] = run(check)
        fft_name = "fft_onnx_matmul" if not dft_op else "fft_onnx_dft_op"
        if wanted(fft_name):
            run = onnx_session(abs_fft_fn, gray_signature, dft_op)
            out[fft_name] = ((lambda run=run: run(small_gray)), len(small))
    if wanted("fft"):
        # Eager calls of a tf.function return once the kernels ran: no copy of the complex output.
        out["fft"] = (lambda: fft_fn(gray), batch)
    return out


def errors(size: int, outputs: dict) -> dict:
    """Largest error of each path against the float64 numpy path, relative to the profile's largest value."""
    from upconv_tf import spectral

    exact = spectral.azimuthal_integral(_images(size, CHECK_IMAGES), MODE)
    scale = np.abs(exact).max()
    return {name: float(np.abs(value - exact).max() / scale) for name, value in outputs.items()}


def _status(field):
    """A ``/proc/self/status`` field in bytes (Linux), or None."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def memory_probe(name: str) -> dict:
    """Run in a subprocess: peak memory of the first call of one candidate (MEMORY_SIZE px, MEMORY_BATCH)."""
    import tracemalloc

    import tensorflow as tf

    function, _ = build(MEMORY_SIZE, MEMORY_BATCH, names={name}, full=True)[name]
    tf.config.experimental.reset_memory_stats("CPU:0")
    resident = tf.config.experimental.get_memory_info("CPU:0")["current"]  # the input tensors
    try:  # Linux >= 4.0: "5" resets the peak resident set (VmHWM) to the current one
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        rss_before = _status("VmRSS")
    except OSError:
        rss_before = None
    tracemalloc.start()
    function()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak = _status("VmHWM")
    return {"tf_allocator_working_bytes": tf.config.experimental.get_memory_info("CPU:0")["peak"] - resident,
            "tracemalloc_peak_bytes": traced,
            "rss_peak_growth_bytes": None if rss_before is None or peak is None else peak - rss_before}


def memory(names) -> dict:
    """Peak memory per candidate, each in a fresh interpreter (see the module docstring)."""
    results = {}
    for name in names:
        process = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-probe", name],
                                 capture_output=True, text=True, timeout=900)
        lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
        results[name] = json.loads(lines[-1]) if process.returncode == 0 and lines else {
            "error": (process.stderr.strip().splitlines() or ["failed"])[-1]}
    return results


def ratios(rates: dict) -> dict:
    """The targets' ratios: layer vs reference and vs the FFT floor (per_second values)."""
    def rate(name):
        return rates[name]["per_second"] if name in rates else float("nan")

    return {
        "layer_function_vs_reference": rate("layer_function") / rate("reference"),
        "layer_eager_vs_reference": rate("layer_eager") / rate("reference"),
        "layer_function_vs_fft": rate("layer_function") / rate("fft"),
        "layer_eager_vs_fft": rate("layer_eager") / rate("fft"),
        "layer_function_gray_vs_fft": rate("layer_function_gray") / rate("fft"),
        "layer_function_vs_segment_sum": rate("layer_function") / rate("layer_segment_sum"),
        "numpy_vs_reference": rate("numpy") / rate("reference"),
        "onnx_dft_op_vs_matmul_dft": rate("onnx_dft_op") / rate("onnx_matmul_dft"),
        "fft_onnx_dft_op_vs_matmul": rate("fft_onnx_dft_op") / rate("fft_onnx_matmul"),
    }


TARGETS = {"layer_function_vs_reference": (10.0, (256, 1024)), "layer_function_vs_fft": (0.5, (64, 128, 256, 1024))}


def main(argv=None) -> int:
    arguments = harness.parser(__doc__.splitlines()[0])
    arguments.add_argument("--memory-probe", help=__import__("argparse").SUPPRESS)
    arguments.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), choices=list(SIZES))
    args = arguments.parse_args(argv)
    if args.memory_probe:
        print(json.dumps(memory_probe(args.memory_probe)))
        return 0
    data = {"environment": harness.environment(), "mode": MODE, "timing": harness.timing(args.quick),
            "sizes": {}, "targets": {}}
    for size in args.sizes:
        batch = SIZES[size]
        outputs = {}
        rates = harness.measure(build(size, batch, outputs=outputs), **harness.timing(args.quick))
        data["sizes"][str(size)] = {"batch": batch, "images_per_second": rates, "ratios": ratios(rates),
                                    "max_relative_error": errors(size, outputs)}
        print(size, {name: round(value["per_second"], 1) for name, value in rates.items()}, flush=True)
    for key, (threshold, sizes) in TARGETS.items():
        for size in sizes:
            if str(size) in data["sizes"]:
                value = data["sizes"][str(size)]["ratios"][key]
                data["targets"][f"{key}@{size}"] = {"value": value, "target": threshold, "met": value >= threshold}
    data["peak_memory"] = {"size": MEMORY_SIZE, "batch": MEMORY_BATCH,
                           "input_bytes": MEMORY_SIZE * MEMORY_SIZE * 3 * 4 * MEMORY_BATCH,
                           "method": "fresh subprocess per candidate, first call (tracing included): TF CPU "
                                     "allocator peak above the resident inputs (tf.config.experimental."
                                     "get_memory_info), tracemalloc peak (numpy allocations), peak resident set "
                                     "(VmHWM, reset through /proc/self/clear_refs) above the resident set before "
                                     "the call (whole process, incl. onnxruntime arenas)",
                           "candidates": memory(["layer_function", "numpy", "onnx_dft_op"])}
    harness.save("spectral", data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
