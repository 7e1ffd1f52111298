import keras
import numpy as np
import pytest
import tensorflow as tf

from upconv_tf import metrics, spectral


def power_law_images(rng, count, size, alpha):
    """Random-phase gray images whose power spectrum is |k|^-alpha (as RGB)."""
    fy = np.fft.fftfreq(size)[:, None] * size
    fx = np.fft.rfftfreq(size)[None, :] * size
    radius = np.maximum(np.hypot(fy, fx), 1.0)
    amplitude = radius ** (-alpha / 2)
    phase = rng.uniform(0, 2 * np.pi, size=(count,) + radius.shape)
    gray = np.fft.irfft2(amplitude * np.exp(1j * phase), s=(size, size))
    return np.repeat(gray[..., None], 3, axis=-1)


def blur(images):
    return tf.image.resize(tf.image.resize(images, (32, 32), "area"), (64, 64), "bilinear").numpy()


def noisy(images, rng):
    return np.clip(images + rng.normal(0, 0.05, images.shape), 0, 1).astype("float32")


@pytest.mark.parametrize("alpha", [1.5, 2.0, 3.0])
def test_decay_fit_recovers_a_known_exponent(rng, alpha):
    images = power_law_images(rng, 6, 64, alpha)
    fitted = metrics.decay_exponent(images)
    np.testing.assert_allclose(fitted, alpha, atol=0.15)


def test_decay_fit_is_linear_in_the_profile(crops64):
    profiles = spectral.azimuthal_integral(crops64.images, normalize=None)
    alpha, offset = metrics.power_law_fit(profiles)
    mean_alpha, mean_offset = metrics.power_law_fit(profiles.mean(axis=0))
    assert mean_alpha == pytest.approx(alpha.mean()) and mean_offset == pytest.approx(offset.mean())


def test_decay_sign_follows_high_frequency_power(crops64, rng):
    real = crops64.images
    assert metrics.decay_exponent_gap(real, blur(real)) > 0.3  # interpolation loses high frequencies
    assert metrics.decay_exponent_gap(real, noisy(real, rng)) < -0.3  # added power at high frequencies


def test_high_frequency_gap_sign(crops64, rng):
    real = crops64.images
    assert metrics.high_frequency_gap(real, real) == 0.0
    assert metrics.high_frequency_gap(real, blur(real)) < -3  # dB
    assert metrics.high_frequency_gap(real, noisy(real, rng)) > 3
    report = metrics.spectral_report(real[:24], noisy(real[24:], rng))
    assert report["high_frequency_gap_db"] > 3 and report["decay_exponent_gap"] < 0


def test_lfd_is_zero_for_equal_sets_and_grows_with_the_discrepancy(crops64, rng):
    real = crops64.images
    assert metrics.log_frequency_distance(real, real) == 0.0
    mild = metrics.log_frequency_distance(real, np.clip(real + 0.01 * rng.normal(size=real.shape), 0, 1))
    strong = metrics.log_frequency_distance(real, noisy(real, rng))
    assert 0 < mild < strong
    assert metrics.log_frequency_distance(real[:10], real[10:]) == pytest.approx(
        metrics.log_frequency_distance(real[10:], real[:10]))


def test_lfd_rejects_different_sizes(crops64):
    with pytest.raises(ValueError, match="same image size"):
        metrics.log_frequency_distance(crops64.images, crops64.images[:, :32, :32])


def bce(fake, real):
    return -np.mean(real * np.log(fake + 1e-7) + (1 - real) * np.log(1 - fake + 1e-7), axis=-1)


