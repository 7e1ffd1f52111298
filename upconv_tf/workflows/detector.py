"""Train and evaluate the spectral detector on image folders (what ``upconv-tf detector train|evaluate`` do).

Every function reads files one batch at a time and never stops on a bad file: each file that cannot be used is
returned as a record under ``skipped``; nothing usable in a class raises
:class:`~upconv_tf.errors.NoUsableImages`.
"""

from __future__ import annotations

import dataclasses
import os

from upconv_tf.errors import ArgumentError, records
from upconv_tf.workflows.features import (
    choose_size,
    folder_features,
    folder_preset_features,
    labelled_files,
    resolve_recipe,
)

PRESET_PROTOCOLS = ("splits", "cross-family", "cross-source", "cross-both")


@dataclasses.dataclass
class TrainedDetector:
    """What :func:`train_detector` made: the detector, its saved metadata, its training accuracy (at its own
    threshold, on the untreated training images), the skipped files, and the export (an
    :class:`upconv_tf.export.ExportResult`, or None)."""

    detector: object
    metadata: dict
    accuracy: float
    real: int
    generated: int
    skipped: list
    out: str | None
    export: object | None


def train_detector(real, fake, *, preset="default", size="auto", group_by="auto", sources=None, labelled=None,
                   balance=False, seed=0, batch_size=32, out=None, overwrite=False, export=True, name=None, root=".",
                   progress=None, refiner=None, **settings) -> TrainedDetector:
    """Fit a :class:`~upconv_tf.detection.SpectralDetector` on files with a preset, and save and/or export it.

    Args:
        real, fake: lists of image files or folders (walked recursively).
        preset: a preset name (:data:`upconv_tf.detection.presets.PRESETS`: ``"default"``, ``"paper"``) or a
            :class:`~upconv_tf.detection.presets.DetectorPreset`.
        size: the crop side: ``"auto"`` (default) chooses it from the images
            (:func:`upconv_tf.detection.presets.auto_size`: the preset's size, 192 px for the default, unless a
            class's images are mostly smaller: then the side 95 % of them hold, down to the features' minimum);
            a number; None: the preset's.
        **settings: override fields of the preset (``classifier``, ``policy``, ``kind``, ``mode``,
            ``normalize``, ``num_bins``, ``scaler``, ``C``, ``gamma``, ``target_fpr``, ``augment``...).
        group_by: what is never split (:func:`upconv_tf.detection.group_ids`; default ``"auto"``: the photo of
            ``NAME_0001.png`` crops, else the file); the crops and twins of one file always share its group.
        sources: a map renaming or merging real sources (:func:`~upconv_tf.workflows.features.read_source_map`).
            The real sources (first-level folders under the ``real`` roots, or the roots) set the out-of-fold
            folds and weigh alike in the threshold when there are 2 or more
            (:meth:`~upconv_tf.detection.PresetFeatures.calibration_groups`); else the groups do.
        labelled: k-means only: name the clusters from this many labelled images per class.
        balance: subsample the larger class at random (``seed``) to the size of the smaller one.
        seed: augmentation and detector seed.
        batch_size: kept for compatibility (files are decoded one at a time at native size).
        out: detector folder to write (JSON + .npz, no pickle), with the export inside it when ``export``;
            None writes only the export, to the repository layout under ``root`` (``name``, next version).
        overwrite: replace an existing, non-empty ``out``.
        refiner: a spectrum refiner (run folder or export, :func:`upconv_tf.runtime.load_refiner`): every generated
            image also trains the detector refined (:func:`upconv_tf.workflows.refine.add_refined_rows`).
    """
    import numpy as np

    from upconv_tf.detection import balanced_sample, save_detector
    from upconv_tf.detection.training import fit_preset
    from upconv_tf.export import export_trained_detector

    if out is None and not export:
        raise ArgumentError("out", "is needed without an export: nothing would be written")
    out = os.path.abspath(out) if out else None
    if out and os.path.isdir(out) and os.listdir(out) and not overwrite:
        raise ArgumentError("out", f"{out} exists and is not empty (pass `overwrite` to replace it)", mentions=("overwrite",))
    asked = size
    recipe = resolve_recipe(preset, dict(settings, size=size) if size is not None else settings)
    data = folder_preset_features(real, fake, recipe, group_by=group_by, sources=sources, seed=seed, progress=progress)
    recipe = data.preset  # with the size chosen
    if refiner is not None:
        from upconv_tf.workflows.refine import add_refined_rows

        add_refined_rows(data, refiner, test=False)
    images = np.arange(len(data.labels))
    if balance:
        images = balanced_sample(images, data.labels, None, np.random.default_rng(seed))
    detector = fit_preset(data, images, labelled=labelled, seed=seed)
    X, y, _, original, _ = data.training_rows(images)
    accuracy = float(detector.score(X[original], y[original]))
    size, policy = recipe.size, recipe.policy
    n_real, n_fake = int((data.labels[images] == 0).sum()), int((data.labels[images] == 1).sum())
    calibration = dict(detector.threshold_calibration_, threshold=float(detector.threshold_))
    metadata = {
        "input": {"size": None if policy == "none" else size, "policy": policy, "value_range": [0.0, 1.0],
                  "color": "RGB"},
        "training": {"real": n_real, "generated": n_fake, "skipped": records(data.skipped),
                     "balanced": balance, "real_roots": [os.path.abspath(r) for r in real],
                     "fake_roots": [os.path.abspath(r) for r in fake], "training_accuracy": accuracy,
                     "rows": int(len(X)), "groups": int(len(np.unique(data.groups[images]))),
                     "real_sources": sorted(set(data.sources[images][data.labels[images] == 0].tolist())),
                     "group_by": group_by, "size": {"asked": asked, "used": recipe.size},
                     "seed": seed, "refiner": None if refiner is None else os.path.abspath(os.fspath(refiner))},
        "labels": {"0": "real", "1": "generated"},
        "preset": recipe.as_dict(),
        "threshold": calibration,
    }
    exported = []

    def export_into(folder):
        # The skipped files are listed in the detector folder (detector.json), not in every export.
        training = {key: value for key, value in metadata["training"].items()
                    if key not in ("training_accuracy", "skipped")}
        exported.append(export_trained_detector(detector, training, {"training_accuracy": accuracy,
                                                                     "threshold": calibration},
                                                size, policy, folder, name, root, preset=recipe.as_dict()))

    if out:
        save_detector(detector, out, metadata=metadata, overwrite=overwrite, extra=export_into if export else None)
    else:
        export_into(None)
    result = exported[0] if exported else None
    if result is not None and out:  # the export was written into a temporary folder renamed to ``out``
        result.saved_model = os.path.join(out, "saved_model")
        result.onnx = os.path.join(out, "model.onnx")
    return TrainedDetector(detector, metadata, accuracy, n_real, n_fake, data.skipped, out, result)


