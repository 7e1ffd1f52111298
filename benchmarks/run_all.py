"""Run every benchmark (each in its own process), then write docs/performance.md's tables from the JSON.

Run: ``make bench`` or ``python benchmarks/run_all.py [--quick] [--only spectral train detect]``.
Results: ``benchmarks/results/{spectral,train,detect,fft,onnx_threads,parity,backbone,beam}.json``; docs/performance.md between the
``<!-- benchmarks:start -->`` / ``<!-- benchmarks:end -->`` markers (:mod:`report`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = ("spectral", "train", "detect", "fft", "onnx_threads", "parity", "backbone", "beam")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing turns (smoke run)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--no-report", action="store_true", help="do not rewrite the tables of docs/performance.md")
    args = parser.parse_args(argv)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"))
    failed = []
    for name in args.only:
        start = time.time()
        command = [sys.executable, os.path.join(HERE, f"bench_{name}.py")] + (["--quick"] if args.quick else [])
        print(f"== bench_{name} ==", flush=True)
        if subprocess.run(command, env=env).returncode != 0:
            failed.append(name)
        print(f"== bench_{name}: {time.time() - start:.0f} s ==", flush=True)
    if not args.no_report:
        subprocess.run([sys.executable, os.path.join(HERE, "report.py")], check=False)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
