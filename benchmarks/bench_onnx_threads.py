"""onnxruntime CPU session settings for the exported detector: intra-op threads and spinning, alone and contended.

The detector of ``bench_detect.py`` (SVM, reference mode, float64) is exported at each size and run by
:class:`upconv_tf.runtime.OnnxDetector` with every combination of ``threads`` (1, or 0: one per physical
core, onnxruntime's default) and ``spinning`` (``session.intra_op.allow_spinning``), in interleaved turns,
twice: as the machine is, and with a competing process that keeps one core busy (what serving next to other
work looks like). The runners' defaults (:data:`upconv_tf.runtime.onnx.CPU_THREADS`,
:data:`upconv_tf.runtime.onnx.CPU_SPINNING`) are the setting that loses least across both conditions.

Run: ``python benchmarks/bench_onnx_threads.py [--quick]`` -> ``benchmarks/results/onnx_threads.json``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import numpy as np  # noqa: E402

SIZES = {128: 64, 256: 16}  # size -> batch
SETTINGS = {f"threads{threads}_spin{int(spin)}": (threads, spin) for threads in (1, 0) for spin in (True, False)}
# A competing process: one core of numpy work, started and stopped by this benchmark.
BUSY = "import numpy as np\nx = np.random.rand(256, 256)\nwhile True:\n    x = np.tanh(x @ x)"


def main(argv=None) -> int:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    from bench_detect import fit_detector

    from upconv_tf.export import export_detector
    from upconv_tf.runtime.onnx import CPU_SPINNING, CPU_THREADS, OnnxDetector

    detector = fit_detector()
    data = {"environment": harness.environment(), "timing": harness.timing(args.quick), "sizes": {},
            "defaults": {"threads": CPU_THREADS, "spinning": CPU_SPINNING}}
    with tempfile.TemporaryDirectory(prefix="upconv-threads-") as folder:
        for size, batch in SIZES.items():
            result = export_detector(detector, os.path.join(folder, str(size)), image_size=size, formats=("onnx",))
            images = np.random.default_rng(size).random((batch, size, size, 3), dtype=np.float32)
            runners = {name: OnnxDetector(result.onnx, threads=threads, spinning=spin)
                       for name, (threads, spin) in SETTINGS.items()}
            candidates = {name: ((lambda r=runner: r.probability(images, batch)), batch) for name, runner in runners.items()}
            entry = {"batch": batch}
            for condition in ("shared", "contended"):
                busy = (subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.DEVNULL)
                        if condition == "contended" else None)
                try:
                    load = list(os.getloadavg())
                    rates = harness.measure(candidates, **harness.timing(args.quick))
                finally:
                    if busy is not None:
                        busy.kill()
                        busy.wait()
                rate = {name: value["per_second"] for name, value in rates.items()}
                best = max(rate.values())
                entry[condition] = {"load_average": load, "images_per_second": rates,
                                    "share_of_best": {name: value / best for name, value in rate.items()},
                                    "spinning_off_vs_on": {f"threads{t}": rate[f"threads{t}_spin0"] / rate[f"threads{t}_spin1"]
                                                           for t in (1, 0)}}
                print(size, condition, {name: round(value) for name, value in rate.items()}, flush=True)
            # The setting whose worst share of the best (over both conditions) is highest.
            worst = {name: min(entry[c]["share_of_best"][name] for c in ("shared", "contended")) for name in SETTINGS}
            entry["most_robust"] = max(worst, key=worst.get)
            entry["worst_share_of_best"] = worst
            data["sizes"][str(size)] = entry
    harness.save("onnx_threads", data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
