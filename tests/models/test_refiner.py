"""SpectrumRefiner (STIG): shapes, the phase kept, content kept after a short training, the published weights,
argument checks, .keras save / load / train further, and one device against MirroredStrategy."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from upconv_tf.metrics import structural_similarity
from upconv_tf.models import sanity
from upconv_tf.models.refiner import (
    DelayedLinearDecay,
    RefinerLosses,
    SpectrumRefiner,
    build_patch_discriminator,
    build_refiner,
    build_spectral_discriminator,
    paper_optimizer,
)

from paths import REPO, TESTS

SIZE = 32


def small_refiner(**kwargs):
    keras.utils.set_random_seed(0)
    options = dict(width=4, depth=3, discriminator_width=4, seed=3, losses={"nce_patches": 32, "nce_units": 16})
    options.update(kwargs)
    return build_refiner(SIZE, **options)


@pytest.fixture(scope="module")
def pairs():
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.fakes import make_fakes

    real = bundled_crops(SIZE, 16, seed=0).images
    fakes = make_fakes(bundled_crops(SIZE, 16, seed=1).images, "transconv", seed=0)
    return fakes, real


def batches(pairs, batch=4):
    return tf.data.Dataset.from_tensor_slices(pairs).batch(batch, drop_remainder=True)


@pytest.fixture(scope="module")
def trained(pairs):
    # The smallest refiner that still has every part (2 levels; no identity pass on the real images): tracing the
    # train step is most of the time.
    refiner = small_refiner(depth=2, losses={"nce_patches": 32, "nce_units": 16, "nce_identity": False})
    refiner.compile(paper_optimizer(1e-3), paper_optimizer(1e-3))
    before = [w.copy() for w in refiner.generator.get_weights()]
    history = refiner.fit(batches(pairs), epochs=2, verbose=0)
    return refiner, before, history


def test_starts_as_the_identity_and_takes_other_sizes(rng):
    refiner = small_refiner()
    for shape in ((2, SIZE, SIZE, 3), (1, 64, 16, 3)):
        images = rng.random(shape).astype("float32")
        np.testing.assert_allclose(refiner.refine(images).numpy(), images, rtol=0, atol=2e-5)
    with pytest.raises(ValueError, match="multiples of 4"):
        refiner.refine(rng.random((1, 30, 30, 3)).astype("float32"))


def test_the_phase_is_kept(rng):
    refiner = small_refiner()
    final = refiner.generator.final
    final.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") for w in final.get_weights()])
    images = rng.random((2, SIZE, SIZE, 3)).astype("float32")
    refined = refiner.refine_parts(tf.constant(images))[0].numpy()  # unclipped
    before, after = np.fft.fft2(images, axes=(1, 2)), np.fft.fft2(refined, axes=(1, 2))
    assert np.abs(np.abs(after) - np.abs(before)).max() > 0.5  # the magnitude changed ...
    strong = (np.abs(before) > 1e-2 * np.abs(before).max()) & (np.abs(after) > 1e-2 * np.abs(after).max())
    assert np.abs(np.angle(after[strong] / before[strong])).max() < 1e-3  # ... the phase did not
    # The DC term (each channel's mean, the image's colour) is kept.
    np.testing.assert_allclose(refined.mean(axis=(1, 2)), images.mean(axis=(1, 2)), rtol=0, atol=1e-5)
    # Both DFTs give the same refinement.
    np.testing.assert_allclose(refiner.refine(images, dft="matmul").numpy(), np.clip(refined, 0, 1), rtol=0,
                               atol=1e-4)


def test_defaults_are_the_published_weights():
    losses = RefinerLosses()
    assert (losses.adversarial, losses.spectral, losses.nce, losses.low_frequency) == (3.0, 3.0, 10.0, 3.0)
    assert (losses.real_identity, losses.content, losses.nce_temperature, losses.nce_patches) == (3.0, 1.0, 0.07, 256)
    assert losses.nce_identity and losses.low_frequency_box * 256 == 8
    config = paper_optimizer(total_steps=10).get_config()
    assert config["beta_1"] == 0.5 and config["beta_2"] == 0.999
    schedule = keras.saving.deserialize_keras_object(config["learning_rate"])
    assert [round(float(schedule(step)) / 8e-5, 3) for step in (0, 2, 6, 10)] == [1.0, 1.0, 0.5, 0.0]
    assert RefinerLosses.from_dict(losses.as_dict()) == losses


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="`content` must be a finite number"):
        RefinerLosses(content=-1)
    with pytest.raises(ValueError, match="unknown settings"):
        RefinerLosses.from_dict({"gan": 1.0})
    with pytest.raises(ValueError, match="`nce_levels` must be below"):
        small_refiner(losses={"nce_levels": [5]})
    refiner = small_refiner()
    with pytest.raises(ValueError, match="`spectral_discriminator` must take the 20 reference bins"):
        SpectrumRefiner(refiner.generator, refiner.discriminator, build_spectral_discriminator(64))
    with pytest.raises(ValueError, match="multiples of 4"):
        SpectrumRefiner(refiner.generator, build_patch_discriminator(34, width=4), refiner.spectral_discriminator)
    with pytest.raises(ValueError, match="compile"):
        small_refiner().fit(np.zeros((4, SIZE, SIZE, 3), "float32"))
    with pytest.raises(ValueError, match="`decay_steps` must be an integer >= 1"):
        DelayedLinearDecay(1.0, 0, 0)


def test_a_short_training_moves_the_generator_and_keeps_the_content(trained, pairs):
    refiner, before, history = trained
    assert set(history.history) == {"d_loss", "g_loss", "adversarial_loss", "spectral_loss", "nce_loss", "ssim_loss",
                                     "low_frequency_loss"}
    assert all(np.isfinite(v).all() for v in history.history.values())
    moved = max(np.abs(a - b).max() for a, b in zip(refiner.generator.get_weights(), before))
    assert moved > 1e-3
    fakes = pairs[0]
    refined = refiner.refine(fakes).numpy()
    assert np.abs(refined - fakes).max() > 1e-3  # it refines ...
    ssim = structural_similarity(fakes, refined)
    report = sanity.refiner_sanity(refined, fakes, ssim)
    assert report["status"] == "trained", report["reasons"]  # ... and keeps the content


def test_the_content_gate_fails_a_refiner_that_loses_the_content(pairs, rng):
    refiner = small_refiner()
    refiner.generator.final.set_weights([rng.normal(0, 2.0, w.shape).astype("float32")
                                         for w in refiner.generator.final.get_weights()])
    fakes = pairs[0]
    refined = refiner.refine(fakes).numpy()
    report = sanity.refiner_sanity(refined, fakes, structural_similarity(fakes, refined))
    assert report["status"] == "untrained" and any("content lost" in r for r in report["reasons"])


@pytest.mark.slow
def test_save_load_and_train_further(trained, pairs, tmp_path):
    refiner = trained[0]
    path = str(tmp_path / "refiner.keras")
    refiner.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, SpectrumRefiner) and loaded.losses_config == refiner.losses_config
    np.testing.assert_array_equal(loaded.refine(pairs[0][:4]).numpy(), refiner.refine(pairs[0][:4]).numpy())
    # The compile configuration and the optimizers' state came back: training goes on from there.
    assert int(loaded.g_optimizer.iterations) == int(refiner.g_optimizer.iterations) == 8
    assert loaded.g_optimizer.get_config() == refiner.g_optimizer.get_config()
    for saved, restored in zip(refiner.g_optimizer.variables, loaded.g_optimizer.variables):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(restored))
    np.testing.assert_array_equal(loaded.seed_generator.state.numpy(), refiner.seed_generator.state.numpy())
    loaded.fit(batches(pairs), epochs=1, verbose=0)
    assert int(loaded.g_optimizer.iterations) == 12 and int(loaded.d_optimizer.iterations) == 12


@pytest.mark.slow
def test_mirrored_strategy_matches_one_device(tmp_path):
    """2 logical CPU devices under MirroredStrategy against one device, float64, SGD (tests/models/distribute_worker.py)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]))
    process = subprocess.run([sys.executable, os.path.join(TESTS, "models", "distribute_worker.py"), "local",
                              str(tmp_path), "refiner"], env=env, capture_output=True, text=True, timeout=900)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]

    def load(name):
        data = np.load(tmp_path / f"refiner_{name}.npz")
        return [data[f"arr_{i}"] for i in range(len(data.files))]

    init, single, mirrored = load("init"), load("single"), load("mirrored")
    moved = max(np.abs(s - i).max() / np.abs(s).max() for s, i in zip(single, init) if np.abs(s).max() > 0)
    assert moved > 1e-2
    errors = [np.abs(m - s).max() / np.abs(s).max() for m, s in zip(mirrored, single) if np.abs(s).max() > 0]
    assert max(errors) <= 1e-5
