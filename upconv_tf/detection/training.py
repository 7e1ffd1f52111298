"""The rows a detector preset is trained and tested on, made from images of any size, and fitting on them.

:func:`preset_features` turns images (one at a time, from arrays or files) into the rows of a
:class:`~upconv_tf.detection.presets.DetectorPreset`:

* **training rows**: the image brought to the preset's ``size`` by its ``policy`` or, with ``augment``,
  the crops and treated twins of :func:`upconv_tf.datasets.augment.augment_image` (seeded per image), each
  row remembering its image and whether it is an untreated crop (``original``);
* **test rows** per treatment (:data:`upconv_tf.datasets.augment.TREATMENTS`): the whole image re-encoded as
  a platform would, then brought to ``size`` (centre crop).

Features are computed once per image, so every protocol of :mod:`upconv_tf.detection.evaluation` only picks
rows. :func:`fit_preset` fits a preset's detector on the training rows of some images, grouped by source
(``groups``) for its out-of-fold scores.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from upconv_tf.datasets.augment import augment_image, reencode
from upconv_tf.datasets.folder import fit_to_size
from upconv_tf.detection.presets import DetectorPreset
from upconv_tf.errors import FEATURES, ArgumentError, ImageLoadError


@dataclasses.dataclass
class PresetFeatures:
    """Rows of a preset for N usable images (fields indexed by image unless said otherwise)."""

    preset: DetectorPreset
    names: list  # path or name of each image
    labels: np.ndarray  # 0 real, 1 generated
    groups: np.ndarray  # source of each image (str)
    families: np.ndarray  # generator family (str, "" for real images or when unknown)
    train: np.ndarray  # (M, F) training rows
    train_image: np.ndarray  # (M,) the image of each training row
    train_original: np.ndarray  # (M,) True for untreated crops
    test: dict  # {treatment: (N, F)}
    skipped: list  # Skipped records of the images that gave no row
    sources: np.ndarray = None  # real source of each image (str, "" for generated images or when unknown)

    def __post_init__(self):
        if self.sources is None:
            self.sources = np.full(len(self.labels), "", dtype=object).astype(str)

    def subset(self, images) -> "PresetFeatures":
        """The rows of ``images`` only (indices), renumbered."""
        images = np.asarray(images, np.int64)
        number = np.full(len(self.labels), -1)
        number[images] = np.arange(len(images))
        rows = np.isin(self.train_image, images)
        return PresetFeatures(self.preset, [self.names[i] for i in images], self.labels[images], self.groups[images],
                              self.families[images], self.train[rows], number[self.train_image[rows]],
                              self.train_original[rows], {t: v[images] for t, v in self.test.items()},
                              list(self.skipped), self.sources[images])

    def calibration_groups(self, images=None) -> np.ndarray:
        """The source of each of ``images`` (indices; default all) for a detector's out-of-fold scores and its
        threshold (``groups`` of :meth:`SpectralDetector.fit`): a real image's source when those images come
        from 2 or more known sources, so that the threshold is set for a source never seen (each source
        weighing alike); otherwise, and for generated images, its group (the photo or workflow it was made
        from, never a crop or a twin)."""
        images = np.arange(len(self.labels)) if images is None else np.asarray(images, np.int64)
        groups = np.asarray(["group:" + g for g in self.groups[images]], dtype=object)
        real = self.labels[images] == 0
        known = real & (self.sources[images] != "")
        if known.any() and len(np.unique(self.sources[images][known])) >= 2:
            groups[known] = ["source:" + s for s in self.sources[images][known]]
        return groups.astype(str)

    def training_rows(self, images=None):
        """``(X, y, groups, original, image)`` of the training rows of ``images`` (indices; default all);
        ``groups`` are the :meth:`calibration_groups` of each row's image."""
        images = np.arange(len(self.labels)) if images is None else np.asarray(images, np.int64)
        rows = np.flatnonzero(np.isin(self.train_image, images))
        image = self.train_image[rows]
        sources = np.empty(len(self.labels), dtype=object)
        sources[images] = self.calibration_groups(images)
        return self.train[rows], self.labels[image], sources[image].astype(str), self.train_original[rows], image


def _policy_image(image, preset, name):
    """The image as the preset's ``policy`` brings it to ``size`` (ImageLoadError when it is too small, for
    the crop or for the preset's features: one such file is skipped, not the whole batch)."""
    from upconv_tf.detection.features import FEATURE_KINDS

    image = fit_to_size(image, preset.size, preset.policy, name)
    try:
        FEATURE_KINDS[preset.feature_kind].check_size(*image.shape[:2], preset.mode)
    except ValueError as error:
        raise ImageLoadError(name, FEATURES, f"cannot compute features: {error}") from None
    return image


