"""Image folders through the library: the spectrum of folders, a detector trained or evaluated on folders,
and detection on files. What ``upconv-tf spectrum``, ``detector train|evaluate`` and ``detect`` do, and
what the demo calls; the commands only parse their options and print.

Every function reads files in batches and never stops on a bad file: each one that cannot be used is
returned as ``{"path", "reason"}`` under the key ``skipped``. Nothing usable at all raises
:class:`NoUsableImages` (a ``ValueError``), which carries the skipped files.

A ``progress`` argument, when given, is called as ``progress(total, desc)`` and must return an object with
``update(n)`` and ``close()`` (e.g. a tqdm bar).
"""

from __future__ import annotations

import dataclasses
import os


class NoUsableImages(ValueError):
    """No image of ``roots`` could be used; ``skipped`` holds ``(path, reason)`` for every file tried."""

    def __init__(self, message, roots, skipped):
        super().__init__(message)
        self.roots, self.skipped = list(roots), list(skipped)


def skipped_records(errors) -> list:
    """``[(path, reason)]`` -> the JSON records ``[{"path", "reason"}]`` every output uses."""
    return [{"path": path, "reason": reason} for path, reason in errors]


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _bar(progress, total, desc):
    return progress(total, desc) if progress is not None else _NoBar()


def _check_roots(roots, name):
    for root in roots:
        if not os.path.exists(root) and not os.path.islink(root):
            raise ValueError(f"`{name}` {root}: no such file or folder")


# ------------------------------------------------------------------------------------------------ spectrum
def folder_spectrum(folder, size: int = 128, policy: str = "center-crop", mode: str = "centered", normalize=None,
                    batch_size: int = 64, progress=None):
    """Mean and spread of the azimuthal integral of the images under ``folder``.

    Returns ``({"path", "count", "mean", "std", "skipped"}, errors)`` (``mean``/``std`` only when count > 0).
    """
    from upconv_tf import spectral
    from upconv_tf.datasets import iter_batches, list_images

    errors = []
    paths = list_images(folder, errors=errors)
    accumulator = spectral.SpectrumAccumulator()
    bar = _bar(progress, len(paths), os.path.basename(os.path.normpath(folder)))
    for images, names in iter_batches(paths, size, batch_size, policy, errors):
        accumulator.update(spectral.azimuthal_integral(images, mode=mode, normalize=normalize))
        bar.update(len(names))
    bar.close()
    result = {"path": folder, "count": accumulator.count}
    if accumulator.count:
        result.update({"mean": accumulator.mean.tolist(), "std": accumulator.std.tolist()})
    result["skipped"] = skipped_records(errors)
    return result, errors


def spectrum_statistics(folders, size: int = 128, policy: str = "center-crop", mode: str = "centered",
                        normalize=None, batch_size: int = 64, progress=None) -> dict:
    """:func:`folder_spectrum` of each folder: ``{"size", "mode", "normalize", "policy", "bins", "folders"}``.

    Folders with no usable image have ``count`` 0; the caller decides whether that is an error (their files
    are in their ``skipped``).
    """
    from upconv_tf import spectral

    spectral.check_size(size, size, mode)
    _check_roots(folders, "folders")
    results = [folder_spectrum(folder, size, policy, mode, normalize, batch_size, progress)[0] for folder in folders]
    return {"size": size, "mode": mode, "normalize": normalize, "policy": policy,
            "bins": spectral.num_bins(size, size, mode), "folders": results}


def plot_spectrum_statistics(stats: dict, path) -> str:
    """One plot of the mean +- std profile of every folder of :func:`spectrum_statistics` that has images."""
    from upconv_tf.plotting import plot_spectra

    curves = {f"{r['path']} (n={r['count']})": (r["mean"], r["std"]) for r in stats["folders"] if r["count"]}
    ylabel = "power (dB)" if stats["mode"] == "centered" else "20 ln|F|"
    return plot_spectra(curves, path, title=f"Azimuthal integral, {stats['size']} px, mode={stats['mode']}",
                        ylabel=ylabel + (f", {stats['normalize']}" if stats["normalize"] else ""))


# ------------------------------------------------------------------------------------------------ detector
@dataclasses.dataclass
class FolderFeatures:
    """Spectral features of real and generated files: (N, bins) arrays, the files used, the skipped ones."""

    real: object
    fake: object
    real_paths: list
    fake_paths: list
    skipped: list  # [(path, reason)]


