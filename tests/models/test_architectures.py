"""Reference generator / discriminator builders, X.Y.Z last units, the auto-encoder and load_generator_model."""

import keras
import numpy as np
import pytest

from upconv_tf.layers import (
    InterpolationUpsampling,
    SpectralCorrection,
    TransposedConvUpsampling,
    ZeroInsertionUpsampling,
)
from upconv_tf.models import SpectralAutoencoder, build_discriminator, build_generator, load_generator_model, save_model


def last_unit_layers(model):
    """Layers after the last hidden ReLU (the last up-sampling unit and its convolutions)."""
    layers = model.layers
    last_relu = max(i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.ReLU))
    return [layer for layer in layers[last_relu + 1:] if not isinstance(layer, keras.layers.Activation)]


def convs_after_upsampling(unit):
    """Kernel sizes of the convolutions that follow the up-sampling itself."""
    kernels = []
    for layer in unit:
        if isinstance(layer, (InterpolationUpsampling, ZeroInsertionUpsampling)):
            kernels.append(layer.kernel_size)
        elif isinstance(layer, SpectralCorrection):
            kernels += [layer.kernel_size] * layer.num_layers
    return kernels


@pytest.mark.parametrize("size", [32, 64, 128])
def test_generator_and_discriminator_shapes(size):
    generator = build_generator(size, latent_dim=16, dim=4)
    images = generator(np.random.default_rng(0).normal(size=(2, 16)).astype("float32"))
    assert images.shape == (2, size, size, 3)
    assert np.abs(images).max() <= 1.0
    discriminator = build_discriminator(size, dim=4)
    assert discriminator(images).shape == (2, 1)
    # 1 -> 4 px, then doubling: log2(size / 4) up-samplings, the last one in the last unit.
    transconvs = [layer for layer in generator.layers if isinstance(layer, TransposedConvUpsampling)]
    assert len(transconvs) == int(np.log2(size // 4))


def test_baseline_is_one_transposed_conv_k4_s2_to_rgb():
    unit = last_unit_layers(build_generator(32, 16, "transconv", correction=0, dim=4))
    assert len(unit) == 1 and isinstance(unit[0], TransposedConvUpsampling)
    assert unit[0].kernel_size == (4, 4) and unit[0].strides == (2, 2) and unit[0].filters == 3


@pytest.mark.parametrize("upsampling,cls", [("nearest", InterpolationUpsampling), ("bilinear", InterpolationUpsampling),
                                            ("zero", ZeroInsertionUpsampling)])
@pytest.mark.parametrize("convs", [1, 3])
@pytest.mark.parametrize("kernel", [3, 5, 7])
def test_chandrasegaran_setups(upsampling, cls, convs, kernel):
    """X.Y.Z: X the last up-sampling, Y convolutions after it, Z their kernel."""
    generator = build_generator(32, 16, upsampling, correction=convs, kernel_size=kernel, dim=4)
    unit = last_unit_layers(generator)
    assert isinstance(unit[0], cls)
    if upsampling != "zero":
        assert unit[0].interpolation == upsampling
    assert convs_after_upsampling(unit) == [kernel] * convs
    assert generator.output_shape == (None, 32, 32, 3)


def test_paper_fix_and_upconv_reference():
    fix = last_unit_layers(build_generator(64, 16, "transconv", correction=3, kernel_size=5, dim=32))
    assert isinstance(fix[0], TransposedConvUpsampling) and fix[0].filters == 32
    assert isinstance(fix[1], SpectralCorrection) and (fix[1].num_layers, fix[1].filters, fix[1].kernel_size) == (3, 32, 5)
    # UpConv module_spectrum: nearest x2 then Conv5x5(32) - Conv5x5(32) - Conv5x5(3).
    reference = last_unit_layers(build_generator(128, 128, "nearest", correction=3, kernel_size=5, dim=32))
    assert reference[0].filters == 32 and reference[1].num_layers == 2 and reference[1].output_channels == 3


def test_discriminator_norms():
    def norms(model):
        return {type(layer).__name__ for layer in model.layers if "Normalization" in type(layer).__name__}

    assert norms(build_discriminator(32, norm="batch", dim=4)) == {"BatchNormalization"}
    assert norms(build_discriminator(32, norm="layer", dim=4)) == {"GroupNormalization"}
    assert norms(build_discriminator(32, norm="none", dim=4)) == set()


@pytest.mark.parametrize("call,message", [
    (lambda: build_generator(48), "Received: size=48"),
    (lambda: build_generator(32, upsampling="pixelshuffle"), "Received: upsampling='pixelshuffle'"),
    (lambda: build_generator(32, upsampling="nearest", correction=0), "Received: correction=0"),
    (lambda: build_generator(32, kernel_size=0), "Received: kernel_size=0"),
    (lambda: build_discriminator(32, norm="instance"), "Received: norm='instance'"),
    (lambda: SpectralAutoencoder(33), "Received: image_size=33"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_load_generator_from_file_and_folder(tmp_path):
    generator = build_generator(32, 8, "bilinear", correction=3, dim=4)
    save_model(generator, tmp_path / "run" / "generator.keras")
    latents = np.random.default_rng(1).normal(size=(2, 8)).astype("float32")
    for path in (tmp_path / "run", tmp_path / "run" / "generator.keras"):
        loaded = load_generator_model(path)
        np.testing.assert_allclose(loaded(latents), generator(latents), atol=1e-6)
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.startswith(".tmp")]
    with pytest.raises(OSError, match="no generator.keras"):
        load_generator_model(tmp_path)
    with pytest.raises(OSError, match="no such file"):
        load_generator_model(tmp_path / "missing.keras")
    save_model(build_discriminator(32, dim=4), tmp_path / "d.keras")
    with pytest.raises(ValueError, match="not a generator"):
        load_generator_model(tmp_path / "d.keras")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="broken.keras"):
        load_generator_model(tmp_path / "broken.keras")
