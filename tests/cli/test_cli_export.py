"""``upconv-tf export`` says where the export went, and never scatters saved_models/ and export/ into an
arbitrary folder: it writes under --root, --out, $UPCONV_TF_HOME or an existing repository layout."""

import os

import numpy as np
import pytest

from upconv_tf.cli import main


@pytest.fixture(scope="module")
def detector_folder(tmp_path_factory):
    from upconv_tf.detection import SpectralDetector, save_detector

    rng = np.random.default_rng(0)
    images = rng.uniform(size=(16, 32, 32, 3)).astype("float32")
    images[8:] = np.round(images[8:] * 4) / 4  # a crude "generated" class
    detector = SpectralDetector("logreg").fit(images, np.r_[np.zeros(8), np.ones(8)])
    folder = tmp_path_factory.mktemp("export_cli") / "det"
    save_detector(detector, folder, metadata={"input": {"size": 32, "policy": "center-crop"}})
    return folder


def test_export_outside_a_repository_layout_needs_a_root(detector_folder, tmp_path, monkeypatch, capsys):
    empty = tmp_path / "anywhere"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.delenv("UPCONV_TF_HOME", raising=False)
    assert main(["export", str(detector_folder), "--name", "my-det"]) == 1
    err = capsys.readouterr().err
    assert "--root" in err and "--out" in err and "UPCONV_TF_HOME" in err and "Traceback" not in err
    assert os.listdir(empty) == []  # nothing created


def test_export_goes_to_the_models_home_and_says_where(detector_folder, tmp_path, monkeypatch, capsys):
    from upconv_tf import resolve_model

    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("UPCONV_TF_HOME", str(home))
    assert main(["export", str(detector_folder), "--name", "my-det"]) == 0
    out = capsys.readouterr().out
    onnx = home / "export" / "my-det" / "1" / "model.onnx"
    assert f"wrote ONNX: {onnx}" in out and onnx.is_file() and os.listdir(elsewhere) == []
    assert resolve_model("my-det", backend="onnx").path == str(onnx.parent)  # found by name from anywhere
    monkeypatch.delenv("UPCONV_TF_HOME")
    (elsewhere / "saved_models").mkdir()  # a repository layout here: exports go next to it
    assert main(["export", str(detector_folder), "--name", "my-det"]) == 0
    assert (elsewhere / "export" / "my-det" / "1" / "model.onnx").is_file()
