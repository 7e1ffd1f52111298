"""End-to-end test of the TFX retraining pipeline (tfx_pipeline/), with the real TFX 1.21 — no mocks.

Three runs share one pipeline root, metadata store and serving root:

1. bundled-photo crops + generated fakes: a model is trained, blessed (no baseline yet) and pushed as
   version 1 (SavedModel + ONNX, which must load and agree with the trained detector);
2. new data and a deliberately worse trainer setting (``feature_kind=azimuthal``, ``num_bins=2``: a min-max
   normalised 2-bin profile is constant, so the classifier sees nothing): evaluated against version 1 on the
   same held-out split, it is not blessed and nothing is pushed;
3. the same again: every step is served from the cache.

Every run has the optional scoring step on (``score_after_push``): after run 1's push, the pushed ONNX model
scores a folder of images into ``serving/scores/<name>/1/``; run 2 pushes nothing and scores nothing.

Where ``import tfx`` works the pipeline runs natively; elsewhere (glibc < 2.39, e.g. Debian 12) it runs in
the cached Debian 13 root of ``tfx_pipeline/run_in_debian13.sh``, which needs root. A cold machine builds
that root first (about 5 minutes). Set UPCONV_SKIP_TFX=1 to skip this test while developing other parts.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import paths

REPO = Path(paths.REPO)
SCRIPT = REPO / "tfx_pipeline" / "run_in_debian13.sh"
MODEL_NAME = "spectral-detector"
SCORED = 20  # images the scoring step scores after the first push (and one broken file it skips)
RESOLVER = "latest_blessed_model_resolver"

pytestmark = pytest.mark.slow


def _how_to_run():
    """(command prefix running ``tfx_pipeline.local_runner``, needs setup) or a skip reason (str)."""
    if os.environ.get("UPCONV_SKIP_TFX"):
        return "UPCONV_SKIP_TFX is set"
    if importlib.util.find_spec("tfx") is not None:
        return [sys.executable, "-m", "tfx_pipeline.local_runner"], False
    if not sys.platform.startswith("linux"):
        return "tfx is not importable and the Debian 13 root fallback needs Linux (use the TFX container)"
    if os.geteuid() != 0:
        return ("tfx is not importable here (tfx 1.21 needs glibc >= 2.39) and its Debian 13 root "
                "(tfx_pipeline/run_in_debian13.sh: debootstrap, mount, chroot) needs root")
    if not (shutil.which("debootstrap") or shutil.which("apt-get")):
        return "tfx is not importable here and neither debootstrap nor apt-get is available to build a Debian 13 root"
    return ["bash", str(SCRIPT), "run"], True


def _run(command, env, timeout, label, timings):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    timings[label] = round(time.perf_counter() - start, 1)
    if result.returncode != 0:
        pytest.fail(f"{label} failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def _versions(serving, half):
    folder = serving / half / MODEL_NAME
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []


def _report(line, config):
    """Print past pytest's output capture (the timings belong in CI's log even when the tests pass)."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("\n" + line)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, request):
    how = _how_to_run()
    if isinstance(how, str):
        pytest.skip(how)
    runner, needs_setup = how
    from tfx_pipeline.sample_data import write_sample_data

    work = tmp_path_factory.mktemp("tfx")
    env = dict(os.environ, UPCONV_TFX_BIND=str(work), TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join([str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    timings = {}
    if needs_setup:
        result = _run(["bash", str(SCRIPT), "setup"], env, 1500, "root setup", timings)
        timings["root setup log"] = " ".join(line.split("] ", 1)[-1] for line in result.stderr.splitlines()
                                             if line.startswith("[debian13]"))
    start = time.perf_counter()
    write_sample_data(work / "data1", count=120, seed=0)
    write_sample_data(work / "data2", count=120, seed=1)
    timings["sample data"] = round(time.perf_counter() - start, 1)
    to_score = work / "to_score"
    to_score.mkdir()
    for path in sorted((work / "data1" / "fake").rglob("*.png"))[:SCORED]:
        shutil.copy(path, to_score / f"{path.parent.name}_{path.name}")
    (to_score / "broken.png").write_bytes(b"not a png")
    common = ["--output-root", str(work / "out"), "--serving-root", str(work / "serving"),
              "--set", "score_after_push=true", "--set", f"score_input={to_score}"]
    worse = ["--set", "feature_kind=azimuthal", "--set", "num_bins=2"]
    plan = [("run 1 (new pipeline)", ["--data-root", str(work / "data1")]),
            ("run 2 (new data, num_bins=2)", ["--data-root", str(work / "data2")] + worse),
            ("run 3 (unchanged)", ["--data-root", str(work / "data2")] + worse)]
    summaries, layouts = [], []
    for index, (label, args) in enumerate(plan):
        summary_path = work / f"summary{index + 1}.json"
        _run(runner + common + args + ["--summary", str(summary_path)], env, 900, label, timings)
        summaries.append(json.loads(summary_path.read_text()))
        layouts.append({half: _versions(work / "serving", half) for half in ("saved_models", "export")})
    _report("TFX pipeline timings (s): " + json.dumps(timings), request.config)
    return {"work": work, "summaries": summaries, "layouts": layouts, "timings": timings}


def _state(summary, node):
    return summary["steps"][node]["state"]


def test_first_run_trains_blesses_and_pushes(runs):
    first = runs["summaries"][0]
    assert all(step["state"] == "COMPLETE" for step in first["steps"].values()), first["steps"]
    assert first["blessed"] and first["pushed"] and first["pushed_version"] == 1
    assert first["baseline"] == {"balanced_accuracy": None, "roc_auc": None, "mean_source_fpr": None}
    assert first["candidate"]["balanced_accuracy"] > 0.6 and first["candidate"]["mean_source_fpr"] <= 0.2
    assert first["candidate"]["roc_auc"] > 0.7
    assert runs["layouts"][0] == {"saved_models": [1], "export": [1]}
    serving = runs["work"] / "serving"
    for folder in (serving / "saved_models" / MODEL_NAME / "1", serving / "export" / MODEL_NAME / "1"):
        assert json.loads((folder / "metadata.json").read_text())["version"] == 1
    spectrum = Path(first["steps"]["SpectralFeatures"]["outputs"]["spectrum"]["uri"])
    real_mean = json.loads((spectrum / "spectrum.json").read_text())["splits"]["train"]["real"]["mean"]
    assert len(real_mean) == first["steps"]["SpectralFeatures"]["outputs"]["spectrum"]["num_bins"] > 2


def test_pushed_savedmodel_and_onnx_load_and_predict(runs):
    from sklearn.metrics import roc_auc_score

    from upconv_tf.datasets import bundled_crops
    from upconv_tf.detection import load_detector
    from upconv_tf.fakes import make_fakes
    from upconv_tf.runtime import OnnxDetector, SavedModelDetector

    serving = runs["work"] / "serving"
    onnx = OnnxDetector(serving / "export" / MODEL_NAME / "1" / "model.onnx")
    saved = SavedModelDetector(serving / "saved_models" / MODEL_NAME / "1")
    real = bundled_crops(192, 24, seed=101).images
    fake = make_fakes(bundled_crops(192, 24, seed=102).images, kind="transconv", seed=7)
    images = np.concatenate([real, fake])
    labels = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    p_onnx = onnx.predict_proba(images)[:, 1]
    p_saved = saved.predict_proba(images)[:, 1]
    trained = Path(runs["summaries"][0]["steps"]["Trainer"]["outputs"]["model"]["uri"])
    p_trained = load_detector(trained / "Format-Serving" / "detector").predict_proba(images)[:, 1]
    np.testing.assert_allclose(p_onnx, p_saved, atol=1e-4)
    np.testing.assert_allclose(p_onnx, p_trained, atol=1e-3)
    assert roc_auc_score(labels, p_onnx) > 0.7


def test_the_pushed_model_scores_the_configured_images(runs):
    from upconv_tf.datasets import load_image
    from upconv_tf.runtime import OnnxDetector

    first, second = runs["summaries"][:2]
    work = runs["work"]
    scorer = first["steps"]["DetectorScorer"]
    assert scorer["state"] == "COMPLETE"
    outputs = scorer["outputs"]["scores"]
    assert (outputs["scored"], outputs["skipped"]) == (SCORED, 1)
    prefix = work / "serving" / "scores" / MODEL_NAME / "1" / "run"
    assert outputs["scores_prefix"] == str(prefix)
    records = [json.loads(line) for path in sorted(prefix.parent.glob("run-scores-*.jsonl"))
               for line in path.read_text().splitlines() if line.strip()]
    assert sorted(r["path"] for r in records) == sorted(str(p) for p in (work / "to_score").glob("*_*.png"))
    assert {(r["model"], r["version"]) for r in records} == {(MODEL_NAME, 1)}
    onnx = OnnxDetector(work / "serving" / "export" / MODEL_NAME / "1" / "model.onnx")
    expected = onnx.probability(np.stack([load_image(r["path"]) for r in records]))
    np.testing.assert_allclose([r["probability"] for r in records], expected, atol=1e-4)
    assert all(r["generated"] == (r["probability"] >= onnx.threshold) for r in records)
    skipped = [json.loads(line) for path in prefix.parent.glob("run-skipped-*.jsonl")
               for line in path.read_text().splitlines() if line.strip()]
    assert [(os.path.basename(r["path"]), r["code"]) for r in skipped] == [("broken.png", "unreadable")]
    assert second["steps"]["DetectorScorer"]["outputs"]["scores"]["scored"] == 0  # nothing pushed
    assert sorted(p.name for p in (work / "serving" / "scores" / MODEL_NAME).iterdir()) == ["1"]


def test_worse_candidate_is_not_blessed_and_nothing_is_pushed(runs):
    first, second = runs["summaries"][:2]
    for node in ("ImageFolderExampleGen", "SpectralFeatures", "Trainer", "DetectorEvaluator", "DetectorPusher"):
        assert _state(second, node) == "COMPLETE", node  # new data: everything ran again
    assert not second["blessed"] and not second["pushed"]
    baseline, candidate = second["baseline"], second["candidate"]
    assert baseline["balanced_accuracy"] is not None  # compared with version 1 on the new held-out split
    assert candidate["balanced_accuracy"] < baseline["balanced_accuracy"] or candidate["roc_auc"] < baseline["roc_auc"]
    evaluation = Path(second["steps"]["DetectorEvaluator"]["outputs"]["evaluation"]["uri"]) / "metrics.json"
    metrics = json.loads(evaluation.read_text())
    assert metrics["baseline_model"] == first["steps"]["Trainer"]["outputs"]["model"]["uri"]
    assert metrics["reasons"]
    assert runs["layouts"][1] == runs["layouts"][0]


def test_unchanged_run_reuses_cached_steps(runs):
    second, third = runs["summaries"][1:]
    assert third["run_id"] != second["run_id"]
    for node in third["steps"]:
        if node != RESOLVER:
            assert _state(third, node) == "CACHED", (node, third["steps"][node])
    for node in ("Trainer", "DetectorEvaluator"):
        assert third["steps"][node]["outputs"] == second["steps"][node]["outputs"]
    assert not third["pushed"]
    assert runs["layouts"][2] == runs["layouts"][0]
