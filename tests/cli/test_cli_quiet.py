"""A command prints what the user asked for. TensorFlow's start-up and runtime log lines (absl,
oneDNN, cuInit, cudart_stub, "rebuild TensorFlow...", grappler's "E0000 ... remapper failed") stay off stderr
even when the user sets TF_CPP_MIN_LOG_LEVEL=0; ``--verbose`` brings them back."""

import os
import subprocess
import sys

import pytest

from upconv_tf.cli.quiet import is_noise

pytestmark = pytest.mark.slow

TRAIN = ["train", "gan", "--size", "16", "--dim", "8", "--latent-dim", "8", "--count", "16", "--batch-size", "8",
         "--epochs", "1", "--steps-per-epoch", "2"]


def run(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}  # the user asks TensorFlow for everything
    return subprocess.run([sys.executable, "-m", "upconv_tf", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_training_prints_only_our_lines_unless_verbose(tmp_path):
    quiet = run(*TRAIN, "--out", str(tmp_path / "quiet"))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert "wrote" in quiet.stdout and not any(is_noise(line.encode()) for line in quiet.stdout.splitlines())
    verbose = run(*TRAIN, "--out", str(tmp_path / "verbose"), "--verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert any(is_noise(line.encode()) for line in verbose.stderr.splitlines()), verbose.stderr


def test_an_error_is_our_one_line_only(tmp_path):
    result = run(*TRAIN, "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "run"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"upconv-tf train: error: --data {tmp_path / 'missing'}: not 'bundled' "
                                          "and not a folder"]


@pytest.mark.parametrize("line, noise", [
    ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", True),
    ("I0000 00:00:1795982198.610668   19516 port.cc:153] oneDNN custom operations are on.", True),
    ("E0000 00:00:1795982215.758912   19516 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: ...", True),
    ("E0000 00:00:1795982206.489263   19516 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error", True),
    ("To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate "
     "compiler flags.", True),
    ("2024-01-01 10:00:00.123456: I tensorflow/core/platform/cpu_feature_guard.cc:210] This TensorFlow binary", True),
    ("F0000 00:00:1795982215.758912   19516 check.cc:1] Check failed: the process is about to abort", False),
    ("upconv-tf train: error: --data x: not 'bundled' and not a folder", False),
    ("skipped a.png: not a readable image", False),
])
def test_noise_patterns(line, noise):
    assert is_noise(line.encode()) is noise
