"""The detector on image files: streaming feature extraction, grouping by source, detection records.

Files are read in batches (:func:`upconv_tf.datasets.iter_batches`), so a large folder is never loaded at
once; a file that cannot be used is appended to ``errors`` as ``(path, reason)`` and the rest go on.
"""

from __future__ import annotations

import os
import re

import numpy as np

from upconv_tf.errors import ArgumentError
from upconv_tf.options import GROUP_BY  # the one definition, importable without scikit-learn

GENERATED, REAL = "generated", "real"


# A crop or tile of a photo named for it: ``NAME_0001.png`` (what ``make demo`` and the corpus layouts write).
_NUMBERED = re.compile(r"^(.+)_\d+$")


def numbered_prefix(path) -> str | None:
    """``NAME`` of a file named ``NAME_<digits>.<ext>`` (a crop or tile of photo ``NAME``), else None."""
    match = _NUMBERED.match(os.path.splitext(os.path.basename(os.fspath(path)))[0])
    return match.group(1) if match else None


def group_ids(paths, group_by: str = "auto") -> list:
    """Group id of each file for grouped splits.

    ``"file"``: every file is its own group (its path). ``"prefix"``: the file name without extension up to
    its last ``_`` (``astronaut_0007.png`` -> ``astronaut``; a name without ``_`` is its own prefix), shared
    across folders, so real crops and fakes made from the same photo stay together. ``"folder"``: the parent
    folder (e.g. one folder per video or per source photo). ``"auto"``: the prefix of a name ending in
    ``_<digits>`` (``NAME_0001.png``: a crop of photo ``NAME``), else the file; when that leaves fewer than 2
    groups among ``paths`` (a camera's ``IMG_0001.jpg``, ``IMG_0002.jpg``... are not crops of one photo),
    every file is its own group.
    """
    if group_by not in GROUP_BY:
        raise ArgumentError("group_by", f"must be one of {GROUP_BY}. Received: group_by={group_by!r}")
    if group_by == "file":
        return [os.path.abspath(p) for p in paths]
    if group_by == "folder":
        return [os.path.dirname(os.path.abspath(p)) for p in paths]
    if group_by == "prefix":
        return [os.path.splitext(os.path.basename(p))[0].rsplit("_", 1)[0] for p in paths]
    groups = [numbered_prefix(path) or os.path.abspath(path) for path in paths]
    if len(paths) > 1 and len(set(groups)) < 2:
        return [os.path.abspath(p) for p in paths]
    return groups


def iter_file_batches(paths, size=None, policy: str = "center-crop", batch_size: int = 32, errors=None):
    """Yield ``(images, paths)``: a (b, size, size, 3) array, or with ``size=None`` / ``policy="none"`` a
    list holding one native-size image."""
    from upconv_tf.datasets import iter_batches_parallel, iter_images

    if size is None or policy == "none":
        for path, image in iter_images(paths, None, "none", errors):
            yield [image], [path]
    else:
        # Parallel decoding; same images, order and per-file errors as iter_batches.
        yield from iter_batches_parallel(paths, size, batch_size, policy, errors)


def file_features(transformer, paths, size=None, policy: str = "center-crop", batch_size: int = 32, errors=None,
                  bar=None):
    """Features of image files with ``transformer.transform`` (e.g. a :class:`SpectralFeatures`).

    Returns
    -------
    (numpy.ndarray, list)
        (N, bins) features and the N paths that were used (files that failed are in ``errors``).
    """
    features, used = [], []
    for images, names in iter_file_batches(paths, size, policy, batch_size, errors):
        try:
            features.append(transformer.transform(images))
        except ValueError as error:  # e.g. a native-size image below the spectrum's minimum (policy "none")
            if errors is None:
                raise
            errors.extend((name, f"cannot compute features: {error}") for name in names)
            continue
        used.extend(names)
        if bar is not None:
            bar.update(len(names))
    if not features:
        return np.zeros((0, 0)), []
    return np.concatenate(features), used


def detect_files(paths, predictor, size=None, policy: str = "center-crop", batch_size: int = 32,
                 threshold: float = 0.5, errors=None, bar=None) -> list:
    """Score image files with any object whose ``predict_proba(images)[:, 1]`` is P(generated).

    Parameters
    ----------
    paths : list of str
        Image files.
    predictor : object
        ``predict_proba`` on an image batch ((b, H, W, 3) float32 in [0, 1], or a list of images with
        ``size=None``): a :class:`SpectralDetector`, or an exported model wrapper.
    size, policy, batch_size
        How files become batches (:func:`iter_file_batches`).
    threshold : float
        ``label`` is ``"generated"`` when ``score >= threshold``.
    errors : list, optional
        Receives ``(path, reason)`` for files that could not be read or scored; without it they raise.
    bar : tqdm, optional
        Progress bar updated per batch.

    Returns
    -------
    list of dict
        ``{"path", "score", "label"}`` per usable file, in input order.
    """
    records = []
    for images, names in iter_file_batches(paths, size, policy, batch_size, errors):
        try:
            scores = np.asarray(predictor.predict_proba(images))[:, 1]
        except ValueError as error:  # e.g. an image too small for the spectrum
            if errors is None:
                raise
            errors.extend((name, f"cannot score: {error}") for name in names)
            continue
        finally:
            if bar is not None:
                bar.update(len(names))
        for name, score in zip(names, scores):
            score = float(score)
            records.append({"path": name, "score": score, "label": GENERATED if score >= threshold else REAL})
    return records
