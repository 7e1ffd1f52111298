"""Refiner runs (upconv_tf.workflows.refine): the run folder, exact resume after a kill, settings checked on resume,
applying a run to files (layout kept, bad files skipped and reported) and the before / after report."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from upconv_tf.callbacks import TrainingCheckpoint
from upconv_tf.workflows.refine import RefineConfig, refine_files, refinement_report, train_refiner

SIZE = 32


def config(**kwargs):
    # The smallest refiner with every part (tracing its train step is most of a test's time).
    options = dict(real="unused", fake="unused", size=SIZE, width=4, depth=2, discriminator_width=4, steps=4,
                   steps_per_epoch=2, batch_size=4, save_every=1,
                   losses={"nce_patches": 16, "nce_units": 8, "nce_identity": False})
    options.update(kwargs)
    return RefineConfig(**options)


@pytest.fixture(scope="module")
def images():
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.fakes import make_fakes

    return (make_fakes(bundled_crops(SIZE, 12, seed=1).images, "transconv", seed=0),
            bundled_crops(SIZE, 12, seed=0).images)


@pytest.fixture(scope="module")
def run(images, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "refiner"
    generated, real = images
    return out, train_refiner(config(), out, generated=generated, real=real, verbose=0)


def weights(model):
    return [w for part in (model.generator, model.discriminator, model.spectral_discriminator, model.nce_head)
            for w in part.get_weights()]


def test_the_run_folder(run):
    out, result = run
    assert (result.start_step, result.total_steps) == (0, 4)
    for name in ("config.json", "history.json", "metrics.json", "refiner.keras", "samples/before.png",
                 "samples/after_epoch_001.png", "samples/after_epoch_002.png", "checkpoints/state.json"):
        assert (out / name).exists(), name
    assert any(name.startswith("events") for _, _, files in os.walk(out / "logs") for name in files)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] in ("trained", "untrained") and "content" in metrics["sanity"]["checks"]
    assert set(metrics["refinement"]) == {"before", "after", "content_ssim"}
    assert len(json.loads((out / "history.json").read_text())["g_loss"]) == 2


@pytest.mark.slow
def test_a_killed_run_resumes_exactly(run, images, tmp_path, monkeypatch):
    generated, real = images
    save = TrainingCheckpoint.save

    def save_then_die(self):
        save(self)
        if self.step == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(TrainingCheckpoint, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_refiner(config(), tmp_path / "killed", generated=generated, real=real, verbose=0)
    monkeypatch.setattr(TrainingCheckpoint, "save", save)
    resumed = train_refiner(config(), tmp_path / "killed", generated=generated, real=real, verbose=0)
    assert resumed.start_step == 3
    for a, b in zip(weights(resumed.model), weights(run[1].model), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="other settings .*width"):
        train_refiner(config(width=8), tmp_path / "killed", generated=generated, real=real, verbose=0)


def test_apply_keeps_the_layout_and_reports_skipped_files(run, images, tmp_path):
    out, _ = run
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    for i, image in enumerate(images[0][:3]):
        Image.fromarray((image * 255).astype(np.uint8)).save(source / ("sub" if i else "") / f"a{i}.png")
    Image.fromarray(np.zeros((31, 31, 3), np.uint8)).save(source / "odd.png")
    (source / "broken.png").write_bytes(b"not an image")
    result = refine_files(out, [source], tmp_path / "out")
    assert sorted(os.path.relpath(r["output"], tmp_path / "out") for r in result["results"]) == [
        "a0.png", os.path.join("sub", "a1.png"), os.path.join("sub", "a2.png")]
    reasons = {os.path.basename(s["path"]): s["reason"] for s in result["skipped"]}
    assert set(reasons) == {"odd.png", "broken.png"} and "multiples of 2" in reasons["odd.png"]
    written = np.asarray(Image.open(tmp_path / "out" / "a0.png"))
    assert written.shape == (SIZE, SIZE, 3)
    # center-crop to a size the model takes: the odd image is used too.
    cropped = refine_files(out, [source / "odd.png"], tmp_path / "out2", size=16, policy="center-crop")
    assert len(cropped["results"]) == 1 and cropped["results"][0]["height"] == 16
    with pytest.raises(ValueError, match="policy"):
        refine_files(out, [source], tmp_path / "out3", policy="stretch")


def test_refinement_report(images):
    generated, real = images
    report = refinement_report(real, generated, generated)
    assert report["content_ssim"] == pytest.approx(1.0)
    assert report["before"] == report["after"] and report["before"]["log_frequency_distance"] > 0


def test_refined_rows_for_detectors(run, tmp_path, write_crop_folders):
    from upconv_tf.detection.presets import detector_preset
    from upconv_tf.workflows.features import folder_preset_features
    from upconv_tf.workflows.refine import REFINED, add_refined_rows

    folders = write_crop_folders(tmp_path, SIZE, 6, (0, 1))
    preset = detector_preset("paper", size=SIZE)
    features = folder_preset_features([str(folders / "real")], [str(folders / "fake")], preset, treatments=("none",))
    rows, fakes = len(features.train), features.labels == 1
    add_refined_rows(features, run[0])
    refined, none = features.test[REFINED], features.test["none"]
    np.testing.assert_array_equal(refined[~fakes], none[~fakes])  # real images are not refined ...
    assert np.abs(refined[fakes] - none[fakes]).max() > 0  # ... generated ones are
    assert len(features.train) == rows + fakes.sum() and not features.train_original[rows:].any()
    assert set(features.train_image[rows:]) == set(np.flatnonzero(fakes))
    with pytest.raises(ValueError, match="does not take the preset's 31 px crops"):
        add_refined_rows(folder_preset_features([str(folders / "real")], [str(folders / "fake")],
                                                detector_preset("paper", size=31), treatments=("none",)), run[0])
