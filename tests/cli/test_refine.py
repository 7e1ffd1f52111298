"""``upconv-tf refine train|apply``: a tiny run end to end, resume by rerunning, skipped files reported with exit
status 2, and one-line errors (exit status 1) for bad arguments."""

import json

import numpy as np
import pytest
from PIL import Image

from upconv_tf.cli import main

TRAIN = ["--size", "32", "--width", "4", "--depth", "2", "--discriminator-width", "4", "--steps", "2",
         "--steps-per-epoch", "2", "--batch-size", "4", "--losses", "nce_identity=false", "nce_patches=16",
         "nce_units=8"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory, write_crop_folders):
    return write_crop_folders(tmp_path_factory.mktemp("refine"), 32, 8, (0, 1))


@pytest.fixture(scope="module")
def trained(folders):
    out = folders / "run"
    code = main(["refine", "train", "--real", str(folders / "real"), "--fake", str(folders / "fake"),
                 "--out", str(out)] + TRAIN)
    return out, code


def test_train_writes_a_run(trained, capsys):
    out, code = trained
    assert code == 0
    assert (out / "refiner.keras").is_file() and (out / "samples" / "before.png").is_file()
    assert json.loads((out / "config.json").read_text())["losses"] == {"nce_identity": False, "nce_patches": 16,
                                                                       "nce_units": 8}


def test_rerunning_with_more_steps_resumes(trained, folders, capsys):
    out, _ = trained
    code = main(["refine", "train", "--real", str(folders / "real"), "--fake", str(folders / "fake"),
                 "--out", str(out)] + TRAIN + ["--steps", "4"])
    assert code == 0
    assert "resuming at step 2" in capsys.readouterr().out


def test_apply_reports_skipped_files(trained, folders, tmp_path, capsys):
    out, _ = trained
    (tmp_path / "in").mkdir()
    Image.fromarray(np.full((32, 32, 3), 90, np.uint8)).save(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "bad.png").write_bytes(b"no image")
    code = main(["refine", "apply", str(out), str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                 "--json", str(tmp_path / "result.json")])
    captured = capsys.readouterr()
    assert code == 2
    assert "skipped" in captured.err and "bad.png" in captured.err
    assert (tmp_path / "out" / "good.png").is_file()
    result = json.loads((tmp_path / "result.json").read_text())
    assert len(result["results"]) == 1 and result["skipped"][0]["path"].endswith("bad.png")


@pytest.mark.parametrize("argv, message", [
    (["refine", "train", "--real", "/nonexistent", "--fake", "/nonexistent", "--out", "OUT"], "--fake"),
    (["refine", "apply", "/nonexistent", "x.png", "--out", "OUT"], "no such file or folder"),
    (["refine", "train", "--real", "r", "--fake", "f", "--out", "o", "--losses", "gan=1"], "NAME=VALUE"),
])
def test_errors_are_one_line(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refuses a malformed option before the command runs
        code = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert message in err[-1] and "Traceback" not in "\n".join(err)


def test_detector_evaluate_reports_the_refined_treatment(trained, folders, tmp_path, capsys):
    out, _ = trained
    code = main(["detector", "evaluate", "--real", str(folders / "real"), "--fake", str(folders / "fake"),
                 "--preset", "paper", "--size", "32", "--protocol", "splits", "--runs", "1", "--treatments", "none",
                 "--refiner", str(out), "--refined-training", "--json", str(tmp_path / "evaluation.json")])
    assert code == 0, capsys.readouterr().err
    evaluation = json.loads((tmp_path / "evaluation.json").read_text())
    assert [r["treatment"] for r in evaluation["results"]] == ["none", "refined"]
    assert evaluation["protocol"]["refined_training"] is True
    assert "refined" in capsys.readouterr().out


def test_detector_train_with_refined_fakes(trained, folders, tmp_path, capsys):
    out, _ = trained
    code = main(["detector", "train", "--real", str(folders / "real"), "--fake", str(folders / "fake"),
                 "--preset", "paper", "--size", "32", "--refiner", str(out), "--out", str(tmp_path / "detector"),
                 "--no-export"])
    assert code == 0, capsys.readouterr().err
    info = json.loads((tmp_path / "detector" / "detector.json").read_text())
    assert info["metadata"]["training"]["refiner"] == str(out)
