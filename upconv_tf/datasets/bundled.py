"""Real photographs that ship inside installed packages (no download): scikit-image, scikit-learn,
matplotlib. SPEC s. 5."""

from __future__ import annotations

import functools

import numpy as np

SKIMAGE_PHOTOS = (
    "astronaut", "camera", "chelsea", "coffee", "rocket", "stereo_motorcycle", "grass", "gravel",
    "brick", "coins", "moon", "hubble_deep_field", "clock",
)
SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")
MATPLOTLIB_PHOTOS = ("grace_hopper.jpg",)
BUNDLED_NAMES = SKIMAGE_PHOTOS + tuple(n.split(".")[0] for n in SKLEARN_PHOTOS + MATPLOTLIB_PHOTOS)


def _as_rgb_uint8(image):
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return np.ascontiguousarray(image[..., :3].astype(np.uint8))


def _skimage_photo(name):
    import skimage.data

    image = getattr(skimage.data, name)()
    return image[0] if isinstance(image, tuple) else image  # stereo_motorcycle: (left, right, disparity)


def _sklearn_photo(name):
    from sklearn.datasets import load_sample_image

    return load_sample_image(name)


def _matplotlib_photo(name):
    import matplotlib.cbook
    from PIL import Image

    with matplotlib.cbook.get_sample_data(name) as handle:
        return np.asarray(Image.open(handle).convert("RGB"))


@functools.lru_cache(maxsize=1)
def bundled_photos() -> dict:
    """All bundled photos as ``{name: (H, W, 3) uint8 RGB}`` (gray photos repeated to 3 channels).

    Sizes range from 300 x 400 to 872 x 1000 px; three show faces (astronaut, grace_hopper, camera).
    """
    photos = {}
    for name in SKIMAGE_PHOTOS:
        photos[name] = _as_rgb_uint8(_skimage_photo(name))
    for name in SKLEARN_PHOTOS:
        photos[name.split(".")[0]] = _as_rgb_uint8(_sklearn_photo(name))
    for name in MATPLOTLIB_PHOTOS:
        photos[name.split(".")[0]] = _as_rgb_uint8(_matplotlib_photo(name))
    return photos
