"""Issue 13: the detector presets ("paper" and "default") as deployed, on three kinds of data.

* ``bundled``: the bundled photos (real, 256 px crops) against synthetic fakes of other crops made by each
  up-sampler of the package (transconv, nearest, bilinear, zero; :func:`upconv_tf.fakes.make_fakes`), 5 grouped
  random splits by photo; each preset crops at its own size (paper 128 px, default 192 px).
* ``dcgan64``: the same at 64 px (``--size 64`` for both presets): real 64 px crops against transposed-conv
  (DCGAN-like) and zero-insertion fakes.
* ``wild``: the in-the-wild corpus of ``upconv-tf corpus build`` (generated WebP thumbnails from the comfyui
  templates wheel, real photos processed alike): leave one family group out (``cross``), and train and test on
  halves of one family (``within``, families with >= 10 images).

Every protocol trains the preset's detector with its augmentation and threshold on the training images and
scores held-out images under each re-encoding (none, JPEG q90, JPEG q75, WebP q80) with
:mod:`upconv_tf.detection.evaluation` (ROC-AUC, balanced accuracy at the detector's own threshold, TPR at 5 %
FPR). Library calls only.

Run: ``python experiments/detection_wild.py --cache CORPUS [--parts bundled,dcgan64,wild]`` (CORPUS: the cache
folder of ``upconv-tf corpus build``). Writes ``docs/results/detection_wild.json`` and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

KINDS = ("transconv", "nearest", "bilinear", "zero")
WITHIN_MIN = 10


def family_group(family: str) -> str:
    """The cross-family protocol's held-out unit: API services, Flux models, Qwen-Image, app/utility
    templates, the other open models."""
    if family.startswith("api_"):
        return "api"
    if family in ("flux", "flux2"):
        return "flux"
    if family == "qwen_image":
        return "qwen"
    if family == "app" or family.startswith("utility_"):
        return "app/utility"
    return "open models"


def log(message):
    print(message, flush=True)


def _features(items, preset, seed):
    from upconv_tf.datasets.augment import TREATMENTS
    from upconv_tf.detection import preset_features

    return preset_features(items, preset, TREATMENTS, seed=seed, errors=[])


def _presets(names, size=None):
    from upconv_tf.detection import detector_preset

    return {name: detector_preset(name, **({"size": size} if size else {})) for name in names}


def _headline(evaluation):
    """{treatment: {metric: mean}} of an evaluation."""
    return {entry["treatment"]: {metric: entry[metric]["mean"] for metric in ("roc_auc", "balanced_accuracy",
                                                                               "tpr_at_fpr", "fpr", "tpr")}
            for entry in evaluation["results"]}


def bundled(presets, count, size, runs, seed, kinds=KINDS):
    """Bundled photos vs synthetic fakes: ``{preset: {kind: evaluation}}``."""
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.detection import evaluate_splits
    from upconv_tf.fakes import make_fakes

    real = bundled_crops(size, count, seed=seed)
    other = bundled_crops(size, count, seed=seed + 1)
    items = [(f"real/{i}", image, 0, real.sources[real.groups[i]], "") for i, image in enumerate(real.images)]
    for number, kind in enumerate(kinds):
        fakes = make_fakes(other.images, kind, seed=seed + number)
        items += [(f"{kind}/{i}", image, 1, other.sources[other.groups[i]], kind) for i, image in enumerate(fakes)]
    out = {}
    for name, preset in presets.items():
        started = time.time()
        features = _features(items, preset, seed)
        out[name] = {}
        for kind in kinds:
            subset = features.subset(np.flatnonzero((features.labels == 0) | (features.families == kind)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                evaluation = evaluate_splits(subset, runs=runs, test_size=0.25, seed=seed)
            out[name][kind] = evaluation
            log(f"  {name:7s} {kind:9s} " + _line(evaluation))
        log(f"  ({name}: {time.time() - started:.0f} s)")
    return out


def _line(evaluation):
    parts = []
    for entry in evaluation["results"]:
        parts.append(f"{entry['treatment']} {entry['roc_auc']['mean']:.3f}/{100 * entry['balanced_accuracy']['mean']:.1f}")
    return " | ".join(parts)


def wild(presets, cache, runs, seed):
    """The in-the-wild corpus: ``{preset: {"cross": evaluation, "within": {family: evaluation}}}``."""
    from PIL import Image

    from upconv_tf.datasets.corpus import wild_files
    from upconv_tf.detection import evaluate_cross_family, evaluate_splits

    entries = wild_files(cache)

    def items():
        for entry in entries:
            with Image.open(entry["path"]) as opened:
                image = np.asarray(opened.convert("RGB"), np.float32) / 255.0
            family = family_group(entry["family"]) if entry["label"] == "generated" else ""
            yield entry["file"], image, int(entry["label"] == "generated"), entry["group"], family

    out = {}
    for name, preset in presets.items():
        started = time.time()
        features = _features(items(), preset, seed)
        log(f"  {name}: {len(features.labels)} images ({int(features.labels.sum())} generated), "
            f"{len(features.skipped)} skipped (smaller than {preset.size} px), {len(features.train)} training rows")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            cross = evaluate_cross_family(features, seed=seed)
        log(f"  {name:7s} cross     " + _line(cross))
        # Within a family: the fine families (API services merged) with enough images, halves of their workflows.
        fine = np.array([family_group(f) if family_group(f) == "api" else f for f in
                         (entries[i]["family"] for i in _index(entries, features.names))])
        within = {}
        for family in sorted(set(fine[features.labels == 1])):
            members = np.flatnonzero((features.labels == 1) & (fine == family))
            if len(members) < WITHIN_MIN:
                continue
            subset = features.subset(np.r_[np.flatnonzero(features.labels == 0), members])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                within[family] = evaluate_splits(subset, runs=runs, test_size=0.5, seed=seed)
            log(f"  {name:7s} within {family:12s} " + _line(within[family]))
        out[name] = {"cross": cross, "within": within, "seconds": time.time() - started}
    return out


def _index(entries, names):
    where = {entry["file"]: i for i, entry in enumerate(entries)}
    return [where[name] for name in names]


def mean_within(within):
    """{treatment: {metric: mean over families}}."""
    heads = [_headline(evaluation) for evaluation in within.values()]
    return {t: {m: float(np.mean([h[t][m] for h in heads])) for m in heads[0][t]} for t in heads[0]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="corpus cache of `upconv-tf corpus build` (needed by the wild part)")
    parser.add_argument("--parts", default="bundled,dcgan64,wild")
    parser.add_argument("--presets", default="paper,default")
    parser.add_argument("--count", type=int, default=160, help="real images (and fakes per kind) of the bundled parts")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "results", "detection_wild.json"))
    args = parser.parse_args(argv)
    parts, names = args.parts.split(","), args.presets.split(",")
    from upconv_tf.detection.presets import WILD_KIND

    started = time.time()
    result = {"command": "python experiments/detection_wild.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count()}, "default_kind": WILD_KIND}
    if os.path.isfile(args.out):
        with open(args.out) as handle:
            previous = json.load(handle)
        result.update({k: v for k, v in previous.items() if k in ("bundled", "dcgan64", "wild")})
    if "bundled" in parts:
        log("bundled photos vs synthetic fakes (256 px sources, each preset at its own crop size)")
        result["bundled"] = bundled(_presets(names), args.count, 256, args.runs, args.seed)
    if "dcgan64" in parts:
        log("64 px: transposed-conv (DCGAN-like) and zero-insertion fakes, --size 64")
        result["dcgan64"] = bundled(_presets(names, 64), args.count * 2, 64, args.runs, args.seed,
                                    kinds=("transconv", "zero"))
    if "wild" in parts:
        if not args.cache:
            parser.error("the wild part needs --cache")
        log("in-the-wild corpus")
        result["wild"] = wild(_presets(names), args.cache, max(2, args.runs // 2), args.seed)
    result["seconds"] = time.time() - started
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    from upconv_tf._atomic import write_json

    write_json(result, args.out)
    log(f"wrote {args.out} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
