"""``upconv_tf.runtime.preprocess``: the input tensor of the ONNX contract from bytes, a file, a path or an array,
equal to what ``upconv-tf detect`` feeds the model, so that onnxruntime called directly gives detect's score."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from upconv_tf.errors import ArgumentError, ImageLoadError
from upconv_tf.resolve import resolve_model
from upconv_tf.runtime import OnnxDetector, input_policy, preprocess
from upconv_tf.runtime.preprocess import detector_metadata

MODEL = "spectral-detector"


@pytest.fixture(scope="module")
def detector():
    return OnnxDetector(resolve_model(MODEL, backend="onnx").onnx)


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory, photos):
    path = tmp_path_factory.mktemp("preprocess") / "coffee.jpg"
    Image.fromarray(photos["coffee"][:300, :260]).save(path, quality=90)
    return path


def test_every_form_of_an_image_gives_the_same_tensor(detector, photo_file):
    from upconv_tf.datasets import fit_to_size, load_image

    data = photo_file.read_bytes()
    decoded = load_image(photo_file)
    expected = fit_to_size(decoded, 192)[None]
    forms = [data, io.BytesIO(data), str(photo_file), photo_file, np.round(decoded * 255).astype(np.uint8), decoded]
    for form in forms:
        tensor = preprocess(form, detector)
        assert tensor.shape == (1, 192, 192, 3) and tensor.dtype == np.float32 and tensor.flags.c_contiguous
        np.testing.assert_allclose(tensor, expected, atol=1e-7)


def test_the_model_is_named_any_way(detector, photo_file):
    folder = resolve_model(MODEL, backend="onnx").onnx.rsplit("/", 1)[0]
    with open(f"{folder}/metadata.json") as handle:
        metadata = json.load(handle)
    tensors = [preprocess(photo_file, model) for model in (MODEL, detector, metadata, folder, f"{folder}/metadata.json",
                                                            f"{folder}/model.onnx")]
    assert all(np.array_equal(tensor, tensors[0]) for tensor in tensors)
    assert input_policy(detector_metadata(MODEL)) == (192, "center-crop")


def test_onnxruntime_on_the_tensor_gives_detects_score(detector, photo_file):
    import onnxruntime

    from upconv_tf.workflows.detect import detect

    session = onnxruntime.InferenceSession(detector.path, providers=["CPUExecutionProvider"])
    direct = session.run(["probability"], {"images": preprocess(photo_file.read_bytes(), MODEL)})[0][0]
    by_detect = detect([str(photo_file)], (detector, MODEL))["results"][0]["score"]
    assert abs(float(direct) - by_detect) < 1e-6


def test_bad_images_raise_with_detects_codes(detector):
    with pytest.raises(ImageLoadError) as small:
        preprocess(np.zeros((100, 300, 3), np.uint8), detector, name="strip.png")
    assert small.value.skipped.code == "too-small" and small.value.skipped.path == "strip.png"
    with pytest.raises(ImageLoadError) as text:
        preprocess(b"plain text", detector)
    assert text.value.skipped.code == "unreadable"
    with pytest.raises(ArgumentError, match="in \\[0, 1\\]"):
        preprocess(np.full((200, 200, 3), 2.0, np.float32), detector)
    with pytest.raises(ArgumentError, match="shape"):
        preprocess(np.zeros((2, 200, 200, 3), np.uint8), detector)
