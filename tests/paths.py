"""Where the tests find the repository and their data files, wherever a test module sits under tests/."""

import os

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TESTS)
DATA = os.path.join(TESTS, "data")


def shipped_version(name: str = "spectral-detector") -> str:
    """The highest version of a shipped model (``saved_models/NAME/VERSION``), as a folder name."""
    return str(max(int(v) for v in os.listdir(os.path.join(REPO, "saved_models", name)) if v.isdigit()))
