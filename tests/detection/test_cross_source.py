"""Generalisation to real sources never seen: the cross-source and cross-both protocols never put a source (or a
photo) on both sides, the threshold is set for the average source (one dominant source cannot set it), and
preset rows group a detector's out-of-fold folds by real source."""

import warnings

import numpy as np
import pytest

from upconv_tf.detection import (
    PresetFeatures,
    SpectralDetector,
    detector_preset,
    evaluate_cross_family,
    evaluate_cross_source,
    format_treatment_table,
)
from upconv_tf.detection.estimator import source_weights, weighted_cut

FEATURES = 6


def synthetic(rng, sources=("a", "b", "c", "d"), per_source=12, fakes=48, families=("f1", "f2"), shared=True):
    """PresetFeatures of Gaussian rows: real images of several sources (two rows each: an original and a twin,
    3 images per photo group), generated images of several families. With ``shared``, one photo of source
    ``c`` also ships in source ``d`` (its group is shared)."""
    names, labels, groups, fams, srcs = [], [], [], [], []
    for source in sources:
        for k in range(per_source):
            names.append(f"{source}{k}")
            labels.append(0)
            groups.append(f"photo:{source}{k // 3}")
            fams.append("")
            srcs.append(source)
    if shared and "c" in sources and "d" in sources:
        groups[names.index("d0")] = groups[names.index("c0")]
    for k in range(fakes):
        names.append(f"g{k}")
        labels.append(1)
        groups.append(f"workflow{k // len(families)}-{k % len(families)}")
        fams.append(families[k % len(families)])
        srcs.append("")
    labels = np.array(labels)
    rows = rng.normal(0, 1, (len(labels), FEATURES)) + 1.5 * labels[:, None]
    train = np.repeat(rows, 2, axis=0) + rng.normal(0, 0.05, (2 * len(labels), FEATURES))
    preset = detector_preset("default", classifier="logreg")
    return PresetFeatures(preset, names, labels, np.array(groups), np.array(fams), train,
                          np.repeat(np.arange(len(labels)), 2), np.tile([True, False], len(labels)),
                          {"none": rows, "jpeg75": rows + rng.normal(0, 0.1, rows.shape)}, [], np.array(srcs))


def spy_on_fits(monkeypatch):
    """Record the training images of every detector the protocols fit."""
    from upconv_tf.detection import training

    seen = []
    original = training.fit_preset

    def spy(features, images=None, *args, **kwargs):
        seen.append(np.asarray(images))
        return original(features, images, *args, **kwargs)

    monkeypatch.setattr(training, "fit_preset", spy)
    return seen


