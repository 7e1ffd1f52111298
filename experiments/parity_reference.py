"""Parity of ``mode="reference"`` with the published UpConv pipeline on the bundled photos.

Run: ``.venv/bin/python experiments/parity_reference.py`` (prints a table, writes JSON next to it with --json).
Error = largest absolute difference divided by the profile's largest absolute value, over crops of every
bundled photo (centre, [-1, 1] range as in training), for the numpy path and the Keras layer.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from upconv_tf import spectral  # noqa: E402
from upconv_tf.datasets import bundled_photos  # noqa: E402

from reference_impl import reference_profile  # noqa: E402

SIZES = [(32, 32), (64, 64), (128, 128), (256, 256), (218, 178)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the table as JSON")
    args = parser.parse_args()
    from upconv_tf.layers import AzimuthalIntegral

    rows = []
    for height, width in SIZES:
        crops = []
        for photo in bundled_photos().values():
            top, left = (photo.shape[0] - height) // 2, (photo.shape[1] - width) // 2
            crops.append(photo[top:top + height, left:left + width].astype(np.float64) / 127.5 - 1.0)
        crops = np.stack(crops)
        expected = np.stack([reference_profile(c) for c in crops])
        scale = np.abs(expected).max(axis=1)
        numpy_path = spectral.azimuthal_integral(crops, mode="reference")
        layer = AzimuthalIntegral(mode="reference")(crops.astype(np.float32)).numpy()
        rows.append({
            "size": f"{height}x{width}", "bins": expected.shape[1], "images": len(crops),
            "numpy_max_rel_error": float((np.abs(numpy_path - expected).max(axis=1) / scale).max()),
            "layer_float32_max_rel_error": float((np.abs(layer - expected).max(axis=1) / scale).max()),
        })
    print(f"{'size':>9} {'bins':>5} {'images':>6} {'numpy':>10} {'layer f32':>10}")
    for row in rows:
        print(f"{row['size']:>9} {row['bins']:>5} {row['images']:>6} {row['numpy_max_rel_error']:10.2e} "
              f"{row['layer_float32_max_rel_error']:10.2e}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
