"""Bad arrays and arguments in the library: one clear ValueError naming the argument and the received value."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.layers import AzimuthalIntegral
from upconv_tf.layers.azimuthal import azimuthal_integral as tf_azimuthal_integral
from upconv_tf.losses import SpectralBCE, spectral_bce

GOOD = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")


def with_value(value):
    images = GOOD.copy()
    images[1, 3, 5, 0] = value
    return images


# (images, the message the error must contain): each is wrong in one way.
BAD_IMAGES = {
    "nan": (with_value(np.nan), r"`{name}` holds NaN or infinite values. Received: shape=\(2, 16, 16"),
    "inf": (with_value(np.inf), r"`{name}` holds NaN or infinite values"),
    "-inf": (with_value(-np.inf), r"`{name}` holds NaN or infinite values"),
    "rank 5": (GOOD[None], r"Received: shape=\(1, 2, 16, 16, 3\)"),
    "2 channels": (GOOD[..., :2], r"`{name}` must have 1, 3 or 4 channels. Received: shape=\(2, 16, 16, 2\)"),
    "5 channels": (np.concatenate([GOOD, GOOD[..., :2]], -1), r"channels. Received: shape=\(2, 16, 16, 5\)"),
    "3 px high": (GOOD[:, :3], r"at least 4 x 4 px .* Received: height=3, width=16"),
    "2 px wide": (GOOD[:, :, :2], r"at least 4 x 4 px .* Received: height=16, width=2"),
    "empty batch": (GOOD[:0], r"`{name}` is an empty batch. Received: shape=\(0, 16, 16, 3\)"),
}


@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
def test_numpy_path_rejects_bad_images(case):
    images, message = BAD_IMAGES[case]
    if case == "rank 5":  # documented: numpy takes any leading dimensions (..., H, W, C)
        assert spectral.azimuthal_integral(images).shape == (1, 2, 8)
        return
    with pytest.raises(ValueError, match=message.format(name="images")):
        spectral.azimuthal_integral(images)


@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
def test_layer_and_tf_function_reject_bad_images(case):
    images, message = BAD_IMAGES[case]
    if case == "rank 5":  # Keras' own InputSpec check names the layer and the expected ndim
        message = "expected ndim=4"
    with pytest.raises(ValueError, match=message.format(name="inputs")):
        AzimuthalIntegral()(images)
    if case == "rank 5":
        message = r"`images` must be \(batch, H, W, C\). Received: shape=\(1, 2, 16, 16, 3\)"
    with pytest.raises(ValueError, match=message.format(name="images")):
        tf_azimuthal_integral(images)


def test_numpy_path_rejects_other_bad_arguments():
    with pytest.raises(ValueError, match=r"`images` must be \(H, W\) or \(..., H, W, C\). Received: shape=\(16,\)"):
        spectral.azimuthal_integral(np.zeros(16))
    with pytest.raises(ValueError, match="`images` must hold real numbers. Received: dtype=<U1"):
        spectral.azimuthal_integral(np.full((8, 8), "a"))
    with pytest.raises(ValueError, match="real numbers. Received: dtype=complex128"):
        spectral.azimuthal_integral(np.zeros((8, 8), complex))
    with pytest.raises(ValueError, match=r"at least 6 x 6 px for mode='reference'. Received: height=5, width=5"):
        spectral.azimuthal_integral(np.zeros((5, 5)), mode="reference")
    for bins in (1, 0, -3, 2.5, "10", True):
        with pytest.raises(ValueError, match=f"Received: num_bins={bins!r}"):
            spectral.azimuthal_integral(GOOD, num_bins=bins)
        with pytest.raises(ValueError, match=f"Received: num_bins={bins!r}"):
            AzimuthalIntegral(num_bins=bins)


def test_layer_shape_errors_are_raised_at_trace_time():
    layer = AzimuthalIntegral()
    traced = tf.function(layer)
    with pytest.raises(ValueError, match="channels"):
        traced.get_concrete_function(tf.TensorSpec([None, 16, 16, 2]))
    with pytest.raises(ValueError, match="static image size. Received: height=None"):
        keras.Model(*(lambda x: (x, AzimuthalIntegral()(x)))(keras.Input((None, None, 3))))
    with pytest.raises(ValueError, match="at least 4"):
        keras.Sequential([keras.Input((3, 3, 1)), AzimuthalIntegral()])


def test_graph_mode_has_no_host_side_checks():
    """The NaN/inf check is eager only: a traced (or XLA-compiled) layer carries no extra ops or syncs."""
    layer = AzimuthalIntegral(normalize="minmax")
    graph = tf.function(layer).get_concrete_function(tf.TensorSpec([None, 16, 16, 3])).graph
    op_types = {op.type for op in graph.get_operations()}
    assert not op_types & {"IsFinite", "Assert", "CheckNumerics", "All"}, op_types
    # So in a graph NaN propagates instead of raising (training code checks its own loss).
    result = tf.function(layer)(with_value(np.nan))
    assert np.isnan(result.numpy()[1]).all() and np.isfinite(result.numpy()[0]).all()


def test_spectral_bce_rejects_bad_profiles():
    fake = tf.constant([[0.0, 0.5, 1.0]])
    with pytest.raises(ValueError, match=r"`ai_fake` must be \(batch, bins\). Received: shape=\(3,\)"):
        spectral_bce(fake[0], fake[0])
    with pytest.raises(ValueError, match=r"`ai_real_mean` must be \(bins,\) or \(batch, bins\). Received: shape=\(1, 1, 3\)"):
        spectral_bce(fake, fake[None])
    with pytest.raises(ValueError, match=r"`ai_real_mean` must have 3 bins like `ai_fake`. Received: shape=\(4,\)"):
        spectral_bce(fake, tf.zeros([4]))
    with pytest.raises(ValueError, match=r"`ai_fake` has no bins. Received: shape=\(1, 0\)"):
        spectral_bce(tf.zeros([1, 0]), tf.zeros([0]))
    for value in (np.nan, np.inf, 1.5, -0.2):
        bad = tf.constant([[0.0, value, 1.0]])
        with pytest.raises(ValueError, match=r"`ai_fake` must be min-max normalised profiles in \[0, 1\]"):
            spectral_bce(bad, fake[0])
        with pytest.raises(ValueError, match=r"`ai_real_mean` must be min-max normalised"):
            spectral_bce(fake, bad[0])
    with pytest.raises(ValueError, match="ai_fake"):  # the Keras loss passes y_pred as ai_fake
        SpectralBCE()(fake[0], tf.constant([[0.0, 2.0, 1.0]]))


def test_mean_spectrum_rejects_bad_data():
    with pytest.raises(ValueError, match="`data` yielded no images. Received: data of type ndarray"):
        spectral.mean_spectrum(GOOD[:0])
    with pytest.raises(ValueError, match="`data` yielded no images. Received: data of type list"):
        spectral.mean_spectrum([])
    with pytest.raises(ValueError, match=r"`data` must be a batch .* Received: shape=\(16, 16, 3\)"):
        spectral.mean_spectrum(GOOD[0])
    with pytest.raises(ValueError, match=r"Received: shape=\(16,\)"):
        spectral.mean_spectrum(GOOD[0, 0, :, 0])
    for size in (0, -1, 2.0, None):
        with pytest.raises(ValueError, match=f"`batch_size` must be an integer >= 1. Received: batch_size={size!r}"):
            spectral.mean_spectrum(GOOD, batch_size=size)
    with pytest.raises(ValueError, match="NaN"):
        spectral.mean_spectrum([GOOD, with_value(np.nan)])
    # An empty batch inside a stream is skipped, not an error.
    np.testing.assert_allclose(spectral.mean_spectrum([GOOD, GOOD[:0]]), spectral.mean_spectrum(GOOD))
