"""Presets, the threshold calibrated on real images, k-means named by labels, the preset
protocols (grouped splits per re-encoding, cross-family) and persistence of the new fields."""

import json
import warnings

import numpy as np
import pytest

from upconv_tf.detection import (
    PRESETS,
    SpectralDetector,
    detection_metrics,
    detector_preset,
    evaluate_cross_family,
    evaluate_splits,
    fit_preset,
    load_detector,
    preset_features,
    save_detector,
)
from upconv_tf.detection.estimator import MIN_CALIBRATION_SOURCES
from upconv_tf.errors import TOO_SMALL, Skipped


def overlapping(rng, real=400, fake=400, shift=1.5, features=6):
    """Two Gaussian classes that overlap (a threshold matters), 4 rows per source."""
    X = np.r_[rng.normal(0, 1, (real, features)), rng.normal(shift, 1, (fake, features))]
    y = np.r_[np.zeros(real, int), np.ones(fake, int)]
    groups = np.r_[np.arange(real) // 4, 10_000 + np.arange(fake) // 4]
    return X, y, groups


# ------------------------------------------------------------------------------------------- presets
def test_presets_hold_the_two_recipes_and_overrides():
    paper = detector_preset("paper").detector().get_params()
    assert (paper["mode"], paper["normalize"], paper["scaler"], paper["C"], paper["gamma"], paper["target_fpr"]) == \
        ("reference", "first", False, 6.37, 0.86, None)
    assert (PRESETS["paper"].size, PRESETS["paper"].augment) == (128, False)
    default = PRESETS["default"]
    assert (default.size, default.policy, default.augment, default.scaler, default.C, default.gamma,
            default.target_fpr) == (192, "center-crop", True, True, 1.0, "scale", 0.05)
    # The default features are the ring/cell/colour spectra, the paper's the azimuthal integral.
    assert (default.feature_kind, PRESETS["paper"].feature_kind) == ("rings-cells-colour", "azimuthal")
    assert default.detector().get_params()["feature_kind"] == "rings-cells-colour"
    assert detector_preset("default", size=64, target_fpr=None).size == 64
    assert detector_preset("default", classifier="kmeans").detector_params()["target_fpr"] is None
    with pytest.raises(ValueError, match="preset"):
        detector_preset("fast")
    with pytest.raises(ValueError, match="Unknown recipe setting"):
        detector_preset("paper", colour=True)
    assert json.loads(json.dumps(default.as_dict()))["augmentation"]["crops"] == 5
    assert PRESETS["paper"].as_dict()["augmentation"] is None


def test_auto_size_follows_the_images_down_to_the_features_minimum():
    from upconv_tf.detection.presets import auto_size

    default, paper = detector_preset("default"), detector_preset("paper")
    assert auto_size({0: [1000] * 20, 1: [400] * 20}, default) == 192  # large images: the preset's size
    assert auto_size({0: [1000] * 20, 1: [400] * 20}, paper) == 128
    assert auto_size({0: [128] * 20, 1: [500] * 20}, default) == 128  # a class of small images sets it
    assert auto_size({0: [131] * 20, 1: [500] * 20}, default) == 128  # rounded down to a multiple of 8
    assert auto_size({0: [100] + [300] * 99, 1: [300] * 5}, default) == 192  # one small image in 100 does not
    assert auto_size({0: [12] * 30 + [40], 1: [300]}, default) == 24  # never below the features' minimum
    assert auto_size({0: [12] * 30 + [40], 1: [300]}, detector_preset("default", feature_kind="azimuthal")) == 8
    with pytest.raises(ValueError, match="no generated image is 24 px or more.*16 px"):
        auto_size({0: [300], 1: [16, 12]}, default)


def test_no_scaler_is_the_identity():
    rng = np.random.default_rng(0)
    X, y, _ = overlapping(rng, 40, 40)
    detector = SpectralDetector("svm", scaler=False, gamma=0.5, random_state=0).fit(X * 10, y)
    np.testing.assert_array_equal(detector.scaler_.mean_, 0.0)
    np.testing.assert_array_equal(detector.scaler_.scale_, 1.0)


# ----------------------------------------------------------------------------------------- threshold
@pytest.mark.parametrize("classifier", ["svm", "logreg"])
def test_threshold_is_calibrated_on_out_of_fold_real_scores(rng, classifier):
    X, y, groups = overlapping(rng, shift=0.7)  # the 10 % FPR point lies above even odds (not floored)
    detector = SpectralDetector(classifier, C=1.0, target_fpr=0.1, random_state=0).fit(X, y, groups=groups)
    info = detector.threshold_calibration_
    assert info["real"] == 400 and info["real_sources"] == 100 and info["folds"] == 5 and not info["warnings"]
    assert abs(info["fpr"] - 0.1) < 0.01 and 0.3 < info["tpr"] < 1.0
    assert detector.threshold_ != 0.5
    # predict follows the threshold; decision_function is positive exactly there.
    p = detector.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(detector.predict(X), (p >= detector.threshold_).astype(int))
    np.testing.assert_array_equal(detector.decision_function(X) > 0, p > detector.threshold_)
    # On new images of the same distribution the false-positive rate is near the target.
    new = rng.normal(0, 1, (4000, 6))
    assert abs(detector.predict(new).mean() - 0.1) < 0.04


@pytest.mark.parametrize("classifier", ["svm", "logreg"])
def test_threshold_never_falls_below_even_odds(rng, classifier):
    """Separable classes: the 95th percentile of the real scores lies far below even odds (0.5 for balanced
    classes); the threshold is the floor (the target FPR is a ceiling) and the out-of-fold rates are its."""
    X, y, groups = overlapping(rng)
    X = X + 4.0 * y[:, None]
    detector = SpectralDetector(classifier, C=1.0, target_fpr=0.05, random_state=0).fit(X, y, groups=groups)
    info = detector.threshold_calibration_
    assert info["floored"] is True and info["floor"] == 0.5 and detector.threshold_ == 0.5
    p = detector.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(detector.predict(X), (p >= 0.5).astype(int))
    assert info["fpr"] <= 0.05 and info["tpr"] > 0.95
    # Imbalanced training (400 real, 40 generated): even odds is the training share of generated rows.
    keep = np.r_[np.arange(400), 400 + np.arange(40)]
    detector = SpectralDetector(classifier, C=1.0, target_fpr=0.05, random_state=0).fit(X[keep], y[keep],
                                                                                        groups=groups[keep])
    info = detector.threshold_calibration_
    assert info["floor"] == pytest.approx(40 / 440) and detector.threshold_ >= info["floor"]
    assert detector.threshold_ < 0.5 and info["fpr"] <= 0.05
    # Overlapping classes: the quantile is above 0.5 and kept.
    X, y, groups = overlapping(rng, shift=0.7)
    detector = SpectralDetector(classifier, C=1.0, target_fpr=0.05, random_state=0).fit(X, y, groups=groups)
    assert detector.threshold_calibration_["floored"] is False and detector.threshold_ > 0.5


def test_threshold_uses_only_original_real_rows_and_respects_groups(rng):
    X, y, groups = overlapping(rng, shift=0.7)
    augmented = X + rng.normal(0, 0.05, X.shape)  # near-copies: a split by row would leak them
    X2, y2, g2 = np.r_[X, augmented], np.r_[y, y], np.r_[groups, groups]
    original = np.r_[np.ones(len(X), bool), np.zeros(len(X), bool)]
    detector = SpectralDetector("svm", C=1.0, target_fpr=0.1, random_state=0).fit(X2, y2, groups=g2, original=original)
    assert detector.threshold_calibration_["real"] == 400  # the augmented real rows do not calibrate
    new = rng.normal(0, 1, (4000, 6))
    assert abs(detector.predict(new).mean() - 0.1) < 0.05


def test_too_few_real_sources_warn(rng):
    X, y, _ = overlapping(rng, 40, 40)
    one_source = np.r_[np.zeros(40, int), 1 + np.arange(40)]
    with pytest.warns(UserWarning, match="too few real sources"):
        detector = SpectralDetector("logreg", target_fpr=0.05).fit(X, y, groups=one_source)
    assert detector.threshold_ == 0.5
    few = np.r_[np.arange(40) % 5, 100 + np.arange(40)]
    with pytest.warns(UserWarning, match=f"calibrated on 5 real sources.*{MIN_CALIBRATION_SOURCES}"):
        detector = SpectralDetector("logreg", target_fpr=0.05, random_state=0).fit(X, y, groups=few)
    calibration = detector.threshold_calibration_
    assert calibration["real_sources"] == 5 and calibration["warnings"] and detector.threshold_ > 0.5


def test_threshold_and_preset_fields_survive_save_and_load(tmp_path, rng):
    X, y, groups = overlapping(rng, 80, 80)
    detector = SpectralDetector("svm", target_fpr=0.05, scaler=False, random_state=0).fit(X, y, groups=groups)
    save_detector(detector, tmp_path / "d")
    info = json.loads((tmp_path / "d" / "detector.json").read_text())
    assert info["format_version"] == 3 and info["threshold_"] == detector.threshold_
    assert info["params"]["target_fpr"] == 0.05 and info["params"]["scaler"] is False
    loaded = load_detector(tmp_path / "d")
    assert loaded.threshold_ == detector.threshold_ and loaded.threshold_calibration_["real"] == 80
    np.testing.assert_array_equal(loaded.predict(X), detector.predict(X))
    # A format-2 folder (no threshold, no new params) loads with the old behaviour.
    for key in ("threshold_", "threshold_calibration_", "fake_cluster_rule_", "cluster_agreement_"):
        info.pop(key)
    for key in ("feature_kind", "scaler", "target_fpr"):
        info["params"].pop(key)
    info["format_version"] = 2
    (tmp_path / "d" / "detector.json").write_text(json.dumps(info))
    old = load_detector(tmp_path / "d")
    assert old.threshold_ == 0.5 and old.scaler is True and old.target_fpr is None
    info["threshold_"] = 2.0
    (tmp_path / "d" / "detector.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="threshold_"):
        load_detector(tmp_path / "d")


# ------------------------------------------------------------------------------------------- k-means
def _smooth_fakes_and_textured_reals(rng, n=60):
    """Profiles where the power-law rule names the wrong cluster: reals depart from a power law at the top
    (texture), fakes are smooth power laws."""
    frequency = np.arange(1, 44, dtype=float)
    line = 100.0 - 20 * np.log(frequency)
    top = frequency > 0.75 * 43
    real = line + rng.normal(0, 0.5, (n, 43))
    real[:, top] += 10.0
    fake = line + rng.normal(0, 0.5, (n, 43))
    return np.r_[real, fake], np.r_[np.zeros(n, int), np.ones(n, int)]


def test_kmeans_names_clusters_from_a_few_labels(rng):
    X, y = _smooth_fakes_and_textured_reals(rng)
    with pytest.warns(UserWarning, match="cannot tell which cluster"):
        unlabelled = SpectralDetector("kmeans", normalize=None, random_state=0).fit(X)
    assert unlabelled.fake_cluster_rule_ == "power-law" and unlabelled.score(X, y) < 0.1  # the unsound rule
    few = np.full(len(y), -1)
    chosen = np.r_[0, 1, 2, 60, 61, 62]
    few[chosen] = y[chosen]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        named = SpectralDetector("kmeans", normalize=None, random_state=0).fit(X, few)
    assert named.fake_cluster_rule_ == "labels" and named.cluster_agreement_ == 1.0
    assert named.score(X, y) > 0.95
    np.testing.assert_array_equal(named.classes_, [0, 1])
    fixed = SpectralDetector("kmeans", normalize=None, fake_cluster=named.fake_cluster_, random_state=0).fit(X)
    assert fixed.fake_cluster_rule_ == "fixed" and fixed.score(X, y) > 0.95


# ----------------------------------------------------------------------------------------- protocols
def test_detection_metrics():
    labels = np.r_[np.zeros(100), np.ones(100)]
    scores = np.r_[np.linspace(0, 0.6, 100), np.linspace(0.4, 1, 100)]
    metrics = detection_metrics(labels, scores, threshold=0.5, target_fpr=0.05)
    assert 0.9 < metrics["roc_auc"] < 1.0
    assert metrics["fpr"] == pytest.approx(1 / 6, abs=0.01) and metrics["tpr"] == pytest.approx(5 / 6, abs=0.01)
    assert metrics["balanced_accuracy"] == pytest.approx((metrics["tpr"] + 1 - metrics["fpr"]) / 2)
    assert 0.5 < metrics["tpr_at_fpr"] < 0.9


@pytest.fixture(scope="module")
def small_features():
    """64 px bundled crops vs transconv and zero fakes (two 'families'), default preset at 32 px with 2 crops."""
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.datasets.augment import Augmentation
    from upconv_tf.fakes import make_fakes

    real, other = bundled_crops(48, 48, seed=0), bundled_crops(48, 48, seed=1)
    items = [(f"r{i}", image, 0, f"photo{real.groups[i]}", "") for i, image in enumerate(real.images)]
    for kind in ("transconv", "zero"):
        fakes = make_fakes(other.images, kind, seed=0)
        # Sources of generated images are their own (as in the wild corpus: one workflow each).
        items += [(f"{kind}{i}", image, 1, f"{kind}:{other.groups[i]}", kind) for i, image in enumerate(fakes)]
    preset = detector_preset("default", feature_kind="azimuthal", size=32, augmentation=Augmentation(crops=2, twins=1))
    return preset_features(items, preset, ("none", "jpeg75"), seed=0)


def test_preset_features_rows(small_features):
    features = small_features
    assert len(features.labels) == 144 and features.train.shape[0] == 144 * 4
    assert features.train_original.sum() == 144 * 2
    assert set(features.test) == {"none", "jpeg75"} and features.test["none"].shape[0] == 144
    X, y, groups, original, image = features.training_rows([0, 50])
    assert len(X) == 8 and y.tolist() == [0] * 4 + [1] * 4 and set(image) == {0, 50}
    subset = features.subset(np.r_[0, 50])
    assert subset.train.shape[0] == 8 and subset.labels.tolist() == [0, 1]
    detector = fit_preset(features, seed=0)
    assert detector.threshold_calibration_["real"] == 48 * 2


def test_too_small_images_are_skipped_with_the_loader_reason():
    preset = detector_preset("paper", size=64)
    errors = []
    features = preset_features([("small.png", np.zeros((40, 50, 3)), 0, "a", ""),
                                ("big.png", np.random.default_rng(0).random((64, 64, 3)), 0, "b", "")], preset,
                               errors=errors)
    assert errors == [Skipped("small.png", TOO_SMALL, "50 x 40 px is smaller than the 64 px crop", size=(50, 40),
                              crop=64)]
    assert features.names == ["big.png"] and features.skipped == errors


def test_splits_and_cross_family_never_put_a_source_on_both_sides(small_features, monkeypatch):
    from upconv_tf.detection import evaluation

    seen = []
    original = evaluation._score_fold

    def spy(features, train, test, labelled, seed):
        seen.append((set(features.groups[train]), set(features.groups[test])))
        return original(features, train, test, labelled, seed)

    monkeypatch.setattr(evaluation, "_score_fold", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        splits = evaluate_splits(small_features, runs=2, seed=0)
        cross = evaluate_cross_family(small_features, seed=0)
    assert len(seen) == 4 and all(not (train & test) for train, test in seen)
    for evaluation_result in (splits, cross):
        assert [r["treatment"] for r in evaluation_result["results"]] == ["none", "jpeg75"]
        for entry in evaluation_result["results"]:
            assert set(entry) == {"treatment", "roc_auc", "balanced_accuracy", "accuracy", "tpr_at_fpr", "tpr", "fpr"}
    assert [f["family"] for f in cross["families"]] == ["transconv", "zero"]
    assert cross["results"][0]["roc_auc"]["mean"] > 0.8
    assert splits["protocol"]["name"] == "splits" and cross["protocol"]["families"] == ["transconv", "zero"]
    one_family = small_features.subset(np.flatnonzero(small_features.families != "zero"))
    with pytest.raises(ValueError, match="at least 2 families"):
        evaluate_cross_family(one_family)


def test_cross_family_says_when_generated_images_share_every_real_source(small_features):
    """Fakes made from the real photos themselves (one group per photo on both sides): holding a family out
    holds every real source out, and the error says why instead of asking for more real sources."""
    from upconv_tf.detection.training import PresetFeatures

    shared = PresetFeatures(**{**small_features.__dict__, "groups": np.array(
        [g.split(":")[-1].replace("photo", "") for g in small_features.groups])})
    with pytest.raises(ValueError, match="share a source with every real image"):
        evaluate_cross_family(shared)
