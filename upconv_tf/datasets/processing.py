"""The randomised processing chain that both classes go through, so that processing carries no label.

A detector trained on real photos made one way and generated images made another learns the making: the
resampling filter, the scale, the codec and its quality each leave a trace in the spectrum. The chain draws,
per image, one :class:`Step` from a :class:`Processing`: a resampling filter among box / bilinear / bicubic /
Lanczos, a scale, and JPEG or WebP at a quality, and applies it with :func:`apply_step`. Give both classes
the same :class:`Processing` and the processing is identical in distribution on both sides.

The scale is relative to ``min(short side, size)``: with ``size=400`` a 3000 px photo and a 400 px thumbnail
both come out with a short side of ``scale * 400`` px; a smaller image is never up-sampled (its own short
side is the reference). Draws come from ``numpy.random.default_rng((seed, index))``, so an image's step
depends on the seed and the image's index, not on the order of processing.

Example:

>>> chain = Processing(size=400)
>>> step = chain.draw(seed=0, index=7)
>>> step.resample in RESAMPLING, step.encoding in ENCODINGS
(True, True)
>>> data = apply_step(image, step)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np

from upconv_tf.datasets.augment import ENCODINGS, RESAMPLING, encode_bytes, resize
from upconv_tf.errors import ArgumentError

SUBSAMPLINGS = ("444", "420")


@dataclasses.dataclass(frozen=True)
class Step:
    """One draw of the chain: what :func:`apply_step` does to one image (JSON keys of the corpus manifest)."""

    resample: str
    scale: float
    encoding: str
    quality: int
    subsampling: str | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Processing:
    """The distribution of :class:`Step` (module docstring).

    Attributes:
        resample: filters drawn uniformly (:data:`~upconv_tf.datasets.augment.RESAMPLING` names).
        scale: (low, high) scale drawn uniformly, relative to ``min(short side, size)``.
        encoding: codecs drawn uniformly (``"jpeg"``, ``"webp"``).
        quality: (low, high) quality drawn uniformly, both included.
        size: the reference side of the scale (None: the image's own short side).
    """

    resample: tuple = RESAMPLING
    scale: tuple = (0.64, 1.0)
    encoding: tuple = ENCODINGS
    quality: tuple = (60, 95)
    size: int | None = None

    def __post_init__(self):
        if not self.resample or set(self.resample) - set(RESAMPLING):
            raise ArgumentError("resample", f"must be a non-empty subset of {RESAMPLING}. Received: "
                             f"resample={self.resample!r}")
        if not self.encoding or set(self.encoding) - set(ENCODINGS):
            raise ArgumentError("encoding", f"must be a non-empty subset of {ENCODINGS}. Received: "
                             f"encoding={self.encoding!r}")
        low, high = self.scale
        if not 0 < low <= high <= 1:
            raise ArgumentError("scale", f"must be (low, high) in (0, 1]. Received: scale={self.scale!r}")
        low, high = self.quality
        if not 1 <= low <= high <= 100:
            raise ArgumentError("quality", f"must be (low, high) in 1..100. Received: quality={self.quality!r}")
        if self.size is not None and self.size < 1:
            raise ArgumentError("size", f"must be a positive side in px or None. Received: size={self.size!r}")

    def draw(self, seed: int = 0, index: int = 0) -> Step:
        """The :class:`Step` of image ``index`` (draws from ``default_rng((seed, index))``)."""
        rng = np.random.default_rng((int(seed), int(index)))
        resample = self.resample[int(rng.integers(len(self.resample)))]
        scale = round(float(rng.uniform(*self.scale)), 4)
        encoding = self.encoding[int(rng.integers(len(self.encoding)))]
        quality = int(rng.integers(self.quality[0], self.quality[1] + 1))
        subsampling = SUBSAMPLINGS[int(rng.integers(2))] if encoding == "jpeg" else None
        return Step(resample, scale, encoding, quality, subsampling)

    def as_dict(self) -> dict:
        return {"resample": list(self.resample), "scale": list(self.scale), "encoding": list(self.encoding),
                "quality": list(self.quality), "size": self.size}


def output_shape(height: int, width: int, step: Step, size: int | None = None) -> tuple:
    """``(height, width)`` after ``step``: the short side becomes ``scale * min(short side, size)``."""
    short = min(height, width)
    reference = short if size is None else min(short, size)
    factor = step.scale * reference / short
    return max(1, int(round(height * factor))), max(1, int(round(width * factor)))


def apply_step(image, step: Step, size: int | None = None) -> bytes:
    """``image`` (uint8 or [0, 1] float (H, W, 3) array, or a PIL image) resized and encoded by ``step``: the
    encoded file's bytes (JPEG or WebP)."""
    pixels = np.asarray(image)
    height, width = output_shape(pixels.shape[0], pixels.shape[1], step, size)
    if (height, width) != pixels.shape[:2]:
        pixels = resize(pixels, (height, width), step.resample)
    return encode_bytes(pixels, step.encoding, step.quality, step.subsampling)


def decode(data: bytes) -> np.ndarray:
    """Encoded bytes as a float32 (H, W, 3) array in [0, 1]."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB"), np.float32) / 255.0


def process(image, processing: Processing = Processing(), seed: int = 0, index: int = 0) -> tuple:
    """``(decoded float32 image, step)``: image ``index`` through one draw of ``processing``."""
    step = processing.draw(seed, index)
    return decode(apply_step(image, step, processing.size)), step
