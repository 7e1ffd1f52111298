"""``upconv-tf score``: exit codes (0 scored, 2 some skipped, 1 nothing usable or a bad argument), one-line errors,
skipped files on stderr, JSON on stdout with ``--json``, Beam options passed through; ``python -m
upconv_tf.scoring`` is the same command."""

import json
import os
import subprocess
import sys

import pytest

from upconv_tf.cli import main

from paths import REPO
from scoring_files import write_scoring_images

pytest.importorskip("apache_beam")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-score")
    good, bad = write_scoring_images(str(folder / "images"), count=4)
    return folder, good, bad


def one_error_line(err):
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


def test_good_files_exit_0_and_json_goes_to_stdout(files, capsys):
    folder, good, _ = files
    status = main(["score", "--input", *good, "--model", "spectral-detector", "--output", str(folder / "ok" / "run"),
                   "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["scored"] == len(good) and summary["skipped"] == []
    assert summary["outputs"]["scores"] == [str(folder / "ok" / "run-scores-00000-of-00001.jsonl")]
    assert f"{len(good)} image(s) scored with spectral-detector" in captured.err


def test_skipped_files_exit_2_each_named_on_stderr(files, capsys):
    folder, good, bad = files
    status = main(["score", "--input", str(folder / "images" / "*"), "--model", "spectral-detector",
                   "--output", str(folder / "partial" / "run")])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    for path in bad:
        assert sum(line.startswith(f"skipped {path}: ") for line in captured.err.splitlines()) == 1, captured.err
    assert f"{len(bad)} skipped" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("argv, expected", [
    (["--input", "{folder}/nothing-*.png"], "upconv-tf score: error: --input: no file matches"),
    (["--input", "{folder}/images/*.png", "--direct_num_worker=2"],
     "upconv-tf score: error: unknown Beam option(s): --direct_num_worker"),
    (["--input", "{folder}/images/*.png", "--runner=NoSuchRunner"], "upconv-tf score: error: Unexpected pipeline runner"),
    (["--input", "{folder}/images/*.png", "--model", "no-such-model"], "upconv-tf score: error: --model no-such-model:"),
    (["--input", "{folder}/images/*.png", "--output", "{folder}/out/"], "upconv-tf score: error: --output"),
])
def test_bad_arguments_exit_1_with_one_line(files, capsys, argv, expected):
    folder, _, _ = files
    argv = [arg.format(folder=folder) for arg in argv]
    base = {"--model": "spectral-detector", "--output": str(folder / "bad" / "run")}
    for option in argv:
        base.pop(option, None)
    status = main(["score", *argv, *(item for pair in base.items() for item in pair)])
    line = one_error_line(capsys.readouterr().err)
    assert status == 1 and line.startswith(expected), line


def test_only_bad_files_exit_1_after_listing_them(files, capsys):
    folder, _, bad = files
    status = main(["score", "--input", *bad, "--model", "spectral-detector", "--output", str(folder / "none" / "run")])
    err = capsys.readouterr().err
    assert status == 1
    assert err.strip().splitlines()[-1].startswith("upconv-tf score: error: --input: no usable image in")
    assert all(f"skipped {path}: " in err for path in bad)


def test_other_commands_still_refuse_unknown_options(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["spectrum", "x", "--direct_num_workers=2"])
    assert caught.value.code == 1
    assert "unrecognized arguments: --direct_num_workers=2" in capsys.readouterr().err


def test_python_m_upconv_tf_scoring_is_the_score_command(files):
    folder, good, _ = files
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    result = subprocess.run([sys.executable, "-m", "upconv_tf.scoring", "--input", good[0], "--model",
                             "spectral-detector", "--output", str(folder / "module" / "run"),
                             "--direct_num_workers=1"], capture_output=True, text=True, env=env, cwd=str(folder),
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "1 image(s) scored" in result.stderr
    assert (folder / "module" / "run-scores-00000-of-00001.jsonl").is_file()


def test_beams_worker_log_lines_are_noise_and_ours_are_not():
    from upconv_tf.cli.quiet import is_noise

    for line in (b"WARNING:root:apitools not found, and bigquery client libraries are not available",
                 b"INFO:__main__:Logging handler created.", b"INFO:apache_beam.runners.worker.sdk_worker:Control",
                 b"INFO:upconv_tf.runtime:/x/model.onnx: onnxruntime on CPUExecutionProvider"):
        assert is_noise(line), line
    for line in (b"skipped a.png: not a readable image (unknown or corrupt format)",
                 b"12 image(s) scored with spectral-detector version 2 (threshold 0.8052) on FnApiRunner",
                 b"upconv-tf score: error: --input: no file matches x*"):
        assert not is_noise(line), line
