"""One user-facing vocabulary across commands. Skipped files are ``skipped`` in every JSON a command
writes; option choices come from the library's constants; ``--json [FILE]`` and ``--group-by`` are the same
option everywhere."""

import argparse
import json
import os

import pytest

from upconv_tf.cli import COMMANDS, build_parser, main

# Commands that read image files, and how to run each on a folder holding one broken file: (argv, JSON file).
# The others read no image file, so they skip none.
READS_NO_IMAGES = {"corpus": "builds the photo corpus with apt-get", "demo": "makes its own images",
                   "export": "reads one model", "generate": "reads one model"}


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_crop_folders):
    import keras

    from upconv_tf.models import build_generator, save_model

    root = write_crop_folders(tmp_path_factory.mktemp("vocabulary"), 32, 16, (3, 4))
    (root / "real" / "broken.png").write_bytes(b"not a png")
    keras.utils.set_random_seed(0)
    save_model(build_generator(32, latent_dim=4, dim=4), root / "generator.keras")
    return root


def runs(root):
    real, fake, out = str(root / "real"), str(root / "fake"), root / "out"
    return {
        "spectrum": (["spectrum", real, "--size", "32", "--json", str(out / "spectrum.json")], out / "spectrum.json"),
        "detector": (["detector", "train", "--real", real, "--fake", fake, "--size", "32", "--classifier", "logreg",
                      "--out", str(out / "det")], out / "det" / "detector.json"),  # + model.onnx, for score
        "detector evaluate": (["detector", "evaluate", "--real", real, "--fake", fake, "--size", "32", "--runs", "2",
                               "--samples", "8", "--classifiers", "logreg", "--group-by", "prefix", "--json",
                               str(out / "evaluate.json")], out / "evaluate.json"),
        "detect": (["detect", real, "--model", str(out / "det"), "--json", str(out / "detect.json")],
                   out / "detect.json"),
        "score": (["score", "--input", real, "--model", str(out / "det"),
                   "--output", str(out / "score" / "run"), "--json", str(out / "score.json")], out / "score.json"),
        "audit": (["audit", "--generator", str(root / "generator.keras"), "--real", real, "--runs", "2",
                   "--group-by", "prefix", "--json", str(out / "audit.json")], out / "audit.json"),
        "train": (["train", "autoencoder", "--data", real, "--size", "32", "--dim", "4", "--batch-size", "8",
                   "--epochs", "1", "--steps-per-epoch", "1", "--out", str(out / "ae")], out / "ae" / "metrics.json"),
        "refine": (["refine", "train", "--real", real, "--fake", fake, "--size", "32", "--width", "4", "--depth", "2",
                    "--discriminator-width", "4", "--steps", "1", "--batch-size", "4", "--losses",
                    "nce_identity=false", "nce_patches=16", "nce_units=8", "--out", str(out / "refiner")],
                   out / "refiner" / "metrics.json"),
        "refine apply": (["refine", "apply", str(out / "refiner"), real, "--out", str(out / "refined"), "--json",
                          str(out / "refine.json")], out / "refine.json"),
    }


def skip_lists(data, key=None):
    """(key, list) of every list of {"path", "code", "reason"} records anywhere in ``data``."""
    if isinstance(data, dict):
        for name, value in data.items():
            yield from skip_lists(value, name)
    elif isinstance(data, list):
        if data and all(isinstance(item, dict) and {"path", "code", "reason"} <= set(item) <=
                        {"path", "code", "reason", "size", "crop"} for item in data):
            yield key, data
        for item in data:
            yield from skip_lists(item, key)


def keys(data):
    if isinstance(data, dict):
        for name, value in data.items():
            yield name
            yield from keys(value)
    elif isinstance(data, list):
        for item in data:
            yield from keys(item)


def test_every_command_names_skipped_files_skipped(data, capsys):
    table = runs(data)
    covered = {name.split()[0] for name in table} | set(READS_NO_IMAGES)
    assert covered == set(COMMANDS), "a new command reads images? add it to this test"
    for name, (argv, written) in table.items():
        assert main(argv) == 2, (name, capsys.readouterr().err)  # finished, one file skipped
        output = json.loads(written.read_text())
        found = list(skip_lists(output))
        assert [key for key, _ in found] == ["skipped"], (name, found)
        assert [os.path.basename(r["path"]) for r in found[0][1]] == ["broken.png"], name
        assert not {"errors", "skipped_files", "auc", "n_train", "n_test", "grouping"} & set(keys(output)), name


def _options(parser, path=()):
    """(command path, option string, action) of every option of every command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _options(child, path + (name,))
        else:
            for option in action.option_strings:
                yield path, option, action


def test_choices_come_from_the_library_and_options_mean_the_same_everywhere():
    from upconv_tf import spectral
    from upconv_tf.datasets.folder import POLICIES
    from upconv_tf.detection import CLASSIFIERS, GROUP_BY
    from upconv_tf.options import GAN_LOSSES, NORMS, UPSAMPLINGS

    expected = {"--mode": set(spectral.MODES), "--normalize": {n or "none" for n in spectral.NORMALIZATIONS},
                "--classifier": set(CLASSIFIERS), "--group-by": set(GROUP_BY), "--upsampling": set(UPSAMPLINGS),
                "--norm": set(NORMS), "--loss": set(GAN_LOSSES)}
    seen = {}
    for path, option, action in _options(build_parser()):
        if option in expected:
            # The detector commands also take --group-by auto (crops of photos grouped by photo).
            auto = {"auto"} if option == "--group-by" and path[0] == "detector" else set()
            assert set(action.choices) == expected[option] | auto, (path, option)
        if option == "--policy":
            assert set(action.choices) <= set(POLICIES), path
        if option == "--json":
            assert action.nargs == "?" and action.const == "-", path  # FILE, or stdout when omitted
        if option not in ("-h", "--help"):
            seen.setdefault(option, []).append(path)
    assert {p[0] for p in seen["--group-by"]} == {"audit", "detector"}  # one name for the grouping option
    assert {p[0] for p in seen["--json"]} == {"spectrum", "audit", "detector", "detect", "score", "refine"}
    assert {path for paths in seen.values() for path in paths} == set(seen["--verbose"])  # every command has it


def test_json_without_a_file_goes_to_stdout_alone(data, capsys):
    assert main(["spectrum", str(data / "fake"), "--size", "32", "--json"]) == 0
    captured = capsys.readouterr()
    stats = json.loads(captured.out)  # stdout is only the JSON; the summary went to stderr
    assert stats["folders"][0]["count"] == 16 and "16 images" in captured.err
