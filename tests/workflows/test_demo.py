"""`make demo` end to end, at a reduced size: every step runs and leaves its outputs."""

import json
import os

from upconv_tf.cli import main

from paths import REPO

ROOT = REPO


def test_demo_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    shipped = os.path.join(ROOT, "saved_models", "spectral-detector")
    assert main(["demo", "--out", str(out), "--count", "64", "--gan-steps", "10", "--pretrained", shipped]) == 0
    printed = capsys.readouterr().out
    assert "[9/9]" in printed and "demo finished" in printed
    spectra = json.loads((out / "spectrum.json").read_text())
    names = [folder["path"] for folder in spectra["folders"]]
    assert any(name.endswith("real") for name in names) and any(name.endswith("dcgan") for name in names)
    assert all(folder["count"] == 64 for folder in spectra["folders"])
    assert (out / "detector" / "model.onnx").is_file()
    results = json.loads((out / "detect.json").read_text())["results"]
    assert results and all(0.0 <= r["score"] <= 1.0 for r in results)
    # The shipped (highest-version) detector ran at its own size and threshold and says how it was evaluated.
    shown = json.loads((out / "pretrained_detect.json").read_text())
    metadata = json.loads((open(os.path.join(shown["model"], "metadata.json")).read()))
    assert shown["threshold"] == metadata["threshold"] and shown["size"] == metadata["input"]["shape"][1]
    assert len(shown["results"]) == 32 and "held out in training: ROC-AUC" in printed
    assert "ROC-AUC on these bundled fakes" in printed
