"""SpectralGAN: the four losses train, the spectral term alone moves the generator with the right
gradient, the real spectrum is estimated from the data, saving and mixed precision."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.layers import AzimuthalIntegral
from upconv_tf.models import SpectralGAN, SpectralTerm, build_discriminator, build_generator, load_generator_model
from upconv_tf.models.spectral_target import PUBLISHED_TERM

SIZE, LATENT, DIM = 32, 8, 8


@pytest.fixture(scope="module")
def real32():
    from upconv_tf.datasets import bundled_crops

    return bundled_crops(SIZE, 16, seed=5).images * 2.0 - 1.0


@pytest.fixture
def policy():
    """Restore the global dtype policy after a test that changes it."""
    yield keras.config.set_dtype_policy
    keras.config.set_dtype_policy("float32")


def tiny_gan(loss="dcgan", norm="layer", **kwargs):
    generator = build_generator(SIZE, LATENT, "transconv", correction=0, dim=DIM, norm="none")
    discriminator = build_discriminator(SIZE, norm=norm, dim=DIM)
    return SpectralGAN(generator, discriminator, loss=loss, **kwargs)


@pytest.mark.parametrize("loss", ["dcgan", "lsgan", "wgan-gp", "dragan"])
def test_each_loss_trains_and_reports_its_metrics(real32, loss):
    gan = tiny_gan(loss, n_critic=2 if loss == "wgan-gp" else None, seed=1)
    gan.compile()
    history = gan.fit(real32, batch_size=8, epochs=1, verbose=0).history
    expected = {"d_loss", "g_loss", "spectral_loss"} | ({"gradient_penalty"} if loss in ("wgan-gp", "dragan") else set())
    assert set(history) == expected
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert gan.d_optimizer.iterations.numpy() == 2 * gan.n_critic and gan.g_optimizer.iterations.numpy() == 2
    results = gan.evaluate(real32, batch_size=8, verbose=0, return_dict=True)
    assert {"d_loss", "g_loss", "spectral_loss"} <= set(results)


def test_defaults_follow_the_reference():
    assert tiny_gan("wgan-gp").n_critic == 5 and tiny_gan("dcgan").n_critic == 1
    assert tiny_gan("wgan-gp").penalty_weight == 10.0
    gan = tiny_gan()
    gan.compile()
    config = gan.g_optimizer.get_config()
    assert config["learning_rate"] == pytest.approx(2e-4) and config["beta_1"] == 0.5 and config["beta_2"] == 0.999


def test_real_spectrum_is_estimated_from_the_training_data(real32):
    gan = tiny_gan(spectral=SpectralTerm(2.0))
    gan.compile()
    assert not gan.has_real_spectrum
    gan.fit(real32, batch_size=8, epochs=1, verbose=0)
    expected = np.mean(gan.spectral_profiles(real32.astype("float64")), axis=0)  # default: ring_power profile
    np.testing.assert_allclose(gan.real_spectrum.numpy(), expected, rtol=1e-6)
    assert gan.real_spectrum_count.numpy() == len(real32)
    paper = tiny_gan(spectral=SpectralTerm(2.0, profile="paper"))
    paper.adapt(real32)
    np.testing.assert_allclose(paper.real_spectrum.numpy(),
                               spectral.mean_spectrum(real32, mode="reference", normalize="minmax"), rtol=1e-6)


def test_plain_gan_needs_no_spectrum(real32):
    gan = tiny_gan(spectral=SpectralTerm(0.0))
    gan.compile()
    history = gan.fit(real32, batch_size=8, epochs=1, verbose=0).history
    assert "spectral_loss" not in history and not gan.has_real_spectrum


def test_given_real_spectrum_is_used_and_validated(real32):
    profile = spectral.mean_spectrum(real32[:4], mode="reference", normalize="minmax")
    gan = tiny_gan(real_spectrum=profile)
    np.testing.assert_allclose(gan.real_spectrum.numpy(), profile)
    with pytest.raises(ValueError, match="Received: shape"):
        tiny_gan(real_spectrum=profile[:-1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        tiny_gan(real_spectrum=profile * 3)


def test_arguments_are_validated():
    g = build_generator(SIZE, LATENT, dim=DIM)
    with pytest.raises(ValueError, match="Received: loss='wgan'"):
        SpectralGAN(g, build_discriminator(SIZE, dim=DIM), loss="wgan")
    with pytest.raises(ValueError, match="discriminator input_shape"):
        SpectralGAN(g, build_discriminator(64, dim=DIM))
    with pytest.raises(ValueError, match="Received: latent_dim=9"):
        SpectralGAN(g, build_discriminator(SIZE, dim=DIM), latent_dim=9)
    with pytest.raises(ValueError, match="Received: n_critic=0"):
        SpectralGAN(g, build_discriminator(SIZE, dim=DIM), n_critic=0)
    with pytest.raises(ValueError, match="Received: weight=-1"):
        SpectralGAN(g, build_discriminator(SIZE, dim=DIM), spectral=SpectralTerm(-1))


def generator_weights(gan):
    return [w.copy() for w in gan.generator.get_weights()]


@pytest.mark.parametrize("spectral_weight", [1.0, 0.0])
def test_spectral_term_alone_moves_the_generator(real32, spectral_weight):
    gan = tiny_gan(spectral=SpectralTerm(spectral_weight), adversarial_weight=0.0, seed=3,
                   real_spectrum=spectral.mean_spectrum(real32, mode="reference", normalize="minmax"))
    gan.compile(g_optimizer=keras.optimizers.SGD(0.01), d_optimizer=keras.optimizers.SGD(0.01))
    before, d_before = generator_weights(gan), gan.discriminator.get_weights()
    gan.train_step(tf.constant(real32[:8]))
    changes = [np.abs(a - b).max() for a, b in zip(gan.generator.get_weights(), before)]
    assert any(not np.array_equal(a, b) for a, b in zip(gan.discriminator.get_weights(), d_before))
    if spectral_weight:
        assert max(changes) > 1e-6  # the spectral gradient reached the generator
    else:
        assert max(changes) == 0  # control: with both terms zeroed nothing moves it


def directional(function, variables, direction, eps):
    """Central difference of ``function()`` along ``direction`` (weights restored afterwards)."""
    base = [v.numpy() for v in variables]
    values = []
    for step in (eps, -eps):
        for v, b, d in zip(variables, base, direction):
            v.assign(b + step * d)
        values.append(float(function()))
    for v, b in zip(variables, base):
        v.assign(b)
    return (values[0] - values[1]) / (2 * eps)


@pytest.mark.parametrize("profile", ["ring_power", "paper"])
def test_spectral_gradient_matches_finite_differences(real32, policy, rng, profile):
    """float64 generator, adversarial term zeroed: the tape gradient of the generator loss (= spectral
    term) against central differences along random directions.

    Two checks: (1) the path generator -> profile, where everything is float64, exactly
    (eps 1e-6, rtol 1e-6) with the profile weighted by random coefficients; (2) the full loss, whose
    ``spectral_bce`` computes in float32 (values quantised to ~1e-7 relative), so eps is 1e-4 and the
    tolerance 2e-2 (the min-max profile puts log(p) of bins near 0 in the loss: large curvature, so a
    larger eps is not more accurate). A missing or detached gradient would be off by 100%.
    """
    policy("float64")
    keras.utils.set_random_seed(11)
    target = spectral.mean_spectrum(real32, mode="reference", normalize="minmax")
    gan = tiny_gan(spectral=SpectralTerm(1.0, profile=profile), adversarial_weight=0.0, real_spectrum=target,
                   norm="none")
    assert gan.generator.output.dtype == "float64"
    latents = tf.constant(rng.normal(size=(4, LATENT)))
    variables = gan.generator.trainable_variables
    coefficients = tf.constant(rng.normal(size=(4, len(target))))

    def weighted_profile():
        return tf.reduce_sum(coefficients * gan.profile_tensor(gan.generator(latents, training=False)))

    def loss():
        return gan.generator_losses(latents, training=False)[2]

    for function, eps, rtol in ((weighted_profile, 1e-6, 1e-6), (loss, 1e-4, 2e-2)):
        with tf.GradientTape() as tape:
            value = function()
        gradients = tape.gradient(value, variables)
        assert all(g is not None for g in gradients)
        for _ in range(2):
            direction = [rng.normal(size=v.shape) for v in variables]
            norm = np.sqrt(sum((d ** 2).sum() for d in direction))
            direction = [d / norm for d in direction]
            analytic = sum(float(tf.reduce_sum(g * d)) for g, d in zip(gradients, direction))
            assert abs(analytic) > 1e-3
            np.testing.assert_allclose(analytic, directional(function, variables, direction, eps), rtol=rtol)


def test_save_and_load_keep_weights_spectrum_and_seed(real32, tmp_path):
    gan = tiny_gan(seed=4)
    gan.compile()
    gan.fit(real32, batch_size=8, epochs=1, verbose=0)
    gan.save(tmp_path / "gan.keras")
    restored = keras.saving.load_model(tmp_path / "gan.keras", compile=False)
    assert isinstance(restored, SpectralGAN) and restored.loss_name == "dcgan"
    np.testing.assert_allclose(restored.real_spectrum.numpy(), gan.real_spectrum.numpy())
    np.testing.assert_array_equal(restored.seed_generator.state.numpy(), gan.seed_generator.state.numpy())
    latents = np.random.default_rng(0).normal(size=(2, LATENT)).astype("float32")
    np.testing.assert_allclose(restored(latents), gan(latents), atol=1e-6)
    generator = load_generator_model(tmp_path / "gan.keras")
    np.testing.assert_allclose(generator(latents), gan.generator(latents), atol=1e-6)


def test_mixed_precision_keeps_the_spectrum_in_float32(real32, policy):
    policy("mixed_float16")
    gan = tiny_gan(seed=2)
    gan.compile()
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert gan.generator.get_layer("up1_transconv").compute_dtype == "float16"
    history = gan.fit(real32, batch_size=8, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    images = gan.generator(np.zeros((2, LATENT), "float32"))
    assert images.dtype == tf.float32
    assert AzimuthalIntegral(mode="reference")(tf.cast(images, tf.float16)).dtype == tf.float32
    assert gan.real_spectrum.dtype == "float32"


PUBLISHED = SpectralTerm(**PUBLISHED_TERM)  # eq. (11) as the published code


def spectral_gradient(term, dtype, weights, latents, target):
    """Gradient of the spectral term w.r.t. a fresh N.3.5 generator's weights, computed in ``dtype``."""
    keras.config.set_dtype_policy(dtype)
    generator = build_generator(SIZE, LATENT, "nearest", 3, 5, dim=DIM)
    generator.set_weights([w.astype(dtype) for w in weights])
    gan = SpectralGAN(generator, build_discriminator(SIZE, dim=DIM), real_spectrum=target, spectral=term)
    with tf.GradientTape() as tape:
        loss = gan.spectral_loss(generator(tf.constant(latents, dtype), training=True))
    gradients = tape.gradient(loss, generator.trainable_variables)
    return np.concatenate([np.ravel(g.numpy()).astype(np.float64) for g in gradients])


