"""Score image files with a detector (what ``upconv-tf detect`` does)."""

from __future__ import annotations

import os

from upconv_tf import errors as E
from upconv_tf.errors import NoUsableImages
from upconv_tf.workflows._common import progress_bar


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
        ``{"model", "threshold", "size", "policy", "results": [{"path", "score", "label"}], "skipped"}``.

    Raises:
        NoUsableImages: no file could be scored (``skipped`` says why).
    """
    from upconv_tf.datasets import list_images
    from upconv_tf.detection import detect_files
    from upconv_tf.runtime import input_settings, load_predictor

    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise E.ArgumentError("threshold", f"must be in [0, 1], got {threshold}")
    predictor, model_path = model if isinstance(model, tuple) else (load_predictor(model), model)
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
    return {"model": os.path.abspath(model_path), "threshold": threshold, "size": size, "policy": policy,
            "results": records, "skipped": E.records(errors)}