def test_cross_source_never_puts_a_source_or_a_photo_on_both_sides(rng, monkeypatch):
    features = synthetic(rng)
    seen = spy_on_fits(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        evaluation = evaluate_cross_source(features, seed=0)
    folds = evaluation["sources"]
    assert [fold["source"] for fold in folds] == ["a", "b", "c", "d"] and len(seen) == 4
    for fold, train in zip(folds, seen):
        test = (features.labels == 0) & (features.sources == fold["source"])
        assert fold["source"] not in set(features.sources[train])
        assert not set(features.groups[train]) & set(features.groups[test])  # no photo on both sides
        assert (features.labels[train] == 1).sum() == 48  # every generated image trains
        assert fold["images"] == 12 and set(fold["treatments"]) == {"none", "jpeg75"}
        assert 0 <= fold["treatments"]["none"]["fpr"] <= 1
    # The photo shared by c and d: out of training when either source is held out.
    assert "d0" not in [features.names[i] for i in seen[2]] and "c0" not in [features.names[i] for i in seen[3]]
    none = evaluation["results"][0]
    rates = [fold["treatments"]["none"]["fpr"] for fold in folds]
    assert none["treatment"] == "none" and none["fpr"]["mean"] == pytest.approx(np.mean(rates))
    assert none["worst_fpr"] == max(rates) and none["worst_source"] == folds[int(np.argmax(rates))]["source"]
    table = format_treatment_table(evaluation)
    assert "held-out source" in table and "worst source" in table and table.count("\n") >= 8


def test_cross_both_holds_out_whole_real_sources_with_each_family(rng, monkeypatch):
    features = synthetic(rng, sources=("a", "b", "c", "d", "e", "f"), shared=False)
    seen = spy_on_fits(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        evaluation = evaluate_cross_family(features, seed=0, real_units="sources")
    assert evaluation["protocol"]["name"] == "cross-both"
    held = [fold["sources"] for fold in evaluation["families"]]
    assert sorted(sum(held, [])) == ["a", "b", "c", "d", "e", "f"]  # every source tested once
    for fold, train in zip(evaluation["families"], seen):
        assert not set(fold["sources"]) & set(features.sources[train])
        assert fold["family"] not in set(features.families[train])


def test_the_protocols_need_real_sources(rng):
    features = synthetic(rng, sources=("a",))
    with pytest.raises(ValueError, match="at least 2 sources"):
        evaluate_cross_source(features)
    with pytest.raises(ValueError, match="at least 2 sources"):
        evaluate_cross_family(features, real_units="sources")


def test_calibration_groups_are_real_sources_when_there_are_several(rng):
    features = synthetic(rng)
    groups = features.calibration_groups()
    real = features.labels == 0
    assert set(groups[real]) == {"source:a", "source:b", "source:c", "source:d"}
    assert len(set(groups[~real])) == 48 and all(g.startswith("group:workflow") for g in groups[~real])
    # One source (a flat folder): the photos group instead, never the crops.
    one = synthetic(rng, sources=("a",))
    assert set(one.calibration_groups()[one.labels == 0]) == {f"group:photo:a{k}" for k in range(4)}
    X, y, groups, original, image = features.training_rows()
    assert len(groups) == len(X) and groups[0] == "source:a" and groups[1] == "source:a"


def test_weighted_cut():
    scores = np.arange(100, dtype=float)
    assert weighted_cut(scores, 0.1) == pytest.approx(89.5)  # 10 scores above
    assert (scores >= weighted_cut(scores, 0.1)).mean() == pytest.approx(0.1)
    assert weighted_cut(scores, 0.001) > 99  # no share small enough: above the highest
    tied = np.r_[np.zeros(50), np.ones(50)]
    assert (tied >= weighted_cut(tied, 0.3)).mean() == 0.0  # ties are never split
    weights = source_weights(np.r_[np.zeros(90, int), np.ones(10, int)])
    assert weights[:90].sum() == pytest.approx(0.5) and weights[90:].sum() == pytest.approx(0.5)
    # The top 10 scores are one small source holding half the weight (0.05 each): 2 of them may lie above.
    assert weighted_cut(scores, 0.1, weights) == pytest.approx(97.5)


@pytest.mark.parametrize("classifier", ["svm", "logreg"])
def test_one_dominant_source_cannot_set_the_threshold(rng, classifier):
    """One real source of 600 images that looks very real, 12 small sources of 10 images that look less so:
    weighing images alike, the big source sets the threshold and the small sources get far more than the
    target; weighing sources alike, the average source gets the target."""
    big = rng.normal(-1.0, 1.0, (600, FEATURES))
    small = rng.normal(0.6, 1.0, (120, FEATURES))
    fake = rng.normal(1.5, 1.0, (400, FEATURES))
    X = np.r_[big, small, fake]
    y = np.r_[np.zeros(720, int), np.ones(400, int)]
    groups = np.r_[np.zeros(600, int), 1 + np.arange(120) // 10, 100 + np.arange(400) // 4].astype(str)
    rates = {}
    for weighting in ("source", "sample"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            detector = SpectralDetector(classifier, C=1.0, target_fpr=0.1, threshold_weighting=weighting,
                                        random_state=0).fit(X, y, groups=groups)
        info = detector.threshold_calibration_
        assert info["weighting"] == weighting and info["real_sources"] == 13
        new_small = rng.normal(0.6, 1.0, (2000, FEATURES))  # a new source like the small ones
        rates[weighting] = (info["source_fpr"], detector.predict(new_small).mean())
    assert rates["source"][0] == pytest.approx(0.1, abs=0.03)
    assert rates["sample"][0] > 0.2 and rates["sample"][1] > 0.2
    assert rates["source"][1] < rates["sample"][1] - 0.1
