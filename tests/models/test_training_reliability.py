"""Crash safety of training: ``upconv-tf train gan`` killed with SIGKILL resumes from its last checkpoint at
the same step when rerun, and ends where an uninterrupted run ends."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from upconv_tf.cli import main

pytestmark = pytest.mark.slow

STEPS_PER_EPOCH, EPOCHS, SAVE_EVERY = 10, 2, 2
TOTAL = STEPS_PER_EPOCH * EPOCHS
ARGS = ["train", "gan", "--size", "16", "--dim", "8", "--latent-dim", "8", "--count", "32", "--batch-size", "8",
        "--steps-per-epoch", str(STEPS_PER_EPOCH), "--epochs", str(EPOCHS), "--save-every", str(SAVE_EVERY),
        "--seed", "3"]


def checkpoint_step(out):
    try:
        with open(os.path.join(out, "checkpoints", "state.json")) as handle:
            return json.load(handle)["step"]
    except (OSError, ValueError, KeyError):  # not written yet (it is replaced atomically, never half-written)
        return 0


def generator_weights(out):
    from upconv_tf.models import load_generator_model

    return load_generator_model(out).get_weights()


def test_sigkilled_training_resumes_at_the_same_step(tmp_path):
    out = str(tmp_path / "run")
    command = [sys.executable, "-m", "upconv_tf", *ARGS, "--out", out]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    try:
        # Kill it mid-epoch once a checkpoint past the first one exists.
        while checkpoint_step(out) < SAVE_EVERY + 1 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, f"training ended before it could be killed: {process.stderr.read()[-2000:]}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    killed_at = checkpoint_step(out)
    assert SAVE_EVERY <= killed_at < TOTAL
    assert not os.path.exists(os.path.join(out, "generator.keras"))  # the run did not finish

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming at step {killed_at}" in resumed.stdout
    assert checkpoint_step(out) == TOTAL
    history = json.loads(open(os.path.join(out, "history.json")).read())
    # Only the epochs not finished before the kill were run again (part of one, then whole ones).
    assert len(history["g_loss"]) == EPOCHS - killed_at // STEPS_PER_EPOCH
    names = sorted(os.listdir(os.path.join(out, "checkpoints")))
    assert names == [f"ckpt-{TOTAL:09d}.weights.h5", "state.json"]  # no temporary or stale checkpoint left

    # The same run without the kill ends with the same generator.
    reference = str(tmp_path / "reference")
    assert main([*ARGS, "--out", reference]) == 0
    for a, b in zip(generator_weights(out), generator_weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


AE_ARGS = ["train", "autoencoder", "--size", "16", "--dim", "8", "--count", "32", "--batch-size", "8",
           "--steps-per-epoch", "3", "--save-every", "100", "--seed", "2"]


def autoencoder_weights(out):
    import keras

    import upconv_tf.models  # noqa: F401  (registers SpectralAutoencoder)

    return keras.saving.load_model(os.path.join(out, "autoencoder.keras"), compile=False).get_weights()


def test_autoencoder_resumes_exactly(tmp_path, capsys):
    """Exact resume: 2 epochs straight == 1 epoch, then the same command with --epochs 2 (the optimizer state is
    restored, not skipped)."""
    import warnings

    straight, split = str(tmp_path / "straight"), str(tmp_path / "split")
    assert main([*AE_ARGS, "--epochs", "2", "--out", straight]) == 0
    assert main([*AE_ARGS, "--epochs", "1", "--out", split]) == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main([*AE_ARGS, "--epochs", "2", "--out", split]) == 0
    assert "resuming at step 3" in capsys.readouterr().out
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    for a, b in zip(autoencoder_weights(split), autoencoder_weights(straight), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