def folder_features(real, fake, *, size=128, policy="center-crop", mode="reference", normalize="minmax",
                    num_bins=None, kind="azimuthal", batch_size=32, progress=None) -> FolderFeatures:
    """Features of the images under the ``real`` and ``fake`` roots (lists of files or folders)."""
    from upconv_tf import spectral
    from upconv_tf.datasets import list_images
    from upconv_tf.detection import SpectralFeatures, file_features

    if policy == "none" and num_bins is None:
        raise ValueError("`policy` none keeps native image sizes: give `num_bins` (e.g. 80) so that every profile "
                         "has the same length")
    if num_bins is not None and num_bins < 2:
        raise ValueError(f"`num_bins` must be >= 2, got {num_bins}")
    if policy != "none":
        spectral.check_size(size, size, mode)
    extractor = SpectralFeatures(mode=mode, normalize=normalize, num_bins=num_bins, kind=kind)
    errors, out = [], []
    for name, roots in (("real", real), ("fake", fake)):
        _check_roots(roots, name)
        paths = list_images(*roots, errors=errors)
        bar = _bar(progress, len(paths), name)
        features, used = file_features(extractor, paths, size, policy, batch_size, errors, bar)
        bar.close()
        if not used:
            raise NoUsableImages(f"`{name}`: no usable image in {', '.join(map(str, roots))}", roots, errors)
        out.append((features, used))
    return FolderFeatures(out[0][0], out[1][0], out[0][1], out[1][1], errors)


def _recipe(preset, settings):
    """A :class:`~upconv_tf.detection.presets.DetectorPreset` from a preset (name or object) and overrides."""
    from upconv_tf.detection.presets import DetectorPreset, detector_preset

    if isinstance(preset, DetectorPreset):
        return preset.replace(**settings) if settings else preset
    return detector_preset(preset, **settings)


def read_family_map(path) -> dict:
    """A family map file: a JSON object ``{key: family}`` where a key is a file name (``a.png``) or a first-level
    folder under a generated root (several folders can map to one family)."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"`families` {path}: unreadable ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"`families` {path}: must be a JSON object of strings {{file name or folder: family}}")
    return data


def file_family(path, root, families=None) -> str:
    """The generator family of a generated file: ``families[file name]``, else the first-level folder under
    ``root`` it is in (``families[folder]`` when the map renames it), else the name of ``root`` itself."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    folder = relative.split(os.sep)[0] if os.sep in relative else os.path.basename(os.path.normpath(root))
    families = families or {}
    return families.get(os.path.basename(path), families.get(folder, folder))


def labelled_files(real, fake, group_by="file", families=None, errors=None) -> list:
    """``[(path, label, group, family)]`` of every image under the ``real`` (label 0) and ``fake`` (label 1)
    roots; groups by :func:`upconv_tf.detection.group_ids`, families by :func:`file_family` (real: "")."""
    from upconv_tf.datasets import list_images
    from upconv_tf.detection import group_ids

    out = []
    for label, roots, option in ((0, real, "real"), (1, fake, "fake")):
        _check_roots(roots, option)
        for root in roots:
            paths = list_images(root, errors=errors)
            for path, group in zip(paths, group_ids(paths, group_by)):
                out.append((path, label, group, "" if label == 0 or not os.path.isdir(root) else
                            file_family(path, root, families)))
    return out


def folder_preset_features(real, fake, preset="default", *, treatments=(), group_by="file", families=None,
                           seed=0, progress=None, **settings):
    """:func:`upconv_tf.detection.training.preset_features` of the files under ``real`` and ``fake``.

    Files that cannot be used (unreadable, smaller than the crop) are in the result's ``skipped``; no usable
    image in a class raises :class:`NoUsableImages`.
    """
    from upconv_tf.datasets import iter_images
    from upconv_tf.detection.training import preset_features

    recipe = _recipe(preset, settings)
    errors = []
    files = labelled_files(real, fake, group_by, families, errors)
    meta = {path: (label, group, family) for path, label, group, family in files}
    bar = _bar(progress, len(files), "features")
    items = ((path, image) + meta[path] for path, image in iter_images([f[0] for f in files], None, "none", errors))
    features = preset_features(items, recipe, treatments, seed, errors, bar)
    bar.close()
    features.skipped = list(errors)
    for label, roots, name in ((0, real, "real"), (1, fake, "fake")):
        if not (features.labels == label).any():
            raise NoUsableImages(f"`{name}`: no usable image in {', '.join(map(str, roots))}", roots, errors)
    return features


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


