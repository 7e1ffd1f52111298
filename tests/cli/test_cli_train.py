"""``upconv-tf train gan|autoencoder`` and ``upconv-tf generate`` on the bundled photos (tiny settings)."""

import json
import os

import numpy as np
import pytest

from upconv_tf.cli import main

pytestmark = pytest.mark.slow

TINY = ["--size", "32", "--dim", "8", "--count", "24", "--batch-size", "8", "--steps-per-epoch", "2",
        "--save-every", "1"]


def event_tags(folder):
    import tensorflow as tf

    tags = set()
    for root, _, files in os.walk(folder):
        for name in files:
            if name.startswith("events"):
                for event in tf.compat.v1.train.summary_iterator(os.path.join(root, name)):
                    tags |= {value.tag for value in event.summary.value}
    return tags


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan") / "run"
    code = main(["train", "gan", "--loss", "dcgan", "--upsampling", "nearest", "--correction", "3", "--kernel", "5",
                 "--spectral-weight", "2", "--latent-dim", "16", "--data", "bundled", "--epochs", "2", *TINY,
                 "--out", str(out)])
    return out, code


def test_train_gan_writes_a_loadable_generator_and_logs(gan_run):
    from upconv_tf.models import load_generator_model

    out, code = gan_run
    assert code == 0
    generator = load_generator_model(out)
    assert generator.input_shape == (None, 16) and generator.output_shape == (None, 32, 32, 3)
    config = json.loads((out / "config.json").read_text())
    assert (config["loss"], config["upsampling"], config["correction"], config["spectral_weight"]) == ("dcgan", "nearest", 3, 2.0)
    assert json.loads((out / "checkpoints" / "state.json").read_text())["step"] == 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert np.isfinite(metrics["spectral_bce_to_real_mean"]) and np.isfinite(metrics["g_loss"])
    assert len(json.loads((out / "history.json").read_text())["d_loss"]) == 2
    assert (out / "spectra" / "spectrum_epoch_002.png").is_file()
    from upconv_tf.datasets import load_image

    grid = load_image(out / "samples" / "samples_epoch_002.png")  # 64 samples of fixed latents, 8 x 8 (12.8)
    assert grid.shape == (8 * 32, 8 * 32, 3) and grid.std() > 0
    tags = event_tags(out / "logs")
    assert {"spectrum", "spectral_bce", "epoch_d_loss", "epoch_g_loss", "epoch_spectral_loss"} <= tags


def test_train_writes_the_sanity_gates_and_a_status(gan_run):
    from upconv_tf.models import sanity

    out, _ = gan_run
    metrics = json.loads((out / "metrics.json").read_text())
    gates = metrics["sanity"]
    assert set(gates["checks"]) == {"discriminator", "pixel_spread", "diversity", "saturation"}
    assert gates["d_loss"] == metrics["d_loss"] == json.loads((out / "history.json").read_text())["d_loss"][-1]
    assert gates["thresholds"] == {"d_loss_floor": sanity.D_LOSS_FLOOR, "spread_tolerance": sanity.SPREAD_TOLERANCE,
                                   "min_diversity": sanity.MIN_DIVERSITY,
                                   "max_saturation_excess": sanity.MAX_SATURATION_EXCESS}
    assert metrics["status"] == gates["status"] == ("trained" if all(gates["checks"].values()) else "untrained")
    assert len(gates["reasons"]) == sum(not ok for ok in gates["checks"].values())
    ratio = gates["pixel_spread"] / gates["pixel_spread_real"]
    assert gates["pixel_spread_ratio"] == pytest.approx(ratio)
    assert gates["checks"]["pixel_spread"] == (abs(ratio - 1) <= sanity.SPREAD_TOLERANCE)


def test_generate_writes_pngs(gan_run, tmp_path, capsys):
    from upconv_tf.datasets import load_image

    out, _ = gan_run
    assert main(["generate", str(out), "-n", "5", "--batch-size", "2", "--out", str(tmp_path / "gen")]) == 0
    files = sorted((tmp_path / "gen").glob("*.png"))
    assert len(files) == 5 and load_image(files[0]).shape == (32, 32, 3)
    assert "wrote 5 images" in capsys.readouterr().out


def test_rerun_resumes_and_refuses_other_settings(gan_run, capsys):
    out, _ = gan_run
    args = ["train", "gan", "--loss", "dcgan", "--upsampling", "nearest", "--correction", "3", "--kernel", "5",
            "--spectral-weight", "2", "--latent-dim", "16", "--data", "bundled", *TINY, "--out", str(out)]
    before = json.loads((out / "history.json").read_text())["d_loss"]
    assert main(args + ["--epochs", "3"]) == 0
    printed = capsys.readouterr().out
    assert "resuming at step 4" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert f"status: {metrics['status']} (" in printed
    assert json.loads((out / "checkpoints" / "state.json").read_text())["step"] == 6
    history = json.loads((out / "history.json").read_text())["d_loss"]
    assert len(history) == 3 and history[:2] == before  # the resumed run keeps the epochs before it
    assert metrics["d_loss"] == history[-1]
    assert main([*args[:3], "lsgan", *args[4:], "--epochs", "3"]) == 1
    assert "other settings (loss: 'dcgan' -> 'lsgan')" in capsys.readouterr().err


