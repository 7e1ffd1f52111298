"""``detector train`` and ``evaluate`` on real sources: ``--size auto`` (the default) fits small images,
``--protocol cross-source`` reports each real source's false-positive rate, ``--sources`` merges sources."""

import json

import pytest

from upconv_tf.cli import main
from upconv_tf.datasets import bundled_crops, save_png
from upconv_tf.fakes import make_fakes


@pytest.fixture(scope="module")
def sourced(tmp_path_factory):
    """real/<source>/PHOTO_INDEX.png for 3 sources (photos dealt to them) and fake/transconv/ fakes, 48 px."""
    root = tmp_path_factory.mktemp("sourced")
    real, other = bundled_crops(48, 36, seed=5), bundled_crops(48, 36, seed=6)
    for i, image in enumerate(real.images):
        photo = real.sources[real.groups[i]]
        save_png(image, root / "real" / f"source{real.groups[i] % 3}" / f"{photo}_{i:04d}.png")
    for i, image in enumerate(make_fakes(other.images, "transconv", seed=0)):
        save_png(image, root / "fake" / "transconv" / f"{other.sources[other.groups[i]]}_{i:04d}.png")
    return root


def test_train_defaults_choose_the_crop_from_small_images(sourced, tmp_path, capsys):
    # 48 px images: the 192 px default crop refused them all before --size auto.
    out = tmp_path / "detector"
    code = main(["detector", "train", "--real", str(sourced / "real"), "--fake", str(sourced / "fake"), "--out",
                 str(out), "--no-export", "--classifier", "logreg"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    info = json.loads((out / "detector.json").read_text())
    training = info["metadata"]["training"]
    assert info["metadata"]["input"]["size"] == 48 and info["metadata"]["preset"]["size"] == 48
    assert training["size"] == {"asked": "auto", "used": 48}
    assert training["real_sources"] == ["source0", "source1", "source2"]
    calibration = info["metadata"]["threshold"]
    # Three real sources: the out-of-fold folds and the threshold's quantile are by source, each weighing alike.
    assert calibration["real_sources"] == 3 and calibration["weighting"] == "source"
    assert "48 px center-crop" in captured.out and "average over 3 sources" in captured.out


def test_images_below_the_features_minimum_are_refused_in_one_line(tmp_path, capsys):
    for folder in ("real", "fake"):
        for i, image in enumerate(bundled_crops(16, 4, seed=1).images):
            save_png(image, tmp_path / folder / f"x{i}.png")
    code = main(["detector", "train", "--real", str(tmp_path / "real"), "--fake", str(tmp_path / "fake"), "--out",
                 str(tmp_path / "d"), "--no-export"])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert "24 px" in err and "16 px" in err and len(err.strip().splitlines()) == 1


def test_evaluate_cross_source_reports_every_source(sourced, tmp_path, capsys):
    out = tmp_path / "cross.json"
    code = main(["detector", "evaluate", "--real", str(sourced / "real"), "--fake", str(sourced / "fake"),
                 "--protocol", "cross-source", "--treatments", "none", "--classifier", "logreg", "--json", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    evaluation = json.loads(out.read_text())
    assert [fold["source"] for fold in evaluation["sources"]] == ["source0", "source1", "source2"]
    assert evaluation["protocol"]["name"] == "cross-source" and evaluation["protocol"]["size"] == 48
    assert sum(fold["images"] for fold in evaluation["sources"]) == 36
    assert "held-out source" in captured.out and "source2" in captured.out
    # A source map merges two folders into one source.
    merged = tmp_path / "sources.json"
    merged.write_text(json.dumps({"source1": "source0"}))
    code = main(["detector", "evaluate", "--real", str(sourced / "real"), "--fake", str(sourced / "fake"),
                 "--protocol", "cross-source", "--treatments", "none", "--classifier", "logreg", "--sources",
                 str(merged), "--json", str(out)])
    assert code == 0
    assert [fold["source"] for fold in json.loads(out.read_text())["sources"]] == ["source0", "source2"]
