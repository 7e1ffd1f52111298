"""`make demo` end to end, at a reduced size: every step runs and leaves its outputs, the GAN's verdict stands
beside every number drawn from its samples, and the shipped detector is shown with what it is for."""

import json
import os
import shutil

from upconv_tf.cli import main

from paths import REPO, shipped_version

ROOT = REPO


def test_demo_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--count", "64", "--gan-steps", "12"]) == 0
    printed = capsys.readouterr().out
    assert "[9/9]" in printed and "demo finished" in printed
    spectra = json.loads((out / "spectrum.json").read_text())
    names = [folder["path"] for folder in spectra["folders"]]
    assert any(name.endswith("real") for name in names) and any(name.endswith("dcgan") for name in names)
    assert all(folder["count"] == 64 for folder in spectra["folders"])
    assert (out / "detector" / "model.onnx").is_file()
    results = json.loads((out / "detect.json").read_text())["results"]
    assert results and all(0.0 <= r["score"] <= 1.0 for r in results)
    lines = printed.splitlines()
    # The GAN step has a progress line, and its gates' verdict goes beside every number drawn from its samples.
    assert any(line.startswith("  step 12/12: d_loss") for line in lines)
    status = json.loads((out / "gan" / "metrics.json").read_text())["status"]
    assert f"  sanity gates: {status}" in "\n".join(lines)
    if status != "trained":  # 12 steps do not train it
        dcgan = [line for line in lines if "dcgan" in line or "DCGAN" in line]
        table = lines[lines.index(next(l for l in lines if l.startswith("  real vs dcgan:"))) + 1:][:4]
        assert all(line.endswith("[untrained GAN]") for line in table)
        assert any("untrained GAN" in line and "training accuracy" in line for line in lines)
        assert any(line.endswith("images [untrained GAN: " + "; ".join(
            json.loads((out / "gan" / "metrics.json").read_text())["sanity"]["reasons"]) + "]") for line in dcgan)
    # The shipped detector, by name: one line for what it is for and one for what it is not for (its metadata).
    version = shipped_version()
    metadata = json.loads(open(os.path.join(ROOT, "saved_models", "spectral-detector", version, "metadata.json")).read())
    assert f"  for: {metadata['intended_use']['for']}" in lines
    assert f"  not for: {metadata['intended_use']['not_for']}" in lines
    # ...and its scores on the stills held out of its training, shipped beside it.
    assert any(line.startswith("  on its 8 held-out stills: ROC-AUC ") for line in lines)
    assert json.loads((out / "pretrained_stills.json").read_text())["protocol"]["real"] == 4
    assert "bundled fakes" not in printed  # no number on images it was not built for


def test_the_demo_shows_a_detector_on_its_held_out_stills(tmp_path):
    """Held-out stills beside a model (stills/NAME/ with a manifest naming that version) are scored and shown:
    swapping in a model and its stills is one data change."""
    from upconv_tf.datasets import bundled_crops, save_png
    from upconv_tf.fakes import make_fakes
    from upconv_tf.workflows.demo import DemoConfig, DemoState, step_pretrained

    home = tmp_path / "home"
    shutil.copytree(os.path.join(ROOT, "saved_models", "spectral-detector", "1"),
                    home / "saved_models" / "spectral-detector" / "1")
    stills = home / "stills" / "spectral-detector"
    files = []
    for i, image in enumerate(bundled_crops(64, 6, seed=41).images):
        save_png(image, stills / "real" / f"{i}.png")
        files.append({"file": f"real/{i}.png", "label": "real"})
    for i, image in enumerate(make_fakes(bundled_crops(64, 6, seed=42).images, "transconv")):
        save_png(image, stills / "generated" / f"{i}.png")
        files.append({"file": f"generated/{i}.png", "label": "generated"})
    manifest = {"model": "spectral-detector", "version": 1, "status": "held-out", "note": "", "files": files}
    (stills / "manifest.json").write_text(json.dumps(manifest))
    lines = []
    config = DemoConfig(out=str(tmp_path / "out"), pretrained=str(home / "saved_models" / "spectral-detector"))
    step_pretrained(config, DemoState(), lines.append)
    assert any(line.startswith("  held-out real stills: ") and line.endswith("labelled real") for line in lines)
    assert any(line.startswith("  on its 12 held-out stills: ROC-AUC ") for line in lines), lines
    evaluation = json.loads((tmp_path / "out" / "pretrained_stills.json").read_text())
    assert (evaluation["protocol"]["real"], evaluation["protocol"]["generated"]) == (6, 6)
    manifest["version"] = 2  # held out from another version: not shown
    (stills / "manifest.json").write_text(json.dumps(manifest))
    lines.clear()
    step_pretrained(config, DemoState(), lines.append)
    assert any("no held-out stills shipped for spectral-detector/1 (held-out): they were held out from version 2"
               in line for line in lines)
