"""Training-time augmentation of the detector's images, and the re-encodings of its robustness table.

Generated images reach users through platforms that crop, resize and re-encode them. A detector trained on
pristine PNGs learns the encoding as much as the generator (measured: accuracy fell from 92-98 % to 72-79 %
once test images were re-encoded). :func:`augment_image` makes, from one image:

* ``crops`` crops of ``size`` px: the centre, then offsets of up to ``max_offset`` px that never move towards
  the top-left corner (:func:`crop_offsets`), where services put their logos;
* ``twins`` treated twins of each crop: with probability ``resize`` the twin is cut from the whole image
  down-scaled by a random factor (``scale``, random filter among box, bilinear, bicubic, Lanczos), then it is
  re-encoded as JPEG (probability ``jpeg``, random quality in ``quality``, 4:4:4 or 4:2:0 chroma) or as WebP
  (probability ``webp``), or left untouched.

Both classes get the same treatment, so the encoding carries no label. Every crop and twin of an image keeps
the image's group (its source): a split by group never puts one image's crops on both sides. The random draws
of image ``index`` come from ``numpy.random.default_rng((seed, index))``: the result depends on the seed and
the image, not on batching or on the other images.

The robustness table's treatments (:data:`TREATMENTS`) go through the same encoder (:func:`reencode`).

Example:

>>> crops, original = augment_image(image, 192, seed=0, index=7)  # doctest: +SKIP
>>> crops.shape, original.tolist()  # 5 crops, each then its twin  # doctest: +SKIP
((10, 192, 192, 3), [True, False, True, False, True, False, True, False, True, False])
"""

from __future__ import annotations

import dataclasses
import io
import re

import numpy as np

from upconv_tf.errors import ArgumentError

# Test-time treatments of ``detector evaluate``'s robustness table: none, then what upload platforms do.
TREATMENTS = ("none", "jpeg90", "jpeg75", "webp80")
ENCODINGS = ("jpeg", "webp")
_TREATMENT = re.compile(r"^(jpeg|webp)(\d{1,3})(?:-(444|420))?$")
# Crop directions (rows, columns) in units of the offset: the centre first, never up *and* left.
DIRECTIONS = ((0, 0), (1, 1), (1, -1), (-1, 1), (1, 0), (0, 1))
RESAMPLING = ("box", "bilinear", "bicubic", "lanczos")


def parse_treatment(name: str):
    """``"none"`` -> None; ``"jpeg90"``, ``"jpeg75-420"``, ``"webp80"`` -> ``(encoding, quality, subsampling)``
    (subsampling ``"444"``/``"420"`` for JPEG, default 4:2:0 as most encoders; None for WebP)."""
    if name == "none":
        return None
    match = _TREATMENT.match(str(name))
    if not match or not 1 <= int(match.group(2)) <= 100 or (match.group(1) == "webp" and match.group(3)):
        raise ArgumentError("treatment", f"must be 'none', 'jpegQ[-444|-420]' or 'webpQ' with Q in 1..100. "
                                         f"Received: {name!r}")
    encoding, quality = match.group(1), int(match.group(2))
    return encoding, quality, (match.group(3) or "420") if encoding == "jpeg" else None


def _to_uint8(image):
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)


def encode_bytes(image, encoding: str, quality: int, subsampling: str | None = None) -> bytes:
    """``image`` (H, W, 3) or (H, W, 1), uint8 or float in [0, 1], saved as JPEG or WebP at ``quality``: the
    file's bytes. ``subsampling``: JPEG chroma, ``"444"`` (none) or ``"420"`` (default)."""
    from PIL import Image

    if encoding not in ENCODINGS:
        raise ArgumentError("encoding", f"must be one of {ENCODINGS}. Received: encoding={encoding!r}")
    buffer = io.BytesIO()
    pixels = _to_uint8(image)
    gray = pixels.ndim == 3 and pixels.shape[-1] == 1
    picture = Image.fromarray(pixels[..., 0] if gray else pixels)
    if encoding == "jpeg":
        picture.save(buffer, "JPEG", quality=int(quality), subsampling=0 if subsampling == "444" else 2)
    else:
        picture.save(buffer, "WEBP", quality=int(quality), method=4)
    return buffer.getvalue()


def encode(image, encoding: str, quality: int, subsampling: str | None = None) -> np.ndarray:
    """``image`` (H, W, 3) in [0, 1] saved as JPEG or WebP at ``quality`` and decoded again, float32 in [0, 1].

    ``subsampling``: JPEG chroma, ``"444"`` (none) or ``"420"`` (default).
    """
    from PIL import Image

    pixels = np.asarray(image)
    gray = pixels.ndim == 3 and pixels.shape[-1] == 1
    with Image.open(io.BytesIO(encode_bytes(image, encoding, quality, subsampling))) as decoded:
        if gray:
            return np.asarray(decoded.convert("L"), np.float32)[..., None] / 255.0
        return np.asarray(decoded.convert("RGB"), np.float32) / 255.0


