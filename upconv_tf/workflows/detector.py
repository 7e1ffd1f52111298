"""Train and evaluate the spectral detector on image folders (what ``upconv-tf detector train|evaluate`` do).

Every function reads files one batch at a time and never stops on a bad file: each file that cannot be used is
returned as a record under ``skipped``; nothing usable in a class raises
:class:`~upconv_tf.errors.NoUsableImages`.
"""

from __future__ import annotations

import dataclasses
import os

from upconv_tf._quiet import collapsed_warnings
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
    with collapsed_warnings():  # a threshold note per fold: each distinct one once
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



def evaluate_model(model, real, fake, *, treatments=None, threshold=None, size=None, policy=None,
                   batch_size: int = 32, report_fpr: float | None = None, progress=None) -> dict:
    """Score a trained or exported detector on labelled files: ROC-AUC, balanced accuracy at its own threshold,
    TPR / FPR there and the TPR at ``report_fpr``, for the files as they are and re-encoded by each treatment.

    Args:
        model: any detector :func:`upconv_tf.runtime.load_predictor` reads (a detector folder, an exported
            SavedModel / ONNX model / bundle, ``saved_models/NAME[/VERSION]``, or a bare name such as
            ``spectral-detector``, found from any folder), or ``(predictor, path)``.
        real, fake: lists of image files or folders (walked recursively): label 0 and 1.
        treatments: re-encodings of the whole file before the model's crop / resize
            (:data:`upconv_tf.datasets.augment.TREATMENTS` by default: none, jpeg90, jpeg75, webp80).
        threshold, size, policy: override the model's own (as :func:`upconv_tf.workflows.detect.detect`).
        report_fpr: the false-positive rate of ``tpr_at_fpr`` (default: the model's target FPR, else 0.05).

    Returns:
        ``{"protocol": {"name": "model", "model", "threshold", "size", "policy", "treatments", "report_fpr",
        "real", "generated", ...}, "results": [{"treatment", "roc_auc", "balanced_accuracy", "accuracy",
        "tpr_at_fpr", "tpr", "fpr"}], "files": [{"path", "label", "scores": {treatment: score}}], "skipped"}``.

    Raises:
        NoUsableImages: no usable file in ``real`` or in ``fake``.
    """
    import numpy as np

    from upconv_tf.datasets import fit_to_size, iter_images
    from upconv_tf.datasets.augment import TREATMENTS, parse_treatment, reencode
    from upconv_tf.detection.evaluation import DEFAULT_REPORT_FPR, detection_metrics
    from upconv_tf.errors import ImageLoadError, NoUsableImages
    from upconv_tf.runtime import load_predictor
    from upconv_tf.workflows._common import progress_bar
    from upconv_tf.workflows.detect import model_input, model_source
    from upconv_tf.workflows.features import labelled_files

    treatments = list(TREATMENTS if treatments is None else treatments)
    if not treatments:
        raise ArgumentError("treatments", "is empty; give at least 'none'")
    for treatment in treatments:
        parse_treatment(treatment)
    predictor, model_path = model if isinstance(model, tuple) else (load_predictor(model), model)
    size, policy, threshold = model_input(predictor, model_path, size, policy, threshold)
    if report_fpr is None:
        report_fpr = getattr(predictor, "metadata", {}).get("target_fpr") or getattr(predictor, "target_fpr", None)
    report_fpr = report_fpr or DEFAULT_REPORT_FPR
    errors = []
    files = labelled_files(real, fake, "file", None, errors)
    labels = {path: label for path, label, *_ in files}
    bar = progress_bar(progress, len(files), "evaluate")
    used, scores = [], {t: [] for t in treatments}
    pending = []

    def score(batch):
        for treatment in treatments:
            images = [item[treatment] for item in batch]
            if policy != "none" and size is not None:
                images = np.stack(images)
                scores[treatment].extend(np.asarray(predictor.predict_proba(images))[:, 1].tolist())
            else:  # native sizes: one image at a time
                scores[treatment].extend(float(np.asarray(predictor.predict_proba([image]))[0, 1])
                                         for image in images)
        used.extend(item["path"] for item in batch)
        bar.update(len(batch))

    for path, image in iter_images([f[0] for f in files], None, "none", errors):
        try:
            pending.append({"path": path, **{t: fit_to_size(reencode(image, t), size, policy, path)
                                             for t in treatments}})
        except ImageLoadError as error:
            errors.append(error.skipped)
            bar.update(1)
            continue
        if len(pending) >= batch_size:
            score(pending)
            pending = []
    if pending:
        score(pending)
    bar.close()
    y = np.array([labels[path] for path in used], np.int64)
    for label, roots, name in ((0, real, "real"), (1, fake, "fake")):
        if not (y == label).any():
            raise NoUsableImages(f"no usable image in {', '.join(map(str, roots))}", roots, errors, name)
    results = [dict(treatment=t, **detection_metrics(y, np.asarray(scores[t]), threshold, report_fpr))
               for t in treatments]
    protocol = {"name": "model", "model": model_source(model_path), "threshold": float(threshold), "size": size,
                "policy": policy, "treatments": treatments, "report_fpr": report_fpr, "real": int((y == 0).sum()),
                "generated": int((y == 1).sum()), "real_roots": list(real), "fake_roots": list(fake)}
    return {"protocol": protocol, "results": results,
            "files": [{"path": path, "label": "generated" if labels[path] else "real",
                       "scores": {t: float(scores[t][i]) for t in treatments}} for i, path in enumerate(used)],
            "skipped": records(errors)}


