"""What the folder workflows share: checking the roots a user gave, and optional progress bars.

A ``progress`` argument of the workflows, when given, is called as ``progress(total, desc)`` and must return an
object with ``update(n)`` and ``close()`` (e.g. a tqdm bar).
"""

from __future__ import annotations

import os

from upconv_tf.errors import ArgumentError


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def progress_bar(progress, total, desc):
    """``progress(total, desc)``, or a bar that shows nothing when ``progress`` is None."""
    return progress(total, desc) if progress is not None else _NoBar()


def check_roots(roots, name):
    """Every root (file or folder) given as argument ``name`` must exist."""
    for root in roots:
        if not os.path.exists(root) and not os.path.islink(root):
            raise ArgumentError(name, f"{root}: no such file or folder")
