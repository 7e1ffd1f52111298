"""Write a small labelled data set the pipeline can ingest: bundled-photo crops (real) and
``upconv_tf.fakes.make_fakes`` look-alikes (fake), one sub-folder per source photo.

    python -m tfx_pipeline.sample_data DATA_ROOT [--count 120] [--size SIZE] [--seed 0] [--kind transconv]

Needs only upconv_tf (no TFX). Real and fake crops come from different random crops of the same photos, and
both are saved as PNG (same encoding). A different ``--seed`` gives new data. ``--size`` defaults to the crop of
the pipeline's default preset (:data:`SIZE`), so that the pipeline's defaults take the images as they are.
"""

from __future__ import annotations

import argparse
import os
import sys

# The crop of the library's default preset (what the pipeline trains by default).
SIZE = 192


def write_sample_data(data_root, count: int = 120, size: int = SIZE, seed: int = 0, kind: str = "transconv") -> dict:
    """Write ``count`` real and ``count`` fake images under ``data_root/{real,fake}/<photo>/``; return counts."""
    from upconv_tf.datasets import bundled_crops, save_png
    from upconv_tf.fakes import make_fakes

    real = bundled_crops(size, count, seed=2 * seed)
    twins = bundled_crops(size, count, seed=2 * seed + 1)
    fake_images = make_fakes(twins.images, kind=kind, seed=seed)
    for label, crops, images in (("real", real, real.images), ("fake", twins, fake_images)):
        for index, (image, group) in enumerate(zip(images, crops.groups)):
            save_png(image, os.path.join(data_root, label, crops.sources[group], f"s{seed}_{index:04d}.png"))
    return {"real": len(real), "fake": len(fake_images)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfx_pipeline.sample_data", description=__doc__.splitlines()[0])
    parser.add_argument("data_root")
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kind", default="transconv")
    args = parser.parse_args(argv)
    try:
        counts = write_sample_data(args.data_root, args.count, args.size, args.seed, args.kind)
    except ValueError as error:
        print(f"sample_data: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {counts} to {args.data_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
