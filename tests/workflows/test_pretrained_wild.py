"""The in-the-wild pretrained detector is rebuilt by a library function from a corpus cache, with
the default preset, and shipped with its cross-family metrics and rebuild command."""

import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from upconv_tf import corpus
from upconv_tf.datasets import bundled_crops
from upconv_tf.fakes import make_fakes
from upconv_tf.workflows import pretrained

from paths import REPO

ROOT = REPO


def _webp(image, path):
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8)).save(buffer, "WEBP", quality=90)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A wild-corpus cache (wild/manifest.json) of bundled photo crops (real, 12 photos-groups) and
    transposed-convolution / zero-insertion fakes of other crops in three families of two groups."""
    root = tmp_path_factory.mktemp("wildcache")
    files = []
    real = bundled_crops(208, 24, seed=40)
    for i, image in enumerate(real.images):
        name = f"real/photo{i % 12}_{i}.webp"
        _webp(image, root / "wild" / name)
        files.append({"file": name, "label": "real", "family": "real", "group": f"photo:{i % 12}", "kept": True,
                      "source": f"package{i % 3}", "licence": "unknown" if i % 3 == 2 else "MIT"})
    other = bundled_crops(208, 24, seed=41).images
    for i, (family, kind) in enumerate([("flux", "transconv"), ("qwen_image", "zero"), ("api_x", "transconv")] * 8):
        name = f"generated/{family}_{i}-1.webp"
        _webp(make_fakes(other[i:i + 1], kind, seed=i)[0], root / "wild" / name)
        files.append({"file": name, "label": "generated", "family": family, "group": f"{family}_{i}", "kept": True,
                      "licence": "MIT"})
    files.append({"file": "generated/dropped-1.webp", "label": "generated", "family": "app", "group": "d",
                  "kept": False})
    (root / "wild" / "manifest.json").write_text(json.dumps({"files": files}))
    return root


def test_family_groups_of_the_cross_family_protocol():
    assert [corpus.wild_family_group(f) for f in ("api_openai", "flux2", "qwen_image", "utility_topaz", "app", "sdxl")] \
        == ["api", "flux", "qwen", "app-utility", "app-utility", "open models"]


def test_wild_detector_is_the_preset_with_per_source_and_per_family_rates(cache):
    items = list(pretrained.wild_items(cache))
    assert len(items) == 48 and {item[4] for item in items if item[2] == 1} == {"flux", "qwen", "api"}
    assert {item[5] for item in items if item[2] == 0} == {"package0", "package1", "package2"}
    detector, recipe, training, metrics = pretrained.train_wild_detector(cache, preset="default")
    assert recipe.name == "default" and detector.feature_kind == "rings-cells-colour"
    assert detector.num_bins_ == 505 and training["real"] == 24 and training["generated"] == 24
    assert training["real_sources"] == {"package0": 8, "package1": 8, "package2": 8} and training["photos"] == 12
    assert training["rows"] == 48 * recipe.augmentation.per_image
    threshold = metrics["threshold"]
    assert threshold["threshold"] == detector.threshold_ and threshold["target_fpr"] == 0.05
    assert threshold["real_sources"] == 3 and threshold["weighting"] == "source"  # set by real source
    # Leave one real source out: each source's false-positive rate at the model's own threshold.
    by_source = metrics["cross_source"]["by_source"]
    assert set(by_source) == {"package0", "package1", "package2"}
    assert all(entry["images"] == 8 and 0 <= entry["fpr"] <= 1 for entry in by_source.values())
    assert set(by_source["package0"]["fpr_by_treatment"]) == {"none", "jpeg90", "jpeg75", "webp80"}
    assert metrics["cross_source"]["summary"]["none"]["worst_fpr"] == max(e["fpr"] for e in by_source.values())
    # Leave one family group out: each group's detection rate, and each generator's inside it.
    cross = metrics["cross_family"]
    assert set(cross["by_family"]) == {"api", "flux", "qwen"}
    assert set(cross["mean"]) == {"none", "jpeg90", "jpeg75", "webp80"}
    assert 0.0 <= cross["mean"]["none"]["roc_auc"] <= 1.0
    flux = cross["by_family"]["flux"]
    assert flux["detection_rate"] == flux["none"]["tpr"] and flux["generators"]["flux"]["images"] == 8


def test_rebuild_command_exports_the_next_version_with_its_metadata(cache, tmp_path, capsys):
    from upconv_tf.runtime import OnnxDetector, SavedModelDetector

    with pytest.raises(SystemExit):
        pretrained.main(["--only", "wild-detector", "--root", str(tmp_path)])
    assert "--cache" in capsys.readouterr().err
    assert pretrained.main(["--only", "wild-detector", "--cache", str(cache), "--root", str(tmp_path), "--preset",
                            "default"]) == 0
    onnx = OnnxDetector(tmp_path / "export" / "spectral-detector" / "1")
    saved = SavedModelDetector(tmp_path / "saved_models" / "spectral-detector" / "1")
    assert onnx.image_size == (192, 192)
    for runner in (onnx, saved):
        # No machine path in the record: the cache and the root are placeholders.
        assert runner.metadata["rebuild_command"] == ("python -m upconv_tf.workflows.pretrained --only wild-detector "
                                                      "--cache CORPUS --root ROOT --preset default")
        assert str(tmp_path) not in json.dumps(runner.metadata)
        assert set(runner.metadata["metrics"]["cross_source"]["by_source"]) == {"package0", "package1", "package2"}
        assert runner.metadata["preset"]["feature_kind"] == "rings-cells-colour"
        assert runner.metadata["threshold"] == runner.metadata["metrics"]["threshold"]["threshold"]
    images = np.concatenate([bundled_crops(192, 3, seed=50).images,
                             make_fakes(bundled_crops(192, 3, seed=51).images, "transconv")])
    # float32 inside the graph (the rebuild's choice, recorded): the formats agree to ~1e-4.
    assert onnx.metadata["spectral"]["compute_dtype"] == "float32"
    np.testing.assert_allclose(onnx.probability(images), saved.probability(images), rtol=0, atol=1e-3)


def test_saved_model_stores_the_support_vectors_once(tmp_path):
    """The shipped SVM's size is its support vectors: the SavedModel holds them once (the signature only)."""
    from upconv_tf.detection import SpectralDetector
    from upconv_tf.export import export_detector

    real, other = bundled_crops(32, 40, seed=60).images, bundled_crops(32, 40, seed=61).images
    X, y = np.concatenate([real, make_fakes(other, "zero")]), np.r_[np.zeros(40), np.ones(40)]
    detector = SpectralDetector("svm", feature_kind="azimuthal", random_state=0).fit(X, y)
    result = export_detector(detector, tmp_path / "bundle", image_size=32, formats=("saved_model",))
    graph = (tmp_path / "bundle" / "saved_model" / "saved_model.pb").read_bytes()
    vector = np.asarray(detector.classifier_.support_vectors_, np.float64)
    assert graph.count(vector.tobytes()) == 1
    assert result.saved_model.endswith("saved_model")


