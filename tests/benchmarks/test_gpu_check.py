"""The CPU-side logic of benchmarks/gpu_check.py (the device check itself needs a GPU machine)."""

import importlib.util
import json
import os

import numpy as np
import onnxruntime
import pytest
from onnx import TensorProto, helper

from paths import REPO

PATH = os.path.join(REPO, "benchmarks", "gpu_check.py")


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_kernels_are_read_from_onnxruntime_verbose_log(gpu_check):
    log = "\n".join([
        "2025-10-23 [I:onnxruntime:, cuda_execution_provider.cc:2922 GetCapability] CUDA kernel not found in "
        "registries for Op type: Pad node name: node_pad_3",
        "[W:onnxruntime:Default, cuda_execution_provider.cc:2532 onnxruntime::CUDAExecutionProvider::GetCapability] "
        "CUDA kernel not supported. Fallback to CPU execution provider for Op type: ConvTranspose node name: up/conv",
        "[I:onnxruntime:, cuda_execution_provider.cc:2922 GetCapability] CUDA kernel not found in registries for "
        "Op type: Pad node name: node_pad_3",
        "[V:onnxruntime:, session_state.cc:1154 VerifyEachNodeIsAssignedToAnEp] All nodes placed on "
        "[CUDAExecutionProvider]. Number of nodes: 42",
    ])
    assert gpu_check.missing_kernels(log) == [("ConvTranspose", "up/conv"), ("Pad", "node_pad_3")]
    assert gpu_check.missing_kernels("All nodes placed on [CUDAExecutionProvider]") == []


def test_placements_and_fallback_from_a_real_profile(gpu_check, tmp_path):
    # A model with a float computation (MatMul, Relu) and a shape computation (Shape -> int64).
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm"), helper.make_node("Relu", ["y"], ["z"], name="act"),
             helper.make_node("Shape", ["z"], ["s"], name="shape")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [None, 3]),
                               helper.make_tensor_value_info("s", TensorProto.INT64, [2])],
                              [helper.make_tensor("w", TensorProto.FLOAT, [4, 3], np.ones(12))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = onnxruntime.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(tmp_path / "profile")
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    session.run(None, {"x": np.ones((2, 4), np.float32)})
    with open(session.end_profiling()) as handle:
        placed = gpu_check.placements(json.load(handle))
    assert {node["node"]: node["provider"] for node in placed} == {
        "mm": "CPUExecutionProvider", "act": "CPUExecutionProvider", "shape": "CPUExecutionProvider"}
    # On the CPU, the float nodes are fallbacks; the shape node is not (onnxruntime keeps those on the CPU).
    assert sorted(node["node"] for node in gpu_check.fallback_nodes(placed)) == ["act", "mm"]
    on_gpu = [dict(node, provider=gpu_check.CUDA) if node["op"] != "Shape" else node for node in placed]
    assert gpu_check.fallback_nodes(on_gpu) == []


def test_exit_status_without_a_cuda_provider(gpu_check, capsys):
    if gpu_check.CUDA in onnxruntime.get_available_providers():
        pytest.skip("this machine has the CUDA provider: run benchmarks/gpu_check.py itself")
    assert gpu_check.main(["--sizes", "128"]) == gpu_check.EXIT_NO_GPU
    assert "onnxruntime-gpu" in capsys.readouterr().err
