"""Honest evaluation of the spectral detector: grouped, balanced splits, accuracy and ROC-AUC over runs.

Protocol (what users of the published code asked for):

* **grouped splits**: samples carry a group id (the source photo of a crop, the source file of an image);
  a group is entirely on the training or on the test side (:class:`sklearn.model_selection.GroupShuffleSplit`,
  ``test_size`` of the groups). Real and generated images that share a group id (e.g. fakes made from crops
  of the same photo) also stay together;
* **balanced sets**: the training set holds ``n // 2`` real and ``n - n // 2`` generated samples drawn at
  random from the training side; the test set holds as many real as generated samples (the larger class of
  the test side is subsampled). When the training side has fewer samples than asked, the largest balanced
  set available is used and the actual size is reported;
* **metrics**: accuracy (threshold 0.5 on the probability of "generated") and ROC-AUC of that probability;
* **runs**: every run draws a new split; mean and standard deviation (ddof=1) over runs are reported.
  k-means is fitted without labels (the cluster mapping is decided from the spectra, see
  :class:`~upconv_tf.detection.SpectralDetector`).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_array

from upconv_tf.detection.estimator import CLASSIFIERS, SpectralDetector
from upconv_tf.detection.features import as_images

CLASSIFIER_TITLES = {"svm": "SVM", "logreg": "LR", "kmeans": "k-means"}
MAX_SAMPLES = "max"


def grouped_splits(groups, labels, runs: int = 5, test_size: float = 0.25, seed: int = 0,
                   max_attempts: int = 100):
    """``runs`` random (train, test) index pairs that never split a group, each side holding both labels.

    Parameters
    ----------
    groups : array_like of shape (N,)
        Group id of each sample (any hashable values).
    labels : array_like of shape (N,)
        0 = real, 1 = generated.
    runs : int
        Number of splits.
    test_size : float
        Fraction of the groups on the test side.
    seed : int
        Seed of the first split; split ``r`` uses seeds from ``seed + 1000 * r``.
    max_attempts : int
        Redraws allowed per run when a side misses a label.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
    """
    from sklearn.model_selection import GroupShuffleSplit

    _, group_ids = np.unique(np.asarray(groups), return_inverse=True)
    labels = np.asarray(labels)
    if len(np.unique(group_ids)) < 2:
        raise ValueError("Grouped splits need at least 2 groups (source images). Received: 1 group")
    splits = []
    for run in range(runs):
        for attempt in range(max_attempts):
            splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed + 1000 * run + attempt)
            train, test = next(splitter.split(labels, labels, group_ids))
            if len(np.unique(labels[train])) == 2 and len(np.unique(labels[test])) == 2:
                splits.append((train, test))
                break
        else:
            raise ValueError(
                f"Could not draw a grouped split with real and generated samples on both sides in {max_attempts} "
                "attempts: give images from more sources, or check the grouping."
            )
    return splits


def balanced_sample(index, labels, count, rng):
    """Draw ``count // 2`` real and ``count - count // 2`` generated indices from ``index`` (capped to the
    largest balanced set when a class is short); ``count=None`` takes the largest balanced set."""
    index = np.asarray(index)
    real, fake = index[labels[index] == 0], index[labels[index] == 1]
    available = min(len(real), len(fake))
    want_real, want_fake = (available, available) if count is None else (count // 2, count - count // 2)
    if want_real > available or want_fake > available:
        want_real = want_fake = available
    return np.sort(np.concatenate([rng.choice(real, want_real, replace=False),
                                   rng.choice(fake, want_fake, replace=False)]))


def _summary(values):
    values = np.asarray(values, dtype=np.float64)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return {"mean": float(values.mean()), "std": std, "runs": values.tolist()}


def evaluate_detector(real, fake, real_groups=None, fake_groups=None, samples=(20, 100, 1000), runs: int = 5,
                      classifiers=CLASSIFIERS, test_size: float = 0.25, seed: int = 0, **detector_params) -> dict:
    """Evaluate :class:`SpectralDetector` classifiers with the module's protocol.

    Parameters
    ----------
    real, fake : array_like
        Images (anything :meth:`SpectralDetector.features` accepts) or precomputed 2-D features.
    real_groups, fake_groups : array_like, optional
        Group id per sample (e.g. :attr:`upconv_tf.datasets.CropSet.groups`, or source file names); ids are
        shared between the two sets. When omitted every sample is its own group (no grouping).
    samples : iterable of int or "max"
        Training-set sizes (balanced); ``"max"`` uses every training sample the split allows.
    runs : int
        Random splits (>= 2 for a spread; the protocol asks for >= 5).
    classifiers : iterable of str
        Subset of ``("svm", "logreg", "kmeans")``.
    test_size : float
        Fraction of groups held out for testing.
    seed : int
        Seed of splits and training subsets.
    **detector_params
        Passed to every :class:`SpectralDetector` (e.g. ``mode``, ``normalize``, ``num_bins``).

    Returns
    -------
    dict
        ``{"protocol": {...}, "results": [{"classifier", "samples", "train_size", "test_size", "accuracy",
        "roc_auc"}]}`` (sizes per run) where ``accuracy`` / ``roc_auc`` hold ``mean``, ``std`` and the per-run values. Format it with
        :func:`format_table`.
    """
    from sklearn.metrics import accuracy_score, roc_auc_score

    classifiers = list(classifiers)
    for name in classifiers:
        if name not in CLASSIFIERS:
            raise ValueError(f"`classifiers` must be among {CLASSIFIERS}. Received: {name!r}")
    samples = [_check_samples(count) for count in samples]
    if runs < 1:
        raise ValueError(f"`runs` must be >= 1. Received: runs={runs}")
    features, labels, groups = _stack(real, fake, real_groups, fake_groups, detector_params)
    splits = grouped_splits(groups, labels, runs, test_size, seed)
    results = {(name, count): {"train_size": [], "test_size": [], "accuracy": [], "roc_auc": []}
               for count in samples for name in classifiers}
    for run, (train_side, test_side) in enumerate(splits):
        rng = np.random.default_rng(seed + run)
        test = balanced_sample(test_side, labels, None, rng)
        for count in samples:
            train = balanced_sample(train_side, labels, None if count == MAX_SAMPLES else count, rng)
            for name in classifiers:
                detector = SpectralDetector(name, random_state=seed + run, **detector_params)
                detector.fit(features[train], None if name == "kmeans" else labels[train])
                score = detector.predict_proba(features[test])[:, 1]
                entry = results[(name, count)]
                entry["train_size"].append(int(len(train)))
                entry["test_size"].append(int(len(test)))
                entry["accuracy"].append(accuracy_score(labels[test], (score >= 0.5).astype(int)))
                entry["roc_auc"].append(roc_auc_score(labels[test], score))
    protocol = {"runs": runs, "test_size": test_size, "seed": seed, "classifiers": classifiers,
                "samples": samples, "groups": int(len(np.unique(groups))), "real": int((labels == 0).sum()),
                "generated": int((labels == 1).sum()), "num_bins": int(features.shape[1]),
                "detector_params": {k: v for k, v in detector_params.items()}}
    return {"protocol": protocol, "results": [
        {"classifier": name, "samples": count, "train_size": entry["train_size"], "test_size": entry["test_size"],
         "accuracy": _summary(entry["accuracy"]), "roc_auc": _summary(entry["roc_auc"])}
        for (name, count), entry in results.items()]}


def _check_samples(count):
    if count == MAX_SAMPLES:
        return count
    if isinstance(count, (bool, np.bool_)) or not isinstance(count, (int, np.integer)) or count < 2:
        raise ValueError(f"`samples` must hold integers >= 2 or 'max'. Received: {count!r}")
    return int(count)


def _stack(real, fake, real_groups, fake_groups, detector_params):
    """Features, labels (0 real, 1 generated) and groups of both sets, with one profile length."""
    transformer = SpectralDetector(**detector_params).feature_transformer()
    real_images, fake_images = as_images(real), as_images(fake)
    if real_images is not None and fake_images is not None and transformer.num_bins is None:
        # One profile length for both sets: the shortest native one (SpectralDetector's mixed-size rule).
        transformer.set_params(num_bins=transformer.num_features(list(real_images) + list(fake_images)))
    features = [check_array(data, dtype=np.float64) if images is None else transformer.transform(images)
                for data, images in ((real, real_images), (fake, fake_images))]
    if features[0].shape[1] != features[1].shape[1]:
        raise ValueError(f"Real and generated features differ in length: {features[0].shape[1]} vs "
                         f"{features[1].shape[1]}.")
    labels = np.r_[np.zeros(len(features[0]), np.int64), np.ones(len(features[1]), np.int64)]
    groups = []
    for data, given, prefix in ((features[0], real_groups, "real"), (features[1], fake_groups, "fake")):
        if given is None:
            groups.extend(f"{prefix}:{i}" for i in range(len(data)))
        else:
            given = np.asarray(given)
            if len(given) != len(data):
                raise ValueError(f"`{prefix}_groups` must have one id per sample ({len(data)}). "
                                 f"Received: {len(given)} ids")
            groups.extend(str(g) for g in given)
    return np.concatenate(features), labels, np.asarray(groups)


def format_table(evaluation: dict) -> str:
    """The evaluation as a text table like the paper's Tables 1 and 3 (accuracy in %, AUC, mean ± std)."""
    results = evaluation["results"]
    classifiers = list(dict.fromkeys(r["classifier"] for r in results))
    samples = list(dict.fromkeys(r["samples"] for r in results))
    lookup = {(r["classifier"], r["samples"]): r for r in results}
    header = ["train", "test"] + [f"{CLASSIFIER_TITLES[c]} {metric}"
                                  for c in classifiers for metric in ("acc %", "AUC")]
    rows = []
    for count in samples:
        first = lookup[(classifiers[0], count)]
        n_train = sorted(set(first["train_size"]))
        train = str(n_train[0]) if len(n_train) == 1 else f"{n_train[0]}-{n_train[-1]}"
        if count == MAX_SAMPLES:
            train = f"max {train}"
        elif n_train != [count]:
            train = f"{count}->{train}"
        n_test = sorted(set(first["test_size"]))
        row = [train, str(n_test[0]) if len(n_test) == 1 else f"{n_test[0]}-{n_test[-1]}"]
        for name in classifiers:
            entry = lookup[(name, count)]
            row.append(f"{100 * entry['accuracy']['mean']:5.1f} ± {100 * entry['accuracy']['std']:4.1f}")
            row.append(f"{entry['roc_auc']['mean']:.3f} ± {entry['roc_auc']['std']:.3f}")
        rows.append(row)
    widths = [max(len(line[i]) for line in [header] + rows) for i in range(len(header))]
    lines = [" | ".join(cell.rjust(width) for cell, width in zip(line, widths)) for line in [header] + rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    protocol = evaluation["protocol"]
    lines.append(f"mean ± std over {protocol['runs']} grouped random splits ({protocol['groups']} groups, "
                 f"test = {protocol['test_size']:.0%} of groups, balanced); k-means unsupervised")
    return "\n".join(lines)
