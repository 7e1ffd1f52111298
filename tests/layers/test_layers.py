import keras
import numpy as np
import pytest
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.layers import (
    AzimuthalIntegral,
    InterpolationUpsampling,
    SpectralCorrection,
    TransposedConvUpsampling,
    ZeroInsertionUpsampling,
)

from reference_impl import reference_profile


@pytest.mark.parametrize("size", [(32, 32), (64, 64), (128, 128), (256, 256), (218, 178)])
def test_layer_reference_mode_matches_published_pipeline(photos, size):
    height, width = size
    images = np.stack([photos[n][:height, :width] for n in ("astronaut", "coffee", "hubble_deep_field")])
    images = images.astype(np.float32) / 127.5 - 1.0
    ours = AzimuthalIntegral(mode="reference")(images).numpy()
    for got, image in zip(ours, images):
        expected = reference_profile(image.astype(np.float64))
        assert np.abs(got - expected).max() / np.abs(expected).max() < 1e-4


@pytest.mark.parametrize("mode", spectral.MODES)
@pytest.mark.parametrize("normalize", spectral.NORMALIZATIONS)
def test_layer_equals_numpy_path(crops64, mode, normalize):
    images = crops64.images[:8]
    ours = AzimuthalIntegral(mode=mode, normalize=normalize, num_bins=40)(images).numpy()
    expected = spectral.azimuthal_integral(images, mode=mode, normalize=normalize, num_bins=40)
    np.testing.assert_allclose(ours, expected, rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("mode", spectral.MODES)
def test_gradient_matches_finite_differences(crops64, rng, mode):
    layer = AzimuthalIntegral(mode=mode, normalize="minmax")
    # float64 end to end, so that finite differences are exact enough to compare with.
    image = tf.constant(crops64.images[:1, :32, :32], tf.float64)
    weights = tf.constant(rng.normal(size=(1, layer.compute_output_shape((1, 32, 32, 3))[1])), tf.float64)
    objective = lambda x: tf.reduce_sum(layer(x) * weights)  # noqa: E731
    with tf.GradientTape() as tape:
        tape.watch(image)
        value = objective(image)
    gradient = tape.gradient(value, image).numpy()
    assert np.all(np.isfinite(gradient)) and np.abs(gradient).max() > 0
    for seed in range(3):
        direction = np.random.default_rng(seed).normal(size=image.shape)
        step = 1e-8  # small: log|F| is strongly curved where |F| is small
        numeric = (objective(image + step * direction) - objective(image - step * direction)) / (2 * step)
        analytic = np.sum(gradient * direction)
        assert float(numeric) == pytest.approx(analytic, rel=1e-5, abs=1e-6)


def test_gradient_is_finite_on_a_constant_image():
    image = tf.ones((2, 16, 16, 3)) * 0.3
    with tf.GradientTape() as tape:
        tape.watch(image)
        value = tf.reduce_sum(AzimuthalIntegral(mode="reference", normalize="minmax")(image))
    assert np.all(np.isfinite(tape.gradient(value, image).numpy()))


def test_xla_compiles_for_a_static_size(crops64):
    layer = AzimuthalIntegral(normalize="minmax")
    compiled = tf.function(layer, jit_compile=True)
    np.testing.assert_allclose(compiled(crops64.images[:4]).numpy(), layer(crops64.images[:4]).numpy(),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_inputs_are_computed_in_float32(crops64, dtype):
    images = crops64.images[:4]
    low = tf.cast(images, dtype)
    out = AzimuthalIntegral(mode="reference")(low)
    assert out.dtype == tf.float32
    expected = spectral.azimuthal_integral(tf.cast(low, tf.float32).numpy(), mode="reference")
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-3)


def test_mixed_precision_policy_keeps_float32_output(crops64):
    layer = AzimuthalIntegral(dtype="mixed_float16")
    assert layer(crops64.images[:2]).dtype == tf.float32


def test_layout_is_linear_in_pixels_not_pixels_times_bins():
    layout = spectral.bin_layout(1024, 1024, "reference")
    assert layout.ids.size == 1024 * 1024  # one index per coefficient, no (H*W x bins) matrix
    assert layout.ids.dtype == np.int32


def test_layer_validates_arguments_and_shapes():
    with pytest.raises(ValueError, match="Received: mode='fast'"):
        AzimuthalIntegral(mode="fast")
    with pytest.raises(ValueError, match="Received: normalize='l2'"):
        AzimuthalIntegral(normalize="l2")
    with pytest.raises(ValueError, match="Received: num_bins=1"):
        AzimuthalIntegral(num_bins=1)
    with pytest.raises(ValueError, match="channels"):
        AzimuthalIntegral()(np.zeros((1, 16, 16, 2), "float32"))
    with pytest.raises(ValueError, match="at least 4"):
        AzimuthalIntegral()(np.zeros((1, 2, 16, 3), "float32"))
    with pytest.raises(ValueError):
        AzimuthalIntegral()(np.zeros((16, 16, 3), "float32"))


UPSAMPLERS = [
    lambda: TransposedConvUpsampling(5),
    lambda: InterpolationUpsampling(5, "nearest"),
    lambda: InterpolationUpsampling(5, "bilinear", kernel_size=5),
    lambda: ZeroInsertionUpsampling(5),
    lambda: SpectralCorrection(output_channels=5),
]


@pytest.mark.parametrize("make", UPSAMPLERS)
def test_blocks_shapes(make):
    layer = make()
    out = layer(np.zeros((2, 8, 6, 3), "float32"))
    assert tuple(out.shape) == tuple(layer.compute_output_shape((2, 8, 6, 3)))
    factor = 1 if isinstance(layer, SpectralCorrection) else 2
    assert tuple(out.shape) == (2, 8 * factor, 6 * factor, 5)


def test_zero_insertion_is_a_bed_of_nails():
    from upconv_tf.layers import insert_zeros

    x = np.arange(1, 13, dtype="float32").reshape(1, 2, 3, 2)
    y = np.asarray(insert_zeros(x, 2))
    assert y.shape == (1, 4, 6, 2)
    np.testing.assert_array_equal(y[:, ::2, ::2], x)
    assert np.count_nonzero(y) == x.size


def test_correction_stack_has_no_activation_between():
    layer = SpectralCorrection()
    layer.build((None, 8, 8, 4))
    assert [c.kernel_size for c in layer.convs] == [(5, 5)] * 3
    assert [c.filters for c in layer.convs] == [32, 32, 32]
    assert all(c.activation is keras.activations.linear for c in layer.convs)


@pytest.mark.parametrize("make", UPSAMPLERS + [lambda: AzimuthalIntegral("reference", "minmax", 30)])
def test_keras_file_round_trip(tmp_path, make):
    inputs = keras.Input((16, 16, 3))
    model = keras.Model(inputs, make()(inputs))
    x = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(restored(x), model(x), rtol=1e-5, atol=1e-6)
    assert restored.layers[1].get_config() == model.layers[1].get_config()


def test_block_arguments_are_validated():
    with pytest.raises(ValueError, match="Received: interpolation='cubic'"):
        InterpolationUpsampling(4, "cubic")
    with pytest.raises(ValueError, match="Received: filters=0"):
        TransposedConvUpsampling(0)
    with pytest.raises(ValueError, match="Received: num_layers=0"):
        SpectralCorrection(num_layers=0)