def train_detector(real, fake, *, preset="default", group_by="file", labelled=None, balance=False, seed=0,
                   batch_size=32, out=None, overwrite=False, export=True, name=None, root=".", progress=None,
                   **settings) -> TrainedDetector:
    """Fit a :class:`~upconv_tf.detection.SpectralDetector` on files with a preset, and save and/or export it.

    Args:
        real, fake: lists of image files or folders (walked recursively).
        preset: a preset name (:data:`upconv_tf.detection.presets.PRESETS`: ``"default"``, ``"paper"``) or a
            :class:`~upconv_tf.detection.presets.DetectorPreset`.
        **settings: override fields of the preset (``classifier``, ``size``, ``policy``, ``kind``, ``mode``,
            ``normalize``, ``num_bins``, ``scaler``, ``C``, ``gamma``, ``target_fpr``, ``augment``...).
        group_by: sources for the out-of-fold threshold and Platt scores (:func:`upconv_tf.detection.group_ids`);
            the crops and twins of one file always share its source.
        labelled: k-means only: name the clusters from this many labelled images per class.
        balance: subsample the larger class at random (``seed``) to the size of the smaller one.
        seed: augmentation and detector seed.
        batch_size: kept for compatibility (files are decoded one at a time at native size).
        out: detector folder to write (JSON + .npz, no pickle), with the export inside it when ``export``;
            None writes only the export, to the repository layout under ``root`` (``name``, next version).
        overwrite: replace an existing, non-empty ``out``.
    """
    import numpy as np

    from upconv_tf.detection import balanced_sample, save_detector
    from upconv_tf.detection.training import fit_preset
    from upconv_tf.export import export_trained_detector

    if out is None and not export:
        raise ValueError("no `out` and no export: nothing would be written")
    out = os.path.abspath(out) if out else None
    if out and os.path.isdir(out) and os.listdir(out) and not overwrite:
        raise ValueError(f"`out` {out} exists and is not empty (pass `overwrite` to replace it)")
    recipe = _recipe(preset, settings)
    data = folder_preset_features(real, fake, recipe, group_by=group_by, seed=seed, progress=progress)
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
        "training": {"real": n_real, "generated": n_fake, "skipped": skipped_records(data.skipped),
                     "balanced": balance, "real_roots": [os.path.abspath(r) for r in real],
                     "fake_roots": [os.path.abspath(r) for r in fake], "training_accuracy": accuracy,
                     "rows": int(len(X)), "sources": int(len(np.unique(data.groups[images]))), "group_by": group_by,
                     "seed": seed},
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
                                 group_by="file", test_size=0.25, preset="default", seed=0, batch_size=32,
                                 progress=None, **settings) -> dict:
    """:func:`upconv_tf.detection.evaluate_detector` on files (the paper's learning-curve protocol: training-set
    sizes x classifiers, threshold 0.5, no augmentation), grouped by ``group_by``
    (:func:`upconv_tf.detection.group_ids`), with the features, crop and classifier settings of ``preset``
    (``settings`` override them); the protocol also records the data and the skipped files."""
    from upconv_tf.detection import evaluate_detector, group_ids

    if not 0 < test_size < 1:
        raise ValueError(f"`test_size` must be between 0 and 1, got {test_size}")
    recipe = _recipe(preset, settings)
    data = folder_features(real, fake, size=recipe.size, policy=recipe.policy, mode=recipe.mode,
                           normalize=recipe.normalize, num_bins=recipe.num_bins, kind=recipe.feature_kind,
                           batch_size=batch_size, progress=progress)
    params = {k: v for k, v in recipe.detector_params().items() if k not in ("classifier", "target_fpr")}
    evaluation = evaluate_detector(data.real, data.fake, group_ids(data.real_paths, group_by),
                                   group_ids(data.fake_paths, group_by), samples=samples, runs=runs,
                                   classifiers=classifiers, test_size=test_size, seed=seed, **params)
    evaluation["protocol"].update({"group_by": group_by, "size": recipe.size, "policy": recipe.policy,
                                   "preset": recipe.name, "real_roots": list(real), "fake_roots": list(fake)})
    evaluation["skipped"] = skipped_records(data.skipped)
    return evaluation


