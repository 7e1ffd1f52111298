"""Each floor of the package uses only the floors below it (README "Layout"); nothing outside the
CLI imports the CLI or drives it with argv lists."""

import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Top-level modules / subpackages of upconv_tf by floor, bottom first (README's table).
FLOORS = [
    {"spectral", "backends", "options", "_atomic", "_deprecated", "_lazy", "_quiet", "errors", "resolve",
     "reference_impl", "runs", "__init__"},
    {"layers", "losses", "datasets", "plotting", "corpus", "backbones"},
    {"models", "callbacks", "sampling", "detection", "metrics", "keras_metrics", "fakes"},
    {"export", "runtime", "inference"},
    {"workflows", "scoring", "folders", "audit", "demo"},
    {"cli", "__main__"},
]
FLOOR = {name: number for number, names in enumerate(FLOORS) for name in names}


def python_files(*folders):
    for folder in folders:
        for root, dirs, files in os.walk(os.path.join(ROOT, folder)):
            dirs[:] = [d for d in dirs if not d.startswith((".", "__pycache__"))]
            yield from (os.path.join(root, f) for f in files if f.endswith(".py"))


def imported_modules(path):
    """Every ``upconv_tf...`` module a file imports, at any depth (function-level imports included)."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("upconv_tf"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("upconv_tf"):
            if node.module == "upconv_tf":  # a submodule, or a name of the package itself (__version__)
                yield from ("upconv_tf" if alias.name.startswith("__") else f"upconv_tf.{alias.name}"
                            for alias in node.names)
            else:
                yield node.module


def unit(module):
    """``upconv_tf.export.api`` -> ``export``; ``upconv_tf`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_floor():
    package = os.path.join(ROOT, "upconv_tf")
    names = {os.path.splitext(name)[0] for name in os.listdir(package) if not name.startswith((".", "__pycache__"))}
    assert names <= set(FLOOR), f"put {sorted(names - set(FLOOR))} on a floor (here and in README's Layout)"


def is_entry_point(relative):
    """A ``__main__.py`` (``python -m upconv_tf[.sub]``) is a command line: it sits on the CLI's floor."""
    return os.path.basename(relative) == "__main__.py"


@pytest.mark.parametrize("path", sorted(python_files("upconv_tf")), ids=lambda p: os.path.relpath(p, ROOT))
def test_imports_go_down_only(path):
    relative = os.path.relpath(path, os.path.join(ROOT, "upconv_tf"))
    mine = "__main__" if is_entry_point(relative) else relative.split(os.sep)[0].removesuffix(".py")
    upward = [module for module in imported_modules(path) if FLOOR[unit(module)] > FLOOR[mine]]
    assert not upward, f"{relative} (floor {FLOOR[mine]}) imports from higher floors: {upward}"


@pytest.mark.parametrize("folder", ["upconv_tf", "experiments", "benchmarks", "tfx_pipeline"])
def test_nothing_outside_the_cli_uses_the_cli(folder):
    offenders = []
    for path in python_files(folder):
        relative = os.path.relpath(path, ROOT)
        if relative.startswith(os.path.join("upconv_tf", "cli")) or is_entry_point(relative):
            continue
        text = open(path, encoding="utf-8").read()
        if any(m.startswith("upconv_tf.cli") for m in imported_modules(path)) or re.search(r"\bmain\(\[", text):
            offenders.append(relative)
    assert not offenders
