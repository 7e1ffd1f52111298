"""CLI round trip: ``detector train`` -> ``detect --json``, ``detector evaluate``, errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from upconv_tf.cli import main
from upconv_tf.datasets import bundled_crops, save_png
from upconv_tf.fakes import make_fakes


@pytest.fixture(scope="module")
def folders(tmp_path_factory, write_crop_folders):
    """real/ and fake/ PNG crops named SOURCE_INDEX.png (fakes of other crops), plus unseen test images."""
    root = write_crop_folders(tmp_path_factory.mktemp("detector_cli"), 64, 64, (10, 11), "fake/transconv")
    unseen_real, unseen_other = bundled_crops(64, 12, seed=12), bundled_crops(64, 12, seed=13)
    for i, image in enumerate(unseen_real.images):
        save_png(image, root / "unseen" / "real" / f"{i}.png")
    for i, image in enumerate(make_fakes(unseen_other.images, "transconv", seed=0)):
        save_png(image, root / "unseen" / "deep" / "generated" / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def model(folders):
    out = folders / "model"
    code = main(["detector", "train", "--real", str(folders / "real"), "--fake", str(folders / "fake"),
                 "--size", "64", "--classifier", "logreg", "--out", str(out), "--no-export"])
    assert code == 0
    return out


def test_train_writes_a_detector_folder(model):
    from upconv_tf.detection import load_detector, read_detector_info

    info = read_detector_info(model)
    assert info["metadata"]["input"] == {"size": 64, "policy": "center-crop", "value_range": [0.0, 1.0],
                                         "color": "RGB"}
    assert info["metadata"]["training"]["real"] == info["metadata"]["training"]["generated"] == 64
    assert load_detector(model).classifier == "logreg"
    # The default --group-by auto: files named like crops of photos (SOURCE_INDEX.png) are grouped by photo.
    training = info["metadata"]["training"]
    assert training["group_by"] == "auto"
    assert training["groups"] <= 16  # the crops' photos (16 bundled photos), not 128 files


def test_detect_json_round_trip(folders, model, capsys, tmp_path):
    unseen = folders / "unseen"
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    capsys.readouterr()
    code = main(["detect", str(unseen), str(broken), "--model", str(model), "--json"])
    captured = capsys.readouterr()
    assert code == 2  # one file skipped
    result = json.loads(captured.out)
    records = result["results"]
    assert len(records) == 24  # folders walked recursively
    assert all(set(r) == {"path", "score", "label", "size", "read"} and 0.0 <= r["score"] <= 1.0 for r in records)
    assert all(r["size"] == [64, 64] and r["read"] == {"box": [0, 0, 64, 64], "resized_to": None} for r in records)
    assert all(r["label"] == ("generated" if r["score"] >= 0.5 else "real") for r in records)
    right = sum((r["label"] == "generated") == ("generated" in r["path"]) for r in records)
    assert right >= 21  # unseen crops, transposed-conv fakes
    assert result["skipped"] == [{"path": str(broken), "code": "unreadable", "reason": result["skipped"][0]["reason"]}]
    assert "broken.png" in captured.err and "Traceback" not in captured.err


def test_detect_text_output_and_json_file(folders, model, capsys, tmp_path):
    out = tmp_path / "scores.json"
    assert main(["detect", str(folders / "unseen" / "real"), "--model", str(model), "--json", str(out)]) == 0
    assert len(json.loads(out.read_text())["results"]) == 12
    capsys.readouterr()
    assert main(["detect", str(folders / "unseen" / "real" / "0.png"), "--model", str(model)]) == 0
    line = capsys.readouterr().out.strip()
    score, label, path = line.split(maxsplit=2)
    assert 0 <= float(score) <= 1 and label in ("real", "generated") and path.endswith("0.png")


def test_evaluate_prints_the_table_and_writes_json(folders, capsys, tmp_path):
    out = tmp_path / "evaluation.json"
    code = main(["detector", "evaluate", "--real", str(folders / "real"), "--fake", str(folders / "fake"),
                 "--size", "64", "--samples", "20,max", "--runs", "3", "--classifiers", "logreg,kmeans",
                 "--group-by", "prefix", "--json", str(out)])
    assert code == 0
    table = capsys.readouterr().out
    assert "LR acc %" in table and "k-means AUC" in table and "3 grouped random splits" in table
    data = json.loads(out.read_text())
    assert data["protocol"]["group_by"] == "prefix" and data["protocol"]["groups"] <= 16
    assert {(r["classifier"], r["samples"]) for r in data["results"]} == {
        ("logreg", 20), ("logreg", "max"), ("kmeans", 20), ("kmeans", "max")}
    assert all(len(r["roc_auc"]["runs"]) == 3 for r in data["results"])


def test_train_kmeans_and_mixed_sizes_with_num_bins(folders, tmp_path, capsys):
    out = tmp_path / "km"
    code = main(["detector", "train", "--real", str(folders / "real"), "--fake", str(folders / "fake"),
                 "--policy", "none", "--num-bins", "30", "--classifier", "kmeans", "--features", "azimuthal",
                 "--out", str(out), "--no-export"])
    assert code == 0 and "is 'generated'" in capsys.readouterr().out
    odd = tmp_path / "odd.png"
    save_png(np.random.default_rng(0).random((50, 70, 3)), odd)
    assert main(["detect", str(odd), "--model", str(out), "--json", str(tmp_path / "s.json")]) == 0
    assert len(json.loads((tmp_path / "s.json").read_text())["results"]) == 1


@pytest.mark.parametrize("argv, message", [
    (["detector", "train", "--real", "{missing}", "--fake", "{fake}", "--out", "{tmp}/m"], "no such file"),
    (["detector", "train", "--real", "{real}", "--fake", "{fake}", "--policy", "none", "--features", "azimuthal",
      "--out", "{tmp}/m"], "--num-bins"),
    (["detector", "train", "--real", "{real}", "--fake", "{fake}", "--out", "{real}"], "not empty"),
    (["detector", "evaluate", "--real", "{real}", "--fake", "{fake}", "--samples", "20,lots"], "--samples"),
    (["detector", "evaluate", "--real", "{real}", "--fake", "{fake}", "--classifiers", "svm,tree"], "--classifiers"),
    (["detect", "{real}", "--model", "{real}"], "no detector found"),
    (["detect", "{real}", "--model", "{missing}"], "no such file"),
])
def test_errors_are_one_line(folders, tmp_path, capsys, argv, message):
    values = {"real": folders / "real", "fake": folders / "fake", "tmp": tmp_path, "missing": tmp_path / "nope"}
    code = main([a.format(**values) for a in argv])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and "Traceback" not in err


def test_cli_runs_as_a_process(folders, model):
    result = subprocess.run([sys.executable, "-m", "upconv_tf", "detect", str(folders / "unseen" / "deep"),
                             "--model", str(model), "--json"], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr
    assert all(r["label"] == "generated" for r in json.loads(result.stdout)["results"])


def test_evaluate_scores_a_trained_detector_with_model(folders, model, capsys, tmp_path):
    """``detector evaluate --model``: no training, the table per re-encoding at the model's own threshold."""
    out = tmp_path / "model.json"
    unseen = folders / "unseen"
    capsys.readouterr()
    code = main(["detector", "evaluate", "--model", str(model), "--real", str(unseen / "real"),
                 "--fake", str(unseen / "deep"), "--treatments", "none,jpeg80", "--json", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[0].split(" | ")[0].strip() == "treatment" and "bal. acc. %" in lines[0]
    assert [line.split(" | ")[0].strip() for line in lines[2:4]] == ["none", "jpeg80"]
    data = json.loads(out.read_text())
    assert data["protocol"]["name"] == "model" and data["protocol"]["threshold"] == pytest.approx(0.5)
    assert (data["protocol"]["real"], data["protocol"]["generated"]) == (12, 12)
    none = data["results"][0]
    assert none["treatment"] == "none" and none["roc_auc"] > 0.8  # unseen crops and fakes of the kind it learned
    assert len(data["files"]) == 24 and set(data["files"][0]["scores"]) == {"none", "jpeg80"}
    # Recipe options train a detector: refused with --model, naming them.
    code = main(["detector", "evaluate", "--model", str(model), "--real", str(unseen / "real"), "--fake",
                 str(unseen / "deep"), "--classifier", "svm", "--runs", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "--classifier" in err and "--runs" in err and "Traceback" not in err


def test_evaluate_detector_takes_a_model_in_python(folders, model):
    from upconv_tf import evaluate_detector

    unseen = folders / "unseen"
    evaluation = evaluate_detector([str(unseen / "real")], [str(unseen / "deep")], model=str(model),
                                   treatments=["none"])
    assert evaluation["protocol"]["name"] == "model" and [r["treatment"] for r in evaluation["results"]] == ["none"]
    with pytest.raises(ValueError, match="protocol"):
        evaluate_detector([str(unseen / "real")], [str(unseen / "deep")], model=str(model), protocol="splits")