def evaluate_preset_on_folders(real, fake, *, protocol="splits", treatments=None, runs=5, test_size=0.25,
                               group_by="file", families=None, labelled=None, preset="default", seed=0,
                               progress=None, **settings) -> dict:
    """A preset as deployed: trained with its augmentation and threshold, tested on images re-encoded by each
    treatment (default :data:`upconv_tf.datasets.augment.TREATMENTS`).

    ``protocol="splits"``: grouped random splits (:func:`upconv_tf.detection.evaluate_splits`);
    ``"cross-family"``: leave one generator family out (:func:`upconv_tf.detection.evaluate_cross_family`);
    families are the first-level folders under the ``fake`` roots, renamed or merged by ``families`` (a map
    from :func:`read_family_map`).
    """
    from upconv_tf.datasets.augment import TREATMENTS, parse_treatment
    from upconv_tf.detection import evaluate_cross_family, evaluate_splits

    if protocol not in PRESET_PROTOCOLS:
        raise ValueError(f"`protocol` must be one of {PRESET_PROTOCOLS}. Received: protocol={protocol!r}")
    if not 0 < test_size < 1:
        raise ValueError(f"`test_size` must be between 0 and 1, got {test_size}")
    treatments = list(TREATMENTS if treatments is None else treatments)
    for treatment in treatments:
        parse_treatment(treatment)
    data = folder_preset_features(real, fake, preset, treatments=treatments, group_by=group_by, families=families,
                                  seed=seed, progress=progress, **settings)
    if protocol == "splits":
        evaluation = evaluate_splits(data, runs, test_size, seed, labelled)
    else:
        evaluation = evaluate_cross_family(data, seed, labelled)
    evaluation["protocol"].update({"group_by": group_by, "real_roots": list(real), "fake_roots": list(fake)})
    evaluation["skipped"] = skipped_records(data.skipped)
    return evaluation


PRESET_PROTOCOLS = ("splits", "cross-family")


# ------------------------------------------------------------------------------------------------ detect
def detect(paths, model, *, size=None, policy=None, threshold=None, batch_size: int = 32,
           progress=None) -> dict:
    """Score image files (or folders, walked recursively) with a detector.

    Args:
        paths: image files or folders.
        model: any detector :func:`upconv_tf.inference.load_predictor` reads (a detector folder, an exported
            SavedModel or ONNX model, ``saved_models/NAME[/VERSION]``), or a loaded predictor with ``model_path``
            given as ``(predictor, path)``.
        size, policy: override how files are loaded. An exported model takes one image size: another
            ``size`` (or ``policy="none"``) is refused with a ``ValueError`` before any file is read.
        threshold: ``label`` is ``"generated"`` when ``score >= threshold``; None (default) takes the model's
            own threshold (calibrated for its target false-positive rate when it was trained with one; 0.5
            for older models).

    Returns:
        ``{"model", "threshold", "size", "policy", "results": [{"path", "score", "label"}], "skipped"}``.

    Raises:
        NoUsableImages: no file could be scored (``skipped`` says why).
    """
    from upconv_tf.datasets import list_images
    from upconv_tf.detection import detect_files
    from upconv_tf.inference import input_settings, load_predictor

    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValueError(f"`threshold` must be in [0, 1], got {threshold}")
    predictor, model_path = model if isinstance(model, tuple) else (load_predictor(model), model)
    settings = input_settings(predictor, model_path)
    threshold = settings.get("threshold", 0.5) if threshold is None else threshold
    if settings["fixed"]:
        if size is not None and size != settings["size"]:
            raise ValueError(f"`size` {size}: {model_path} takes {settings['size']} x {settings['size']} px images "
                             "(fixed when it was exported); leave `size` out")
        if policy == "none":
            raise ValueError(f"`policy` none: {model_path} takes {settings['size']} px images (fixed when it was "
                             "exported); use center-crop or resize")
    size = size or settings["size"]
    policy = policy or settings["policy"] or "center-crop"
    if size is None and policy != "none":
        policy = "none"
    errors, files = [], []
    for root in paths:
        if not os.path.exists(root) and not os.path.islink(root):
            errors.append((root, "no such file or folder"))
            continue
        files.extend(list_images(root, errors=errors))
    bar = _bar(progress, len(files), "detect")
    records = detect_files(files, predictor, size, policy, batch_size, threshold, errors, bar)
    bar.close()
    if not records:
        where = ", ".join(map(str, paths))
        raise NoUsableImages(f"no usable image in {where}" if errors else f"no image found under {where}", paths,
                             errors)
    return {"model": os.path.abspath(model_path), "threshold": threshold, "size": size, "policy": policy,
            "results": records, "skipped": skipped_records(errors)}
