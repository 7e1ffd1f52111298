import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from upconv_tf.cli import main
from upconv_tf.datasets import save_png


@pytest.fixture
def two_folders(tmp_path, crops64):
    real, blurred = tmp_path / "real", tmp_path / "blurred"
    for i, image in enumerate(crops64.images[:12]):
        save_png(image, real / f"{i}.png")
        save_png(gaussian_filter(image, sigma=(1.5, 1.5, 0)), blurred / f"{i}.png")
    return real, blurred


def test_spectrum_writes_plot_and_json(tmp_path, two_folders):
    real, blurred = two_folders
    out, stats = tmp_path / "plot.png", tmp_path / "stats.json"
    assert main(["spectrum", str(real), str(blurred), "--size", "64", "--out", str(out), "--json", str(stats)]) == 0
    data = json.loads(stats.read_text())
    assert out.stat().st_size > 1000
    assert [f["count"] for f in data["folders"]] == [12, 12]
    assert len(data["folders"][0]["mean"]) == data["bins"] == 32
    real_mean, blurred_mean = (np.array(f["mean"]) for f in data["folders"])
    # A low-pass filter removes high frequencies, as interpolation does in the paper's Fig. 1.
    assert blurred_mean[-8:].mean() < real_mean[-8:].mean() - 5


def test_spectrum_reports_bad_files_and_exits_2(tmp_path, two_folders, capsys):
    real, _ = two_folders
    (real / "broken.png").write_text("nope")
    stats = tmp_path / "stats.json"
    assert main(["spectrum", str(real), "--size", "64", "--json", str(stats)]) == 2
    err = capsys.readouterr().err
    assert "broken.png" in err and "Traceback" not in err
    data = json.loads(stats.read_text())
    assert data["folders"][0]["count"] == 12 and data["folders"][0]["skipped"][0]["path"].endswith("broken.png")


def test_missing_folder_is_one_line_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "upconv_tf", "spectrum", str(tmp_path / "nope")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "upconv-tf" in line]
    assert lines == [f"upconv-tf spectrum: error: {tmp_path / 'nope'}: no such file or folder"]
    assert "Traceback" not in result.stderr
