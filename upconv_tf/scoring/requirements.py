"""``python -m upconv_tf.scoring.requirements``: print what a scoring worker installs beside
``pip install --no-deps upconv-tf``: the ``score`` extra's requirements, one a line, read from the installed
package's metadata (pyproject.toml holds the one list).

Example (a worker image without TensorFlow; docs/deployment.md)::

    pip install --no-deps upconv-tf
    python -m upconv_tf.scoring.requirements > /tmp/score.txt
    pip install -r /tmp/score.txt
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

DISTRIBUTION = "upconv-tf"


def extra_requirements(extra: str = "score", distribution: str = DISTRIBUTION) -> list:
    """The requirements ``distribution`` declares for ``extra`` (its markers' ``extra == ...`` dropped)."""
    found = []
    for requirement in metadata.requires(distribution) or []:
        spec, _, marker = requirement.partition(";")
        if re.search(r"""extra\s*==\s*["']%s["']""" % re.escape(extra), marker):
            rest = re.sub(r"""\s*(and\s+)?extra\s*==\s*["'][^"']+["']\s*(and\s+)?""", "", marker).strip()
            found.append(spec.strip() + (f"; {rest}" if rest else ""))
    return found


def main() -> int:
    requirements = extra_requirements()
    if not requirements:
        print(f"{DISTRIBUTION}'s installed metadata declares no `score` extra (reinstall the package)", file=sys.stderr)
        return 1
    print("\n".join(requirements))
    return 0


if __name__ == "__main__":
    sys.exit(main())
