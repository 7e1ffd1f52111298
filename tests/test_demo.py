"""`make demo` end to end, at a reduced size: every step runs and leaves its outputs."""

import json

from upconv_tf.cli import main


def test_demo_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--count", "64", "--gan-steps", "10"]) == 0
    printed = capsys.readouterr().out
    assert "[8/8]" in printed and "demo finished" in printed
    spectra = json.loads((out / "spectrum.json").read_text())
    names = [folder["path"] for folder in spectra["folders"]]
    assert any(name.endswith("real") for name in names) and any(name.endswith("dcgan") for name in names)
    assert all(folder["count"] == 64 for folder in spectra["folders"])
    assert (out / "detector" / "model.onnx").is_file()
    results = json.loads((out / "detect.json").read_text())["results"]
    assert results and all(0.0 <= r["score"] <= 1.0 for r in results)
