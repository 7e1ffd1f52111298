"""`make test` runs the suite on every core (pytest-xdist), each test module on one worker."""

import os
import re

from paths import REPO


def test_make_test_uses_every_core():
    makefile = open(os.path.join(REPO, "Makefile"), encoding="utf-8").read()
    arguments = re.search(r"^PYTEST_ARGS \?=(.*)$", makefile, flags=re.M).group(1).split()
    assert arguments[arguments.index("-n") + 1] == "auto" and "--dist" in arguments
    assert arguments[arguments.index("--dist") + 1] == "loadfile"  # module fixtures built once
    assert "--no-loadscope-reorder" in arguments  # the longest modules first (tests/conftest.py)
    assert re.search(r"^test:.*\n\t\$\(PY\) -m pytest \$\(PYTEST_ARGS\) tests$", makefile, flags=re.M)
