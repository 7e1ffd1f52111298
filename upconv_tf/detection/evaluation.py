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

from upconv_tf._quiet import collapsed_warnings
from upconv_tf.detection.estimator import CLASSIFIERS, SpectralDetector
from upconv_tf.detection.features import as_images
from upconv_tf.errors import ArgumentError

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


def _learning_curves(features, labels, splits, samples, classifiers, seed, detector_params, results):
    """Fit and score every classifier at every training size on every split, into ``results``."""
    from sklearn.metrics import accuracy_score, roc_auc_score

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
    classifiers = list(classifiers)
    for name in classifiers:
        if name not in CLASSIFIERS:
            raise ArgumentError("classifiers", f"must be among {CLASSIFIERS}. Received: {name!r}")
    samples = [_check_samples(count) for count in samples]
    if runs < 1:
        raise ArgumentError("runs", f"must be >= 1. Received: runs={runs}")
    features, labels, groups = _stack(real, fake, real_groups, fake_groups, detector_params)
    splits = grouped_splits(groups, labels, runs, test_size, seed)
    results = {(name, count): {"train_size": [], "test_size": [], "accuracy": [], "roc_auc": []}
               for count in samples for name in classifiers}
    with collapsed_warnings():  # one k-means "no labels" warning, not one per fit
        _learning_curves(features, labels, splits, samples, classifiers, seed, detector_params, results)
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
        raise ArgumentError("samples", f"must hold integers >= 2 or 'max'. Received: {count!r}")
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


# ---------------------------------------------------------------------------------------------------------
# Preset protocols: what a deployed detector meets. They work on the rows of
# :func:`upconv_tf.detection.training.preset_features`: the training rows of the training images (augmented as
# the preset says) fit the preset's detector, with its own threshold; the test images are scored once per
# treatment (re-encoded as a platform would, then cropped).
# ---------------------------------------------------------------------------------------------------------
METRICS = ("roc_auc", "balanced_accuracy", "accuracy", "tpr_at_fpr", "tpr", "fpr")
METRIC_TITLES = {"roc_auc": "ROC-AUC", "balanced_accuracy": "bal. acc. %", "tpr_at_fpr": "TPR at {fpr:.0%} FPR",
                 "fpr": "FPR % at threshold"}
DEFAULT_REPORT_FPR = 0.05


