"""Scoring needs no TensorFlow, Keras or scikit-learn: the runtime's ONNX runner with ``preprocess``, the
``upconv-tf score`` command and the Beam pipeline in two worker processes run in a fresh interpreter, and none
of those libraries ever enters ``sys.modules``, in the launcher or in a worker. Every module they do import
comes with the ``score`` extra (pyproject.toml), what a worker installs beside ``pip install --no-deps``."""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from paths import REPO
from scoring_files import write_scoring_images

pytest.importorskip("apache_beam")
pytestmark = pytest.mark.slow

HEAVY = ("tensorflow", "keras", "sklearn")

SCRIPT = textwrap.dedent("""
    import json, os, sys

    HEAVY = {heavy!r}

    def heavy_modules():
        return sorted({{name.split(".")[0] for name in sys.modules}} & set(HEAVY))

    def top_modules():
        return sorted({{name.split(".")[0] for name in sys.modules}})

    def our_modules():
        return sorted(name for name in sys.modules if name.split(".")[0] == "upconv_tf")

    folder, out = sys.argv[1], sys.argv[2]
    report = {{}}

    # the runtime: a model by name, preprocess on encoded bytes, onnxruntime
    from upconv_tf.runtime import load, preprocess
    detector = load("spectral-detector", backend="onnx")
    png = sorted(name for name in os.listdir(folder) if name.startswith("photo_") and name.endswith(".png"))[0]
    with open(os.path.join(folder, png), "rb") as handle:
        batch = preprocess(handle.read(), detector)
    report["runtime_probability"] = float(detector.probability(batch)[0])
    report["after_runtime"] = heavy_modules()

    # the command, in this process
    from upconv_tf.cli import main
    report["cli_status"] = main(["score", "--input", os.path.join(folder, "*.png"), "--model", "spectral-detector",
                                 "--output", os.path.join(out, "cli")])
    report["after_cli"] = heavy_modules()

    # the pipeline on two worker processes, each reporting what it imported
    import apache_beam as beam
    from upconv_tf.scoring import ScoreImages, pipeline_options

    def worker_modules(record):
        return json.dumps({{"pid": os.getpid(), "heavy": heavy_modules(), "modules": top_modules(),
                           "upconv_tf": our_modules()}})

    options = pipeline_options(["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    with beam.Pipeline(options=options) as pipeline:
        scored = pipeline | ScoreImages(os.path.join(folder, "*"), "spectral-detector",
                                        output=os.path.join(out, "pipeline"))
        scored["scores"] | beam.Map(worker_modules) | beam.io.WriteToText(os.path.join(out, "workers"))
    report["launcher_pid"] = os.getpid()
    report["after_pipeline"] = heavy_modules()
    report["modules"] = top_modules()
    report["upconv_tf"] = our_modules()
    print("REPORT " + json.dumps(report))
""").format(heavy=HEAVY)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notf-images")
    out = tmp_path_factory.mktemp("notf-out")
    write_scoring_images(str(folder), count=8)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(folder), str(out)], capture_output=True, text=True,
                            cwd=str(out), env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    line = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")][-1]
    workers = []
    for name in os.listdir(out):
        if name.startswith("workers"):
            with open(out / name) as handle:
                workers.extend(json.loads(line) for line in handle if line.strip())
    return json.loads(line[len("REPORT "):]), workers


def test_the_onnx_runner_and_preprocess_import_no_tensorflow(report):
    data, _ = report
    assert 0.0 <= data["runtime_probability"] <= 1.0
    assert data["after_runtime"] == []


def test_the_score_command_imports_no_tensorflow(report):
    data, _ = report
    assert data["cli_status"] == 2  # scored, and the corrupt and small PNG files reported as skipped
    assert data["after_cli"] == []


def test_the_pipeline_imports_no_tensorflow_in_the_launcher_or_the_workers(report):
    data, workers = report
    assert data["after_pipeline"] == []
    assert len(workers) == 8  # one line per scored image
    assert {worker["pid"] for worker in workers} - {data["launcher_pid"]}, "no worker process ran"
    assert all(worker["heavy"] == [] for worker in workers), workers


def _name(requirement):
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")


def _closure(names):
    """``names`` and everything they require (extras' requirements left out), as normalised names."""
    from importlib import metadata

    seen, todo = set(), [_name(name) for name in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo.extend(_name(r) for r in requires if "extra ==" not in r.partition(";")[2])
    return seen


def _imports_of(module):
    """Top-level names of every module ``module``'s source imports, at any depth."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return set()
    with open(spec.origin, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_every_library_the_scoring_code_uses_comes_with_the_score_extra(report):
    """What the package's own modules import (and scoring loaded) must be installed by the ``score`` extra or
    its dependencies; optional imports inside Beam follow what happens to be installed, and are Beam's."""
    from importlib import metadata

    data, workers = report
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        score_extra = tomllib.load(handle)["project"]["optional-dependencies"]["score"]
    allowed = _closure(score_extra)
    loaded = set(data["modules"]).union(*(worker["modules"] for worker in workers))
    ours = set(data["upconv_tf"]).union(*(worker["upconv_tf"] for worker in workers))
    used = set().union(*(_imports_of(module) for module in ours)) & loaded
    distributions = metadata.packages_distributions()
    missing = {}
    for module in sorted(used - set(sys.stdlib_module_names) - {"upconv_tf"}):
        names = {_name(name) for name in distributions.get(module, [])}
        if not names & allowed:
            missing[module] = sorted(names)
    assert not missing, f"imported by upconv_tf's scoring path but not installed by the score extra: {missing}"
    assert {"apache_beam", "onnxruntime", "numpy", "PIL"} <= used


def test_the_requirements_printer_gives_the_score_extra():
    from importlib import metadata

    from packaging.requirements import Requirement

    from upconv_tf.scoring.requirements import extra_requirements

    if "score" not in (metadata.metadata("upconv-tf").get_all("Provides-Extra") or []):
        pytest.skip("the installed upconv-tf metadata predates the score extra (pip install -e . again)")
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        declared = tomllib.load(handle)["project"]["optional-dependencies"]["score"]

    def normal(lines):
        return sorted((Requirement(line).name, str(Requirement(line).specifier)) for line in lines)

    assert normal(extra_requirements("score")) == normal(declared)
