"""``upconv_tf.quiet()`` gives a Python script the CLI's quieting: TensorFlow's start-up lines stay off stderr,
the script's own lines (and the package's warnings) stay on."""

import os
import subprocess
import sys

import pytest

from upconv_tf._quiet import is_noise

from paths import REPO

pytestmark = pytest.mark.slow  # two Python processes that load TensorFlow

SCRIPT = """
import sys, warnings
import upconv_tf
{quiet}
import tensorflow as tf
tf.reduce_sum(tf.ones((2, 2)))
print("ours", file=sys.stderr)
warnings.warn("a warning of the package", UserWarning)
"""


def run(quiet):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0", "PYTHONPATH": REPO}  # the user asks TensorFlow for everything
    return subprocess.run([sys.executable, "-c", SCRIPT.format(quiet=quiet)], capture_output=True, text=True,
                          env=env, timeout=300, cwd=REPO)


def test_quiet_keeps_tensorflow_start_up_lines_off_a_script_stderr():
    loud = run("")
    assert any(is_noise(line.encode()) for line in loud.stderr.splitlines()), loud.stderr  # the control
    quiet = run("upconv_tf.quiet()")
    assert quiet.returncode == 0, quiet.stderr
    lines = quiet.stderr.splitlines()
    assert not any(is_noise(line.encode()) for line in lines), quiet.stderr
    assert "ours" in lines and any("a warning of the package" in line for line in lines)


def test_quiet_as_a_context_manager_filters_descriptor_2_and_restores_it(capfd):
    import upconv_tf

    with upconv_tf.quiet():
        os.write(2, b"W0000 00:00:1795982215.75  19516 file.cc:967] a TensorFlow log line\nkept\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "kept\nafter\n"
