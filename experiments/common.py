"""What the experiment scripts share: budgets, seeding, data, result files, machine description.

Every script writes ``docs/results/<name>.json`` (numbers, command, machine, run time) and its plots beside
it; ``experiments/make_results.py`` turns the JSON files into ``docs/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "docs", "results")
WORK = os.path.join(ROOT, "experiments", "work")  # trained generators (not committed)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

BUDGETS = ("smoke", "default", "full")


def parser(description: str) -> argparse.ArgumentParser:
    """Arguments every experiment takes: the budget, the seed and the output folders."""
    result = argparse.ArgumentParser(description=description)
    budget = result.add_mutually_exclusive_group()
    budget.add_argument("--full", dest="budget", action="store_const", const="full",
                        help="the paper-sized setting (128 px, long training): for a GPU")
    budget.add_argument("--smoke", dest="budget", action="store_const", const="smoke",
                        help="a few steps only, to check that the script runs (numbers are meaningless)")
    result.set_defaults(budget="default")
    result.add_argument("--seed", type=int, default=0, help="global seed (default 0)")
    result.add_argument("--out", default=RESULTS, help=f"results folder (default {os.path.relpath(RESULTS, ROOT)})")
    result.add_argument("--work", default=WORK, help="folder for trained generators (default experiments/work)")
    return result


def setup(seed: int) -> None:
    """Seed Python, numpy and TensorFlow; deterministic TF ops where available."""
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # one model per configuration retraces on purpose
    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except (AttributeError, RuntimeError):
        pass


def machine() -> dict:
    """The machine a result was measured on."""
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {"cpu": cpu, "cores": os.cpu_count(), "gpu": ", ".join(gpus) or "none", "python": platform.python_version(),
            "tensorflow": tf.__version__, "os": platform.platform(terse=True)}


def command_line() -> str:
    """The command that reproduces this run, relative to the repository root."""
    script = os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)
    return " ".join(["python", shlex.quote(script)] + [shlex.quote(a) for a in sys.argv[1:]])


class Run:
    """Times a run and writes ``<out>/<name>.json`` with the command, machine, budget and run time."""

    def __init__(self, name: str, args):
        self.name = name
        self.args = args
        self.started = time.time()
        self.load_at_start = os.getloadavg()[0]
        os.makedirs(args.out, exist_ok=True)

    def path(self, filename: str) -> str:
        return os.path.join(self.args.out, filename)

    def save(self, data: dict) -> str:
        from upconv_tf._atomic import write_json

        data = dict(data)
        data.update({"experiment": self.name, "command": command_line(), "budget": self.args.budget,
                     "seed": self.args.seed, "machine": machine(),
                     "run_time_s": round(time.time() - self.started, 1),
                     "cpu_time_s": round(sum(os.times()[:4]), 1),  # user + system, this process and its children
                     # 1-min load average: above the core count, other processes shared the CPU (slower run)
                     "load_average": [round(self.load_at_start, 1), round(os.getloadavg()[0], 1)],
                     "date": time.strftime("%Y-%m-%d")})
        path = self.path(f"{self.name}.json")
        write_json(data, path)
        print(f"wrote {os.path.relpath(path, ROOT)} ({data['run_time_s']:.0f} s)")
        return path


def log(message: str) -> None:
    print(message, flush=True)


def real_crops(size: int, count: int, seed: int):
    """Crops of the bundled photos (CropSet: images in [0, 1], groups = source photo)."""
    from upconv_tf.datasets import bundled_crops

    return bundled_crops(size, count, seed=seed)


def photo_split(crops, test_photos: int, seed: int):
    """(train, test) CropSets with whole source photos on each side."""
    rng = np.random.default_rng(seed)
    photos = np.unique(crops.groups)
    test = rng.choice(photos, size=test_photos, replace=False)
    is_test = np.isin(crops.groups, test)
    return crops.subset(np.flatnonzero(~is_test)), crops.subset(np.flatnonzero(is_test))


def spectrum_curves(sets: dict, mode: str = "centered") -> dict:
    """``{label: (mean, std)}`` of the un-normalised azimuthal integral of each image set."""
    from upconv_tf import spectral

    return {label: spectral.mean_spectrum(images, mode=mode, normalize=None, return_std=True)
            for label, images in sets.items()}


def plot(sets: dict, path: str, title: str) -> str:
    """Mean +- std spectra of image sets (like the paper's Fig. 5) into a PNG."""
    from upconv_tf.plotting import plot_spectra

    return plot_spectra(spectrum_curves(sets), path, title=title, ylabel="power (dB)",
                        xlabel="spatial frequency (ring k, 0 = DC)")


def metric_row(real, fake) -> dict:
    """The spectral metrics of ``fake`` against ``real`` (both in [0, 1])."""
    from upconv_tf import metrics

    report = metrics.spectral_report(real, fake)
    return {key: report[key] for key in ("spectral_distance", "spectral_bce_loss", "log_frequency_distance",
                                         "decay_exponent_real", "decay_exponent_fake", "decay_exponent_gap",
                                         "high_frequency_gap_db")}


def gated(reading: str, gates: dict) -> str:
    """A row's spectral reading, or ``"untrained"`` when its model failed the sanity gates
    (:mod:`upconv_tf.models.sanity`): no verdict is read from a model that did not train."""
    return reading if gates["status"] == "trained" else gates["status"]


def readout_row(real, fake, gates=None) -> dict:
    """The paper's readout of ``fake`` against ``real`` (:func:`upconv_tf.models.readout.paper_readout`) for a
    results row: bins in band, distance over the real floor, HF gaps; ``matches`` None when ``gates`` failed."""
    from upconv_tf.models import readout

    result = readout.paper_readout(real, fake)
    row = {key: result[key] for key in ("bins_in_band", "spectral_distance", "real_floor", "distance_over_floor",
                                        "hf_gap", "matches")}
    if gates is not None and gates["status"] != "trained":
        row["matches"] = None  # no verdict from an untrained model
    return row


def hf_reading(gap_db: float, tolerance_db: float = 1.0) -> str:
    """Plain reading of the high-frequency power gap: the paper's three outcomes."""
    if gap_db > tolerance_db:
        return "too much HF"
    if gap_db < -tolerance_db:
        return "missing HF"
    return "matches"
