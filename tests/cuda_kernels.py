"""The CUDA provider's kernel table (tests/data/onnxruntime_cuda_kernels.json, transcribed from onnxruntime's
OperatorKernels.md at a pinned commit) and the check every export test uses: which nodes of an ONNX model would
fall back to the CPU."""

import json
import os

import onnx
from onnx import helper, shape_inference

from paths import DATA

TABLE = os.path.join(DATA, "onnxruntime_cuda_kernels.json")


def kernels():
    with open(TABLE) as handle:
        return json.load(handle)


def _matches(versions: str, since: int) -> bool:
    if versions.endswith("+"):
        return int(versions[:-1]) == since
    if versions.startswith("["):
        low, high = (int(v) for v in versions.strip("[]").split(","))
        return low <= since <= high
    return int(versions) == since


def uncovered_nodes(model, table) -> list:
    """``["op (node name): reason", ...]`` for the nodes without a CUDA kernel in ``table``."""
    opset = next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))
    inferred = shape_inference.infer_shapes(model).graph
    types = {value.name: value.type.tensor_type.elem_type
             for value in list(inferred.value_info) + list(inferred.input) + list(inferred.output)}
    types.update({tensor.name: tensor.data_type for tensor in model.graph.initializer})
    problems = []
    for node in model.graph.node:
        label = f"{node.op_type} ({node.name})"
        if node.domain not in ("", "ai.onnx"):
            problems.append(f"{label}: domain {node.domain!r}")
            continue
        since = onnx.defs.get_schema(node.op_type, opset, "").since_version
        registrations = [entry for entry in table["kernels"].get(node.op_type, []) if _matches(entry["versions"], since)]
        if not registrations:
            problems.append(f"{label}: no CUDA kernel for {node.op_type}-{since} (opset {opset})")
            continue
        data = node.input[table["type_input"].get(node.op_type, 0)] if node.input else None
        kind = types.get(data)
        if kind:
            name = helper.tensor_dtype_to_np_dtype(kind).name if kind != onnx.TensorProto.BFLOAT16 else "bfloat16"
            name = {"float32": "float", "float64": "double"}.get(name, name)
            if not any(name in entry["types"] for entry in registrations):
                problems.append(f"{label}: {node.op_type}-{since} has no CUDA kernel for {name}")
    return problems
