"""Evaluation protocol: grouped, balanced splits; accuracy and ROC-AUC over runs; the table."""

import numpy as np
import pytest

from upconv_tf.detection import balanced_sample, evaluate_detector, format_table, group_ids, grouped_splits


def test_grouped_splits_never_share_a_group_and_hold_both_labels(rng):
    groups = np.repeat(np.arange(12), 10)
    labels = rng.integers(0, 2, len(groups))
    splits = grouped_splits(groups, labels, runs=6, test_size=0.25, seed=3)
    assert len(splits) == 6
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
        assert len(train) + len(test) == len(groups)
        assert set(labels[train]) == set(labels[test]) == {0, 1}
    # Runs differ, and the same seed gives the same splits.
    assert len({tuple(test) for _, test in splits}) > 1
    again = grouped_splits(groups, labels, runs=6, test_size=0.25, seed=3)
    assert all((a[1] == b[1]).all() for a, b in zip(splits, again))


def test_grouped_splits_errors():
    with pytest.raises(ValueError, match="at least 2 groups"):
        grouped_splits(np.zeros(10), np.arange(10) % 2)
    # A label that lives in a single group can never be on both sides.
    groups, labels = np.r_[np.zeros(5), np.arange(1, 6)], np.r_[np.ones(5), np.zeros(5)]
    with pytest.raises(ValueError, match="both sides"):
        grouped_splits(groups, labels, runs=1, max_attempts=5)


def test_balanced_sample(rng):
    labels = np.r_[np.zeros(30, int), np.ones(8, int)]
    index = np.arange(38)
    picked = balanced_sample(index, labels, 10, rng)
    assert np.bincount(labels[picked]).tolist() == [5, 5] and len(set(picked)) == 10
    assert np.bincount(labels[balanced_sample(index, labels, None, rng)]).tolist() == [8, 8]
    # Asking for more than available falls back to the largest balanced set.
    assert np.bincount(labels[balanced_sample(index, labels, 40, rng)]).tolist() == [8, 8]
    assert np.bincount(labels[balanced_sample(index, labels, 7, rng)]).tolist() == [3, 4]


def _features(rng, n, shift, groups):
    return rng.normal(shift, 1.0, (n, 12)), np.repeat(groups, n // len(groups))


def test_evaluate_on_features_reports_accuracy_auc_mean_std(rng):
    real, real_groups = _features(rng, 120, 0.0, np.arange(12))
    fake, fake_groups = _features(rng, 60, 1.5, np.arange(12))  # same group ids: same "photos"
    evaluation = evaluate_detector(real, fake, real_groups, fake_groups, samples=[10, "max"], runs=5,
                                   classifiers=["logreg", "kmeans"], seed=1)
    protocol = evaluation["protocol"]
    assert protocol["runs"] == 5 and protocol["groups"] == 12 and protocol["num_bins"] == 12
    assert protocol["real"] == 120 and protocol["generated"] == 60
    results = {(r["classifier"], r["samples"]): r for r in evaluation["results"]}
    assert set(results) == {("logreg", 10), ("logreg", "max"), ("kmeans", 10), ("kmeans", "max")}
    for entry in results.values():
        assert len(entry["accuracy"]["runs"]) == len(entry["roc_auc"]["runs"]) == 5
        assert entry["accuracy"]["mean"] == pytest.approx(np.mean(entry["accuracy"]["runs"]))
        assert entry["accuracy"]["std"] == pytest.approx(np.std(entry["accuracy"]["runs"], ddof=1))
        # Balanced test sets: an even count, half of each class.
        assert all(n % 2 == 0 for n in entry["test_size"])
    assert results[("logreg", 10)]["train_size"] == [10] * 5
    assert min(results[("logreg", "max")]["train_size"]) > 10
    assert results[("logreg", "max")]["roc_auc"]["mean"] > 0.9  # well separated Gaussians
    table = format_table(evaluation)
    assert "LR acc %" in table and "k-means AUC" in table and "±" in table and "max" in table
    assert len(table.splitlines()) == 2 + 2 + 1


def test_evaluate_on_images_with_crop_groups_and_without_groups(crops64):
    from upconv_tf.fakes import make_fakes

    fake = make_fakes(crops64.images[24:], "zero")
    evaluation = evaluate_detector(crops64.images[:24], fake, crops64.groups[:24], crops64.groups[24:],
                                   samples=[8], runs=2, classifiers=["logreg"])
    assert evaluation["protocol"]["num_bins"] == 43
    ungrouped = evaluate_detector(crops64.images[:24], fake, samples=[8], runs=2, classifiers=["logreg"])
    assert ungrouped["protocol"]["groups"] == 48


@pytest.mark.parametrize("kwargs, message", [
    ({"classifiers": ["forest"]}, "classifiers"),
    ({"samples": [1]}, "samples"),
    ({"samples": ["all"]}, "samples"),
    ({"runs": 0}, "runs"),
    ({"real_groups": [1, 2]}, "real_groups"),
])
def test_evaluate_bad_arguments(rng, kwargs, message):
    with pytest.raises(ValueError, match=message):
        evaluate_detector(rng.random((10, 5)), rng.random((10, 5)), **kwargs)


def test_group_ids():
    paths = ["r/astronaut_0001.png", "f/astronaut_0200.png", "r/stereo_motorcycle_0003.png", "r/plain.png"]
    assert group_ids(paths, "prefix") == ["astronaut", "astronaut", "stereo_motorcycle", "plain"]
    assert len(set(group_ids(paths, "file"))) == 4
    assert len(set(group_ids(paths, "folder"))) == 2
    with pytest.raises(ValueError, match="group_by"):
        group_ids(paths, "photo")
    # auto: crops NAME_0001 of one photo share its group, other names are their own group...
    auto = group_ids(paths + ["r/IMG_1.png"], "auto")
    assert auto[:3] == ["astronaut", "astronaut", "stereo_motorcycle"] and auto[3].endswith("plain.png")
    assert auto[4] == "IMG" and group_ids(paths, "auto") == group_ids(paths, "auto")
    # ...unless that leaves one group: a camera's IMG_0001.jpg, IMG_0002.jpg are not crops of one photo.
    camera = ["c/IMG_0001.jpg", "c/IMG_0002.jpg", "c/IMG_0003.jpg"]
    assert len(set(group_ids(camera, "auto"))) == 3


def test_an_evaluation_warns_once_not_once_per_fit(rng):
    """k-means fits without labels warn; 3 runs x 2 sizes are one warning (each distinct warning once)."""
    import warnings

    real, real_groups = _features(rng, 60, 0.0, np.arange(12))
    fake, fake_groups = _features(rng, 60, 1.5, np.arange(12))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        evaluate_detector(real, fake, real_groups, fake_groups, samples=[10, "max"], runs=3, classifiers=["kmeans"])
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and "k-means" in messages[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")  # the caller's filters still apply
        evaluate_detector(real, fake, real_groups, fake_groups, samples=[10], runs=2, classifiers=["kmeans"])
    assert not caught
