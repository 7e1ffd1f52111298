"""TensorFlow function -> one ONNX file, with tf2onnx (SPEC s. 6).

tf2onnx writes ``tf.abs(tf.signal.rfft2d(x))`` as a DFT made of MatMul/Cos/Sin (O(N^3) per image). Here
the RFFT2D node becomes two ONNX ``DFT`` operators instead (opset 17-19; a one-sided DFT over the width,
then a full one over the height), which onnxruntime computes as an FFT for power-of-two sizes. The result
keeps tf2onnx's complex layout (real and imaginary parts stacked on a leading axis of 2), so its own
ComplexAbs conversion still applies.
"""

from __future__ import annotations

import os

import numpy as np

# DFT exists from opset 17; from opset 20 its axis is an input instead of an attribute.
OPSET = 17


def _rfft2d_as_dft(ctx, node, name, args):
    """tf2onnx handler: RFFT2D (B, H, W) real -> (2, B, H, W//2+1) with two ONNX DFT nodes."""
    from tf2onnx import utils

    axes = ctx.make_const(utils.make_name("dft_axes"), np.array([-1], np.int64))
    real = ctx.make_node("Unsqueeze", [node.input[0], axes.output[0]])  # (B, H, W, 1): a real signal

    # Opsets 17-19 (tf2onnx 1.17 converts up to 18): the axis is an attribute (an input from opset 20).
    width = ctx.make_node("DFT", [real.output[0]], attr={"axis": 2, "onesided": 1})
    both = ctx.make_node("DFT", [width.output[0]], attr={"axis": 1})  # (B, H, W//2+1, 2)
    stacked = ctx.make_node("Transpose", [both.output[0]], attr={"perm": [3, 0, 1, 2]})
    ctx.replace_all_inputs(node.output[0], stacked.output[0])
    ctx.remove_node(node.name)
    return stacked


def function_to_onnx(function, input_signature, path, output_names, opset: int = OPSET):
    """Convert a ``tf.function`` to an ONNX file at ``path``; returns the ``onnx.ModelProto``.

    Args:
        function: a ``tf.function`` taking the tensors of ``input_signature`` and returning a dict.
        input_signature: list of ``tf.TensorSpec`` with names (they become the ONNX input names).
        path: the ``.onnx`` file to write.
        output_names: ONNX output names, in the order of the function's sorted output keys.
        opset: ONNX opset, 17 to 19 (the DFT operator with its axis as an attribute).

    Example:

    >>> function_to_onnx(serve, [tf.TensorSpec([None, 64, 64, 3], tf.float32, "images")],
    ...                  "model.onnx", ["probability"])  # doctest: +SKIP
    """
    import onnx
    import tf2onnx

    if not 17 <= opset <= 19:
        raise ValueError(f"`opset` must be 17, 18 or 19 (the ONNX DFT operator with an axis attribute). "
                         f"Received: opset={opset}")
    model, _ = tf2onnx.convert.from_function(
        function, input_signature=input_signature, opset=opset,
        custom_op_handlers={"RFFT2D": (_rfft2d_as_dft, [])},
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