def evaluate_detector_on_folders(real, fake, *, samples=(20, 100, 1000), runs=5, classifiers=("svm", "logreg", "kmeans"),
                                 group_by="auto", test_size=0.25, preset="default", size="auto", seed=0,
                                 batch_size=32, progress=None, **settings) -> dict:
    """:func:`upconv_tf.detection.evaluate_detector` on files (the paper's learning-curve protocol: training-set
    sizes x classifiers, threshold 0.5, no augmentation), grouped by ``group_by``
    (:func:`upconv_tf.detection.group_ids`), with the features, crop and classifier settings of ``preset``
    (``settings`` override them; ``size="auto"``: :func:`~upconv_tf.workflows.features.choose_size`, None: the
    preset's); the protocol also records the data and the skipped files."""
    from upconv_tf.detection import evaluate_detector, group_ids

    if not 0 < test_size < 1:
        raise ArgumentError("test_size", f"must be between 0 and 1, got {test_size}")
    recipe = resolve_recipe(preset, dict(settings, size=size) if size is not None else settings)
    recipe = choose_size(recipe, [(f[0], f[1]) for f in labelled_files(real, fake, "file")])
    data = folder_features(real, fake, size=recipe.size, policy=recipe.policy, mode=recipe.mode,
                           normalize=recipe.normalize, num_bins=recipe.num_bins, kind=recipe.feature_kind,
                           batch_size=batch_size, progress=progress)
    params = {k: v for k, v in recipe.detector_params().items() if k not in ("classifier", "target_fpr")}
    evaluation = evaluate_detector(data.real, data.fake, group_ids(data.real_paths, group_by),
                                   group_ids(data.fake_paths, group_by), samples=samples, runs=runs,
                                   classifiers=classifiers, test_size=test_size, seed=seed, **params)
    evaluation["protocol"].update({"group_by": group_by, "size": recipe.size, "policy": recipe.policy,
                                   "preset": recipe.name, "real_roots": list(real), "fake_roots": list(fake)})
    evaluation["skipped"] = records(data.skipped)
    return evaluation


