"""Runners of exported models (onnxruntime / SavedModel), load_predictor, and the export/detect CLI."""

import json
import os
import shutil

import numpy as np
import pytest

from upconv_tf.cli import main
from upconv_tf.datasets import bundled_crops, save_png
from upconv_tf.detection import SpectralDetector
from upconv_tf.export import export_detector
from upconv_tf.fakes import make_fakes
from upconv_tf.runtime import (
    CPU,
    CUDA,
    OnnxDetector,
    OnnxGenerator,
    SavedModelDetector,
    choose_providers,
    load_predictor,
)

SIZE = 32


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    sets = {
        "real": bundled_crops(SIZE, 16, seed=0).images,
        "fake": make_fakes(bundled_crops(SIZE, 16, seed=1).images, "transconv"),
        "test": np.concatenate([bundled_crops(SIZE, 6, seed=2).images,
                                make_fakes(bundled_crops(SIZE, 6, seed=3).images, "zero")]),
    }
    for name, images in sets.items():
        (root / name).mkdir()
        for i, image in enumerate(images):
            save_png(image, root / name / f"{name}_{i:02d}.png")
    return root, sets


@pytest.fixture(scope="module")
def trained(folders, tmp_path_factory):
    """`upconv-tf detector train --out DIR`: detector folder + SavedModel + ONNX."""
    root, _ = folders
    out = tmp_path_factory.mktemp("trained") / "det"
    code = main(["detector", "train", "--real", str(root / "real"), "--fake", str(root / "fake"), "--size",
                 str(SIZE), "--classifier", "svm", "--out", str(out)])
    assert code == 0
    return out


def test_detector_train_writes_both_formats_with_metadata(trained):
    assert {"detector.json", "detector.npz", "model.onnx", "metadata.json", "saved_model"} <= set(os.listdir(trained))
    metadata = json.loads((trained / "metadata.json").read_text())
    assert metadata["training_data"]["real"] == 16 and metadata["training_data"]["generated"] == 16
    assert metadata["metrics"]["training_accuracy"] > 0.5
    assert metadata["input"]["shape"] == [None, SIZE, SIZE, 3]
    assert json.loads((trained / "saved_model" / "metadata.json").read_text())["created"] == metadata["created"]


def _detect(capsys, model, folder):
    capsys.readouterr()
    assert main(["detect", str(folder), "--model", str(model), "--json"]) == 0
    captured = capsys.readouterr()
    return {r["path"]: (r["label"], r["score"]) for r in json.loads(captured.out)["results"]}, captured.err


def test_detect_gives_the_same_labels_with_savedmodel_onnx_and_sklearn(trained, folders, capsys):
    root, _ = folders
    reference, _ = _detect(capsys, trained, root / "test")
    for model in (trained / "saved_model", trained / "model.onnx"):
        results, err = _detect(capsys, model, root / "test")
        assert "CPUExecutionProvider" in err or "tensorflow" in err
        assert results.keys() == reference.keys() and len(results) == 12
        assert [results[p][0] for p in sorted(results)] == [reference[p][0] for p in sorted(reference)]
        assert max(abs(results[p][1] - reference[p][1]) for p in results) < 1e-4


def test_load_predictor_dispatch(trained, tmp_path):
    assert isinstance(load_predictor(trained), SpectralDetector)
    assert isinstance(load_predictor(trained, backend="onnx"), OnnxDetector)
    assert isinstance(load_predictor(trained, backend="savedmodel"), SavedModelDetector)
    assert isinstance(load_predictor(trained / "model.onnx"), OnnxDetector)
    assert isinstance(load_predictor(trained / "saved_model"), SavedModelDetector)
    detector = load_predictor(trained)
    for version in (1, 2):
        export_detector(detector, image_size=SIZE, root=tmp_path, name="det", formats=("onnx",))
    latest = load_predictor(tmp_path / "export" / "det")
    assert latest.path.endswith(os.path.join("det", "2", "model.onnx"))
    with pytest.raises(ValueError, match="no such"):
        load_predictor(tmp_path / "missing")
    with pytest.raises(ValueError, match="no detector found"):
        load_predictor(tmp_path)


