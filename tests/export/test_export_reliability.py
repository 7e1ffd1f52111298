"""Crash safety of exports: an export that fails or is killed half-way leaves the previous version intact
(byte for byte, and still loadable) and never leaves a half-written version where a reader looks."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from upconv_tf.export import api, export_generator, layout
from upconv_tf.runtime import OnnxGenerator

LATENT = 4


def tiny_generator(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(8 * 8 * 3, activation="tanh"),
                             keras.layers.Reshape((8, 8, 3))], name="tiny")


def snapshot(folder):
    """{relative path: sha256} of every visible file (temporary names start with '.')."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                path = os.path.join(root, name)
                found[os.path.relpath(path, folder)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return found


def hidden_entries(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, dirs, files in os.walk(folder) for name in dirs + files if name.startswith("."))


LATENTS = np.random.default_rng(0).standard_normal((3, LATENT)).astype(np.float32)


@pytest.fixture(scope="module")
def first_export(tmp_path_factory):
    """A bundle and a repository layout holding version 1, with the files' hashes and the model's output."""
    base = tmp_path_factory.mktemp("export")
    model = tiny_generator(1)
    export_generator(model, base / "bundle", name="tiny")
    export_generator(model, name="tiny", root=base / "repo")
    return base, snapshot(base), OnnxGenerator(base / "bundle").generate(LATENTS)


@pytest.fixture
def previous(tmp_path, first_export):
    """A private copy of the first export."""
    import shutil

    base, hashes, output = first_export
    shutil.copytree(base, tmp_path / "base")
    return tmp_path / "base", hashes, output


def assert_intact(base, hashes, output):
    assert snapshot(base) == hashes
    np.testing.assert_array_equal(OnnxGenerator(base / "bundle").generate(LATENTS), output)
    assert layout.versions(base / "repo" / layout.SAVED_MODELS / "tiny") == [1]
    assert layout.versions(base / "repo" / layout.ONNX_ROOT / "tiny") == [1]


def test_failed_conversion_leaves_the_previous_version(previous, monkeypatch):
    base, hashes, output = previous

    def half_written(function, signature, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"\x08\x07half an onnx file")
        raise RuntimeError("injected failure during the ONNX conversion")

    monkeypatch.setattr(api, "function_to_onnx", half_written)
    model = tiny_generator(2)
    with pytest.raises(RuntimeError, match="injected"):
        export_generator(model, base / "bundle", name="tiny")
    with pytest.raises(RuntimeError, match="injected"):
        export_generator(model, name="tiny", root=base / "repo")  # would be version 2
    assert_intact(base, hashes, output)
    assert hidden_entries(base) == []  # the temporary folders were removed


def test_failure_while_moving_into_place_rolls_back(previous, monkeypatch):
    base, hashes, output = previous
    real_rename = os.rename
    calls = []

    def failing_rename(source, target):
        calls.append(target)
        if len(calls) == 4:  # after the SavedModel folder is in place, while moving the ONNX files
            raise OSError("injected failure while renaming")
        return real_rename(source, target)

    monkeypatch.setattr(layout.os, "rename", failing_rename)
    with pytest.raises(OSError, match="injected"):
        export_generator(tiny_generator(2), base / "bundle", name="tiny")
    monkeypatch.setattr(layout.os, "rename", real_rename)
    assert len(calls) > 4  # the failure happened, then the rollback renamed things back
    assert_intact(base, hashes, output)
    assert hidden_entries(base) == []


KILLED_EXPORT = textwrap.dedent("""
    import os, signal, sys
    import keras
    from upconv_tf.export import api, export_generator

    def killed(function, signature, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"half an onnx file")
            handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    api.function_to_onnx = killed
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input(({latent},)), keras.layers.Dense(8 * 8 * 3, activation="tanh"),
                              keras.layers.Reshape((8, 8, 3))], name="tiny")
    if sys.argv[1] == "bundle":
        export_generator(model, sys.argv[2], name="tiny")
    else:
        export_generator(model, name="tiny", root=sys.argv[2])
""").replace("{latent}", str(LATENT))


def test_sigkill_half_way_leaves_the_previous_version(previous):
    base, hashes, output = previous
    for target in ("bundle", "repo"):
        result = subprocess.run([sys.executable, "-c", KILLED_EXPORT, target, str(base / target)],
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert_intact(base, hashes, output)
    # What a killed process leaves behind is hidden (dot-prefixed), never a visible half version.
    leftovers = hidden_entries(base)
    assert leftovers and all(os.path.basename(p).startswith(".") for p in leftovers)
    # ... and the next export still works.
    export_generator(tiny_generator(3), base / "bundle", name="tiny")
    export_generator(tiny_generator(3), name="tiny", root=base / "repo")
    assert layout.versions(base / "repo" / layout.SAVED_MODELS / "tiny") == [1, 2]
    assert not np.array_equal(OnnxGenerator(base / "bundle").generate(LATENTS), output)
