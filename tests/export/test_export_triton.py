"""Triton model repositories written from exported ONNX models, read back with Triton's own protobuf schema."""

import importlib.util
import os

import numpy as np
import pytest

from upconv_tf.cli import main
from upconv_tf.detection import SpectralDetector
from upconv_tf.export import export_detector, export_generator
from upconv_tf.export.triton import CONFIG, write_triton_repository
from upconv_tf.models import build_generator, save_model


def _model_config():
    """Triton's ``ModelConfig`` message class from the tritonclient package (dev extra), or skip.

    The module is loaded from its file: importing ``tritonclient.grpc`` itself also needs grpc support, which
    the schema does not.
    """
    spec = importlib.util.find_spec("tritonclient")
    if spec is None:
        pytest.skip("tritonclient is not installed (pip install -e '.[dev]'): no Triton schema to parse with")
    path = os.path.join(spec.submodule_search_locations[0], "grpc", "model_config_pb2.py")
    module_spec = importlib.util.spec_from_file_location("triton_model_config_pb2", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _parse(path):
    from google.protobuf import text_format

    module = _model_config()
    with open(path) as handle:
        config = text_format.Parse(handle.read(), module.ModelConfig())  # raises on any unknown field
    return config, module


@pytest.fixture(scope="module")
def detector_bundle(tmp_path_factory, crops64):
    images = crops64.images[:16]
    detector = SpectralDetector("logreg", random_state=0).fit(images, np.r_[np.zeros(8), np.ones(8)])
    return export_detector(detector, tmp_path_factory.mktemp("bundle") / "det", image_size=(64, 48),
                           formats=("onnx",), name="spectral-detector")


def test_detector_repository_config_matches_metadata(tmp_path, detector_bundle):
    result = write_triton_repository(detector_bundle.onnx, tmp_path / "models")
    assert result.name == "spectral-detector" and result.version == 1
    assert sorted(os.listdir(tmp_path / "models" / "spectral-detector")) == ["1", CONFIG]
    assert sorted(os.listdir(tmp_path / "models" / "spectral-detector" / "1")) == ["metadata.json", "model.onnx"]
    with open(result.model, "rb") as copy, open(detector_bundle.onnx, "rb") as original:
        assert copy.read() == original.read()
    config, module = _parse(result.config)
    assert config.name == "spectral-detector" and config.backend == "onnxruntime"
    assert config.max_batch_size == min(64, (1 << 20) // (64 * 48))
    (inputs,), (outputs,) = config.input, config.output
    assert inputs.name == "images" and list(inputs.dims) == [64, 48, 3]
    assert inputs.data_type == module.TYPE_FP32
    # The probability is one number per image: dims [1], reshaped to the model's per-item shape [].
    assert outputs.name == "probability" and list(outputs.dims) == [1] and list(outputs.reshape.shape) == []
    assert config.HasField("dynamic_batching") and config.dynamic_batching.max_queue_delay_microseconds == 100


def test_generator_repository_versions_and_conflicts(tmp_path):
    generator = build_generator(32, latent_dim=8, upsampling="nearest", dim=8)
    first = export_generator(generator, tmp_path / "g1", formats=("onnx",), name="gen")
    repository = tmp_path / "models"
    one = write_triton_repository(first.onnx, repository, max_batch_size=8, preferred_batch_sizes=[4, 8])
    two = write_triton_repository(first.onnx, repository)  # the next free version, same config
    assert (one.version, two.version) == (1, 2)
    config, _ = _parse(two.config)
    assert list(config.input[0].dims) == [8] and list(config.output[0].dims) == [32, 32, 3]
    assert config.max_batch_size == 64
    with pytest.raises(ValueError, match="never overwritten"):
        write_triton_repository(first.onnx, repository, version=1)
    # Another model under the same name: inputs differ from the shared config -> refused, nothing written.
    other = export_generator(build_generator(32, latent_dim=16, upsampling="nearest", dim=8), tmp_path / "g2",
                             formats=("onnx",), name="gen")
    before = sorted(os.listdir(repository / "gen"))
    with pytest.raises(ValueError, match="inputs or outputs differ"):
        write_triton_repository(other.onnx, repository)
    assert sorted(os.listdir(repository / "gen")) == before
    with pytest.raises(ValueError, match="max_batch_size"):
        write_triton_repository(first.onnx, repository, max_batch_size=0)
    with pytest.raises(ValueError, match="no such ONNX file"):
        write_triton_repository(tmp_path / "nothing", repository)


def test_export_command_writes_triton_repository(tmp_path, capsys):
    generator = build_generator(32, latent_dim=8, upsampling="transconv", dim=8)
    path = save_model(generator, str(tmp_path / "g.keras"))
    assert main(["export", path, "--root", str(tmp_path), "--triton", str(tmp_path / "triton")]) == 0
    assert "wrote Triton" in capsys.readouterr().out
    config, _ = _parse(tmp_path / "triton" / "generator" / CONFIG)
    assert config.name == "generator" and os.path.isfile(tmp_path / "triton" / "generator" / "1" / "model.onnx")
