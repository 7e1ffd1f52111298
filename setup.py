"""Build step of the package (everything else is in pyproject.toml): the shipped pretrained models and their
held-out stills go inside the installed package, as ``upconv_tf/_pretrained/{saved_models,export,stills}/``,
where :func:`upconv_tf.resolve.pretrained_home` finds them, so ``--model spectral-detector`` works from any folder
after a plain ``pip install .``. An editable install reads them from the checkout instead (nothing is copied)."""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

# The shipped models (every version folder of each) and the folders they live in, relative to this file.
SHIPPED_MODELS = ("spectral-detector", "generator")
MODEL_FOLDERS = ("saved_models", "export")
STILLS = "stills"
TARGET = os.path.join("upconv_tf", "_pretrained")


def shipped_files(root):
    """``(source, destination)`` of every file to ship, destinations relative to the package's build folder."""
    for folder in MODEL_FOLDERS + (STILLS,):
        for name in SHIPPED_MODELS:
            top = os.path.join(root, folder, name)
            for directory, _, files in os.walk(top):
                for file in files:
                    source = os.path.join(directory, file)
                    yield source, os.path.join(TARGET, os.path.relpath(source, root))


class BuildPyWithPretrained(build_py):
    """``build_py`` that also copies the shipped models into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = os.path.dirname(os.path.abspath(__file__))
        copied = 0
        for source, destination in shipped_files(root):
            target = os.path.join(self.build_lib, destination)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(source, target)
            copied += 1
        if not copied:
            raise RuntimeError(f"no shipped model found under {root}/{{{','.join(MODEL_FOLDERS)}}}: build from a "
                               "full checkout or sdist")


setup(cmdclass={"build_py": BuildPyWithPretrained})
