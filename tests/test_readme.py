"""The command and code examples of README.md and docs/*.md run, as written, on `make demo`'s output.

The demo runs at its own crop size (64 px, which the examples' ``--size 64`` matches) with few crops; then
every ``upconv-tf`` line of the bash blocks runs in order, page after page (training shortened to 2 steps, the
only change), and every python block runs in order in one namespace, in the folder that holds ``demo_output/``.
"""

import os
import re
import shlex

import pytest

from upconv_tf.cli import main

from paths import REPO

pytestmark = pytest.mark.slow

# The pages in the order their examples build on each other (later pages use what earlier ones wrote).
PAGES = ["README.md", "docs/spectrum.md", "docs/training.md", "docs/cli.md", "docs/detection.md",
         "docs/deployment.md", "docs/python-api.md", "docs/tfx.md", "docs/reliability.md", "docs/install.md",
         "docs/performance.md", "docs/architecture.md", "docs/decisions.md"]
NOT_RUN = "not run by tests/test_readme.py"


def blocks(language, pages=PAGES):
    found = []
    for page in pages:
        text = open(os.path.join(REPO, page), encoding="utf-8").read()
        found += re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)
    return found


def test_every_page_is_covered():
    pages = {os.path.join("docs", name) for name in os.listdir(os.path.join(REPO, "docs")) if name.endswith(".md")}
    assert pages - {"docs/RESULTS.md"} <= set(PAGES), "a new docs page? add it to PAGES (its examples must run)"


def test_readme_is_a_screen_to_its_first_snippets():
    lines = open(os.path.join(REPO, "README.md"), encoding="utf-8").read().splitlines()
    assert len(lines) <= 200
    quick_start = next(i for i, line in enumerate(lines) if line.startswith("## Quick start"))
    assert quick_start < 45 and "```python" in lines[quick_start:quick_start + 40]


def commands():
    """Every ``upconv-tf`` command line of the bash blocks, continuation lines joined, comments dropped."""
    found = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("upconv-tf ") and NOT_RUN not in line:
                found.append(shlex.split(line, comments=True)[1:])
    return found


def shortened(argv):
    """Training commands run 1 epoch of 2 steps; everything else as written."""
    if argv[0] != "train":
        return argv
    argv = list(argv)
    argv[argv.index("--epochs") + 1] = "1"
    return argv + ["--steps-per-epoch", "2"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    from upconv_tf.workflows.demo import DemoConfig, run_demo

    root = tmp_path_factory.mktemp("readme")
    run_demo(DemoConfig(out=str(root / "demo_output"), count=64, gan_steps=5), log=lambda line: None)
    return root


def test_readme_has_examples_to_run():
    assert len(commands()) >= 15 and len(blocks("python")) >= 4
    assert len(blocks("python", ["README.md"])) >= 3
    assert all("--size 128" not in " ".join(argv) for argv in commands())  # the demo's crops are 64 px


def test_readme_commands_run_on_the_demo_output(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    for argv in commands():
        status = main(shortened(argv))
        captured = capsys.readouterr()
        assert status == 0, f"upconv-tf {' '.join(argv)} -> {status}: {captured.err[-2000:]}"
        assert "skipped" not in captured.err, captured.err


def test_readme_python_examples_run_twice_without_repeated_warnings(workdir, monkeypatch):
    """A second run replaces the first one's outputs (no "exists" failure), and the package repeats no warning
    (each distinct one at most once per run: an evaluation's many fits warn once)."""
    import warnings

    import upconv_tf

    package = os.path.dirname(upconv_tf.__file__)
    monkeypatch.chdir(workdir)
    for attempt in range(2):
        namespace = {"__name__": "readme"}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for number, block in enumerate(blocks("python")):
                exec(compile(block, f"python block {number + 1}", "exec"), namespace)  # noqa: S102
        assert namespace["result"].onnx.endswith("model.onnx")
        ours = [str(w.message) for w in caught if w.filename.startswith(package)]
        assert not {message for message in ours if ours.count(message) > 1}, (attempt, ours)
