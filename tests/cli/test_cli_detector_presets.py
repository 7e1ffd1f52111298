"""Presets on the command line: --preset, the calibrated threshold from training to `detect` and the
exported runners, `detector evaluate --protocol splits|cross-family`, the --size hint."""

import json

import numpy as np
import pytest

from upconv_tf.cli import main
from upconv_tf.datasets import bundled_crops, save_png
from upconv_tf.fakes import make_fakes


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """real/ 64 px crops (+ 3 crops of 40 px), fake/transconv/ and fake/zero/ (two families), test/."""
    root = tmp_path_factory.mktemp("presets_cli")
    real, other = bundled_crops(64, 48, seed=20), bundled_crops(64, 48, seed=21)
    for i, image in enumerate(real.images):
        save_png(image, root / "real" / f"{real.sources[real.groups[i]]}_{i:03d}.png")
    for i, image in enumerate(bundled_crops(40, 3, seed=22).images):
        save_png(image, root / "real" / f"small_{i}.png")
    for kind in ("transconv", "zero"):
        for i, image in enumerate(make_fakes(other.images[:24] if kind == "zero" else other.images[24:], kind)):
            save_png(image, root / "fake" / kind / f"{kind}{i:03d}_{i:03d}.png")
    test = np.concatenate([bundled_crops(64, 8, seed=23).images, make_fakes(bundled_crops(64, 8, seed=24).images,
                                                                            "transconv")])
    for i, image in enumerate(test):
        save_png(image, root / "test" / f"{'real' if i < 8 else 'fake'}_{i:02d}.png")
    return root


def _train(folders, out, *extra):
    return main(["detector", "train", "--real", str(folders / "real"), "--fake", str(folders / "fake"), "--size", "64",
                 "--out", str(out), *extra])


def test_paper_preset_is_the_published_recipe(folders, tmp_path, capsys):
    assert _train(folders, tmp_path / "paper", "--preset", "paper", "--no-export") == 2  # 3 small files skipped
    info = json.loads((tmp_path / "paper" / "detector.json").read_text())
    assert info["metadata"]["preset"]["name"] == "paper" and info["threshold_"] == 0.5
    params = info["params"]
    assert (params["scaler"], params["C"], params["gamma"], params["normalize"], params["target_fpr"]) == \
        (False, 6.37, 0.86, "first", None)
    assert info["metadata"]["training"]["rows"] == 96  # no augmentation: one row per image
    err = capsys.readouterr().err
    assert "3 image(s) smaller than the 64 px crop were skipped; pass --size 32 (or up to 40)" in err


