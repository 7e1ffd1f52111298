"""Detector features of image folders: labelled files (real / generated), their sources and generator
families, and the rows a preset trains on. Bad files are skipped and returned as records; a class with no
usable image raises :class:`~upconv_tf.errors.NoUsableImages`."""

from __future__ import annotations

import dataclasses
import os

from upconv_tf.errors import ArgumentError, NoUsableImages
from upconv_tf.workflows._common import check_roots, progress_bar


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
        raise ArgumentError("num_bins", "is needed with `policy` none (native image sizes, e.g. 80) so that every profile "
                                        "has the same length", mentions=("policy",))
    if num_bins is not None and num_bins < 2:
        raise ArgumentError("num_bins", f"must be >= 2, got {num_bins}")
    errors, out, listed = [], [], []
    for name, roots in (("real", real), ("fake", fake)):
        check_roots(roots, name)
        listed.append(list_images(*roots, errors=errors))
    if policy != "none":
        spectral.check_size(size, size, mode)
    extractor = SpectralFeatures(mode=mode, normalize=normalize, num_bins=num_bins, kind=kind)
    for (name, roots), paths in zip((("real", real), ("fake", fake)), listed):
        bar = progress_bar(progress, len(paths), name)
        features, used = file_features(extractor, paths, size, policy, batch_size, errors, bar)
        bar.close()
        if not used:
            raise NoUsableImages(f"no usable image in {', '.join(map(str, roots))}", roots, errors, name)
        out.append((features, used))
    return FolderFeatures(out[0][0], out[1][0], out[0][1], out[1][1], errors)


def short_side(path) -> int | None:
    """The shorter side of an image file in px, read from its header (no decoding); None when unreadable (the
    decoder reports why later)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return min(image.size)
    except Exception:  # noqa: BLE001 - any unreadable file is skipped and reported when decoded
        return None


def choose_size(recipe, labelled_paths):
    """``recipe`` with ``size="auto"`` resolved (:func:`upconv_tf.detection.presets.auto_size`) from the image
    files ``[(path, label)]``; a recipe with a number is returned as is, and with a policy other than
    center-crop ``"auto"`` is the preset's own size."""
    from upconv_tf.detection.presets import AUTO_SIZE, auto_size, reference_size

    if recipe.size != AUTO_SIZE:
        return recipe
    if recipe.policy != "center-crop":
        return recipe.replace(size=reference_size(recipe))
    sides = {0: [], 1: []}
    for path, label in labelled_paths:
        side = short_side(path)
        if side is not None:
            sides[int(label)].append(side)
    return recipe.replace(size=auto_size(sides, recipe))


def resolve_recipe(preset, settings):
    """A :class:`~upconv_tf.detection.presets.DetectorPreset` from a preset (name or object) and overrides."""
    from upconv_tf.detection.presets import DetectorPreset, detector_preset

    if isinstance(preset, DetectorPreset):
        return preset.replace(**settings) if settings else preset
    return detector_preset(preset, **settings)


def read_name_map(path, option: str = "families") -> dict:
    """A name map file: a JSON object ``{key: name}`` where a key is a file name (``a.png``) or a first-level
    folder under a root (several folders can map to one name); ``option`` names the argument in errors."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArgumentError(option, f"{path}: unreadable ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        what = "family" if option == "families" else "source"
        raise ArgumentError(option, f"{path}: must be a JSON object of strings {{file name or folder: {what}}}")
    return data


def read_family_map(path) -> dict:
    """A family map file (:func:`read_name_map`): ``{file name or first-level folder under a generated root:
    family}``."""
    return read_name_map(path, "families")


def read_source_map(path) -> dict:
    """A source map file (:func:`read_name_map`): ``{file name or first-level folder under a real root:
    source}``."""
    return read_name_map(path, "sources")


def file_family(path, root, families=None) -> str:
    """The generator family of a generated file: ``families[file name]``, else the first-level folder under
    ``root`` it is in (``families[folder]`` when the map renames it), else the name of ``root`` itself."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    folder = relative.split(os.sep)[0] if os.sep in relative else os.path.basename(os.path.normpath(root))
    families = families or {}
    return families.get(os.path.basename(path), families.get(folder, folder))


def file_source(path, root, sources=None) -> str:
    """The source of a real file (the package, collection or camera it comes from), found as a generator's
    family is (:func:`file_family`): ``sources[file name]``, else its first-level folder under ``root``
    (renamed by ``sources``), else the name of ``root``."""
    return file_family(path, root, sources)


def labelled_files(real, fake, group_by="auto", families=None, errors=None, sources=None) -> list:
    """``[(path, label, group, family, source)]`` of every image under the ``real`` (label 0) and ``fake``
    (label 1) roots; groups by :func:`upconv_tf.detection.group_ids` (per root), families by
    :func:`file_family` (real: ""), sources by :func:`file_source` (generated: "")."""
    from upconv_tf.datasets import list_images
    from upconv_tf.detection import group_ids

    out = []
    for label, roots, option in ((0, real, "real"), (1, fake, "fake")):
        check_roots(roots, option)
        for root in roots:
            paths = list_images(root, errors=errors)
            folder = os.path.isdir(root)
            for path, group in zip(paths, group_ids(paths, group_by)):
                family = file_family(path, root, families) if label == 1 and folder else ""
                source = (file_source(path, root, sources) if folder else os.path.basename(os.path.dirname(
                    os.path.abspath(path)))) if label == 0 else ""
                out.append((path, label, group, family, source))
    return out


def folder_preset_features(real, fake, preset="default", *, treatments=(), group_by="auto", families=None,
                           sources=None, seed=0, progress=None, **settings):
    """:func:`upconv_tf.detection.training.preset_features` of the files under ``real`` and ``fake``, with the
    groups, families and sources of :func:`labelled_files`; ``size="auto"`` (in ``settings``) is chosen from the
    files (:func:`choose_size`; the result's ``preset`` holds the size used).

    Files that cannot be used (unreadable, smaller than the crop) are in the result's ``skipped``; no usable
    image in a class raises :class:`NoUsableImages`.
    """
    from upconv_tf.datasets import iter_images
    from upconv_tf.detection.training import preset_features

    recipe = resolve_recipe(preset, settings)
    errors = []
    files = labelled_files(real, fake, group_by, families, errors, sources)
    recipe = choose_size(recipe, [(f[0], f[1]) for f in files])
    meta = {path: (label, group, family, source) for path, label, group, family, source in files}
    bar = progress_bar(progress, len(files), "features")
    items = ((path, image) + meta[path] for path, image in iter_images([f[0] for f in files], None, "none", errors))
    features = preset_features(items, recipe, treatments, seed, errors, bar)
    bar.close()
    features.skipped = list(errors)
    for label, roots, name in ((0, real, "real"), (1, fake, "fake")):
        if not (features.labels == label).any():
            raise NoUsableImages(f"no usable image in {', '.join(map(str, roots))}", roots, errors, name)
    return features
