"""Reproducible random crops that remember which photo they came from (for grouped splits)."""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from upconv_tf.errors import ArgumentError


@dataclasses.dataclass
class CropSet:
    """Crops and their provenance.

    Attributes:
        images: (N, size, size, 3) float32 in [0, 1].
        groups: (N,) int source-photo index, for grouped splits (``sklearn.model_selection.GroupKFold``).
        sources: names of the source photos; ``sources[groups[i]]`` is crop i's photo.
        boxes: (N, 4) int ``(top, left, height, width)`` of each crop in its photo.
    """

    images: np.ndarray
    groups: np.ndarray
    sources: list
    boxes: np.ndarray

    def __len__(self):
        return len(self.images)

    def subset(self, index):
        index = np.asarray(index)
        return CropSet(self.images[index], self.groups[index], self.sources, self.boxes[index])


def sample_crops(photos, size: int, count: int, seed: int = 0, max_scale: float = 1.0) -> CropSet:
    """Cut ``count`` random square crops of ``size`` px from ``photos``, reproducibly.

    Photos are drawn in turn (round robin over a seeded order) so each contributes evenly. With
    ``max_scale == 1`` (default) crops are taken at native resolution, adding no resampling trace to
    the spectrum; with ``max_scale > 1`` a square of side ``size * s`` (``s`` uniform in
    [1, max_scale], capped by the photo) is cut and reduced to ``size`` with a Lanczos filter.

    Args:
        photos: ``{name: (H, W, 3) uint8 array}`` (e.g. :func:`bundled_photos`) or a list of arrays.
        size: crop side in px (>= 4).
        count: number of crops.
        seed: random seed; the same arguments give the same crops.
        max_scale: largest down-scaling factor (>= 1).

    Returns:
        A :class:`CropSet`.
    """
    if not isinstance(photos, dict):
        photos = {f"photo_{i}": p for i, p in enumerate(photos)}
    if int(size) < 4:
        raise ArgumentError("size", f"must be at least 4. Received: size={size}")
    if int(count) < 0:
        raise ArgumentError("count", f"must be >= 0. Received: count={count}")
    if max_scale < 1:
        raise ArgumentError("max_scale", f"must be >= 1. Received: max_scale={max_scale}")
    names = [n for n, p in photos.items() if min(p.shape[:2]) >= size]
    if not names:
        raise ValueError(f"No photo is at least {size} px on its shorter side. Received: size={size}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(names))
    images = np.empty((count, size, size, 3), np.float32)
    groups = np.empty(count, np.int64)
    boxes = np.empty((count, 4), np.int64)
    for i in range(count):
        group = int(order[i % len(names)])
        photo = photos[names[group]]
        height, width = photo.shape[:2]
        side = min(int(round(size * rng.uniform(1.0, max_scale))), height, width)
        top = int(rng.integers(0, height - side + 1))
        left = int(rng.integers(0, width - side + 1))
        crop = photo[top:top + side, left:left + side, :3]
        if side != size:
            crop = np.asarray(Image.fromarray(crop).resize((size, size), Image.LANCZOS))
        images[i] = crop.astype(np.float32) / 255.0
        groups[i] = group
        boxes[i] = (top, left, side, side)
    return CropSet(images, groups, names, boxes)
