"""``import upconv_tf`` is the front door: every user verb one attribute away, loaded lazily, and the old import
paths of moved modules still working with a deprecation warning."""

import os
import subprocess
import sys
import warnings

import pytest

import upconv_tf

from paths import REPO


@pytest.mark.parametrize("name", [n for n in upconv_tf.__all__ if n != "__version__"])
def test_every_exported_name_resolves_and_is_documented(name):
    assert getattr(upconv_tf, name) is not None
    assert name in upconv_tf.__doc__, f"help(upconv_tf) does not mention {name}"


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no_such_verb"):
        upconv_tf.no_such_verb  # noqa: B018


def _modules_after(code):
    result = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(sorted(m for m in sys.modules "
                             "if m.split('.')[0] in ('tensorflow', 'keras', 'sklearn')))"],
                            capture_output=True, text=True, cwd=REPO, check=True)
    return result.stdout.strip().splitlines()[-1]


def test_the_numpy_parts_and_the_onnx_runtime_load_no_tensorflow():
    code = ("import numpy as np, upconv_tf\n"
            "upconv_tf.azimuthal_integral(np.zeros((1, 32, 32, 3)))\n"
            "upconv_tf.resolve_model('spectral-detector')\n"
            "import upconv_tf.runtime, upconv_tf.metrics, upconv_tf.errors\n"
            "d = upconv_tf.load('spectral-detector', backend='onnx')\n"
            "assert d.kind == 'detector'")
    assert _modules_after(code) == "[]"


def test_a_verb_that_needs_tensorflow_loads_it_on_first_use():
    assert "tensorflow" in _modules_after("import upconv_tf\nupconv_tf.AzimuthalIntegral")


@pytest.mark.parametrize("old, name, new", [
    ("upconv_tf.folders", "detect", "upconv_tf.workflows.detect"),
    ("upconv_tf.folders", "NoUsableImages", "upconv_tf.errors"),
    ("upconv_tf.audit", "audit_generator", "upconv_tf.workflows.audit"),
    ("upconv_tf.demo", "run_demo", "upconv_tf.workflows.demo"),
    ("upconv_tf.inference", "load_predictor", "upconv_tf.runtime"),
    ("upconv_tf.inference", "OnnxDetector", "upconv_tf.runtime"),
])
def test_moved_names_keep_working_with_a_deprecation_warning(old, name, new):
    import importlib

    module = importlib.import_module(old)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)
    assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message) for w in caught)


def test_the_keras_generator_loader_keeps_its_old_name_with_a_warning(tmp_path):
    from upconv_tf.models import io

    with pytest.warns(DeprecationWarning, match="load_generator_model"):
        with pytest.raises(OSError):
            io.load_generator(os.fspath(tmp_path / "missing"))
