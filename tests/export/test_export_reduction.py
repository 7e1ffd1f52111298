"""The ONNX-friendly "gather" reduction (the default) of the azimuthal integral equals the segment sum."""

import numpy as np
import pytest
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.layers import AzimuthalIntegral
from upconv_tf.layers.azimuthal import azimuthal_integral


@pytest.mark.parametrize("mode", spectral.MODES)
@pytest.mark.parametrize("size", [(64, 64), (218, 178), (33, 47)])
def test_gather_equals_segment_sum(rng, mode, size):
    images = rng.random((3,) + size + (3,)).astype(np.float32)
    segment = azimuthal_integral(images, mode, reduction="segment_sum").numpy()
    gather = azimuthal_integral(images, mode, reduction="gather").numpy()
    scale = np.abs(segment).max()
    # float32: each is within ~1e-6 (relative) of the float64 result, so they may differ by twice that.
    np.testing.assert_allclose(gather, segment, rtol=0, atol=5e-6 * scale)
    exact = azimuthal_integral(images.astype(np.float64), mode, reduction="gather").numpy()
    np.testing.assert_allclose(exact, spectral.azimuthal_integral(images, mode), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", spectral.MODES)
def test_reduction_plan_holds_every_binned_coefficient_with_its_multiplicity(mode):
    height, width = 40, 30
    layout = spectral.bin_layout(height, width, mode)
    plan = spectral.reduction_plan(height, width, mode)
    weights = plan.weights.ravel()
    # Run sources + rest sources = every entry once; weighted counts per bin = the layout's counts.
    entries = np.concatenate([plan.chunk_sources.ravel(), plan.rest_sources])
    np.testing.assert_array_equal(np.sort(entries), np.sort(plan.sources))
    bins = np.repeat(np.arange(layout.num_bins), np.diff(np.append(plan.starts, len(plan.sources))))
    np.testing.assert_array_equal(np.bincount(bins, weights=weights[plan.sources]), layout.counts)
    for k in (0, layout.num_bins // 2, layout.num_bins - 1):
        expected = np.unique(layout.sources[layout.ids == k])
        np.testing.assert_array_equal(np.sort(plan.sources[bins == k]), expected)


def test_gather_gradient_equals_segment_sum_gradient(crops64):
    image = tf.constant(crops64.images[:2], tf.float64)
    gradients = []
    for reduction in ("segment_sum", "gather"):
        with tf.GradientTape() as tape:
            tape.watch(image)
            value = tf.reduce_sum(azimuthal_integral(image, "centered", "minmax", 40, reduction=reduction) ** 2)
        gradients.append(tape.gradient(value, image).numpy())
    assert np.abs(gradients[0]).max() > 0
    np.testing.assert_allclose(gradients[1], gradients[0], rtol=1e-9, atol=1e-12)


def test_layer_reduction_argument_round_trips_and_is_validated():
    layer = AzimuthalIntegral(mode="reference", reduction="gather")
    clone = AzimuthalIntegral.from_config(layer.get_config())
    assert clone.reduction == "gather"
    assert AzimuthalIntegral().reduction == "gather"
    with pytest.raises(ValueError, match="reduction"):
        AzimuthalIntegral(reduction="dense")
