"""A newcomer's first run: exit codes, names and kinds of exports, every form of generator, one-line refusals."""

import json
import os

import numpy as np
import pytest

from upconv_tf.cli import main

from paths import REPO

ROOT = REPO
LATENT = 8


def one_error_line(err):
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    from upconv_tf.datasets import bundled_crops, save_png

    folder = tmp_path_factory.mktemp("images")
    for i, image in enumerate(bundled_crops(32, 12, seed=5).images):
        save_png(image, folder / f"{i}.png")
    return folder


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A generator saved as .keras and exported twice into a repository layout (versions 1 and 2)."""
    import keras

    from upconv_tf.models import build_generator, save_model

    root = tmp_path_factory.mktemp("repo")
    keras.utils.set_random_seed(0)
    generator = build_generator(32, latent_dim=LATENT, upsampling="nearest", dim=8)
    path = save_model(generator, root / "run" / "generator.keras")
    assert main(["export", str(root / "run"), "--root", str(root)]) == 0
    assert main(["export", path, "--root", str(root)]) == 0
    return root, generator


# ----------------------------------------------------------------------------------------- 12.8
@pytest.mark.parametrize("where", ["run", "run/generator.keras", "saved_models/generator", "saved_models/generator/1",
                                   "export/generator/2/model.onnx", "export/generator"])
def test_generate_reads_every_form_of_generator_and_writes_a_grid(repo, where, tmp_path):
    from upconv_tf.datasets import load_image
    from upconv_tf.sampling import sample_images

    root, generator = repo
    out = tmp_path / "samples"
    assert main(["generate", str(root / where), "-n", "5", "--batch-size", "2", "--grid", "--out", str(out)]) == 0
    files = sorted(out.glob("generated_*.png"))
    assert len(files) == 5
    expected = sample_images(generator, 5, seed=0)  # the same latents whatever the model's form
    np.testing.assert_allclose(load_image(files[4]), expected[4], atol=1.5 / 255)
    grid = load_image(out / "grid.png")
    assert grid.shape == (2 * 32, 3 * 32, 3)  # 5 samples: 3 columns, 2 rows
    np.testing.assert_allclose(grid[32:64, 32:64], expected[4], atol=1.5 / 255)


def test_audit_reads_an_exported_generator(repo, images, tmp_path):
    root, _ = repo
    report = tmp_path / "audit.json"
    assert main(["audit", "--generator", str(root / "saved_models" / "generator"), "--real", str(images),
                 "--runs", "2", "--samples", "12", "--json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["size"] == 32 and data["counts"] == {"real": 12, "generated": 12}


# ----------------------------------------------------------------------------------------- 12.10 (generate)
def test_generate_on_a_text_file_says_what_is_wrong(tmp_path, capsys):
    bad = tmp_path / "bad.keras"
    bad.write_text("this is a text file, not a model\n")
    assert main(["generate", str(bad), "--out", str(tmp_path / "out")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "bad.keras" in line and "not a .keras model" in line and "zip archive" in line
    assert "not found" not in line.lower()


# ----------------------------------------------------------------------------------------- 12.7
def test_exports_are_named_and_typed_after_the_model(tmp_path):
    import keras

    from upconv_tf.export import read_metadata
    from upconv_tf.models import SpectralAutoencoder, build_generator, save_model
    from upconv_tf.runtime import OnnxGenerator

    keras.utils.set_random_seed(0)
    save_model(SpectralAutoencoder(16, "nearest", filters=4), tmp_path / "ae" / "autoencoder.keras")
    save_model(build_generator(16, latent_dim=4, dim=4), tmp_path / "gan" / "generator.keras")
    assert main(["export", str(tmp_path / "ae" / "autoencoder.keras"), "--root", str(tmp_path)]) == 0
    assert main(["export", str(tmp_path / "gan"), "--root", str(tmp_path)]) == 0
    assert sorted(os.listdir(tmp_path / "saved_models")) == ["autoencoder", "generator"]
    for name in ("autoencoder", "generator"):  # each model's first version
        assert os.listdir(tmp_path / "saved_models" / name) == ["1"] == os.listdir(tmp_path / "export" / name)
        metadata = read_metadata(tmp_path / "export" / name / "1" / "metadata.json")
        assert metadata["kind"] == name and metadata["name"] == name
    runner = OnnxGenerator(tmp_path / "export" / "autoencoder" / "1")  # the generator runners run auto-encoders
    assert runner.generate(np.zeros((1, 16, 16, 3), np.float32)).shape == (1, 16, 16, 3)


# ----------------------------------------------------------------------------------------- 12.4
def test_detect_with_nothing_usable_is_a_usage_error(images, tmp_path, capsys):
    detector = os.path.join(ROOT, "export", "spectral-detector", "1")
    assert main(["detect", str(tmp_path / "no-such-folder"), "--model", detector]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("upconv-tf detect: error: no usable image in")
    (tmp_path / "text.png").write_text("not an image")
    assert main(["detect", str(tmp_path / "text.png"), "--model", detector]) == 1
    tiny = tmp_path / "tiny"
    from upconv_tf.datasets import save_png

    for i in range(8):
        save_png(np.random.default_rng(i).random((40, 40, 3)), tiny / f"{i}.png")
    assert main(["detect", str(tiny), "--model", detector]) == 1  # every image below the 64 px crop
    err = capsys.readouterr().err
    assert "skipped 8 files like" in err  # one summary line instead of one per file (12.6)
    assert err.strip().splitlines()[-1].endswith("every image is smaller than the 64 px crop (the largest fits "
                                                 "40 px); pass --size 32 or less")


# ----------------------------------------------------------------------------------------- 12.9
@pytest.mark.parametrize("command", ["spectrum", "detect"])
def test_json_to_a_folder_is_one_line_and_leaves_nothing(command, images, tmp_path, capsys):
    runs = tmp_path / "runs"
    runs.mkdir()
    argv = {"spectrum": ["spectrum", str(images), "--size", "32"],
            "detect": ["detect", str(images), "--model", os.path.join(ROOT, "export", "spectral-detector", "1")]}
    assert main([*argv[command], "--json", str(runs)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line == (f"upconv-tf {command}: error: --json {runs}: is a folder; give a file name, e.g. "
                    f"{runs / (command + '.json')}")
    assert os.listdir(runs) == []


# ----------------------------------------------------------------------------------------- 12.10 (detect)
def test_options_fixed_by_an_exported_model_are_refused_up_front(images, capsys, monkeypatch):
    import upconv_tf.detection.files as files

    def never(*args, **kwargs):
        raise AssertionError("files were read before the options were checked")

    monkeypatch.setattr(files, "iter_file_batches", never)
    exported = os.path.join(ROOT, "export", "spectral-detector", "1")
    assert main(["detect", str(images), "--model", exported, "--size", "128"]) == 1
    line = one_error_line(capsys.readouterr().err.replace("model: OnnxDetector on CPUExecutionProvider", ""))
    assert line.startswith("upconv-tf detect: error: --size 128: ") and "64 x 64 px" in line
    assert main(["detect", str(images), "--model", exported, "--policy", "none"]) == 1
    assert "--policy none" in capsys.readouterr().err
