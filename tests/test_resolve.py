"""What a path holds, found from any folder: bare model names, models homes, versions, kinds from metadata and
from the config inside a .keras archive, and one-line refusals."""

import json
import os
import zipfile

import pytest

from upconv_tf.errors import ArgumentError
from upconv_tf.resolve import HOME_VARIABLE, models_homes, resolve_model

from paths import REPO


def _export(folder, kind="detector", onnx=True, saved_model=True):
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps({"kind": kind}))
    if onnx:
        (folder / "model.onnx").write_bytes(b"onnx")
    if saved_model:
        (folder / "saved_model.pb").write_bytes(b"pb")
    return folder


def test_a_bare_name_is_found_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(HOME_VARIABLE, raising=False)
    ref = resolve_model("spectral-detector")
    assert ref.kind == "detector" and ref.format == "savedmodel" and ref.version is not None
    assert ref.path.startswith(REPO) and ref.given == "spectral-detector"
    onnx = resolve_model("spectral-detector", backend="onnx")
    assert onnx.format == "onnx" and onnx.onnx.endswith("model.onnx") and os.sep + "export" + os.sep in onnx.path


def test_the_home_variable_comes_first_then_the_current_folder(tmp_path, monkeypatch):
    home, here = tmp_path / "home", tmp_path / "here"
    _export(home / "saved_models" / "det" / "3", onnx=False)
    _export(here / "saved_models" / "det" / "7", onnx=False)
    monkeypatch.chdir(here)
    monkeypatch.setenv(HOME_VARIABLE, str(home))
    assert resolve_model("det").version == 3
    assert models_homes()[:2] == [str(home), str(here)]
    monkeypatch.delenv(HOME_VARIABLE)
    assert resolve_model("det").version == 7


def test_forms_and_kinds(tmp_path):
    bundle = _export(tmp_path / "bundle", kind="generator", saved_model=False)
    (bundle / "saved_model").mkdir()
    (bundle / "saved_model" / "saved_model.pb").write_bytes(b"pb")
    ref = resolve_model(bundle)
    assert (ref.format, ref.kind) == ("bundle", "generator")
    assert ref.onnx == str(bundle / "model.onnx") and ref.saved_model == str(bundle / "saved_model")
    run = tmp_path / "run"
    run.mkdir()
    (run / "autoencoder.keras").write_bytes(b"")
    assert (resolve_model(run).format, resolve_model(run).kind) == ("training-run", "autoencoder")
    archive = tmp_path / "gan.keras"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("config.json", json.dumps({"class_name": "SpectralGAN", "config": {}}))
    assert (resolve_model(archive).format, resolve_model(archive).kind) == ("keras", "generator")
    versions = tmp_path / "versions"
    _export(versions / "2")
    _export(versions / "10")
    assert resolve_model(versions).version == 10


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "no such file or folder"),
    (lambda p: (p / "notes.txt").write_text("x") and p / "notes.txt", "not a model file"),
    (lambda p: (p / "bad.keras").write_text("x") and p / "bad.keras", "a .keras file is a zip archive"),
    (lambda p: p, "no model found"),
])
def test_refusals_are_one_line_and_name_the_model(tmp_path, make, message):
    with pytest.raises(ArgumentError, match=message) as info:
        resolve_model(make(tmp_path))
    assert info.value.argument == "model" and "\n" not in str(info.value)


def test_a_missing_name_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ArgumentError, match=HOME_VARIABLE) as info:
        resolve_model("no-such-model")
    assert str(tmp_path) in str(info.value)
