"""SpectralAutoencoder: the paper's AE experiment (down x2, one up-conv unit, MSE + spectral term)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.models import SpectralAutoencoder, SpectralTerm, save_model


@pytest.fixture(scope="module")
def real32():
    from upconv_tf.datasets import bundled_crops

    return bundled_crops(32, 16, seed=6).images * 2.0 - 1.0


@pytest.mark.parametrize("upsampling", ["transconv", "nearest", "bilinear", "zero"])
def test_structure_and_output(upsampling):
    ae = SpectralAutoencoder(32, upsampling, correction=3, filters=4)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    assert ae(x).shape == (2, 32, 32, 3)
    assert ae.correction == 3 and len(ae.decoder_layers) == 2


def test_the_model_halves_the_image_itself(rng):
    """The paper's AE: the up-unit gets the half-resolution RGB image (2 x 2 block means), not a learned
    many-channel code, so it has to interpolate."""
    x = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    ae = SpectralAutoencoder(32, "nearest", correction=1, kernel_size=3)
    blocks = x.reshape(2, 16, 2, 16, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(ae.downscale(x), blocks, atol=1e-6)
    assert ae.decoder_layers[0].conv.kernel.shape == (3, 3, 3, 3)  # 3 channels in, 3 out
    weights = sum(int(np.prod(w.shape)) for w in ae.trainable_weights)
    assert weights == 3 * 3 * 3 * 3 + 3


def test_training_reduces_the_loss_and_estimates_the_spectrum(real32):
    keras.utils.set_random_seed(0)
    ae = SpectralAutoencoder(32, "nearest", correction=1, kernel_size=3, filters=8, spectral=SpectralTerm(0.5))
    ae.compile(keras.optimizers.Adam(3e-3))
    assert not ae.has_real_spectrum
    history = ae.fit(real32, batch_size=8, epochs=8, verbose=0).history
    assert set(history) == {"loss", "mse", "spectral_loss"}
    assert history["mse"][-1] < history["mse"][0]
    np.testing.assert_allclose(history["loss"][-1], history["mse"][-1] + 0.5 * history["spectral_loss"][-1], rtol=1e-4)
    expected = np.mean(ae.spectral_profiles(real32.astype("float64")), axis=0)  # the default ring_power profile
    np.testing.assert_allclose(ae.real_spectrum.numpy(), expected, rtol=1e-6)
    paper = SpectralAutoencoder(32, "nearest", correction=1, kernel_size=3, spectral=SpectralTerm(0.5, profile="paper"))
    paper.adapt(real32)
    np.testing.assert_allclose(paper.real_spectrum.numpy(),
                               spectral.mean_spectrum(real32, mode="reference", normalize="minmax"), rtol=1e-6)


def test_spectral_weight_zero_is_plain_mse(real32):
    ae = SpectralAutoencoder(32, "transconv", spectral=SpectralTerm(0.0), filters=4)
    ae.compile("sgd")
    history = ae.fit(real32, batch_size=8, epochs=1, verbose=0).history
    assert set(history) == {"loss", "mse"} and not ae.has_real_spectrum
    total, mse, _ = ae.losses_for(tf.constant(real32[:4]))
    assert float(total) == float(mse)


def test_spectral_term_has_a_gradient(real32):
    ae = SpectralAutoencoder(32, "transconv", correction=0, filters=4, spectral=SpectralTerm(1.0))
    ae.adapt(real32)
    with tf.GradientTape() as tape:
        _, _, spectral_loss = ae.losses_for(tf.constant(real32[:4]), training=True)
    gradients = tape.gradient(spectral_loss, ae.trainable_variables)
    assert all(g is not None for g in gradients) and max(float(tf.reduce_max(tf.abs(g))) for g in gradients) > 0


def test_save_and_reload(real32, tmp_path):
    ae = SpectralAutoencoder(32, "zero", correction=3, kernel_size=3, filters=4)
    ae.adapt(real32)
    save_model(ae, tmp_path / "ae.keras")
    restored = keras.saving.load_model(tmp_path / "ae.keras", compile=False, safe_mode=True)
    assert restored.get_config()["upsampling"] == "zero" and restored.correction == 3
    np.testing.assert_allclose(restored(real32[:2]), ae(real32[:2]), atol=1e-6)
    np.testing.assert_allclose(restored.real_spectrum.numpy(), ae.real_spectrum.numpy())


def test_fixed_loss_and_validation():
    ae = SpectralAutoencoder(32, filters=4)
    with pytest.raises(ValueError, match="fixed loss"):
        ae.compile("adam", loss="mae")
    with pytest.raises(ValueError, match=r"\(N, 32, 32, C\)"):
        ae.adapt(np.zeros((2, 16, 16, 3), "float32"))


def test_a_trained_unit_beats_repeating_the_half_resolution_pixels():
    """The sanity gate of the AE: a trained interpolation unit reconstructs better than the 2 x 2 block means
    repeated. With a tanh output it could not (tanh(x) != x even for the identity kernel): a regression test."""
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.models import sanity, step_batches

    images = bundled_crops(16, 512, seed=2).images
    keras.utils.set_random_seed(0)
    ae = SpectralAutoencoder(16, "nearest", correction=1, kernel_size=3, spectral=SpectralTerm(0.0))
    ae.compile(keras.optimizers.Adam(1e-2))
    ae.fit(step_batches(images * 2 - 1, 32, 0), epochs=1, steps_per_epoch=600, verbose=0)
    report = sanity.autoencoder_sanity(np.clip(ae.predict(images * 2 - 1, verbose=0) * 0.5 + 0.5, 0, 1), images)
    assert report["mse"] < report["baseline_mse"], report


def test_a_reloaded_autoencoder_continues_training_exactly_as_an_uninterrupted_run(real32, tmp_path):
    """3 epochs straight == 1 epoch, save (.keras), load (safe_mode, compiled), 2 epochs: bit-equal on CPU
    (weights, spectrum, the Adam moments and iterations)."""

    def build():
        keras.utils.set_random_seed(0)
        ae = SpectralAutoencoder(32, "nearest", correction=1, kernel_size=3, filters=4,
                                 spectral=SpectralTerm(0.5, warmup=2))
        ae.compile(keras.optimizers.Adam(2e-3))
        return ae

    def state(model):
        return [np.asarray(v) for v in list(model.weights) + list(model.optimizer.variables)]

    images = real32[:8]
    straight = build()
    straight.fit(images, batch_size=4, epochs=3, shuffle=False, verbose=0)
    first = build()
    first.fit(images, batch_size=4, epochs=1, shuffle=False, verbose=0)
    save_model(first, tmp_path / "ae.keras")
    restored = keras.saving.load_model(tmp_path / "ae.keras", safe_mode=True)
    assert int(restored.optimizer.iterations) == 2 and float(restored.optimizer.learning_rate) == pytest.approx(2e-3)
    restored.fit(images, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for ours, theirs in zip(state(restored), state(straight), strict=True):
        np.testing.assert_array_equal(ours, theirs)
