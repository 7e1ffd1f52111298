"""Every node of every exported model has a kernel in onnxruntime's CUDA provider, for the opsets we write.

The table (tests/data/onnxruntime_cuda_kernels.json) is the CUDA part of onnxruntime's
docs/OperatorKernels.md (source and commit inside), restricted to the operators our models can contain. A node
is covered when a registration of its operator matches the schema version its opset resolves to (onnxruntime
matches an open-ended registration "N+" only to since_version N) and the type of its data input. On a GPU
machine, benchmarks/gpu_check.py checks the same on the real provider.
"""

import os

import numpy as np
import onnx
import pytest
from onnx import helper

from upconv_tf.datasets import bundled_crops
from upconv_tf.detection import SpectralDetector
from upconv_tf.export import export_detector, export_generator
from upconv_tf.export.graph import detector_function
from upconv_tf.export.onnx import OPSET, OPSETS, function_to_onnx
from upconv_tf.fakes import make_fakes
from upconv_tf.models import SpectralAutoencoder, build_generator

from cuda_kernels import kernels, uncovered_nodes
from paths import REPO

UPSAMPLINGS = ("transconv", "nearest", "bilinear", "zero")


@pytest.fixture(scope="module", params=OPSETS)
def exported(request, tmp_path_factory):
    """{name: ModelProto} of every kind of model the package exports, at one opset."""
    opset = request.param
    folder = tmp_path_factory.mktemp(f"opset{opset}")
    real = bundled_crops(32, 16, seed=0).images
    images = np.concatenate([real, make_fakes(real, "transconv", seed=0)])
    labels = np.r_[np.zeros(16), np.ones(16)]
    models = {}
    for mode in ("centered", "reference"):
        for classifier in ("svm", "logreg", "kmeans"):
            detector = SpectralDetector(classifier, mode=mode, random_state=0).fit(images, labels)
            result = export_detector(detector, folder / f"{classifier}-{mode}", image_size=32, formats=("onnx",),
                                     opset=opset)
            models[f"detector {classifier} {mode}"] = onnx.load(result.onnx)
    for upsampling in UPSAMPLINGS:
        generator = build_generator(32, latent_dim=16, upsampling=upsampling, dim=8)
        result = export_generator(generator, folder / f"gen-{upsampling}", formats=("onnx",), opset=opset)
        models[f"generator {upsampling}"] = onnx.load(result.onnx)
    autoencoder = SpectralAutoencoder(image_size=32)
    autoencoder(np.zeros((1, 32, 32, 3), np.float32))
    result = export_generator(autoencoder, folder / "autoencoder", formats=("onnx",), opset=opset)
    models["autoencoder"] = onnx.load(result.onnx)
    return opset, models


def test_every_exported_node_has_a_cuda_kernel(exported):
    opset, models = exported
    table = kernels()
    report = {name: uncovered_nodes(model, table) for name, model in models.items()}
    ops = {name: sorted({node.op_type for node in model.graph.node}) for name, model in models.items()}
    assert all(model.opset_import[0].version == opset for model in models.values())
    assert not any(report.values()), {name: problems for name, problems in report.items() if problems}
    # The listing covers what matters: MatMuls for the spectrum, the convolutions of every generator.
    assert "MatMul" in ops["detector svm reference"] and "ConvTranspose" in ops["generator transconv"]
    assert "Resize" in ops["generator bilinear"]


def test_default_opset_is_covered():
    assert OPSET in OPSETS


def test_the_check_finds_nodes_without_cuda_kernels(tmp_path, crops64):
    table = kernels()
    # The DFT operator (https://github.com/microsoft/onnxruntime/issues/21164) ...
    images = crops64.images[:16]
    detector = SpectralDetector("logreg", random_state=0).fit(images, np.r_[np.zeros(8), np.ones(8)])
    serve = detector_function(detector, 64, 64)  # the SavedModel's graph: tf.signal.rfft2d
    model = function_to_onnx(serve, serve.input_signature, tmp_path / "dft.onnx", ["probability"], dft_operator=True)
    assert any(problem.startswith("DFT") for problem in uncovered_nodes(model, table))
    # ... a schema newer than the CUDA registrations (Pad-19; ConvTranspose-22: https://github.com/microsoft/onnxruntime/issues/26393) ...
    for op_type, opset, inputs in (("Pad", 19, ["x", "pads"]), ("ConvTranspose", 22, ["x", "w"]),
                                   ("Pad", 18, ["x", "pads"])):
        node = helper.make_node(op_type, inputs, ["y"])
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
                                                for name in inputs[:1]], [helper.make_tensor_value_info(
                                                    "y", onnx.TensorProto.FLOAT, None)],
                                  [helper.make_tensor(inputs[1], onnx.TensorProto.INT64 if op_type == "Pad"
                                                      else onnx.TensorProto.FLOAT, [1], [0])])
        problems = uncovered_nodes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), table)
        assert bool(problems) == (opset != 18), (op_type, opset, problems)
    # ... and a type the CUDA kernel lacks (Cos on int64 has no kernel at all; Log on int32 neither).
    node = helper.make_node("Log", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.INT32, [2])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.INT32, [2])])
    problems = uncovered_nodes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), table)
    assert problems and "int32" in problems[0]


def test_shipped_onnx_models_have_cudakernels():
    """The pretrained models in the repository's export/ folder (what users download with the package)."""
    root = os.path.join(REPO, "export")
    paths = sorted(os.path.join(folder, name, version, "model.onnx") for folder in [root]
                   for name in os.listdir(root) if os.path.isdir(os.path.join(root, name))
                   for version in os.listdir(os.path.join(root, name)) if version.isdigit())
    assert len(paths) >= 2
    table = kernels()
    report = {path: uncovered_nodes(onnx.load(path), table) for path in paths}
    assert not any(report.values()), {path: problems for path, problems in report.items() if problems}