def reencode(image, treatment: str) -> np.ndarray:
    """``image`` after one :data:`TREATMENTS`-style treatment (``"none"`` returns it as float32)."""
    parsed = parse_treatment(treatment)
    if parsed is None:
        return np.asarray(image, np.float32)
    return encode(image, *parsed)


def crop_offsets(height: int, width: int, size: int, count: int = 5, max_offset: int = 48) -> list:
    """``[(top, left)]`` of ``count`` crops of ``size`` px in an image: the centre crop first, then
    :data:`DIRECTIONS` scaled by ``min(max_offset, margin)`` per axis (so never towards the top-left corner).

    Positions that coincide (a side without margin keeps its centre) are given once: a ``size`` x ``size``
    image gives its one crop.
    """
    if not 1 <= count <= len(DIRECTIONS):
        raise ArgumentError("count", f"must be 1 to {len(DIRECTIONS)}. Received: count={count!r}")
    if min(height, width) < size:
        raise ValueError(f"{width} x {height} px is smaller than the {size} px crop")
    top, left = (height - size) // 2, (width - size) // 2
    dy, dx = min(max_offset, top), min(max_offset, left)
    return list(dict.fromkeys((top + sy * dy, left + sx * dx) for sy, sx in DIRECTIONS[:count]))


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """How :func:`augment_image` multiplies one image (module docstring).

    Attributes:
        crops: crops per image (centre + offsets), 1 to 6.
        max_offset: largest crop offset in px (the research used 48 px at 192 px crops of 400 px images).
        twins: treated twins per crop (0: crops only).
        jpeg, webp: probabilities of re-encoding a twin as JPEG / WebP (the rest stay untouched).
        quality: (low, high) quality range, both included.
        resize: probability that a twin is cut from the image down-scaled by a factor drawn from ``scale``
            (only where the down-scaled image still holds the crop).
        scale: (low, high) down-scaling factors.
    """

    crops: int = 5
    max_offset: int = 48
    twins: int = 1
    jpeg: float = 0.35
    webp: float = 0.35
    quality: tuple = (60, 100)
    resize: float = 0.2
    scale: tuple = (0.5, 1.0)
    processing: object = None

    def __post_init__(self):
        if not 1 <= self.crops <= len(DIRECTIONS):
            raise ArgumentError("crops", f"must be 1 to {len(DIRECTIONS)}. Received: crops={self.crops!r}")
        if self.twins < 0 or self.max_offset < 0:
            raise ArgumentError("twins", f"and `max_offset` must be >= 0. Received: twins={self.twins!r}, "
                                         f"max_offset={self.max_offset!r}", mentions=("max_offset",))
        if not (0 <= self.jpeg and 0 <= self.webp and self.jpeg + self.webp <= 1 and 0 <= self.resize <= 1):
            raise ValueError("`jpeg`, `webp` and `resize` must be probabilities (jpeg + webp <= 1). "
                             f"Received: jpeg={self.jpeg!r}, webp={self.webp!r}, resize={self.resize!r}")
        low, high = self.quality
        if not 1 <= low <= high <= 100:
            raise ArgumentError("quality", f"must be (low, high) in 1..100. Received: quality={self.quality!r}")
        low, high = self.scale
        if not 0 < low <= high <= 1:
            raise ArgumentError("scale", f"must be (low, high) in (0, 1]. Received: scale={self.scale!r}")

    @property
    def per_image(self) -> int:
        """Rows :func:`augment_image` makes from one image large enough for every crop."""
        return self.crops * (1 + self.twins)


def resize(image, shape, resample: str) -> np.ndarray:
    """``image`` (uint8 or [0, 1] float) resized to ``shape`` = (height, width) with a :data:`RESAMPLING`
    filter: float32 in [0, 1]."""
    from PIL import Image

    flag = {"box": Image.BOX, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}
    if resample not in flag:
        raise ArgumentError("resample", f"must be one of {RESAMPLING}. Received: resample={resample!r}")
    height, width = shape
    picture = Image.fromarray(_to_uint8(image)).resize((int(width), int(height)), flag[resample])
    return np.asarray(picture, np.float32) / 255.0


def _resized(image, factor, resample):
    height, width = image.shape[:2]
    return resize(image, (max(1, int(round(height * factor))), max(1, int(round(width * factor)))), resample)