def test_runner_checks_shapes_and_batches(trained, folders):
    _, sets = folders
    onnx = OnnxDetector(trained)
    assert onnx.provider == CPU and onnx.image_size == (SIZE, SIZE)
    whole = onnx.probability(sets["test"], batch_size=64)
    np.testing.assert_allclose(onnx.probability(sets["test"], batch_size=5), whole, rtol=0, atol=1e-6)
    assert onnx.probability(sets["test"][0]).shape == (1,)  # one image without the batch axis
    with pytest.raises(ValueError, match=r"shape Nx32x32x3 .*Received: shape=\(2, 64, 64, 3\)"):
        onnx.probability(np.zeros((2, 64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="batch_size"):
        onnx.probability(sets["test"], batch_size=0)


def test_provider_choice():
    assert choose_providers([CPU]) == [CPU]
    assert choose_providers(["TensorrtExecutionProvider", CUDA, CPU]) == [CUDA, CPU]
    assert choose_providers()[-1] == CPU


def test_corrupt_onnx_and_bad_metadata_give_one_line_errors(trained, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(trained, broken)
    (broken / "model.onnx").write_bytes(b"\x08\x01garbage" * 10)
    with pytest.raises(ValueError, match="not a usable ONNX model") as info:
        OnnxDetector(broken / "model.onnx")
    assert "\n" not in str(info.value)
    assert main(["detect", str(broken), "--model", str(broken / "model.onnx")]) == 1
    err = capsys.readouterr().err
    assert "not a usable ONNX model" in err and "Traceback" not in err

    (broken / "metadata.json").write_text("{not json")
    with pytest.raises(ValueError, match="metadata.json: not readable JSON"):
        OnnxDetector(broken)
    metadata = json.loads((trained / "metadata.json").read_text())
    metadata["input"]["shape"] = [None, -3, SIZE, 3]
    (broken / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match="input.shape"):
        OnnxDetector(broken)
    os.remove(broken / "metadata.json")
    with pytest.raises(ValueError, match="metadata.json: missing"):
        OnnxDetector(broken)
    metadata["input"]["shape"] = [None, SIZE, SIZE, 3]
    metadata["kind"] = "generator"
    (broken / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match="is a generator, not a detector"):
        OnnxDetector(broken)


def test_export_command_for_detector_and_generator(trained, tmp_path, capsys):
    from upconv_tf.models import build_generator, save_model

    assert main(["export", str(trained), "--out", str(tmp_path / "bundle")]) == 0
    assert {"model.onnx", "metadata.json", "saved_model"} == set(os.listdir(tmp_path / "bundle"))
    assert main(["export", str(trained), "--root", str(tmp_path), "--name", "det", "--size", str(SIZE)]) == 0
    assert OnnxDetector(tmp_path / "export" / "det" / "1").image_size == (SIZE, SIZE)
    # The default features have a fixed length per image size: another size is refused in one line.
    capsys.readouterr()
    assert main(["export", str(trained), "--root", str(tmp_path), "--name", "det48", "--size", "48"]) == 1
    assert "export it at the image size it was trained on" in capsys.readouterr().err
    assert not (tmp_path / "export" / "det48").exists()

    generator = build_generator(32, latent_dim=8, upsampling="nearest", dim=8)
    path = save_model(generator, str(tmp_path / "g.keras"))
    assert main(["export", path, "--root", str(tmp_path)]) == 0
    runner = OnnxGenerator(tmp_path / "export" / "generator" / "1")
    latent = np.random.default_rng(0).standard_normal((2, 8)).astype("float32")
    expected = generator(latent).numpy()
    assert np.abs(runner.generate(latent) - expected).max() <= 1e-4 * np.abs(expected).max()
    capsys.readouterr()
    assert main(["export", str(tmp_path / "nope")]) == 1
    assert "no such file" in capsys.readouterr().err
