"""``detect`` says which part of each image it read; folders get notes for what they hold besides images; the
grouping default keeps crops of one photo together."""

import json
import os

import numpy as np
import pytest

from upconv_tf.cli import main
from upconv_tf.datasets import save_png

from paths import REPO

DETECTOR_64 = os.path.join(REPO, "export", "spectral-detector", "1")  # 64 px, ONNX: fast, no TensorFlow


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A 100 x 80 image, a 64 x 64 one, a text file, a hidden file, and an empty sub-folder elsewhere."""
    root = tmp_path_factory.mktemp("detect_region")
    rng = np.random.default_rng(0)
    save_png(rng.uniform(size=(80, 100, 3)), root / "images" / "wide.png")
    save_png(rng.uniform(size=(64, 64, 3)), root / "images" / "square.png")
    (root / "images" / "notes.txt").write_text("not an image")
    (root / "images" / ".DS_Store").write_bytes(b"\0\0")
    (root / "images" / ".thumbs").mkdir()
    (root / "images" / ".thumbs" / "x.txt").write_text("hidden folder")
    (root / "empty").mkdir()
    return root


def test_the_json_says_which_part_of_each_image_was_read(folder):
    from upconv_tf import detect

    result = detect([str(folder / "images")], DETECTOR_64)
    read = {os.path.basename(r["path"]): (r["size"], r["read"]) for r in result["results"]}
    assert read["wide.png"] == ([100, 80], {"box": [18, 8, 82, 72], "resized_to": None})  # the central 64 px
    assert read["square.png"] == ([64, 64], {"box": [0, 0, 64, 64], "resized_to": None})
    resized = detect([str(folder / "images" / "wide.png")], DETECTOR_64, policy="resize")["results"][0]
    assert resized["read"] == {"box": [10, 0, 90, 80], "resized_to": 64}  # the central square, resized


def test_the_human_output_says_it_too_and_notes_what_is_not_an_image(folder, capsys):
    assert main(["detect", str(folder / "images"), "--model", DETECTOR_64]) == 0  # a note is no failure
    captured = capsys.readouterr()
    wide = next(line for line in captured.out.splitlines() if line.endswith(")"))
    assert wide.endswith("wide.png  (centre 64 x 64 of 100 x 80)")
    assert not any(line.endswith("square.png)") for line in captured.out.splitlines())  # read whole: no note
    assert "judged by their central part only" in captured.err
    assert f"ignored {folder / 'images' / 'notes.txt'}: not an image file (.txt)" in captured.err
    assert ".DS_Store" not in captured.err and ".thumbs" not in captured.err  # hidden: silent


def test_an_empty_folder_is_reported_and_counts_as_skipped(folder, capsys, tmp_path):
    out = tmp_path / "d.json"
    assert main(["detect", str(folder / "images"), str(folder / "empty"), "--model", DETECTOR_64,
                 "--json", str(out)]) == 2
    codes = {os.path.basename(r["path"]): r["code"] for r in json.loads(out.read_text())["skipped"]}
    assert codes == {"notes.txt": "not-an-image", "empty": "empty-folder"}
    assert f"skipped {folder / 'empty'}: no image file in this folder" in capsys.readouterr().err