def test_default_spectral_term_is_well_conditioned_on_a_fresh_generator(real32, policy):
    """float32 gradient of the spectral term against its float64 reference, same fresh weights, same latents.

    The published term (``"paper"`` profile: mean of 20 ln|F| per ring, per-image BCE on the exact 0/1 bins)
    loses ~1e-3 to 1e-2 of relative accuracy in float32 on a fresh generator, so 1 vs 2 replicas drift apart
    by summation order alone; the default (the same profile floored at 8-bit rounding noise, batch-mean BCE,
    exact-0/1 bins held) stays ~300x closer. Measured (worst of seeds 0-2): here 1.5e-5 (default) vs 7.0e-3
    (published); at latent 128, dim 16 (the CPU training size) 2.4e-5 vs 3.2e-2.
    """
    errors = {}
    for name, term in (("default", SpectralTerm()), ("published", PUBLISHED)):
        worst = 0.0
        for seed in range(3):
            policy("float32")
            keras.utils.set_random_seed(seed)
            weights = build_generator(SIZE, LATENT, "nearest", 3, 5, dim=DIM).get_weights()
            latents = np.random.default_rng(seed).normal(size=(16, LATENT))
            probe = SpectralGAN(build_generator(SIZE, LATENT, "nearest", 3, 5, dim=DIM), build_discriminator(SIZE, dim=DIM),
                                spectral=term)
            target = probe.adapt(real32)
            single = spectral_gradient(term, "float32", weights, latents, target)
            double = spectral_gradient(term, "float64", weights, latents, target)
            worst = max(worst, np.linalg.norm(single - double) / np.linalg.norm(double))
        errors[name] = worst
    assert errors["default"] < 1e-3
    assert errors["published"] > 10 * errors["default"]  # the control: the test can tell a badly conditioned term