def test_train_autoencoder_from_a_folder(tmp_path, capsys):
    from upconv_tf.datasets import bundled_crops, save_png

    folder = tmp_path / "photos"
    for i, image in enumerate(bundled_crops(48, 10, seed=2).images):
        save_png(image, folder / f"{i}.png")
    (folder / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "ae"
    code = main(["train", "autoencoder", "--upsampling", "transconv", "--correction", "3", "--spectral-weight", "0.5",
                 "--clipnorm", "1",
                 "--data", str(folder), "--epochs", "1", *TINY, "--out", str(out)])
    assert code == 2  # trained, but one file was skipped
    assert "broken.png" in capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["clipnorm"] == 1.0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["samples"] == 10 and np.isfinite(metrics["reconstruction_mse"])
    gates = metrics["sanity"]
    assert set(gates["checks"]) == {"reconstruction", "pixel_spread"} and metrics["status"] == gates["status"]
    assert gates["checks"]["reconstruction"] == (gates["mse"] <= (1 + gates["thresholds"]["mse_tolerance"])
                                                 * gates["baseline_mse"])
    assert np.isfinite(metrics["spectral_bce_to_real_mean"])
    assert (out / "autoencoder.keras").is_file()


@pytest.mark.parametrize("args,message", [
    (["train", "gan", "--data", "/nonexistent", "--out", "X"], "--data /nonexistent: not 'bundled' and not a folder"),
    (["train", "gan", "--size", "48", "--out", "X"], "Received: size=48"),
    (["train", "gan", "--upsampling", "nearest", "--correction", "0", "--out", "X"], "Received: correction=0"),
    (["train", "autoencoder", "--count", "4", "--batch-size", "8", "--size", "32", "--out", "X"], "--batch-size 8 is larger"),
    (["generate", "/nonexistent", "--out", "X"], "/nonexistent: no such file or folder"),
])
def test_bad_input_is_one_line(args, message, tmp_path, capsys):
    args = [str(tmp_path / "x") if a == "X" else a for a in args]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("model", ["gan", "autoencoder"])
def test_cli_and_config_defaults_are_the_measured_ones(model):
    """`train gan` with no options gets the settings measured to train (R1 gamma 0.3, floored_log
    profile, base width 16, batch-norm momentum 0.9); the CLI and TrainingConfig agree on every default."""
    import dataclasses

    import keras

    from upconv_tf.cli import build_parser
    from upconv_tf.cli.train import config_from_args
    from upconv_tf.models.training import TrainingConfig, build_model

    parsed = config_from_args(build_parser().parse_args(["train", model, "--out", "x"]))
    assert parsed.resolved() == TrainingConfig(model=model).resolved()
    config = dataclasses.replace(parsed, size=32).resolved()
    assert config.spectral_profile == "floored_log" and config.dim == {"gan": 16, "autoencoder": 32}[model]
    built = build_model(config)
    assert built.spectral_profile == "floored_log"
    if model == "gan":
        assert config.r1_weight == built.r1_weight == 0.3 and built.generator.count_params() > 0
        norms = [layer for layer in built.generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
        assert norms and all(layer.momentum == 0.9 for layer in norms)
        assert TrainingConfig(model="gan", loss="wgan-gp").resolved().r1_weight == 0.0


def test_resume_refuses_another_r1_weight_or_profile(tmp_path):
    import json as json_

    from upconv_tf.models.training import TrainingConfig, check_resume

    config = TrainingConfig(model="gan").resolved()
    (tmp_path / "config.json").write_text(json_.dumps(config.as_dict()))
    check_resume(config, tmp_path)
    with pytest.raises(ValueError, match="r1_weight: 0.3 -> 1.0"):
        check_resume(TrainingConfig(model="gan", r1_weight=1.0).resolved(), tmp_path)
    with pytest.raises(ValueError, match="spectral_profile: 'floored_log' -> 'paper'"):
        check_resume(TrainingConfig(model="gan", spectral_profile="paper").resolved(), tmp_path)
    older = {k: v for k, v in config.as_dict().items() if k not in ("r1_weight", "spectral_profile")}
    (tmp_path / "config.json").write_text(json_.dumps(older))  # written before these settings existed
    check_resume(config, tmp_path)


@pytest.mark.parametrize("value, message", [
    ("{not json", "TF_CONFIG` is not valid JSON"),
    ('{"cluster": {}}', "TF_CONFIG` must name a `cluster` and this process' `task`"),
])
def test_bad_tf_config_is_one_line(value, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", value)
    assert main(["train", "gan", "--size", "32", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
