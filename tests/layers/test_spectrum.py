"""Magnitude / phase split of a spectrum: exact round trip, the phase kept, both DFTs agree, config round trip."""

import keras
import numpy as np
import pytest

from upconv_tf.layers import FrequencyCoordinates, SpectrumComposition, SpectrumDecomposition
from upconv_tf.layers.spectrum import floor_value, frequency_coordinates


@pytest.mark.parametrize("floor", [1.0, "8-bit"])
@pytest.mark.parametrize("dft", ["fft", "matmul"])
def test_decomposition_then_composition_gives_the_image_back(rng, dft, floor):
    images = rng.random((2, 32, 24, 3)).astype("float32")
    parts = SpectrumDecomposition(dft, floor)(images)
    magnitude = parts["magnitude"].numpy()
    assert magnitude.shape == images.shape
    assert magnitude.min() == pytest.approx(-1.0) and magnitude.max() == pytest.approx(1.0)
    # The DC term (the largest coefficient) sits at the centre.
    assert np.all(magnitude[:, 16, 12].max(axis=-1) == pytest.approx(1.0))
    back = SpectrumComposition(dft, floor)(parts).numpy()
    np.testing.assert_allclose(back, images, rtol=0, atol=2e-5)


def test_a_changed_magnitude_keeps_the_phase(rng):
    images = rng.random((2, 32, 32, 3)).astype("float32")
    parts = SpectrumDecomposition()(images)
    scaled = dict(parts, magnitude=parts["magnitude"] * 0.8 + 0.1)
    refined = SpectrumComposition()(scaled).numpy()
    before = np.fft.fft2(images, axes=(1, 2))
    after = np.fft.fft2(refined, axes=(1, 2))
    assert np.abs(np.abs(after) - np.abs(before)).max() > 0.1  # the magnitude moved ...
    # ... but not the phase (the magnitude edit is symmetric, so the real part is the whole inverse).
    strong = np.abs(before) > 1e-3 * np.abs(before).max()
    angle = np.angle(after[strong] / before[strong])
    assert np.abs(angle).max() < 1e-3


def test_both_dfts_agree(rng):
    images = rng.random((3, 32, 32, 3)).astype("float32")
    fft_parts, matmul_parts = SpectrumDecomposition("fft")(images), SpectrumDecomposition("matmul")(images)
    for key in ("magnitude", "phase_cos", "phase_sin", "low", "high"):
        np.testing.assert_allclose(fft_parts[key].numpy(), matmul_parts[key].numpy(), rtol=0, atol=5e-4)
    edited = dict(fft_parts, magnitude=fft_parts["magnitude"] * 0.9)
    np.testing.assert_allclose(SpectrumComposition("fft")(edited).numpy(),
                               SpectrumComposition("matmul")(edited).numpy(), rtol=0, atol=1e-4)


def test_black_image_and_arguments():
    parts = SpectrumDecomposition()(np.zeros((1, 16, 16, 3), "float32"))
    assert np.isfinite(parts["magnitude"].numpy()).all()
    assert np.abs(SpectrumComposition()(parts).numpy()).max() < 1e-6
    with pytest.raises(ValueError, match="`dft` must be one of"):
        SpectrumDecomposition("dft")
    with pytest.raises(ValueError, match="`floor` must be a positive number"):
        SpectrumComposition(floor=0)
    assert floor_value("8-bit", 64, 64) == pytest.approx(np.sqrt(64 * 64 / 12) / 255)


def test_frequency_coordinates():
    grid = frequency_coordinates(8, 6)
    assert grid.shape == (8, 6, 2)
    assert grid[4, 3].tolist() == [0.0, 0.0] and grid[0, 0].tolist() == [1.0, 1.0]
    out = FrequencyCoordinates()(np.ones((2, 8, 6, 3), "float32")).numpy()
    assert out.shape == (2, 8, 6, 5) and np.array_equal(out[1, ..., 3:], grid)


@pytest.mark.parametrize("layer", [SpectrumDecomposition("matmul", "8-bit"), SpectrumComposition("fft", 2.0),
                                   FrequencyCoordinates()])
def test_layers_serialize(layer):
    config = keras.saving.serialize_keras_object(layer)
    clone = keras.saving.deserialize_keras_object(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
