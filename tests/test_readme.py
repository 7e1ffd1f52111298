"""README's command and code examples run, as written, on `make demo`'s output.

The demo runs at its own crop size (64 px, which the examples' ``--size 64`` matches) with few crops; then
every ``upconv-tf`` line of README's bash blocks runs in order (training shortened to 2 steps, the only
change), and every python block runs in order in one namespace, in the folder that holds ``demo_output/``.
"""

import os
import re
import shlex

import pytest

from upconv_tf.cli import main

pytestmark = pytest.mark.slow

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
NOT_RUN = "not run by tests/test_readme.py"


def blocks(language):
    text = open(README, encoding="utf-8").read()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


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
    assert all("--size 128" not in " ".join(argv) for argv in commands())  # the demo's crops are 64 px


def test_readme_commands_run_on_the_demo_output(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    for argv in commands():
        status = main(shortened(argv))
        captured = capsys.readouterr()
        assert status == 0, f"upconv-tf {' '.join(argv)} -> {status}: {captured.err[-2000:]}"
        assert "skipped" not in captured.err, captured.err


def test_readme_python_examples_run(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    namespace = {"__name__": "readme"}
    for number, block in enumerate(blocks("python")):
        exec(compile(block, f"README.md python block {number + 1}", "exec"), namespace)  # noqa: S102
    assert namespace["result"].onnx.endswith("model.onnx")