def test_default_preset_threshold_reaches_detect_and_the_exported_runners(folders, tmp_path, capsys):
    from upconv_tf.runtime import OnnxDetector, SavedModelDetector

    out = tmp_path / "default"
    assert _train(folders, out, "--classifier", "logreg", "--group-by", "prefix") == 2
    printed = capsys.readouterr().out
    info = json.loads((out / "detector.json").read_text())
    threshold = info["threshold_"]
    assert info["metadata"]["preset"]["name"] == "default" and info["params"]["target_fpr"] == 0.05
    assert info["metadata"]["training"]["rows"] > 96 and info["metadata"]["threshold"]["real"] == 48
    assert f"threshold {threshold:.4f}" in printed and "TPR there" in printed
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["threshold"] == threshold and metadata["preset"]["name"] == "default"
    for model in (out, out / "model.onnx", out / "saved_model"):
        capsys.readouterr()
        assert main(["detect", str(folders / "test"), "--model", str(model), "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["threshold"] == pytest.approx(threshold)
        assert all(r["label"] == ("generated" if r["score"] >= threshold else "real") for r in result["results"])
    images = np.stack([np.asarray(__import__("PIL.Image").Image.open(p), np.float32) / 255
                       for p in sorted((folders / "test").glob("*.png"))])
    for runner in (OnnxDetector(out / "model.onnx"), SavedModelDetector(out / "saved_model")):
        assert runner.threshold == pytest.approx(threshold)
        np.testing.assert_array_equal(runner.predict(images), runner.probability(images) >= threshold)
    # --threshold still overrides the model's.
    capsys.readouterr()
    assert main(["detect", str(folders / "test"), "--model", str(out), "--threshold", "0.999", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["threshold"] == 0.999


def test_target_fpr_none_and_overrides(folders, tmp_path):
    assert _train(folders, tmp_path / "m", "--target-fpr", "none", "--no-augment", "--C", "2", "--gamma", "auto",
                  "--no-export") == 2
    info = json.loads((tmp_path / "m" / "detector.json").read_text())
    assert info["threshold_"] == 0.5 and info["params"]["C"] == 2.0 and info["params"]["gamma"] == "auto"
    assert info["metadata"]["preset"]["augment"] is False and info["metadata"]["training"]["rows"] == 96


def test_evaluate_splits_and_cross_family(folders, tmp_path, capsys):
    base = ["detector", "evaluate", "--real", str(folders / "real"), "--fake", str(folders / "fake"), "--size", "64",
            "--classifier", "logreg", "--group-by", "prefix", "--treatments", "none,jpeg80"]
    out = tmp_path / "splits.json"
    assert main(base + ["--protocol", "splits", "--runs", "2", "--json", str(out)]) == 2
    table = capsys.readouterr().out
    assert "bal. acc. %" in table and "jpeg80" in table and "2 grouped random splits" in table
    data = json.loads(out.read_text())
    assert [r["treatment"] for r in data["results"]] == ["none", "jpeg80"] and len(data["runs"]) == 2
    assert {"roc_auc", "balanced_accuracy", "tpr_at_fpr"} <= set(data["results"][0])
    assert len(data["skipped"]) == 3
    out = tmp_path / "cross.json"
    families = tmp_path / "families.json"
    families.write_text(json.dumps({"zero": "zero-insertion"}))
    assert main(base + ["--protocol", "cross-family", "--families", str(families), "--json", str(out)]) == 2
    data = json.loads(out.read_text())
    assert data["protocol"]["families"] == ["transconv", "zero-insertion"]
    assert [f["family"] for f in data["families"]] == ["transconv", "zero-insertion"]


@pytest.mark.parametrize("argv, message", [
    (["--protocol", "splits", "--treatments", "png"], "--treatments"),
    (["--protocol", "cross-family", "--families", "{missing}"], "--families"),
    (["--protocol", "splits", "--policy", "none", "--features", "azimuthal"], "--num-bins"),
    # The default features take one image size: native sizes are refused, naming the options that fix it.
    (["--protocol", "splits", "--policy", "none"], "--size with --policy 'center-crop' or 'resize'"),
])
def test_evaluate_errors_are_one_line(folders, tmp_path, capsys, argv, message):
    argv = [a.format(missing=tmp_path / "nope.json") for a in argv]
    code = main(["detector", "evaluate", "--real", str(folders / "real"), "--fake", str(folders / "fake")] + argv)
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err


def test_target_fpr_must_be_a_rate(folders, tmp_path, capsys):
    with pytest.raises(SystemExit):
        _train(folders, tmp_path / "x", "--target-fpr", "2")
    assert "--target-fpr" in capsys.readouterr().err


def test_images_below_the_default_features_minimum_get_a_one_line_error_and_the_fallback(tmp_path, capsys):
    """The default (rings-cells-colour) features need 24 px: a size hint below that names the azimuthal
    fallback, --size below it is refused in one line, and --features azimuthal trains on the same images."""
    crops = bundled_crops(20, 8, seed=30)
    for i, image in enumerate(crops.images):
        save_png(image, tmp_path / "real" / f"r{i}_{i}.png")
        save_png(make_fakes(image[None], "transconv")[0], tmp_path / "fake" / f"f{i}_{i}.png")
    argv = ["detector", "train", "--real", str(tmp_path / "real"), "--fake", str(tmp_path / "fake"),
            "--out", str(tmp_path / "d"), "--no-export"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "pass --size 16 or less with --features azimuthal" in err and "24 px" in err
    assert main(argv + ["--size", "16"]) == 1
    err = capsys.readouterr().err
    assert "at least 24 x 24 px" in err and "'azimuthal' features take smaller images" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(argv + ["--size", "16", "--features", "azimuthal"]) == 0
    assert json.loads((tmp_path / "d" / "detector.json").read_text())["params"]["feature_kind"] == "azimuthal"