def test_published_code_arm_is_nearest_plus_three_5x5_with_no_spectral_gradient():
    from upconv_tf.models import ARMS, arm

    settings = arm("published-code")
    assert settings.pop("spectral_weight") == 0.0 and ARMS["paper"]["spectral_weight"] == 2.0
    generator = build_generator(SIZE, LATENT, dim=DIM, **settings)
    names = [layer.name for layer in generator.layers]
    assert "last_nearest" in names and "last_correction" in names
    convs = [generator.get_layer("last_nearest").conv] + generator.get_layer("last_correction").convs
    assert [c.kernel.shape[:2] for c in convs] == [(5, 5)] * 3 and convs[-1].filters == 3
    settings["correction"] = 0
    assert arm("published-code")["correction"] == 3  # a copy
    with pytest.raises(ValueError, match="Received: arm='published'"):
        arm("published")


def test_stabilisers_train_and_are_validated(real32):
    gan = tiny_gan(seed=5, r1_weight=1.0, label_smoothing=0.1)
    gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5, use_ema=True, ema_momentum=0.9))
    history = gan.fit(real32, batch_size=8, epochs=2, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    restored = SpectralGAN.from_config(gan.get_config())
    assert restored.r1_weight == 1.0 and restored.label_smoothing == 0.1 and restored.spectral_reduction == "batch"
    average = gan.sampling_generator()  # the EMA copy; the live generator is untouched
    assert average is not gan.generator
    live = [w.copy() for w in gan.generator.get_weights()]
    assert any(not np.allclose(a, b) for a, b in zip(average.get_weights(), live))
    assert all(np.array_equal(a, b) for a, b in zip(gan.generator.get_weights(), live))
    plain = tiny_gan()
    plain.compile()
    assert plain.sampling_generator() is plain.generator
    with pytest.raises(ValueError, match="label_smoothing"):
        tiny_gan("lsgan", label_smoothing=0.1)
    with pytest.raises(ValueError, match="reduction"):
        tiny_gan(spectral=SpectralTerm(reduction="mean"))
    with pytest.raises(ValueError, match="profile"):
        tiny_gan(spectral=SpectralTerm(profile="log"))


def test_spectral_warmup_ramps_the_weight_over_generator_updates(real32):
    gan = tiny_gan(spectral=SpectralTerm(2.0, warmup=4))
    assert [float(gan.spectral_scale(step)) for step in (0, 1, 3, 50)] == [0.5, 1.0, 2.0, 2.0]
    assert float(tiny_gan(spectral=SpectralTerm(2.0)).spectral_scale(0)) == 2.0
    gan.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.SGD(0.0))
    gan.adapt(real32)
    latents = tf.constant(np.random.default_rng(0).normal(size=(4, LATENT)), tf.float32)
    adversarial, spectral_term, total = gan.generator_losses(latents)
    np.testing.assert_allclose(float(total), float(adversarial) + 0.5 * float(spectral_term), rtol=1e-5)  # step 0
    with pytest.raises(ValueError, match="warmup"):
        tiny_gan(spectral=SpectralTerm(warmup=-1))


