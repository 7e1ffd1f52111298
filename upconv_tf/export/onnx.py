"""TensorFlow function -> one ONNX file, with tf2onnx (SPEC s. 6).

The detector's graph has no FFT op when it is built for ONNX: its spectrum is the four-step MatMul DFT of
:mod:`upconv_tf.layers.dft` (``detector_function(..., fft="matmul")``), so the file holds only operators
that onnxruntime's CUDA provider implements (no ``DFT``, which has no CUDA kernel:
https://github.com/microsoft/onnxruntime/issues/21164).
A function that still calls ``tf.signal.rfft2d`` converts to tf2onnx's full-size MatMul DFT, or, with
``dft_operator=True`` (for comparisons), to two ONNX ``DFT`` operators. tf2onnx computes ``Log`` of a
float64 tensor in float32 (Cast, Log, Cast back); that is kept by default: on onnxruntime's CPU provider the
round trip is about twice as fast as its float64 Log, and the azimuthal detector's probabilities stay within 1e-6
of the float64 path. ``float64_log=True`` keeps ``Log`` in float64 (both providers have the kernel): for graphs
that take the log of every coefficient and average it (the ``"rings-cells-colour"`` features), where the float32
round trip moves the features by ~1e-5 dB (float64: ~1e-12) at the same speed.

Opset: 17 by default, 17 or 18 accepted (tf2onnx 1.17 converts up to 18). Opset 19 changes the schema of
operators the CUDA provider registers only up to 18 (``Pad``, ``Equal``; ``ConvTranspose`` changes at 22,
https://github.com/microsoft/onnxruntime/issues/26393): those nodes would run on the CPU.
``tests/export/test_export_cuda.py`` checks every exported node against the provider's kernel table.
"""

from __future__ import annotations

import os

import numpy as np

from upconv_tf.errors import ArgumentError

OPSET = 17
OPSETS = (17, 18)


def _rfft2d_as_dft(ctx, node, name, args):
    """tf2onnx handler: RFFT2D (B, H, W) real -> (2, B, H, W//2+1) with two ONNX DFT nodes."""
    from tf2onnx import utils

    axes = ctx.make_const(utils.make_name("dft_axes"), np.array([-1], np.int64))
    real = ctx.make_node("Unsqueeze", [node.input[0], axes.output[0]])  # (B, H, W, 1): a real signal

    # Opsets 17-19: the axis is an attribute (an input from opset 20).
    width = ctx.make_node("DFT", [real.output[0]], attr={"axis": 2, "onesided": 1})
    both = ctx.make_node("DFT", [width.output[0]], attr={"axis": 1})  # (B, H, W//2+1, 2)
    stacked = ctx.make_node("Transpose", [both.output[0]], attr={"perm": [3, 0, 1, 2]})
    ctx.replace_all_inputs(node.output[0], stacked.output[0])
    ctx.remove_node(node.name)
    return stacked


def _keep_node(ctx, node, name, args):
    """tf2onnx handler that converts a TensorFlow op to the ONNX op of the same name as it is (no casts)."""
    return node


def function_to_onnx(function, input_signature, path, output_names, opset: int = OPSET, dft_operator: bool = False,
                     float64_log: bool = False):
    """Convert a ``tf.function`` to an ONNX file at ``path``; returns the ``onnx.ModelProto``.

    Args:
        function: a ``tf.function`` taking the tensors of ``input_signature`` and returning a dict.
        input_signature: list of ``tf.TensorSpec`` with names (they become the ONNX input names).
        path: the ``.onnx`` file to write.
        output_names: ONNX output names, in the order of the function's sorted output keys.
        opset: ONNX opset, one of :data:`OPSETS`.
        dft_operator: write ``tf.signal.rfft2d`` as ONNX ``DFT`` operators (no CUDA kernel; for
            comparisons) instead of tf2onnx's MatMul DFT.
        float64_log: keep ``Log`` of float64 tensors in float64 (module docstring).

    Example:

    >>> function_to_onnx(serve, [tf.TensorSpec([None, 64, 64, 3], tf.float32, "images")],
    ...                  "model.onnx", ["probability"])  # doctest: +SKIP
    """
    import onnx
    import tf2onnx

    if isinstance(opset, bool) or opset not in OPSETS:
        raise ArgumentError("opset", f"must be one of {OPSETS} (tf2onnx converts up to 18; from 19 some operators "
                                     f"have no CUDA kernel). Received: opset={opset}")
    handlers = {"RFFT2D": (_rfft2d_as_dft, [])} if dft_operator else {}
    if float64_log:
        handlers["Log"] = (_keep_node, [])
    model, _ = tf2onnx.convert.from_function(
        function, input_signature=input_signature, opset=opset, custom_op_handlers=handlers or None,
    )
    graph_outputs = [output.name for output in model.graph.output]
    if len(graph_outputs) != len(output_names):
        raise ValueError(f"The function has {len(graph_outputs)} outputs, expected {len(output_names)}.")
    renames = dict(zip(graph_outputs, output_names))
    for node in model.graph.node:
        node.output[:] = [renames.get(name, name) for name in node.output]
        node.input[:] = [renames.get(name, name) for name in node.input]
    for output in model.graph.output:
        output.name = renames[output.name]
    onnx.checker.check_model(model)
    with open(os.fspath(path), "wb") as handle:
        handle.write(model.SerializeToString())
    return model