def evaluate_preset_on_folders(real, fake, *, protocol="splits", treatments=None, runs=5, test_size=0.25,
                               group_by="auto", families=None, sources=None, labelled=None, preset="default",
                               size="auto", seed=0, progress=None, refiner=None, refined_training=False,
                               **settings) -> dict:
    """A preset as deployed: trained with its augmentation and threshold, tested on images re-encoded by each
    treatment (default :data:`upconv_tf.datasets.augment.TREATMENTS`).

    With a ``refiner`` (a spectrum refiner's run folder or export), one more treatment, ``"refined"``: the generated
    test images refined by it (:func:`upconv_tf.workflows.refine.add_refined_rows`); ``refined_training`` also trains
    each split's detector with the refined twins of its generated training images.

    ``protocol="splits"``: grouped random splits (:func:`upconv_tf.detection.evaluate_splits`);
    ``"cross-family"``: leave one generator family out (:func:`upconv_tf.detection.evaluate_cross_family`);
    ``"cross-source"``: leave one real source out, the false-positive rate on it
    (:func:`upconv_tf.detection.evaluate_cross_source`); ``"cross-both"``: leave one family and a fold of real
    sources out together (``evaluate_cross_family(real_units="sources")``). Families are the first-level folders
    under the ``fake`` roots, renamed or merged by ``families`` (a map from :func:`read_family_map`); real
    sources the first-level folders under the ``real`` roots (or the roots themselves), renamed or merged by
    ``sources`` (:func:`read_source_map`).
    """
    from upconv_tf.datasets.augment import TREATMENTS, parse_treatment
    from upconv_tf.detection import evaluate_cross_family, evaluate_cross_source, evaluate_splits

    if protocol not in PRESET_PROTOCOLS:
        raise ArgumentError("protocol", f"must be one of {PRESET_PROTOCOLS}. Received: protocol={protocol!r}")
    if not 0 < test_size < 1:
        raise ArgumentError("test_size", f"must be between 0 and 1, got {test_size}")
    treatments = list(TREATMENTS if treatments is None else treatments)
    for treatment in treatments:
        parse_treatment(treatment)
    if refined_training and refiner is None:
        raise ArgumentError("refined_training", "needs a `refiner`", mentions=("refiner",))
    if refiner is not None and "none" not in treatments:
        treatments.insert(0, "none")  # the refined treatment keeps the real images' untreated rows
    if size is not None:
        settings["size"] = size
    data = folder_preset_features(real, fake, preset, treatments=treatments, group_by=group_by, families=families,
                                  sources=sources, seed=seed, progress=progress, **settings)
    if refiner is not None:
        from upconv_tf.workflows.refine import add_refined_rows

        add_refined_rows(data, refiner, train=refined_training, test=True)
    if protocol == "splits":
        evaluation = evaluate_splits(data, runs, test_size, seed, labelled)
    elif protocol == "cross-source":
        evaluation = evaluate_cross_source(data, seed, labelled)
    else:
        evaluation = evaluate_cross_family(data, seed, labelled,
                                           real_units="sources" if protocol == "cross-both" else "groups")
    evaluation["protocol"].update({"group_by": group_by, "size": data.preset.size, "real_roots": list(real),
                                   "fake_roots": list(fake),
                                   "refiner": None if refiner is None else os.path.abspath(os.fspath(refiner)),
                                   "refined_training": bool(refined_training)})
    evaluation["skipped"] = records(data.skipped)
    return evaluation


PROTOCOLS = ("samples",) + PRESET_PROTOCOLS


def evaluate_detector(real, fake, *, protocol: str = "samples", **options) -> dict:
    """Evaluate the detector on labelled folders, as ``upconv-tf detector evaluate --protocol`` does.

    Args:
        real, fake: lists of image files or folders.
        protocol: ``"samples"``: the paper's learning curve (:func:`evaluate_detector_on_folders`); ``"splits"``,
            ``"cross-family"``, ``"cross-source"`` and ``"cross-both"``: the preset as deployed, on grouped splits,
            leaving one generator family out, one real source out, or both (:func:`evaluate_preset_on_folders`).
        **options: the keyword arguments of the function the protocol runs.

    Returns:
        The evaluation: ``protocol``, per-run values, tables' numbers and ``skipped``.

    Example:

    >>> evaluate_detector(["photos/"], ["generated/"], protocol="splits", runs=3)["mean"]  # doctest: +SKIP
    """
    if protocol not in PROTOCOLS:
        raise ArgumentError("protocol", f"must be one of {PROTOCOLS}. Received: protocol={protocol!r}")
    if protocol == "samples":
        return evaluate_detector_on_folders(real, fake, **options)
    return evaluate_preset_on_folders(real, fake, protocol=protocol, **options)
