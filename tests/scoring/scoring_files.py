"""Image files for the scoring tests: photo crops and up-sampled ones (nearest-neighbour 2x, an up-convolution's
trace), 192-224 px (the shipped detector reads 192 px centre crops), as PNG, JPEG and WebP, plus files that
must be skipped. Made with numpy and Pillow only."""

import os

import numpy as np

FORMATS = ((".png", {}), (".jpg", {"quality": 92}), (".webp", {"quality": 85}))
# name -> content of the files every scorer must skip, with detect's reason
BAD = {
    "corrupt.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,  # a PNG signature, then garbage
    "notes.txt": b"not an image, just text\n",
    "empty.jpg": b"",
}
SMALL = "small.png"  # 120 x 100 px: smaller than the 192 px crop


def write_scoring_images(folder, count=48, seed=0):
    """``count`` good images (half photo crops, half up-sampled crops) and the bad files in ``folder``; returns
    the paths of the good ones and of the bad ones."""
    from PIL import Image

    from upconv_tf.datasets import bundled_crops

    os.makedirs(folder, exist_ok=True)
    real = bundled_crops(224, count - count // 2, seed=seed).images
    fake = np.repeat(np.repeat(bundled_crops(112, count // 2, seed=seed + 1).images, 2, axis=1), 2, axis=2)
    good = []
    for i, image in enumerate(np.concatenate([real, fake])):
        height, width = 192 + (i * 7) % 33, 192 + (i * 11) % 33
        pixels = np.clip(image[:height, :width] * 255 + 0.5, 0, 255).astype(np.uint8)
        extension, options = FORMATS[i % len(FORMATS)]
        path = os.path.join(folder, f"{'photo' if i < len(real) else 'upsampled'}_{i:03d}{extension}")
        Image.fromarray(pixels).save(path, **options)
        good.append(path)
    bad = []
    for name, content in BAD.items():
        bad.append(os.path.join(folder, name))
        with open(bad[-1], "wb") as handle:
            handle.write(content)
    bad.append(os.path.join(folder, SMALL))
    Image.fromarray(np.full((100, 120, 3), 128, np.uint8)).save(bad[-1])
    return good, bad
