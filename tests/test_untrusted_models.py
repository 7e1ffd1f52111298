"""Untrusted model files: loading never runs code from the file; a damaged or mismatched model is refused
with one clear line before it is used.

Every payload below would leave a marker file if any of its code ran; each test checks the marker is absent.
"""

import json
import os
import shutil

import numpy as np
import pytest

from upconv_tf.detection import SpectralDetector, load_detector
from upconv_tf.detection.persistence import DetectorLoadError, save_detector
from upconv_tf.export import export_detector
from upconv_tf.runtime import OnnxDetector, SavedModelDetector, load_predictor

from untrusted import one_line  # noqa: E402

SIZE = 32


class Payload:
    """Unpickling this runs ``open(marker, "w")``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


@pytest.fixture(scope="module")
def detector(crops64):
    from upconv_tf.fakes import make_fakes

    real = crops64.images[:16, :SIZE, :SIZE]
    fake = make_fakes(crops64.images[16:32, :SIZE, :SIZE], "transconv", seed=0)
    return SpectralDetector("logreg").fit(np.concatenate([real, fake]), np.r_[np.zeros(16), np.ones(16)])


def test_detector_folder_with_a_pickle_is_refused(tmp_path, detector, marker):
    folder = save_detector(detector, tmp_path / "detector")
    npz = os.path.join(folder, "detector.npz")
    with np.load(npz) as data:
        arrays = dict(data)
    arrays["scaler_mean"] = np.array([Payload(marker)], dtype=object)
    np.savez(npz, **arrays)  # np.savez pickles object arrays
    with pytest.raises(DetectorLoadError, match="detector.npz") as info:
        load_detector(folder)
    one_line(info.value)


def test_detector_folder_with_bad_json_is_refused(tmp_path, detector):
    folder = save_detector(detector, tmp_path / "detector")
    json_path = os.path.join(folder, "detector.json")
    info = json.loads(open(json_path).read())
    for key, value, message in [("format", "something-else", "not an upconv-tf detector"),
                                ("num_bins_", "12", "num_bins_"),
                                ("classes_", [0, 1, 2], "classes_"),
                                ("classifier", "__import__('os')", "unknown classifier")]:
        with open(json_path, "w") as handle:
            json.dump(dict(info, **{key: value}), handle)
        with pytest.raises(DetectorLoadError, match=message) as error:
            load_detector(folder)
        one_line(error.value)
    with open(json_path, "w") as handle:
        handle.write("{ not json")
    with pytest.raises(DetectorLoadError, match="unreadable"):
        load_detector(folder)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, detector):
    out = tmp_path_factory.mktemp("exported") / "bundle"
    result = export_detector(detector, out, image_size=SIZE, name="untrusted-test")
    return out, result


@pytest.fixture
def bundle(tmp_path, exported):
    """A private copy of the exported bundle, free to damage."""
    source, _ = exported
    copy = tmp_path / "bundle"
    shutil.copytree(source, copy)
    return copy


def test_exported_bundle_works_before_we_damage_it(bundle, crops64):
    images = crops64.images[:4, :SIZE, :SIZE]
    onnx, saved = OnnxDetector(bundle), SavedModelDetector(bundle / "saved_model")
    np.testing.assert_allclose(onnx.probability(images), saved.probability(images), atol=1e-5)


@pytest.mark.parametrize("content", [b"", b"\x08\x07garbage", os.urandom(4096)], ids=["empty", "garbage", "random"])
def test_corrupt_onnx_file_is_one_clear_error(bundle, content):
    (bundle / "model.onnx").write_bytes(content)
    with pytest.raises(ValueError, match="not a usable ONNX model") as info:
        OnnxDetector(bundle)
    assert str(bundle / "model.onnx") in one_line(info.value)


def test_truncated_onnx_file_is_one_clear_error(bundle):
    data = (bundle / "model.onnx").read_bytes()
    (bundle / "model.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a usable ONNX model") as info:
        OnnxDetector(bundle)
    one_line(info.value)


@pytest.mark.parametrize("change, message", [
    (None, "missing"),
    ("not json", "not readable JSON"),
    ({"format": "pickle"}, "`format` must be"),
    ({"format_version": 99}, "format_version"),
    ({"kind": "generator"}, "is a generator, not a detector"),
    ({"input": {"name": "images", "shape": [None, -1, 32, 3], "dtype": "float32"}}, "input.shape"),
    ({"input": {"name": "images", "shape": [None, 32, 32, 3], "dtype": "float16"}}, "input.dtype"),
    ({"input": {"name": "pixels", "shape": [None, 32, 32, 3], "dtype": "float32"}}, "do not match"),
    ({"spectral": None}, "spectral"),
], ids=["missing", "not-json", "format", "version", "kind", "shape", "dtype", "name", "spectral"])
@pytest.mark.parametrize("backend", ["onnx", "saved_model"])
def test_metadata_is_validated_before_the_model_is_used(bundle, change, message, backend):
    folder = bundle if backend == "onnx" else bundle / "saved_model"
    path = folder / "metadata.json"
    if change is None:
        path.unlink()
    elif change == "not json":
        path.write_text("{ truncated")
    else:
        path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    runner = OnnxDetector if backend == "onnx" else SavedModelDetector
    with pytest.raises(ValueError, match=message) as info:
        runner(folder).probability(np.zeros((1, SIZE, SIZE, 3), np.float32))
    one_line(info.value)


def test_metadata_that_disagrees_with_the_onnx_graph_is_refused(bundle):
    path = bundle / "metadata.json"
    data = json.loads(path.read_text())
    data["input"]["shape"] = [None, 2 * SIZE, 2 * SIZE, 3]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError) as info:
        detector = OnnxDetector(bundle)
        detector.probability(np.zeros((1, 2 * SIZE, 2 * SIZE, 3), np.float32))
    one_line(info.value)


@pytest.mark.parametrize("shape", [(2, 2 * SIZE, 2 * SIZE, 3), (2, SIZE, SIZE, 2), (SIZE, SIZE), (2, SIZE, SIZE, 3, 1)])
def test_wrong_input_shape_is_one_clear_error(exported, shape):
    source, _ = exported
    for runner in (OnnxDetector(source), load_predictor(source)):
        with pytest.raises(ValueError, match=r"must have shape Nx32x32x3 .* Received: shape=") as info:
            runner.probability(np.zeros(shape, np.float32))
        one_line(info.value)
