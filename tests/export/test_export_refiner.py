"""Exported refiner: SavedModel and ONNX give the Keras model's images, the ONNX graph has no DFT operator and a CUDA
kernel for every node, metadata kind "refiner", runners, and a failed export leaves nothing behind."""

import os

import keras
import numpy as np
import onnx
import pytest

from upconv_tf.export.onnx import OPSET
from upconv_tf.export.refiner import export_refiner
from upconv_tf.models.refiner import build_refiner
from upconv_tf.runtime import OnnxRefiner, SavedModelRefiner, load_refiner

from cuda_kernels import kernels, uncovered_nodes


@pytest.fixture(scope="module")
def refiner():
    keras.utils.set_random_seed(0)
    model = build_refiner(32, width=4, depth=3, discriminator_width=4, seed=0)
    rng = np.random.default_rng(0)
    final = model.generator.final  # away from the identity, so parity is about a real refinement
    final.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") for w in final.get_weights()])
    return model


def test_saved_model_and_onnx_match_the_model(refiner, tmp_path, rng):
    result = export_refiner(refiner, tmp_path / "bundle", opset=OPSET)
    assert result.metadata["kind"] == "refiner" and result.metadata["input"]["shape"] == [None, 32, 32, 3]
    model = onnx.load(result.onnx)
    ops = {node.op_type for node in model.graph.node}
    assert "MatMul" in ops and not ops & {"DFT", "STFT"}
    assert not uncovered_nodes(model, kernels()), uncovered_nodes(model, kernels())
    images = rng.random((3, 32, 32, 3)).astype("float32")
    expected = refiner.refine(images).numpy()
    assert np.abs(expected - images).max() > 1e-2  # a real refinement
    onnx_runner, saved_runner = OnnxRefiner(result.onnx), SavedModelRefiner(result.saved_model)
    np.testing.assert_allclose(saved_runner.refine(images), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(onnx_runner.refine(images), saved_runner.refine(images), rtol=0, atol=1e-4)
    assert type(load_refiner(tmp_path / "bundle")) is OnnxRefiner  # needs no TensorFlow
    assert type(load_refiner(tmp_path / "bundle", backend="savedmodel")) is SavedModelRefiner


def test_other_sizes_repository_layout_and_failures(refiner, tmp_path, monkeypatch):
    result = export_refiner(refiner, image_size=64, root=tmp_path, formats=("onnx",))
    assert result.version == 1 and result.onnx == str(tmp_path / "export" / "refiner" / "1" / "model.onnx")
    assert OnnxRefiner(result.onnx).image_size == 64
    with pytest.raises(ValueError, match="multiple of 4"):
        export_refiner(refiner, tmp_path / "x", image_size=30)
    with pytest.raises(ValueError, match="SpectrumRefiner"):
        export_refiner(keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]), tmp_path / "y")
    # A failed export leaves the previous bundle as it was.
    export_refiner(refiner, tmp_path / "z", formats=("onnx",))
    before = sorted(os.listdir(tmp_path / "z"))
    import upconv_tf.export.refiner as module

    def broken(*args, **kwargs):
        raise RuntimeError("conversion failed")

    monkeypatch.setattr(module, "function_to_onnx", broken)
    with pytest.raises(RuntimeError):
        export_refiner(refiner, tmp_path / "z", formats=("onnx",))
    assert sorted(os.listdir(tmp_path / "z")) == before
