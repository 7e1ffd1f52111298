"""Everything the package writes follows the umask (a model server rarely runs as the trainer's
user): detector folders, ``saved_models/<name>/<v>/``, ``export/<name>/<v>/`` and saved models."""

import os
import stat

import numpy as np
import pytest

from upconv_tf.cli import main


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def wrong_modes(root):
    """Entries under ``root`` (itself included) whose mode is not 0755 (folders) / 0644 (files)."""
    wrong = []
    for folder, dirs, files in os.walk(root):
        for path, want in [(folder, 0o755)] + [(os.path.join(folder, f), 0o644) for f in files]:
            got = stat.S_IMODE(os.lstat(path).st_mode)
            if got != want:
                wrong.append(f"{os.path.relpath(path, root)}: {got:o}")
    return wrong


@pytest.fixture(scope="module")
def image_folders(tmp_path_factory, write_crop_folders):
    return write_crop_folders(tmp_path_factory.mktemp("umask_images"), 32, 16, (1, 2))


def test_detector_folder_and_repository_exports_follow_the_umask(image_folders, tmp_path, umask_022):
    det = tmp_path / "det"
    assert main(["detector", "train", "--real", str(image_folders / "real"), "--fake", str(image_folders / "fake"),
                 "--size", "32", "--classifier", "logreg", "--out", str(det)]) == 0
    assert (det / "saved_model" / "saved_model.pb").is_file() and (det / "model.onnx").is_file()
    assert wrong_modes(det) == []
    assert main(["export", str(det), "--root", str(tmp_path / "repo")]) == 0
    assert wrong_modes(tmp_path / "repo") == []
    assert os.listdir(tmp_path / "repo" / "saved_models" / "spectral-detector") == ["1"]


def test_saved_and_exported_generators_follow_the_umask(tmp_path, umask_022):
    import keras

    from upconv_tf.export import export_generator
    from upconv_tf.models import save_model

    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8 * 8 * 3, activation="tanh"),
                                  keras.layers.Reshape((8, 8, 3))])
    save_model(generator, tmp_path / "run" / "generator.keras")
    export_generator(generator, name="tiny", root=tmp_path / "repo")
    export_generator(generator, tmp_path / "bundle")
    for folder in ("run", "repo", "bundle"):
        assert wrong_modes(tmp_path / folder) == [], folder
    np.testing.assert_equal(sorted(os.listdir(tmp_path / "repo" / "export" / "tiny" / "1")),
                            ["metadata.json", "model.onnx"])
