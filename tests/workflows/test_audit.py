import json
import os

import numpy as np
import pytest

from upconv_tf.cli import main


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory):
    import keras

    from upconv_tf.models import build_generator, save_model

    keras.utils.set_random_seed(0)
    generator = build_generator(32, latent_dim=16, upsampling="transconv", dim=8)
    return save_model(generator, str(tmp_path_factory.mktemp("gen") / "generator.keras"))


@pytest.fixture(scope="module")
def real_dir(tmp_path_factory):
    from upconv_tf.datasets import bundled_crops, save_png

    crops = bundled_crops(48, 40, seed=3)
    folder = tmp_path_factory.mktemp("real")
    for i, image in enumerate(crops.images):
        save_png(image, str(folder / crops.sources[crops.groups[i]] / f"{i:03d}.png"))
    return folder


def run_audit(generator, real, tmp_path, *extra):
    report, picture = tmp_path / "report.json", tmp_path / "report.png"
    code = main(["audit", "--generator", str(generator), "--real", str(real), "--json", str(report),
                 "--out", str(picture), "--runs", "3", "--samples", "40", *extra])
    return code, report, picture


def test_audit_reports_metrics_and_detectability(generator_file, real_dir, tmp_path, capsys):
    code, report_path, picture = run_audit(generator_file, real_dir, tmp_path, "--groups", "parent")
    assert code == 0
    report = json.loads(report_path.read_text())
    assert report["size"] == 32 and report["counts"] == {"real": 40, "generated": 40}
    metrics = report["metrics"]
    # An untrained generator is far from photos: every metric says so, and the detector finds it.
    assert metrics["spectral_distance"] > 0.01 and metrics["log_frequency_distance"] > 1.0
    assert abs(metrics["decay_exponent_gap"]) > 0.1
    detector = report["detector"]
    assert detector["roc_auc"] > 0.9 and detector["accuracy"] > 0.8
    assert detector["groups"] > 2 and detector["runs"] == 3  # real crops grouped by source photo folder
    assert len(report["spectra"]["real"]["mean"]) == len(report["spectra"]["generated"]["mean"]) == 16
    assert picture.stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "ROC-AUC" in printed
    # ... but it never trained: no spectral verdict is read from it.
    assert report["status"] == report["sanity"]["status"] == "untrained" and detector["verdict"] == "untrained"
    assert "untrained generator (" in printed


def test_audit_gives_a_verdict_only_when_the_gates_pass():
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.workflows.audit import audit_images

    real, other = bundled_crops(32, 48, seed=3), bundled_crops(32, 48, seed=4)
    trained = audit_images(real.images, other.images, real.groups, runs=2)
    assert trained["status"] == "trained" and trained["detector"]["verdict"] != "untrained"
    flat = np.full_like(other.images, 0.5) + np.random.default_rng(0).normal(0, 0.01, other.images.shape)
    refused = audit_images(real.images, flat.astype(np.float32), real.groups, runs=2)
    assert refused["status"] == "untrained" and refused["detector"]["verdict"] == "untrained"
    assert refused["sanity"]["checks"]["pixel_spread"] is False
    collapsed = audit_images(real.images, other.images, real.groups, runs=2, d_loss=0.001)
    assert collapsed["detector"]["verdict"] == "untrained" and collapsed["sanity"]["checks"]["discriminator"] is False


def test_audit_of_a_training_folder_reads_its_recorded_gates(generator_file, tmp_path):
    import shutil

    from upconv_tf.datasets import bundled_crops, save_png
    from upconv_tf.workflows.audit import audit_generator

    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(generator_file, run / "generator.keras")
    (run / "config.json").write_text(json.dumps({"model": "gan"}))
    reason = "discriminator won: d_loss 0.001 < 0.05"
    (run / "metrics.json").write_text(json.dumps({"d_loss": 0.001, "status": "untrained", "sanity": {
        "status": "untrained", "reasons": [reason]}}))
    real = bundled_crops(32, 16, seed=3)
    for i, image in enumerate(real.images):
        save_png(image, str(tmp_path / "real" / f"{i % 4}" / f"{i:03d}.png"))
    for source in (run, run / "generator.keras"):
        report = audit_generator(str(source), str(tmp_path / "real"), samples=16, runs=2, group_by="folder")
        assert report["status"] == "untrained" and f"training run: {reason}" in report["sanity"]["reasons"]
    (run / "metrics.json").write_text(json.dumps({"d_loss": 0.001}))  # a run from before the gates were recorded
    report = audit_generator(str(run), str(tmp_path / "real"), samples=16, runs=2, group_by="folder")
    assert report["sanity"]["checks"]["discriminator"] is False and report["detector"]["verdict"] == "untrained"


def test_audit_is_reproducible_with_a_seed(generator_file, real_dir, tmp_path):
    first = json.loads(run_audit(generator_file, real_dir, tmp_path / "a", "--seed", "5")[1].read_text())
    second = json.loads(run_audit(generator_file, real_dir, tmp_path / "b", "--seed", "5")[1].read_text())
    assert first["metrics"] == second["metrics"] and first["detector"] == second["detector"]


def test_bad_real_file_is_reported_and_skipped(generator_file, real_dir, tmp_path, capsys):
    import shutil

    folder = tmp_path / "real"
    shutil.copytree(real_dir, folder)
    (folder / "broken.png").write_bytes(b"not an image")
    code, report_path, _ = run_audit(generator_file, folder, tmp_path)
    assert code == 2
    report = json.loads(report_path.read_text())
    assert report["counts"]["real"] == 40 and [s["path"] for s in report["skipped"]] == [str(folder / "broken.png")]
    assert "broken.png" in capsys.readouterr().err


@pytest.mark.parametrize("case, message", [
    ("missing_generator", "--generator"),
    ("not_a_model", "--generator"),
    ("missing_real", "--real"),
    ("too_few_real", "needs 8 or more"),
])
def test_bad_inputs_give_one_line_errors(case, message, generator_file, real_dir, tmp_path, capsys):
    generator, real = generator_file, real_dir
    if case == "missing_generator":
        generator = tmp_path / "nothing.keras"
    elif case == "not_a_model":
        generator = tmp_path / "fake.keras"
        generator.write_bytes(b"PK garbage")
    elif case == "missing_real":
        real = tmp_path / "no_such_folder"
    elif case == "too_few_real":
        real = tmp_path / "few"
        real.mkdir()
        for name in sorted(os.listdir(real_dir))[:1]:
            for i, png in enumerate(sorted(os.listdir(real_dir / name))[:3]):
                (real / f"{i}.png").write_bytes((real_dir / name / png).read_bytes())
    code, report_path, _ = run_audit(generator, real, tmp_path)
    err = capsys.readouterr().err
    assert code == 1 and not report_path.exists()
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_sample_images_is_8_bit_in_unit_range(generator_file):
    from upconv_tf.models import load_generator_model
    from upconv_tf.sampling import sample_images

    images = sample_images(load_generator_model(generator_file), 5, seed=1, quantize_8bit=True)
    assert images.shape == (5, 32, 32, 3) and images.min() >= 0 and images.max() <= 1
    np.testing.assert_allclose(images * 255, np.round(images * 255), atol=1e-4)