def format_model_table(evaluation: dict) -> str:
    """:func:`evaluate_model`'s result as a table: one row per treatment, ROC-AUC, balanced accuracy at the
    model's threshold and its drop from untreated files, TPR at the report FPR, TPR and FPR at the threshold."""
    protocol, results = evaluation["protocol"], evaluation["results"]
    header = ["treatment", "ROC-AUC", "bal. acc. %", "drop", f"TPR at {protocol['report_fpr']:.0%} FPR",
              "TPR % at thr.", "FPR % at thr."]
    base = next((r for r in results if r["treatment"] == "none"), results[0])["balanced_accuracy"]
    rows = [[r["treatment"], f"{r['roc_auc']:.3f}", f"{100 * r['balanced_accuracy']:.1f}",
             f"{100 * (base - r['balanced_accuracy']):+.1f}", f"{r['tpr_at_fpr']:.2f}", f"{100 * r['tpr']:.1f}",
             f"{100 * r['fpr']:.1f}"] for r in results]
    widths = [max(len(line[i]) for line in [header] + rows) for i in range(len(header))]
    lines = [" | ".join(cell.rjust(width) for cell, width in zip(line, widths)) for line in [header] + rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    read = (f"centre {protocol['size']} px crop" if protocol["policy"] == "center-crop" else
            f"centre square resized to {protocol['size']} px" if protocol["policy"] == "resize" else "native size")
    lines.append(f"{protocol['model']}: {protocol['real']} real + {protocol['generated']} generated files, "
                 f"threshold {protocol['threshold']:.4f}, each file re-encoded by the treatment, then its {read}")
    return "\n".join(lines)


PROTOCOLS = ("samples",) + PRESET_PROTOCOLS + ("model",)


def evaluate_detector(real, fake, *, protocol: str | None = None, model=None, **options) -> dict:
    """Evaluate the detector on labelled folders, as ``upconv-tf detector evaluate`` does.

    Args:
        real, fake: lists of image files or folders.
        protocol: ``"samples"`` (default without ``model``): the paper's learning curve
            (:func:`evaluate_detector_on_folders`); ``"splits"``, ``"cross-family"``, ``"cross-source"`` and
            ``"cross-both"``: the preset as deployed, on grouped splits, leaving one generator family out, one real
            source out, or both (:func:`evaluate_preset_on_folders`); ``"model"`` (the default with ``model``):
            score that trained or exported detector (:func:`evaluate_model`).
        model: a detector to score instead of training one (a path or a bare name such as
            ``"spectral-detector"``).
        **options: the keyword arguments of the function the protocol runs.

    Returns:
        The evaluation: ``protocol``, the results (per run, per treatment) and ``skipped``.

    Example:

    >>> evaluate_detector(["photos/"], ["generated/"], protocol="splits", runs=3)["results"]  # doctest: +SKIP
    >>> evaluate_detector(["photos/"], ["generated/"], model="spectral-detector")["results"]  # doctest: +SKIP
    """
    if protocol is None:
        protocol = "samples" if model is None else "model"
    if protocol not in PROTOCOLS:
        raise ArgumentError("protocol", f"must be one of {PROTOCOLS}. Received: protocol={protocol!r}")
    if (protocol == "model") != (model is not None):
        raise ArgumentError("model", "is scored by protocol 'model' (and only a `model` is)" if model is not None else
                            "is needed by protocol 'model'", mentions=("protocol",))
    if protocol == "model":
        return evaluate_model(model, real, fake, **options)
    if protocol == "samples":
        return evaluate_detector_on_folders(real, fake, **options)
    return evaluate_preset_on_folders(real, fake, protocol=protocol, **options)