def test_spectral_distance_is_the_excess_bce_of_the_mean_profile(crops64):
    real, fake = crops64.images[:24], blur(crops64.images[24:])
    profile = spectral.mean_spectrum(real, mode="reference", normalize="minmax")
    fake_ai = spectral.azimuthal_integral(fake, mode="reference", normalize="minmax")
    expected = bce(fake_ai.mean(axis=0), profile) - bce(profile, profile)
    assert expected > 0
    assert metrics.spectral_distance(real, fake) == pytest.approx(expected, rel=1e-3)
    assert metrics.spectral_distance(None, fake, real_profile=profile) == pytest.approx(expected, rel=1e-3)
    assert metrics.spectral_bce_loss(real, fake) == pytest.approx(bce(fake_ai, profile).mean(), rel=1e-4)
    assert metrics.spectral_distance(real, real) < 1e-6


def test_spectral_distance_ranks_held_out_real_below_degraded(crops64, rng):
    real, held_out = crops64.images[::2], crops64.images[1::2]
    baseline = metrics.spectral_distance(real, held_out)
    assert baseline < metrics.spectral_distance(real, blur(held_out))
    assert baseline < metrics.spectral_distance(real, noisy(held_out, rng))


def test_keras_metrics_match_the_numpy_functions_over_several_batches(crops64, rng):
    real, fake = crops64.images, noisy(crops64.images, rng)
    profile = spectral.mean_spectrum(real, mode="reference", normalize="minmax")
    keras_metrics = [metrics.SpectralDistance(real_profile=profile), metrics.SpectralDistance(),
                     metrics.LogFrequencyDistance(), metrics.SpectralDecayGap()]
    for start in range(0, len(real), 20):  # unequal last batch
        for metric in keras_metrics:
            metric.update_state(real[start:start + 20], fake[start:start + 20])
    distance = metrics.spectral_distance(real, fake)
    expected = [distance, distance, metrics.log_frequency_distance(real, fake),
                metrics.decay_exponent_gap(real, fake)]
    np.testing.assert_allclose([float(m.result()) for m in keras_metrics], expected, rtol=2e-3, atol=1e-4)
    for metric in keras_metrics:
        metric.reset_state()
        assert float(metric.result()) == 0.0


def test_sample_weight_drops_images(crops64, rng):
    real, fake = crops64.images[:8], noisy(crops64.images[:8], rng)
    weighted = metrics.LogFrequencyDistance()
    weighted.update_state(real, np.concatenate([fake[:4], real[4:]]), sample_weight=[1, 1, 1, 1, 0, 0, 0, 0])
    assert float(weighted.result()) == pytest.approx(
        metrics.log_frequency_distance(real[:4], fake[:4]), rel=2e-3)


def test_metrics_work_in_compiled_evaluate_and_round_trip(crops64, rng):
    inputs = keras.Input((64, 64, 3))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    model.compile(loss="mse", metrics=[metrics.SpectralDistance(), metrics.LogFrequencyDistance(),
                                       metrics.SpectralDecayGap(fraction=0.5)])
    fake, real = noisy(crops64.images, rng), crops64.images
    result = model.evaluate(fake, real, batch_size=16, verbose=0, return_dict=True)
    assert result["log_frequency_distance"] > 0 and result["spectral_decay_gap"] < 0
    for metric in (metrics.SpectralDistance(real_profile=[0.0, 0.5, 1.0], mode="centered"),
                   metrics.SpectralDecayGap(mode="reference", fraction=0.5)):
        restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
        assert type(restored) is type(metric) and restored.get_config() == metric.get_config()


@pytest.mark.parametrize("factory, match", [
    (lambda: metrics.SpectralDecayGap(fraction=0), "fraction"),
    (lambda: metrics.SpectralDecayGap(mode="polar"), "mode"),
    (lambda: metrics.SpectralDistance(real_profile=[np.nan, 1.0]), "real_profile"),
    (lambda: metrics.power_law_fit(np.zeros((2, 4)), fraction=0.1), "at least 2 bins"),
    (lambda: metrics.spectral_distance(None, np.zeros((2, 8, 8, 3))), "real_profile"),
    (lambda: metrics.SpectralDistance(real_profile=np.ones(5)).update_state(None, np.zeros((1, 32, 32, 3))),
     "bins"),
])
def test_bad_arguments_are_named(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()