def _legacy_twin(image, top, left, size, rng, augmentation):
    """One treated twin of the crop at (top, left), drawn from the legacy probabilities."""
    height, width = image.shape[:2]
    crop = None
    if rng.random() < augmentation.resize:
        low = max(augmentation.scale[0], size / min(height, width))
        if low < augmentation.scale[1]:
            factor = rng.uniform(low, augmentation.scale[1])
            scaled = _resized(image, factor, RESAMPLING[rng.integers(len(RESAMPLING))])
            # The crop's centre, moved with the image, clipped so that the crop stays inside.
            sh, sw = scaled.shape[:2]
            y = int(np.clip(round((top + size / 2) * factor - size / 2), 0, sh - size))
            x = int(np.clip(round((left + size / 2) * factor - size / 2), 0, sw - size))
            crop = scaled[y:y + size, x:x + size]
    if crop is None:
        crop = image[top:top + size, left:left + size]
    draw = rng.random()
    quality = int(rng.integers(augmentation.quality[0], augmentation.quality[1] + 1))
    if draw < augmentation.jpeg:
        return encode(crop, "jpeg", quality, "444" if rng.random() < 0.5 else "420")
    if draw < augmentation.jpeg + augmentation.webp:
        return encode(crop, "webp", quality)
    return np.asarray(crop, np.float32)


# A twin is encoded with up to this many pixels of the image above and left of its crop, so that the codec's
# 8 x 8 (JPEG) / 4 x 4 (WebP) block grid falls at any phase of the crop, as when a whole image is re-encoded
# and then cropped.
_GRID = 8


def chain_twin(image, top, left, size, processing, seed=0, index=0, rng=None):
    """The crop at (top, left) of ``image`` after one draw of the processing chain both corpus classes went
    through (:class:`upconv_tf.datasets.processing.Processing`): the whole image resampled by the draw's filter
    and scale (the scale clipped so that the crop still fits: an image of the crop's size is not resampled), the
    crop's window cut where it moved to, encoded by the draw's codec and quality, and decoded.

    Args:
        image: (H, W, C) float in [0, 1].
        top, left, size: the crop.
        processing: the :class:`~upconv_tf.datasets.processing.Processing` whose steps are drawn (its ``size``
            is ignored: the scale is relative to the image's short side).
        seed, index: the step is ``processing.draw(seed, index)``.
        rng: numpy generator for the block-grid phase (default: seeded by ``(seed, index)``).

    Returns:
        (size, size, C) float32.
    """
    step = processing.draw(seed, index)
    rng = np.random.default_rng((int(seed), int(index), 1)) if rng is None else rng
    height, width = image.shape[:2]
    factor = max(step.scale, size / min(height, width))
    if factor < 1.0:
        image = _resized(image, factor, step.resample)
        sh, sw = image.shape[:2]
        top = int(np.clip(round((top + size / 2) * factor - size / 2), 0, sh - size))
        left = int(np.clip(round((left + size / 2) * factor - size / 2), 0, sw - size))
    dy, dx = (int(rng.integers(0, _GRID)) for _ in range(2))
    dy, dx = min(dy, top), min(dx, left)
    window = image[top - dy:top + size, left - dx:left + size]
    return encode(window, step.encoding, step.quality, step.subsampling)[dy:, dx:]


def augment_image(image, size: int, augmentation: Augmentation | None = None, seed: int = 0,
                  index: int = 0):
    """Crops of ``image`` and their treated twins (module docstring).

    Args:
        image: (H, W, 3) float in [0, 1] (as :func:`upconv_tf.datasets.load_image` gives), at least ``size`` px
            on each side.
        size: crop side in px.
        augmentation: an :class:`Augmentation`.
        seed, index: the draws come from ``numpy.random.default_rng((seed, index))``.

    Returns:
        ``(crops, original)``: (k, size, size, 3) float32, each crop followed by its twins, and a (k,) bool
        array that is True for the untreated crops.
    """
    augmentation = Augmentation() if augmentation is None else augmentation
    image = np.asarray(image, np.float32)
    if image.ndim != 3:
        raise ArgumentError("image", f"must be (H, W, C). Received: shape={image.shape}")
    rng = np.random.default_rng((int(seed), int(index)))
    crops, original = [], []
    for top, left in crop_offsets(image.shape[0], image.shape[1], size, augmentation.crops, augmentation.max_offset):
        crops.append(image[top:top + size, left:left + size])
        original.append(True)
        for _ in range(augmentation.twins):
            if augmentation.processing is None:
                crops.append(_legacy_twin(image, top, left, size, rng, augmentation))
            else:
                crops.append(chain_twin(image, top, left, size, augmentation.processing, seed,
                                        int(rng.integers(1 << 62)), rng))
            original.append(False)
    return np.stack(crops), np.asarray(original)
