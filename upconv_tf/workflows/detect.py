"""Score image files with a detector (what ``upconv-tf detect`` does)."""

from __future__ import annotations

import os

from upconv_tf import errors as E
from upconv_tf.errors import NoUsableImages
from upconv_tf.workflows._common import progress_bar


def model_input(predictor, model_path, size=None, policy=None, threshold=None):
    """``(size, policy, threshold)`` to read files with for ``predictor`` (loaded from ``model_path``): the
    model's own settings (:func:`upconv_tf.runtime.input_settings`), overridden by the arguments that are not
    None. An exported model takes one image size: another ``size`` (or ``policy="none"``) is refused with an
    :class:`~upconv_tf.errors.ArgumentError` before any file is read."""
    from upconv_tf.runtime import input_settings

    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise E.ArgumentError("threshold", f"must be in [0, 1], got {threshold}")
    settings = input_settings(predictor, model_path)
    threshold = settings.get("threshold", 0.5) if threshold is None else threshold
    if settings["fixed"]:
        if size is not None and size != settings["size"]:
            raise E.ArgumentError("size", f"{size}: {model_path} takes {settings['size']} x {settings['size']} px images "
                                          "(fixed when it was exported); leave `size` out")
        if policy == "none":
            raise E.ArgumentError("policy", f"none: {model_path} takes {settings['size']} px images (fixed when it was "
                                            "exported); use center-crop or resize")
    size = size or settings["size"]
    policy = policy or settings["policy"] or "center-crop"
    if size is None and policy != "none":
        policy = "none"
    return size, policy, threshold


def model_source(model_path) -> str:
    """Where the model given as ``model_path`` (a path or a bare name) was found, as an absolute path."""
    from upconv_tf.resolve import resolve_model

    return os.path.abspath(resolve_model(model_path).path)


def read_region(path, size, policy) -> dict:
    """``{"size": [width, height], "read": {"box": [left, top, right, bottom], "resized_to": side or None}}``: the
    image's size and the part of it a detector reading it with ``size`` and ``policy`` sees (the box, resized
    to ``resized_to`` px with ``policy="resize"``); empty when the header cannot be read again."""
    from upconv_tf.datasets.folder import image_size, read_box

    try:
        width, height = image_size(path)
    except (OSError, ValueError):  # the file changed since it was scored
        return {}
    return {"size": [width, height], "read": {"box": list(read_box(width, height, size, policy)),
                                              "resized_to": size if policy == "resize" else None}}


def describe_region(record) -> str:
    """One phrase for the part of an image a detection read (:func:`read_region`), e.g. ``centre 192 x 192 of
    6000 x 4000``; empty when it read the whole image as it is."""
    if "read" not in record:
        return ""
    width, height = record["size"]
    left, top, right, bottom = record["read"]["box"]
    if (right - left, bottom - top) == (width, height) and not record["read"]["resized_to"]:
        return ""  # the whole image, as it is
    part = f"centre {right - left} x {bottom - top} of {width} x {height}"
    return part + (f" resized to {record['read']['resized_to']}" if record["read"]["resized_to"] else "")


def partial_reads(records) -> str | None:
    """A note when some images were judged by a part of them only (None when each was read whole)."""
    shares = []
    for record in records:
        if "read" in record:
            left, top, right, bottom = record["read"]["box"]
            width, height = record["size"]
            shares.append((right - left) * (bottom - top) / float(width * height))
    partial = sorted(share for share in shares if share < 1.0)
    if not partial:
        return None
    median = partial[len(partial) // 2]
    return (f"{len(partial)} of {len(shares)} image(s) were judged by their central part only (median {100 * median:.1f} "
            "% of their pixels; the JSON gives each box under `read`)")


def detect(paths, model, *, size=None, policy=None, threshold=None, batch_size: int = 32,
           progress=None) -> dict:
    """Score image files (or folders, walked recursively) with a detector.

    Args:
        paths: image files or folders.
        model: any detector :func:`upconv_tf.runtime.load_predictor` reads (a detector folder, an exported
            SavedModel or ONNX model, ``saved_models/NAME[/VERSION]``), or a loaded predictor with ``model_path``
            given as ``(predictor, path)``.
        size, policy: override how files are loaded. An exported model takes one image size: another
            ``size`` (or ``policy="none"``) is refused with a ``ValueError`` before any file is read.
        threshold: ``label`` is ``"generated"`` when ``score >= threshold``; None (default) takes the model's
            own threshold (calibrated for its target false-positive rate when it was trained with one; 0.5
            for older models).

    Returns:
        ``{"model", "threshold", "size", "policy", "results": [{"path", "score", "label", "size", "read"}],
        "skipped"}``: ``size`` of a result is the image's ``[width, height]``, ``read`` the part the model saw
        (:func:`read_region`: ``box`` [left, top, right, bottom], ``resized_to`` with ``policy="resize"``).

    Raises:
        NoUsableImages: no file could be scored (``skipped`` says why).
    """
    from upconv_tf.datasets import list_images
    from upconv_tf.detection import detect_files
    from upconv_tf.runtime import load_predictor

    predictor, model_path = model if isinstance(model, tuple) else (load_predictor(model), model)
    size, policy, threshold = model_input(predictor, model_path, size, policy, threshold)
    errors, files = [], []
    for root in paths:
        if not os.path.exists(root) and not os.path.islink(root):
            errors.append(E.Skipped(root, E.MISSING, "no such file or folder"))
            continue
        files.extend(list_images(root, errors=errors))
    bar = progress_bar(progress, len(files), "detect")
    records = detect_files(files, predictor, size, policy, batch_size, threshold, errors, bar)
    bar.close()
    if not records:
        where = ", ".join(map(str, paths))
        raise NoUsableImages(f"no usable image in {where}" if errors else f"no image found under {where}", paths,
                             errors)
    for record in records:
        record.update(read_region(record["path"], size, policy))
    return {"model": model_source(model_path), "threshold": threshold, "size": size, "policy": policy,
            "results": records, "skipped": E.records(errors)}
