"""Shared benchmark helpers: interleaved timing, environment record, JSON output.

Timing: every candidate runs in turns (round-robin), each turn for at least ``min_time`` seconds after a
warm-up call, and the best turn counts. Other work on the machine slows turns down but never speeds them
up, so the best turn is the least disturbed one; candidates measured in the same rounds share the same
disturbance, which is why targets are ratios from one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def parser(description: str) -> argparse.ArgumentParser:
    """Common command line: ``--quick`` (shorter turns, for smoke runs) and ``--out`` (results folder)."""
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument("--quick", action="store_true", help="fewer and shorter turns (smoke run)")
    arguments.add_argument("--out", default=RESULTS, help="folder for the JSON results (default: %(default)s)")
    return arguments


def timing(quick: bool) -> dict:
    """Rounds and seconds per turn for a full or a ``--quick`` run."""
    return {"rounds": 2, "min_time": 0.15} if quick else {"rounds": 4, "min_time": 0.5}


def measure(candidates: dict, rounds: int = 4, min_time: float = 0.5) -> dict:
    """Throughput of each candidate, measured in interleaved turns.

    Args:
        candidates: ``{name: (function, items)}``; ``function()`` processes ``items`` items (images or
            training steps) and returns when the work is done (results materialised).
        rounds: turns per candidate.
        min_time: seconds per turn (at least one call per turn).

    Returns:
        ``{name: {"per_second": best, "median_per_second": median, "items_per_call": items,
        "calls": total calls, "turns": per-turn rates in round order}}``.
    """
    for function, _ in candidates.values():
        function()  # warm-up: tracing, session set-up, caches
    rates = {name: [] for name in candidates}
    calls = {name: 0 for name in candidates}
    for _ in range(rounds):
        for name, (function, items) in candidates.items():
            count, start = 0, time.perf_counter()
            while True:
                function()
                count += 1
                elapsed = time.perf_counter() - start
                if elapsed >= min_time:
                    break
            rates[name].append(count * items / elapsed)
            calls[name] += count
    return {name: {"per_second": max(values), "median_per_second": sorted(values)[len(values) // 2],
                   "items_per_call": candidates[name][1], "calls": calls[name], "turns": values}
            for name, values in rates.items()}


def environment() -> dict:
    """What the numbers were measured on."""
    import numpy as np
    import tensorflow as tf

    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "numpy": np.__version__, "tensorflow": tf.__version__, "argv": sys.argv[1:],
            "load_average_at_start": list(os.getloadavg()), "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        import onnxruntime

        info["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        pass
    return info


def save(name: str, data: dict, folder: str = RESULTS) -> str:
    """Write ``data`` (plus the load average at the end) to ``folder/name.json`` atomically."""
    from upconv_tf._atomic import write_json

    data.setdefault("environment", {})["load_average_at_end"] = list(os.getloadavg())
    path = os.path.join(folder, f"{name}.json")
    write_json(data, path)
    print(f"wrote {path}")
    return path
