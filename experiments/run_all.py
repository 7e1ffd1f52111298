"""Run every experiment, then regenerate docs/RESULTS.md from their JSON results.

Run: ``python experiments/run_all.py`` (or ``make experiments``): default CPU budget, about 40-50 min on
2 cores. ``--full`` passes the GPU-sized setting to every script, ``--smoke`` a seconds-long check.
Scripts run in this order (the detection experiment reuses the GAN experiment's generators).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ["ae_experiment.py", "gan_experiment.py", "detection_experiment.py"]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    started = time.time()
    for script in SCRIPTS:
        print(f"== {script} {' '.join(argv)}", flush=True)
        code = subprocess.call([sys.executable, os.path.join(HERE, script), *argv])
        if code:
            print(f"{script} failed with exit status {code}", file=sys.stderr)
            return code
    out = [a for a in argv if a not in ("--full", "--smoke")]
    code = subprocess.call([sys.executable, os.path.join(HERE, "make_results.py"), *out])
    print(f"all experiments finished in {(time.time() - started) / 60:.1f} min", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