def all_state(model):
    """Every weight of the model and both optimizers' variables (moments and step counts), as numpy."""
    variables = list(model.weights) + list(model.g_optimizer.variables) + list(model.d_optimizer.variables)
    return [np.asarray(v) for v in variables]


def test_a_reloaded_gan_continues_training_exactly_as_an_uninterrupted_run(real32, tmp_path):
    """6 steps straight == 2 steps, save (.keras), load (safe_mode, compiled), 4 steps: bit-equal on CPU
    (weights, spectrum, both Adam optimizers' moments and iterations, the latent seed state)."""

    def build():
        keras.utils.set_random_seed(0)
        gan = tiny_gan(seed=2, spectral=SpectralTerm(1.0, warmup=3))
        gan.compile(g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                    d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5))
        return gan

    images = real32[:8]
    straight = build()
    straight.fit(images, batch_size=4, epochs=3, shuffle=False, verbose=0)
    first = build()
    first.fit(images, batch_size=4, epochs=1, shuffle=False, verbose=0)
    first.save(tmp_path / "gan.keras")
    restored = keras.saving.load_model(tmp_path / "gan.keras", safe_mode=True)
    assert float(restored.d_optimizer.learning_rate) == pytest.approx(2e-3)  # each optimizer's own settings
    assert int(restored.g_optimizer.iterations) == 2
    restored.fit(images, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for ours, theirs in zip(all_state(restored), all_state(straight), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(restored.seed_generator.state.numpy(), straight.seed_generator.state.numpy())


def test_spectral_settings_are_one_object_and_the_former_arguments_still_work():
    import copy

    gan = tiny_gan(spectral=SpectralTerm(0.5, profile="paper", warmup=2))
    config = gan.get_config()
    assert config["spectral"] == {"weight": 0.5, "mode": "reference", "normalize": "minmax", "profile": "paper",
                                  "reduction": "batch", "warmup": 2}
    assert not any(key.startswith("spectral_") for key in config)
    assert SpectralGAN.from_config(copy.deepcopy(config)).spectral == gan.spectral  # deserializing consumes it
    # A config saved before the settings object (flat spectral_* keys) still loads, without a warning.
    old = {key: value for key, value in config.items() if key != "spectral"}
    old.update(spectral_weight=0.5, spectral_profile="paper", spectral_warmup=2)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert SpectralGAN.from_config(old).spectral == gan.spectral
    with pytest.warns(DeprecationWarning, match=r"spectral=SpectralTerm\(weight=0.5, profile='paper'\)"):
        legacy = tiny_gan(spectral_weight=0.5, spectral_profile="paper")
    assert legacy.spectral == SpectralTerm(0.5, profile="paper") and legacy.spectral_profile == "paper"
    with pytest.raises(ValueError, match="both given"):
        tiny_gan(spectral=SpectralTerm(), spectral_weight=1.0)
    with pytest.raises(ValueError, match="must be a SpectralTerm"):
        tiny_gan(spectral=2.0)


def test_float64_discriminator_on_float32_images_trains_with_the_r1_penalty(real32, policy):
    """A float32 generator with a float64 discriminator (e.g. ``keras.config.set_floatx("float64")`` after the
    generator was built) and float64 data: the R1 penalty (a gradient w.r.t. the float32 images) joins the
    float64 loss."""
    generator = build_generator(SIZE, LATENT, "transconv", correction=0, dim=DIM, norm="none")
    policy("float64")
    discriminator = build_discriminator(SIZE, norm="layer", dim=DIM)
    gan = SpectralGAN(generator, discriminator, seed=1)
    assert gan.r1_weight > 0 and generator.output.dtype == "float32" and discriminator.output.dtype == "float64"
    gan.compile()
    history = gan.fit(real32[:8].astype("float64"), batch_size=4, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][-1])


def test_no_function_of_the_models_takes_more_than_ten_parameters():
    """...without a settings object: over 10 (``self`` and ``**kwargs`` aside) only where one argument is a
    settings object (``spectral``, a SpectralTerm)."""
    import ast
    import pathlib

    import upconv_tf.models

    folder = pathlib.Path(upconv_tf.models.__file__).parent
    long = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                         if a.arg not in ("self", "cls")]
                if len(names) > 10 and "spectral" not in names:
                    long.append(f"{path.name}:{node.name} ({len(names)})")
    assert not long