def test_held_out_stills_stay_out_of_training_and_ship_with_the_version(cache, tmp_path):
    stills = pretrained.choose_stills(cache, 2, seed=0)
    real = [entry for entry in stills if entry["label"] == "real"]
    generated = [entry for entry in stills if entry["label"] == "generated"]
    # One photo of each of 2 sources whose licence is known (package2's is not), one workflow of 2 family groups.
    assert sorted(entry["source"] for entry in real) == ["package0", "package1"]
    assert len(generated) == 2 and len({entry["family"] for entry in generated}) == 2
    groups = {entry["group"] for entry in stills}
    kept = list(pretrained.wild_items(cache, exclude=groups))
    assert kept and not {item[3] for item in kept} & groups  # every tile of a held-out photo is left out
    assert len(kept) == 48 - sum(2 if group.startswith("photo:") else 1 for group in groups)
    pretrained.write_stills(stills, str(tmp_path), "spectral-detector", 3)
    shipped = pretrained.held_out_stills("spectral-detector", str(tmp_path))
    assert (shipped["status"], shipped["version"], len(shipped["files"])) == ("held-out", 3, 4)
    for entry in shipped["files"]:
        assert os.path.isfile(os.path.join(shipped["folder"], entry["file"])) and entry["licence"] == "MIT"
