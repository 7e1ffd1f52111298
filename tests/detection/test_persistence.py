"""Detector folders: JSON + .npz round trip without pickle, atomic writes, clear load errors."""

import json
import os

import numpy as np
import pytest

from upconv_tf.detection import (
    CLASSIFIERS,
    DetectorLoadError,
    SpectralDetector,
    detector_arrays,
    load_detector,
    read_detector_info,
    save_detector,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    real = rng.normal(0.0, 1.0, (40, 43))
    fake = rng.normal(0.8, 1.0, (40, 43))
    return np.concatenate([real, fake]), np.r_[np.zeros(40, int), np.ones(40, int)]


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return {name: SpectralDetector(name, random_state=0).fit(X, None if name == "kmeans" else y)
            for name in CLASSIFIERS}


@pytest.mark.parametrize("classifier", CLASSIFIERS)
def test_round_trip_gives_identical_predictions(tmp_path, data, fitted, classifier):
    X, _ = data
    detector = fitted[classifier]
    out = save_detector(detector, tmp_path / "det", metadata={"input": {"size": 64, "policy": "center-crop"}})
    assert sorted(os.listdir(out)) == ["detector.json", "detector.npz"]
    loaded = load_detector(out)
    assert loaded.get_params() == detector.get_params()
    assert loaded.num_bins_ == detector.num_bins_ and loaded.classes_.tolist() == [0, 1]
    np.testing.assert_array_equal(loaded.predict_proba(X), detector.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), detector.predict(X))
    np.testing.assert_array_equal(loaded.decision_function(X), detector.decision_function(X))
    # The rebuilt heads (scaler and classifier numbers) behave like the fitted ones.
    scaled = loaded.scaler_.transform(X)
    np.testing.assert_array_equal(loaded.classifier_.predict(scaled), detector.classifier_.predict(scaled))
    info = read_detector_info(out)
    assert info["metadata"]["input"]["size"] == 64 and info["classifier"] == classifier
    if classifier == "kmeans":
        assert loaded.fake_cluster_ == detector.fake_cluster_


def test_files_hold_no_pickle(tmp_path, fitted):
    out = save_detector(fitted["svm"], tmp_path / "det")
    with np.load(os.path.join(out, "detector.npz"), allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
        assert set(arrays.files) == set(detector_arrays(fitted["svm"]))
    json.loads(open(os.path.join(out, "detector.json")).read())


def test_string_labels_and_image_detector_round_trip(tmp_path, crops64):
    from upconv_tf.fakes import make_fakes

    X = np.concatenate([crops64.images[:12], make_fakes(crops64.images[12:24], "transconv")])
    y = np.array(["a-real"] * 12 + ["b-generated"] * 12)
    detector = SpectralDetector("logreg").fit(X, y)
    loaded = load_detector(save_detector(detector, tmp_path / "det"))
    assert loaded.classes_.tolist() == ["a-real", "b-generated"]
    np.testing.assert_array_equal(loaded.predict(X), detector.predict(X))


def test_overwrite_and_extra_writer(tmp_path, fitted):
    out = tmp_path / "det"
    save_detector(fitted["logreg"], out)
    with pytest.raises(ValueError, match="not empty"):
        save_detector(fitted["svm"], out)
    save_detector(fitted["svm"], out, overwrite=True, extra=lambda temp: open(os.path.join(temp, "x.txt"), "w").close())
    assert load_detector(out).classifier == "svm" and (out / "x.txt").exists()
    # A failing extra writer leaves the previous folder untouched and no temporary folder behind.

    def broken(temp):
        raise RuntimeError("export failed")

    with pytest.raises(RuntimeError):
        save_detector(fitted["kmeans"], out, overwrite=True, extra=broken)
    assert load_detector(out).classifier == "svm"
    assert sorted(os.listdir(tmp_path)) == ["det"]


def test_unfitted_detector_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save_detector(SpectralDetector(), tmp_path / "det")


def _corrupt_json(folder, change):
    path = os.path.join(folder, "detector.json")
    info = json.load(open(path))
    change(info)
    json.dump(info, open(path, "w"))


def _corrupt_npz(folder, change):
    path = os.path.join(folder, "detector.npz")
    with np.load(path) as data:
        arrays = dict(data)
    change(arrays)
    np.savez(path, **arrays)


@pytest.mark.parametrize("damage, message", [
    (lambda d: os.remove(os.path.join(d, "detector.json")), "no detector.json"),
    (lambda d: os.remove(os.path.join(d, "detector.npz")), "detector.npz is missing"),
    (lambda d: open(os.path.join(d, "detector.json"), "w").write("{nope"), "unreadable"),
    (lambda d: open(os.path.join(d, "detector.npz"), "w").write("nope"), "unreadable"),
    (lambda d: _corrupt_json(d, lambda i: i.update(format="other")), "not an upconv-tf detector"),
    (lambda d: _corrupt_json(d, lambda i: i.update(format_version=99)), "format_version 99"),
    (lambda d: _corrupt_json(d, lambda i: i.update(classifier="forest")), "unknown classifier"),
    (lambda d: _corrupt_json(d, lambda i: i.update(num_bins_=10)), "shape"),
    (lambda d: _corrupt_json(d, lambda i: i["params"].update(mode="polar")), "bad `params`"),
    (lambda d: _corrupt_json(d, lambda i: i["params"].update(bogus=1)), "bad `params`"),
    (lambda d: _corrupt_json(d, lambda i: i.update(classes_=[0, 1, 2])), "2 labels"),
    (lambda d: _corrupt_npz(d, lambda a: a.pop("svm_dual_coef")), "missing arrays"),
    (lambda d: _corrupt_npz(d, lambda a: a.update(svm_intercept=np.array([np.nan]))), "finite"),
    (lambda d: _corrupt_npz(d, lambda a: a.update(scaler_scale=np.zeros(43))), "scaler_scale"),
    (lambda d: _corrupt_npz(d, lambda a: a.update(svm_support_vectors=np.zeros((3, 43)))), "shape"),
])
def test_load_errors_are_clear(tmp_path, fitted, damage, message):
    out = save_detector(fitted["svm"], tmp_path / "det")
    damage(out)
    with pytest.raises(DetectorLoadError, match=message) as error:
        load_detector(out)
    assert "\n" not in str(error.value)


def test_load_missing_folder(tmp_path):
    with pytest.raises(DetectorLoadError, match="no such folder"):
        load_detector(tmp_path / "missing")