def detection_metrics(labels, scores, threshold: float = 0.5, target_fpr: float = DEFAULT_REPORT_FPR) -> dict:
    """Metrics of scores (P(generated)) on a test set with both classes.

    ``roc_auc``; at the detector's ``threshold`` (generated when score >= threshold): ``balanced_accuracy``
    (mean of the true-positive and true-negative rates, insensitive to class sizes), ``accuracy``, ``tpr``,
    ``fpr``; and ``tpr_at_fpr``, the true-positive rate at ``target_fpr`` read off the test set's ROC curve
    (linear between its points): what the detector can reach at that FPR with a perfectly set threshold.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    labels, scores = np.asarray(labels), np.asarray(scores, np.float64)
    generated = scores >= threshold
    tpr, tnr = generated[labels == 1].mean(), 1.0 - generated[labels == 0].mean()
    curve_fpr, curve_tpr, _ = roc_curve(labels, scores)
    return {"roc_auc": float(roc_auc_score(labels, scores)), "balanced_accuracy": float((tpr + tnr) / 2),
            "accuracy": float((generated == (labels == 1)).mean()), "tpr_at_fpr": float(np.interp(target_fpr,
                                                                                                  curve_fpr, curve_tpr)),
            "tpr": float(tpr), "fpr": float(1.0 - tnr)}


def grouped_metrics(labels, scores, threshold: float, sources, target_fpr: float = DEFAULT_REPORT_FPR) -> dict:
    """:func:`detection_metrics` at ``threshold`` plus the false-positive rate of each real source (``sources``:
    one per image; generated images' are ignored): ``source_fpr`` ``{source: rate}``, ``mean_source_fpr`` (every
    source alike) and ``worst_source_fpr``. What a deployment gate reads (the TFX pipeline's evaluator)."""
    labels, scores, sources = np.asarray(labels), np.asarray(scores, np.float64), np.asarray(sources).astype(str)
    metrics = detection_metrics(labels, scores, threshold, target_fpr)
    real = labels == 0
    rates = {str(source): float((scores[real & (sources == source)] >= threshold).mean())
             for source in np.unique(sources[real])}
    metrics.update(source_fpr=rates, mean_source_fpr=float(np.mean(list(rates.values()))),
                   worst_source_fpr=float(max(rates.values())))
    return metrics


def _score_fold(features, train, test, labelled, seed):
    """Fit on the training images, score the test images per treatment: ``{treatment: metrics}`` and the
    detector."""
    from upconv_tf.detection.training import fit_preset

    detector = fit_preset(features, train, labelled=labelled, seed=seed)
    report_fpr = features.preset.target_fpr or DEFAULT_REPORT_FPR
    labels = features.labels[test]
    results = {}
    for treatment, rows in features.test.items():
        scores = detector.predict_proba(rows[test])[:, 1]
        results[treatment] = detection_metrics(labels, scores, detector.threshold_, report_fpr)
    return results, detector


def _treatment_summary(folds, treatments):
    """``[{"treatment", metric: {"mean", "std", "runs"}}]`` over folds, plus each metric's drop from "none"."""
    summary = []
    for treatment in treatments:
        entry = {"treatment": treatment}
        for metric in METRICS:
            entry[metric] = _summary([fold["treatments"][treatment][metric] for fold in folds])
        summary.append(entry)
    return summary


def _preset_protocol(features, name, **settings):
    preset = features.preset
    return {"name": name, "preset": preset.as_dict(), "treatments": list(features.test), "images": len(features.labels),
            "real": int((features.labels == 0).sum()), "generated": int((features.labels == 1).sum()),
            "groups": int(len(np.unique(features.groups))), "training_rows": int(len(features.train)),
            "target_fpr": preset.target_fpr, "report_fpr": preset.target_fpr or DEFAULT_REPORT_FPR, **settings}


def evaluate_splits(features, runs: int = 5, test_size: float = 0.25, seed: int = 0, labelled=None,
                    train_per_class: int | None = None) -> dict:
    """The preset on grouped random splits of the images: train on ``1 - test_size`` of the sources (every row
    of their images; with ``train_per_class``, that many images of each class drawn at random from them), test
    on the rest under each treatment of ``features.test``.

    Returns:
        ``{"protocol", "results": [per treatment, mean/std/runs of each metric], "runs": [{"run",
        "train_size", "test_size", "threshold", "treatments": {treatment: metrics}}]}``.
    """
    if runs < 1:
        raise ArgumentError("runs", f"must be >= 1. Received: runs={runs}")
    if not features.test:
        raise ArgumentError("features", "hold no test rows: compute them with `treatments`", mentions=("treatments",))
    splits = grouped_splits(features.groups, features.labels, runs, test_size, seed)
    folds = []
    for run, (train, test) in enumerate(splits):
        if train_per_class is not None:
            train = balanced_sample(train, features.labels, 2 * int(train_per_class), np.random.default_rng(seed + run))
        results, detector = _score_fold(features, train, test, labelled, seed + run)
        folds.append({"run": run, "train_size": int(len(train)), "test_size": int(len(test)),
                      "threshold": float(detector.threshold_), "treatments": results})
    return {"protocol": _preset_protocol(features, "splits", runs=runs, test_size=test_size, seed=seed,
                                         labelled=labelled, train_per_class=train_per_class),
            "results": _treatment_summary(folds, list(features.test)), "runs": folds}


def _deal(units, folds, seed):
    """``{unit: fold}``: ``units`` shuffled (``seed``) and dealt into ``folds`` folds."""
    units = np.array(sorted(set(units)), dtype=object)
    np.random.default_rng(seed).shuffle(units)
    return {unit: number % folds for number, unit in enumerate(units)}


def _without_shared_groups(features, test, keep):
    """Training images: those for which ``keep`` is True, not in ``test`` and sharing no group with it (a
    source is never on both sides)."""
    held, tested = set(features.groups[test]), set(np.asarray(test).tolist())
    return np.array([i for i in range(len(features.labels)) if keep[i] and i not in tested
                     and features.groups[i] not in held], np.int64)


def _families(features, min_images):
    generated = features.labels == 1
    names = [family for family in np.unique(features.families[generated])
             if (features.families[generated] == family).sum() >= min_images]
    if len(names) < 2:
        raise ValueError(f"The cross-family protocol needs generated images of at least 2 families. Received: "
                         f"{len(names)} ({', '.join(names) or 'none'}); families are the first-level folders "
                         "under the generated roots, or a family map")
    return names


def _real_sources(features, protocol):
    real = features.labels == 0
    names = sorted(set(features.sources[real]) - {""})
    if len(names) < 2:
        raise ValueError(f"The {protocol} protocol needs real images of at least 2 sources. Received: {len(names)} "
                         f"({', '.join(names) or 'none'}); sources are the first-level folders under the real "
                         "roots (or the roots themselves), or a source map")
    if (features.sources[real] == "").any():
        raise ValueError(f"The {protocol} protocol needs the source of every real image; "
                         f"{int((features.sources[real] == '').sum())} have none")
    return names


def evaluate_cross_family(features, seed: int = 0, labelled=None, min_images: int = 1, real_units: str = "groups",
                          fine_families=None) -> dict:
    """Leave one generator family out: for each family, train on the other families and on the real images of
    the other folds, test on that family and one fold of real images (real ``groups``, or with
    ``real_units="sources"`` whole real sources, are dealt into as many folds as there are families: the
    ``"cross-both"`` protocol, where a test fold holds a family and real sources that training never saw). No
    group is on both sides: training images sharing a group with a test image are left out. ``fine_families``
    (one name per image, e.g. the generators inside a held-out group of families) adds each fold's
    ``fine_families``: ``{name: {"images", "tpr"}}``, the share of its untreated images at or above the threshold.

    Returns:
        ``{"protocol", "results": [per treatment, mean/std over families], "families": [{"family", "train_size",
        "test_size", "generated", "threshold", "treatments": {treatment: metrics}}]}`` (``"sources"`` in each
        fold too with ``real_units="sources"``).
    """
    if not features.test:
        raise ArgumentError("features", "hold no test rows: compute them with `treatments`", mentions=("treatments",))
    if real_units not in ("groups", "sources"):
        raise ArgumentError("real_units", f"must be 'groups' or 'sources'. Received: real_units={real_units!r}")
    generated = features.labels == 1
    names = _families(features, min_images)
    real = np.flatnonzero(~generated)
    units = features.groups[real] if real_units == "groups" else features.sources[real]
    if real_units == "sources":
        _real_sources(features, "cross-both")
    fold_of = _deal(units, len(names), seed)
    real_fold = np.array([fold_of[unit] for unit in units])
    folds = []
    for number, family in enumerate(names):
        test = np.concatenate([real[real_fold == number], np.flatnonzero(generated & (features.families == family))])
        keep = ~generated | np.isin(features.families, names)
        if real_units == "sources":  # a held-out source's images are all out of training
            keep &= ~np.isin(features.sources, np.unique(features.sources[real[real_fold == number]])) | generated
        train = _without_shared_groups(features, test, keep)
        if len(np.unique(features.labels[test])) < 2 or len(np.unique(features.labels[train])) < 2:
            shared = len(np.unique(features.labels[train])) < 2 and \
                set(features.groups[real]) <= set(features.groups[test])
            raise ValueError(f"family {family}: a side lacks real or generated images " + (
                "(its generated images share a source with every real image, so none is left to train on: "
                "cross-family needs generated images made from other sources than the real ones)" if shared else
                "(give more real sources)"))
        results, detector = _score_fold(features, train, test, labelled, seed + number)
        fold = {"family": family, "train_size": int(len(train)), "test_size": int(len(test)),
                "generated": int(generated[test].sum()), "threshold": float(detector.threshold_),
                "treatments": results}
        if fine_families is not None:
            held = test[generated[test]]
            rows = features.test["none"] if "none" in features.test else next(iter(features.test.values()))
            detected = detector.predict_proba(rows[held])[:, 1] >= detector.threshold_
            names_held = np.asarray(fine_families)[held]
            fold["fine_families"] = {str(n): {"images": int((names_held == n).sum()),
                                              "tpr": float(detected[names_held == n].mean())}
                                     for n in np.unique(names_held)}
        if real_units == "sources":
            fold["sources"] = sorted(str(s) for s in np.unique(features.sources[real[real_fold == number]]))
        folds.append(fold)
    name = "cross-family" if real_units == "groups" else "cross-both"
    return {"protocol": _preset_protocol(features, name, seed=seed, labelled=labelled,
                                         families=[str(n) for n in names]),
            "results": _treatment_summary(folds, list(features.test)), "families": folds}


def evaluate_cross_source(features, seed: int = 0, labelled=None, target_fpr: float | None = None) -> dict:
    """Leave one real source out: for each real source (``features.sources``: the package, collection or camera
    photos come from), train on every other real source and every generated image, and score the held-out
    source's images under each treatment: the false-positive rate at the model's own threshold on a kind of
    photo it never saw. No group is on both sides (images sharing a group with a held-out image are left out
    of training).

    Args:
        features: :func:`~upconv_tf.detection.training.preset_features` rows with ``sources``.
        seed: the detectors' seed (source ``k`` is fitted with ``seed + k``).
        labelled: k-means only: name the clusters from this many labelled images per class.
        target_fpr: the rate a source's FPR is compared with (default the preset's ``target_fpr``, else 0.05):
            ``over_target`` counts the sources above it, ``over_twice`` those above twice it.

    Returns:
        ``{"protocol", "results": [per treatment: "fpr" (mean/std/runs over sources, sources alike), "pooled_fpr"
        (every held-out image alike), "worst_fpr", "worst_source", "over_target", "over_twice"], "sources":
        [{"source", "images", "train_size", "threshold", "treatments": {treatment: {"fpr", "mean_score"}}}]}``.
    """
    if not features.test:
        raise ArgumentError("features", "hold no test rows: compute them with `treatments`", mentions=("treatments",))
    from upconv_tf.detection.training import fit_preset

    names = _real_sources(features, "cross-source")
    target = target_fpr or features.preset.target_fpr or DEFAULT_REPORT_FPR
    folds = []
    for number, source in enumerate(names):
        test = np.flatnonzero((features.labels == 0) & (features.sources == source))
        train = _without_shared_groups(features, test, features.sources != source)
        if len(np.unique(features.labels[train])) < 2:
            raise ValueError(f"source {source}: no real image of another source is left to train on")
        detector = fit_preset(features, train, labelled=labelled, seed=seed + number)
        treatments = {}
        for treatment, rows in features.test.items():
            scores = detector.predict_proba(rows[test])[:, 1]
            treatments[treatment] = {"fpr": float((scores >= detector.threshold_).mean()),
                                     "mean_score": float(scores.mean())}
        folds.append({"source": str(source), "images": int(len(test)), "train_size": int(len(train)),
                      "threshold": float(detector.threshold_), "treatments": treatments})
    results = []
    for treatment in features.test:
        rates = np.array([fold["treatments"][treatment]["fpr"] for fold in folds])
        sizes = np.array([fold["images"] for fold in folds])
        worst = int(np.argmax(rates))
        results.append({"treatment": treatment, "fpr": _summary(rates),
                        "pooled_fpr": float((rates * sizes).sum() / sizes.sum()), "worst_fpr": float(rates[worst]),
                        "worst_source": folds[worst]["source"], "over_target": int((rates > target + 1e-12).sum()),
                        "over_twice": int((rates > 2 * target + 1e-12).sum())})
    return {"protocol": _preset_protocol(features, "cross-source", seed=seed, labelled=labelled,
                                         sources=[str(n) for n in names], compared_with=target),
            "results": results, "sources": folds}


def format_treatment_table(evaluation: dict) -> str:
    """The preset evaluation as a table: one row per treatment, mean ± std of ROC-AUC, balanced accuracy at
    the detector's threshold and its drop from untreated images, TPR at the report FPR, FPR at the threshold
    (the cross-source protocol: :func:`format_cross_source_table`)."""
    protocol = evaluation["protocol"]
    if protocol["name"] == "cross-source":
        return format_cross_source_table(evaluation)
    results = evaluation["results"]
    fpr = protocol["report_fpr"]
    header = ["treatment", "ROC-AUC", "bal. acc. %", "drop", f"TPR at {fpr:.0%} FPR", "FPR % at thr."]
    base = next((r for r in results if r["treatment"] == "none"), results[0])["balanced_accuracy"]["mean"]
    rows = []
    for entry in results:
        auc, ba, tpr, rate = (entry[k] for k in ("roc_auc", "balanced_accuracy", "tpr_at_fpr", "fpr"))
        rows.append([entry["treatment"], f"{auc['mean']:.3f} ± {auc['std']:.3f}",
                     f"{100 * ba['mean']:.1f} ± {100 * ba['std']:.1f}", f"{100 * (base - ba['mean']):+.1f}",
                     f"{tpr['mean']:.2f}", f"{100 * rate['mean']:.1f}"])
    widths = [max(len(line[i]) for line in [header] + rows) for i in range(len(header))]
    lines = [" | ".join(cell.rjust(width) for cell, width in zip(line, widths)) for line in [header] + rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    if protocol["name"] == "splits":
        lines.append(f"mean ± std over {protocol['runs']} grouped random splits ({protocol['groups']} sources, test = "
                     f"{protocol['test_size']:.0%} of them); preset {protocol['preset']['name']}")
    else:
        both = protocol["name"] == "cross-both"
        lines.append(f"mean ± std over {len(evaluation['families'])} held-out families "
                     + ("each with a fold of real sources never seen " if both else "")
                     + f"({', '.join(protocol['families'])}); preset {protocol['preset']['name']}")
        for fold in evaluation["families"]:
            none = fold["treatments"].get("none") or next(iter(fold["treatments"].values()))
            lines.append(f"  {fold['family']}: {fold['generated']} generated, ROC-AUC {none['roc_auc']:.3f}, "
                         f"bal. acc. {100 * none['balanced_accuracy']:.1f} %, TPR {none['tpr']:.2f}, "
                         f"FPR {none['fpr']:.2f}" + (f" (real: {', '.join(fold['sources'])})" if both else ""))
    return "\n".join(lines)


def format_cross_source_table(evaluation: dict) -> str:
    """The cross-source evaluation as a table: one row per held-out real source (its images, the fold's
    threshold, the FPR % at it per treatment), then the mean over sources, the pooled rate and the worst."""
    protocol = evaluation["protocol"]
    treatments = [entry["treatment"] for entry in evaluation["results"]]
    header = ["held-out source", "images", "threshold"] + [f"FPR % {t}" for t in treatments]
    rows = [[fold["source"], str(fold["images"]), f"{fold['threshold']:.3f}"]
            + [f"{100 * fold['treatments'][t]['fpr']:.1f}" for t in treatments] for fold in evaluation["sources"]]
    summary = {entry["treatment"]: entry for entry in evaluation["results"]}
    rows.append(["mean over sources", str(sum(f["images"] for f in evaluation["sources"])), ""]
                + [f"{100 * summary[t]['fpr']['mean']:.1f}" for t in treatments])
    rows.append(["pooled (every image)", "", ""] + [f"{100 * summary[t]['pooled_fpr']:.1f}" for t in treatments])
    rows.append(["worst source", "", ""] + [f"{100 * summary[t]['worst_fpr']:.1f}" for t in treatments])
    widths = [max(len(line[i]) for line in [header] + rows) for i in range(len(header))]
    lines = [" | ".join(cell.rjust(width) if i else cell.ljust(width) for i, (cell, width) in
                        enumerate(zip(line, widths))) for line in [header] + rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    lines.insert(len(lines) - 3, "-+-".join("-" * width for width in widths))
    target = protocol["compared_with"]
    first = summary[treatments[0]]
    lines.append(f"false positives at each model's own threshold on a real source it never saw ({len(rows) - 3} "
                 f"sources, each left out in turn; trained on the others and every generated image); "
                 f"{first['over_target']} source(s) above {100 * target:.0f} %, {first['over_twice']} above "
                 f"{200 * target:.0f} % ({treatments[0]}); preset {protocol['preset']['name']}")
    return "\n".join(lines)
