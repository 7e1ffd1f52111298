"""A non-editable install carries the shipped models: a wheel built from the checkout holds them under
``upconv_tf/_pretrained/``, and once installed a bare model name resolves and runs from an empty folder far from
any checkout."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from paths import REPO, shipped_version

pytestmark = pytest.mark.slow

SHIPPED = [os.path.join("saved_models", "spectral-detector", shipped_version(), "saved_model.pb"),
           os.path.join("saved_models", "generator", "1", "saved_model.pb"),
           os.path.join("export", "spectral-detector", shipped_version(), "model.onnx"),
           os.path.join("export", "spectral-detector", "1", "model.onnx"),
           os.path.join("stills", "spectral-detector", "manifest.json")]


def copy_checkout(target):
    """What a fresh clone holds that the build reads (no build outputs, no caches)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_pretrained", "*.egg-info")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(os.path.join(REPO, name), target / name)
    for name in ("upconv_tf", "saved_models", "export", "stills"):
        shutil.copytree(os.path.join(REPO, name), target / name, ignore=ignore)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    source, wheels, site = (tmp_path_factory.mktemp(name) for name in ("source", "wheels", "site"))
    copy_checkout(source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(source)], check=True, capture_output=True, text=True, timeout=600)
    (wheel,) = wheels.glob("upconv_tf-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(site)  # a wheel is its site-packages layout
    return names, site


def test_the_wheel_holds_the_shipped_models(installed):
    names, _ = installed
    for path in SHIPPED:
        assert "upconv_tf/_pretrained/" + path.replace(os.sep, "/") in names, path


def test_installed_models_resolve_by_name_from_an_empty_folder(installed, tmp_path):
    from upconv_tf.datasets import bundled_crops, save_png

    _, site = installed
    for i, image in enumerate(bundled_crops(192, 2, seed=3).images):
        save_png(image, tmp_path / "images" / f"{i}.png")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "UPCONV_TF_HOME"}
    env["PYTHONPATH"] = str(site)
    code = ("import upconv_tf, os\n"
            "assert upconv_tf.__file__.startswith(os.environ['PYTHONPATH'])\n"
            "for name in ('spectral-detector', 'generator'):\n"
            "    print(upconv_tf.resolve_model(name).path)\n"
            "print(upconv_tf.load('spectral-detector', backend='onnx').kind)")
    result = subprocess.run([sys.executable, "-c", code], cwd=empty, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    paths = result.stdout.split()
    pretrained = os.path.join(str(site), "upconv_tf", "_pretrained")
    assert paths[0] == os.path.join(pretrained, "saved_models", "spectral-detector", shipped_version())
    assert paths[1] == os.path.join(pretrained, "saved_models", "generator", "1") and paths[2] == "detector"
    detect = subprocess.run([sys.executable, "-m", "upconv_tf", "detect", str(tmp_path / "images"), "--model",
                             "spectral-detector", "--json"], cwd=empty, env=env, capture_output=True, text=True,
                            timeout=300)
    assert detect.returncode == 0, detect.stderr
    assert '"score"' in detect.stdout and os.listdir(empty) == []  # nothing written where it ran
