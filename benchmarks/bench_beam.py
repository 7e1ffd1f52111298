"""Apache Beam scoring throughput (images/s) at 1 and 2 worker processes, against ``upconv-tf detect``.

2,000 image files (224 px crops of the bundled photos, two thirds PNG, one third JPEG) are scored whole, file
to JSON lines, with the shipped detector (``spectral-detector``, its ONNX export, 192 px centre crops):

* ``detect``: :func:`upconv_tf.workflows.detect.detect` with the ONNX model (what ``upconv-tf detect --model
  export/spectral-detector/3`` runs: parallel decoding threads, onnxruntime with its default threads);
* ``beam_1``: :func:`upconv_tf.scoring.score` on FnApiRunner in one process (onnxruntime: all cores);
* ``beam_2``: the same with ``--direct_running_mode=multi_processing --direct_num_workers=2`` (one onnxruntime
  thread per process: :func:`upconv_tf.scoring.run.default_threads`);
* ``beam_1_thread``: ``beam_1`` with one onnxruntime thread (``threads=1``), the per-process resources of
  ``beam_2``'s workers: what one more worker process adds, everything else equal.

Every run is a whole job (model loading, Beam start-up and its worker processes, writing the outputs
included), timed in interleaved rounds, the best round counting (``harness``: other work on the machine slows a
turn down, never speeds it up), with the CPU time they used (this process and its finished children: Beam's
worker processes) per image, which other work on the machine changes little. Beam runs also report their steady rate: images per second between the first
and the last file done (from the progress ticks, 0.5 s resolution), i.e. without the start-up of Beam and its
worker processes, which a job of millions of files does not notice. Targets (whole jobs, defaults):
``beam_2 / beam_1 >= 1.6`` on 2 cores; ``beam_1 / detect >= 0.8``. The scores of every path must agree with
detect's to 1e-4.

Run: ``python benchmarks/bench_beam.py [--quick]`` (``--quick``: 200 images, one round) ->
``benchmarks/results/beam.json``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import numpy as np  # noqa: E402

MODEL = "spectral-detector"
IMAGES, QUICK_IMAGES = 2000, 200
ROUNDS, QUICK_ROUNDS = 3, 1
CHUNK = 250  # crops made at once (memory)
TWO_WORKERS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
BEAM = ("beam_1", "beam_2", "beam_1_thread")
TARGETS = {"beam_2_vs_beam_1": 1.6, "beam_1_vs_detect": 0.8}


def write_images(folder, count):
    """``count`` 224 px crops of the bundled photos: two thirds PNG, one third JPEG (quality 90)."""
    from PIL import Image

    from upconv_tf.datasets import bundled_crops

    paths = []
    for start in range(0, count, CHUNK):
        crops = bundled_crops(224, min(CHUNK, count - start), seed=start).images
        for offset, image in enumerate(crops):
            index = start + offset
            pixels = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
            path = os.path.join(folder, f"img_{index:05d}.{'jpg' if index % 3 == 2 else 'png'}")
            Image.fromarray(pixels).save(path, **({"quality": 90} if path.endswith(".jpg") else {}))
            paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (Beam's worker processes, once they exit)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class Ticks:
    """A ``progress`` for :func:`upconv_tf.scoring.score` that records when files were done (a bar that keeps
    time): :meth:`rate` is the images per second between the first and the last update."""

    def __init__(self):
        self.times, self.counts = [], []

    def __call__(self, total, desc):
        return self

    def update(self, count):
        self.times.append(time.perf_counter())
        self.counts.append((self.counts[-1] if self.counts else 0) + count)

    def close(self):
        pass

    def rate(self):
        if len(self.times) < 2 or self.times[-1] == self.times[0]:
            return float("nan")
        return (self.counts[-1] - self.counts[0]) / (self.times[-1] - self.times[0])


def read_scores(paths):
    scores = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                scores[record["path"]] = record["probability"]
    return scores


def main(argv=None) -> int:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    from upconv_tf.resolve import resolve_model
    from upconv_tf.runtime import load_predictor
    from upconv_tf.scoring import score
    from upconv_tf.workflows.detect import detect

    count, rounds = (QUICK_IMAGES, QUICK_ROUNDS) if args.quick else (IMAGES, ROUNDS)
    onnx = resolve_model(MODEL, backend="onnx").onnx
    data = {"environment": harness.environment(), "images": count, "rounds": rounds, "model": onnx,
            "candidates": {"detect": "upconv_tf.workflows.detect.detect, ONNX model",
                           "beam_1": "upconv_tf.scoring.score, FnApiRunner, one process",
                           "beam_2": "upconv_tf.scoring.score, FnApiRunner, " + " ".join(TWO_WORKERS),
                           "beam_1_thread": "upconv_tf.scoring.score, FnApiRunner, one process, threads=1"}}
    with tempfile.TemporaryDirectory(prefix="upconv-bench-beam-") as folder:
        images = os.path.join(folder, "images")
        os.makedirs(images)
        paths = write_images(images, count)
        pattern = os.path.join(images, "*")
        outputs = {}

        def run_detect():
            outputs["detect"] = detect(paths, (load_predictor(onnx), onnx))

        steady = {name: [] for name in BEAM}

        def run_beam(name, beam_args, threads=None):
            def run():
                ticks = Ticks()
                outputs[name] = score(pattern, onnx, os.path.join(folder, name, "run"), beam_args=beam_args,
                                      threads=threads, progress=ticks)
                steady[name].append(ticks.rate())
            return run

        candidates = {"detect": run_detect, "beam_1": run_beam("beam_1", []), "beam_2": run_beam("beam_2", TWO_WORKERS),
                      "beam_1_thread": run_beam("beam_1_thread", [], threads=1)}
        # Imports, TensorFlow's decoder tracing and Beam's modules, once, on a few files.
        detect(paths[:8], (load_predictor(onnx), onnx))
        score(paths[:8], onnx, os.path.join(folder, "warm", "run"))
        seconds = {name: [] for name in candidates}
        cpu = {name: [] for name in candidates}
        for _ in range(rounds):
            for name, run in candidates.items():
                start, start_cpu = time.perf_counter(), cpu_seconds()
                run()
                seconds[name].append(time.perf_counter() - start)
                cpu[name].append(cpu_seconds() - start_cpu)
                print(f"{name}: {count / seconds[name][-1]:.1f} images/s", flush=True)
        detected = {record["path"]: record["score"] for record in outputs["detect"]["results"]}
        agreement = {}
        for name in BEAM:
            scored = read_scores(outputs[name]["outputs"]["scores"])
            assert set(scored) == set(detected), f"{name} scored other files than detect"
            agreement[name] = max(abs(scored[path] - detected[path]) for path in detected)
    rate = {name: count / min(values) for name, values in seconds.items()}
    steady_rate = {name: max((v for v in values if v == v), default=float("nan")) for name, values in steady.items()}
    ratios = {"beam_2_vs_beam_1": rate["beam_2"] / rate["beam_1"], "beam_1_vs_detect": rate["beam_1"] / rate["detect"],
              "beam_2_vs_detect": rate["beam_2"] / rate["detect"],
              "beam_2_vs_beam_1_thread": rate["beam_2"] / rate["beam_1_thread"],
              "steady/beam_2_vs_beam_1": steady_rate["beam_2"] / steady_rate["beam_1"],
              "steady/beam_2_vs_beam_1_thread": steady_rate["beam_2"] / steady_rate["beam_1_thread"]}
    data.update({
        "images_per_second": {name: {"per_second": rate[name], "seconds": values,
                                     "median_per_second": count / sorted(values)[len(values) // 2]}
                              for name, values in seconds.items()},
        "cpu_ms_per_image": {name: 1000 * min(values) / count for name, values in cpu.items()},
        "steady_images_per_second": {name: {"per_second": steady_rate[name], "rounds": values}
                                     for name, values in steady.items()},
        "ratios": ratios,
        "max_probability_difference_vs_detect": agreement,
        "targets": {name: {"value": ratios[name], "target": target, "met": ratios[name] >= target}
                    for name, target in TARGETS.items()},
    })
    assert max(agreement.values()) <= 1e-4, agreement
    harness.save("beam", data, args.out)
    print(json.dumps({"images_per_second": {k: round(v, 1) for k, v in rate.items()},
                      "cpu_ms_per_image": {name: 1000 * min(values) / count for name, values in cpu.items()},
        "steady_images_per_second": {k: round(v, 1) for k, v in steady_rate.items()},
                      "ratios": {k: round(v, 3) for k, v in ratios.items()}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