def preset_features(items, preset: DetectorPreset, treatments=(), seed: int = 0, errors=None, progress=None,
                    batch_rows: int = 256) -> PresetFeatures:
    """Training rows (and test rows per treatment) of ``items`` for ``preset`` (module docstring).

    Args:
        items: iterable of ``(name, image, label, group, family[, source])``: ``image`` (H, W, 3) float in [0, 1]
            at its native size, ``label`` 0 (real) or 1 (generated), ``group`` what must never be split (the
            photo or workflow it was made from), ``family`` its generator family or "", ``source`` the real
            source it comes from (a package, collection or camera; "" or left out when unknown). Image ``i`` of
            the iteration is augmented with the draws of ``(seed, i)``.
        preset: the recipe.
        treatments: test treatments to compute (e.g. ``TREATMENTS``); () for training only.
        seed: augmentation seed.
        errors: list that receives a :class:`~upconv_tf.errors.Skipped` record for each image too small for the
            crop; without it they raise.
        progress: object with ``update(n)``, advanced per image.
        batch_rows: rows per feature call.

    Returns:
        :class:`PresetFeatures`.
    """
    transformer = preset.detector().feature_transformer()
    if preset.policy == "none" and preset.num_bins is None and preset.feature_kind == "azimuthal":
        raise ArgumentError("policy", "none keeps native image sizes: give `num_bins` (e.g. 80) so that every profile "
                                      "has the same length", mentions=("num_bins",))
    if preset.policy != "none":  # one size for every image: a size the features refuse fails before any file
        from upconv_tf.detection.features import FEATURE_KINDS

        FEATURE_KINDS[preset.feature_kind].check_size(preset.size, preset.size, preset.mode)
    augmentation = preset.augmentation
    if preset.policy != "center-crop":  # the image is already the crop: twins only
        augmentation = dataclasses.replace(augmentation, crops=1)
    pending, train_blocks = [], []
    test_pending = {t: [] for t in treatments}
    names, labels, groups, families, sources, train_image, train_original, skipped = [], [], [], [], [], [], [], []

    def flush(force=False):
        if pending and (force or len(pending) >= batch_rows):
            batch = np.stack(pending) if len({p.shape for p in pending}) == 1 else list(pending)
            train_blocks.append(transformer.transform(batch))
            pending.clear()

    for index, item in enumerate(items):
        name, image, label, group, family = item[:5]
        source = item[5] if len(item) > 5 else ""
        image = np.asarray(image, np.float32)
        try:
            crop = _policy_image(image, preset, name)
            if preset.augment:
                # center-crop: the crops are cut from the whole image. Other policies: the image as the policy
                # gives it, whose largest centred square ("none" keeps native, maybe oblong, sizes) is the crop.
                base = crop if preset.policy != "center-crop" else image
                crops, original = augment_image(base, min(crop.shape[:2]) if preset.policy != "center-crop" else
                                                preset.size, augmentation, seed, index)
            else:
                crops, original = crop[None], np.array([True])
            tests = {t: _policy_image(reencode(image, t), preset, name) for t in treatments}
        except ImageLoadError as error:
            if errors is None:
                raise ValueError(f"{error.path}: {error.reason}") from None
            errors.append(error.skipped)
            skipped.append(error.skipped)
            if progress is not None:
                progress.update(1)
            continue
        number = len(names)
        names.append(name)
        labels.append(int(label))
        groups.append(str(group))
        families.append(str(family or ""))
        sources.append(str(source or ""))
        pending.extend(crops)
        train_image.extend([number] * len(crops))
        train_original.extend(original.tolist())
        for treatment, treated in tests.items():
            test_pending[treatment].append(treated)
        flush()
        if progress is not None:
            progress.update(1)
    flush(force=True)
    if not names:
        width = transformer.num_features() if transformer.num_bins is not None else 0
        train = np.zeros((0, width))
        test = {t: np.zeros((0, width)) for t in treatments}
    else:
        train = np.concatenate(train_blocks)
        test = {}
        for treatment, images in test_pending.items():
            blocks = [transformer.transform(np.stack(images[i:i + batch_rows]) if len({x.shape for x in
                                                                                     images[i:i + batch_rows]}) == 1
                                            else images[i:i + batch_rows]) for i in range(0, len(images), batch_rows)]
            test[treatment] = np.concatenate(blocks)
    return PresetFeatures(preset, names, np.asarray(labels, np.int64), np.asarray(groups, dtype=object).astype(str),
                          np.asarray(families, dtype=object).astype(str), train, np.asarray(train_image, np.int64),
                          np.asarray(train_original, bool), test, skipped,
                          np.asarray(sources, dtype=object).astype(str))


def labelled_subset(labels, count, seed=0):
    """Indices of ``count`` images of each class drawn at random (all of a class that has fewer)."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    chosen = [rng.choice(np.flatnonzero(labels == value), min(count, int((labels == value).sum())), replace=False)
              for value in (0, 1)]
    return np.sort(np.concatenate(chosen))


def fit_preset(features: PresetFeatures, images=None, preset: DetectorPreset | None = None, labelled=None,
               seed: int = 0):
    """A preset's detector fitted on the training rows of ``images`` (default all), its out-of-fold scores and
    threshold grouped by :meth:`PresetFeatures.calibration_groups` (real sources when known).

    Args:
        features: :func:`preset_features` output.
        images: indices of the training images.
        preset: recipe of the detector (default ``features.preset``; its rows must match, e.g. same features).
        labelled: k-means only: name the clusters from this many labelled images per class (drawn with
            ``seed``); the others are given as unlabelled. None: every label names them.
        seed: the detector's ``random_state``.
    """
    preset = preset or features.preset
    X, y, groups, original, image = features.training_rows(images)
    detector = preset.detector(random_state=seed)
    if preset.classifier == "kmeans" and labelled is not None:
        chosen = np.arange(len(features.labels)) if images is None else np.asarray(images)
        keep = chosen[labelled_subset(features.labels[chosen], labelled, seed)]
        y = np.where(np.isin(image, keep), y, -1)  # -1: unlabelled (SpectralDetector.fit)
    return detector.fit(X, y, groups=groups, original=original)
