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

``python experiments/detection_wild.py --cache CORPUS --layout DIR`` only lays the kept corpus files out for the
CLI (symbolic links): ``DIR/real/<photo>_<package>-<photo>-<crop>.webp``, ``DIR/fake/<family>/<workflow>_<role>.webp`` (so
``--group-by prefix`` groups by source photo and by workflow) and ``DIR/families.json`` (the family groups of
the cross-family protocol, for ``detector evaluate --families``).
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
    """The cross-family protocol's held-out unit (:func:`upconv_tf.corpus.wild_family_group`)."""
    from upconv_tf.corpus import wild_family_group

    return wild_family_group(family)


def layout(cache, out) -> dict:
    """Symbolic links to the kept wild-corpus files in the layout the CLI reads (module docstring); returns
    ``{"real": n, "generated": {family: n}}``."""
    from upconv_tf._atomic import write_json
    from upconv_tf.corpus import wild_files

    counts = {"real": 0, "generated": {}}
    families = {}
    for entry in wild_files(cache):
        group = entry["group"].split(":", 1)[-1].replace("/", "-")
        if entry["label"] == "real":
            # package-photo-crop: unique (one photo may ship in two packages), without "_" (the prefix rule).
            stem = os.path.splitext(os.path.basename(entry["file"]))[0].replace("__", "-").replace("_", "-")
            target = os.path.join(out, "real", f"{group}_{stem}.webp")
            counts["real"] += 1
        else:
            family = entry["family"]
            families[family] = family_group(family)
            target = os.path.join(out, "fake", family, f"{group}_{entry['role']}.webp")
            counts["generated"][family] = counts["generated"].get(family, 0) + 1
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.lexists(target):
            os.remove(target)
        os.symlink(os.path.abspath(entry["path"]), target)
    write_json(families, os.path.join(out, "families.json"))
    return counts


CLI_PRESETS = {"default": "default (rings-cells-colour, shipped)", "azimuthal": "default with azimuthal features "
               "(before)", "paper": "paper (Durall et al.)"}
CLI_COMMANDS = {"default": "", "azimuthal": " --features azimuthal", "paper": " --preset paper"}


def collect(folder) -> dict:
    """The ``detector evaluate --json`` outputs of ``experiments/detection_wild_cli.sh`` under ``folder/res``:
    ``{"cross": {preset: {treatment: means}}, "within": {preset: {family: {treatment: means}}}, "commands"}``."""
    res = os.path.join(folder, "res")
    out = {"cross": {}, "within": {}, "folds": {}, "commands": {
        "layout": "python experiments/detection_wild.py --cache CORPUS --layout DIR",
        "cross": "upconv-tf detector evaluate --real DIR/real --fake DIR/fake --families DIR/families.json "
                 "--group-by prefix --protocol cross-family [PRESET] --json ...",
        "within": "upconv-tf detector evaluate --real DIR/real --fake DIR/fake/FAMILY --group-by prefix "
                  "--protocol splits --runs 2 --test-size 0.5 [PRESET] --json ...",
        "presets": CLI_COMMANDS, "script": "experiments/detection_wild_cli.sh DIR"}}
    for name in sorted(os.listdir(res)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(res, name)) as handle:
            evaluation = json.load(handle)
        protocol, _, rest = name[:-5].partition("_")
        if protocol == "cross":
            out["cross"][rest] = _headline(evaluation)
            out["folds"][rest] = {fold["family"]: {"generated": fold["generated"], **{
                t: {m: v for m, v in r.items()} for t, r in fold["treatments"].items()}}
                for fold in evaluation["families"]}
            out.setdefault("sizes", {"real": evaluation["protocol"]["real"],
                                     "generated": evaluation["protocol"]["generated"],
                                     "groups": evaluation["protocol"]["groups"]})
        elif protocol == "within":
            preset, _, family = rest.partition("_")
            out["within"].setdefault(preset, {})[family] = _headline(evaluation)
        elif protocol == "detect":
            out["detect"] = score_detect(evaluation)
    return out


def score_detect(result) -> dict:
    """ROC-AUC, balanced accuracy, TPR and FPR of a ``detect --json`` result over ``.../real/`` and
    ``.../fake/`` files, at the model's own threshold (its ``label``)."""
    from sklearn.metrics import roc_auc_score

    truth = np.array([0 if f"{os.sep}real{os.sep}" in r["path"] else 1 for r in result["results"]])
    scores = np.array([r["score"] for r in result["results"]])
    said = np.array([r["label"] == "generated" for r in result["results"]])
    tpr, fpr = float(said[truth == 1].mean()), float(said[truth == 0].mean())
    return {"real": int((truth == 0).sum()), "generated": int(truth.sum()), "threshold": result["threshold"],
            "roc_auc": float(roc_auc_score(truth, scores)), "balanced_accuracy": (tpr + 1 - fpr) / 2, "tpr": tpr,
            "fpr": fpr}


def _cell(entry, metrics=("roc_auc", "balanced_accuracy")):
    return " / ".join(f"{entry[m]:.3f}" if m == "roc_auc" else f"{100 * entry[m]:.1f}" for m in metrics)


def markdown(result) -> list:
    """The docs/RESULTS.md section of ``docs/results/detection_wild.json`` (lines; no number typed by hand)."""
    out = ["## 4. Detection in the wild (issue 13): the paper recipe vs the default preset", "",
           f"Command: `{result['command']}` (bundled and 64 px parts) and `experiments/detection_wild_cli.sh` + "
           "`python experiments/detection_wild.py --collect DIR` (in-the-wild corpus, through `upconv-tf detector "
           f"evaluate`). Machine: {result['machine']['platform']}, {result['machine']['cpus']} CPUs shared with "
           "other jobs. Presets (`upconv_tf.detection.presets`): **paper** = reference azimuthal integral / first "
           "value, SVM C=6.37 gamma=0.86, no scaler, no augmentation, threshold 0.5, 128 px; **default** = "
           f"{result.get('default_kind', '?')} features, scaler + SVM C=1 gamma='scale', augmentation (crops, JPEG/"
           "WebP twins, resizing), threshold calibrated out of fold on real training images for 5 % FPR, 192 px; "
           "**default/azimuthal** = the default with the azimuthal integral (the default before this change).", "",
           "Cells: ROC-AUC / balanced accuracy % at the detector's own threshold; test images re-encoded after the "
           "split (none = as stored; JPEG q90, q75 4:2:0; WebP q80). Splits grouped by source photo (bundled: 16 "
           "photos, test = 25 % of them, 5 runs).", ""]
    treatments = ("none", "jpeg90", "jpeg75", "webp80")
    for part, title in (("bundled", "Bundled photos vs synthetic fakes of other crops (256 px sources; each "
                                    "preset at its own crop size)"),
                        ("dcgan64", "64 px (`--size 64`): transposed-convolution (DCGAN-like) and zero-insertion "
                                    "fakes")):
        if part not in result:
            continue
        out += [f"### {title}", "", "| preset | fakes | " + " | ".join(treatments) + " |",
                "|---|---|" + "---|" * len(treatments)]
        for preset, kinds in result[part].items():
            for kind, evaluation in kinds.items():
                head = _headline(evaluation)
                out.append(f"| {preset} | {kind} | " + " | ".join(_cell(head[t]) for t in treatments if t in head)
                           + " |")
        out.append("")
    cli = result.get("wild_cli")
    if cli:
        sizes = cli.get("sizes", {})
        out += ["### In the wild: leave one family group out", "",
                f"{sizes.get('real', '?')} real photos-crops and {sizes.get('generated', '?')} generated stills "
                f"({sizes.get('groups', '?')} sources); the held-out group is one of api, app-utility, flux, open "
                "models, qwen; mean over the 5 folds. Command: `" + cli["commands"]["cross"] + "`.", "",
                "| preset | treatment | ROC-AUC | bal. acc. % | TPR at 5 % FPR | FPR at its threshold |",
                "|---|---|---|---|---|---|"]
        for preset in ("paper", "azimuthal", "default"):
            for treatment, entry in cli["cross"].get(preset, {}).items():
                out.append(f"| {CLI_PRESETS[preset]} | {treatment} | {entry['roc_auc']:.3f} | "
                           f"{100 * entry['balanced_accuracy']:.1f} | {entry['tpr_at_fpr']:.2f} | "
                           f"{100 * entry['fpr']:.1f} % |")
        out += ["", "Per held-out family group, as stored (ROC-AUC / balanced accuracy %):", "",
                "| preset | " + " | ".join(next(iter(cli["folds"].values()))) + " |",
                "|---|" + "---|" * len(next(iter(cli["folds"].values())))]
        for preset in ("paper", "azimuthal", "default"):
            if preset in cli["folds"]:
                out.append(f"| {CLI_PRESETS[preset]} | " + " | ".join(_cell(fold["none"]) for fold in
                                                                       cli["folds"][preset].values()) + " |")
        out += ["", "### In the wild: within one family", "",
                "Real photos and one family's workflows, each split in grouped halves, 2 runs (families with >= 10 "
                "stills; api = every API service). Command: `" + cli["commands"]["within"] + "`.", "",
                "| family | " + " | ".join(CLI_PRESETS[p] for p in ("paper", "azimuthal", "default")) + " |",
                "|---|---|---|---|"]
        families = sorted(set().union(*(set(v) for v in cli["within"].values())))
        for family in families:
            out.append(f"| {family} | " + " | ".join(_cell(cli["within"][p][family]["none"]) if family in
                                                    cli["within"].get(p, {}) else "-"
                                                    for p in ("paper", "azimuthal", "default")) + " |")
        out.append("| **mean** | " + " | ".join(_cell(mean_within_heads(cli["within"][p])["none"]) if p in
                                                  cli["within"] else "-" for p in ("paper", "azimuthal", "default"))
                   + " |")
        out += ["", "Mean over the families per re-encoding (ROC-AUC / balanced accuracy %):", "",
                "| preset | " + " | ".join(treatments) + " |", "|---|" + "---|" * len(treatments)]
        for preset in ("paper", "azimuthal", "default"):
            if preset in cli["within"]:
                mean = mean_within_heads(cli["within"][preset])
                out.append(f"| {CLI_PRESETS[preset]} | " + " | ".join(_cell(mean[t]) for t in treatments) + " |")
        out.append("")
    if cli and "detect" in cli:
        held = cli["detect"]
        out += ["### In the wild: `detector train` defaults, then `detect --json`", "",
                "Trained on every family but Qwen-Image and 4/5 of the real photos (`upconv-tf detector train "
                "--real ... --fake ... --group-by prefix`, all else default), then `upconv-tf detect TEST --json` on "
                f"the {held['generated']} Qwen-Image stills and the {held['real']} crops of the held-out photos "
                "(`experiments/detection_wild_cli.sh`): ROC-AUC "
                f"{held['roc_auc']:.3f}, balanced accuracy {100 * held['balanced_accuracy']:.1f} % at its threshold "
                f"{held['threshold']:.3f} (TPR {held['tpr']:.2f}, FPR {held['fpr']:.2f}).", ""]
    out += targets(result)
    return out


def targets(result) -> list:
    """Issue 13's "Done when" targets against the default preset's numbers above (met / not met)."""
    rows = []

    def row(name, value, met):
        rows.append(f"| {name} | {value} | {'met' if met else '**not met**'} |")

    cli = result.get("wild_cli", {})
    if "default" in cli.get("cross", {}):
        cross = cli["cross"]["default"]["none"]
        row("ROC-AUC >= 0.90 across families", f"{cross['roc_auc']:.3f}", cross["roc_auc"] >= 0.90)
        row("balanced accuracy >= 85 % across families", f"{100 * cross['balanced_accuracy']:.1f} %",
            cross["balanced_accuracy"] >= 0.85)
    if "default" in cli.get("within", {}):
        within = mean_within_heads(cli["within"]["default"])["none"]
        row("ROC-AUC >= 0.95 within a family (mean of the families)", f"{within['roc_auc']:.3f}",
            within["roc_auc"] >= 0.95)
        row("balanced accuracy >= 85 % within a family", f"{100 * within['balanced_accuracy']:.1f} %",
            within["balanced_accuracy"] >= 0.85)
    if "default" in result.get("dcgan64", {}):
        head = _headline(result["dcgan64"]["default"]["transconv"])["none"]
        row("ROC-AUC >= 0.99 on a 64 px DCGAN (ours: DCGAN-like transconv fakes; no third-party DCGAN offline)",
            f"{head['roc_auc']:.3f} / {100 * head['balanced_accuracy']:.1f} %",
            head["roc_auc"] >= 0.99 and head["balanced_accuracy"] >= 0.85)
    for kind in ("transconv", "nearest"):
        if "default" not in result.get("bundled", {}):
            break
        head = _headline(result["bundled"]["default"][kind])
        drop = max(100 * (head["none"]["balanced_accuracy"] - h["balanced_accuracy"]) for h in head.values())
        low = min(h["roc_auc"] for h in head.values())
        row(f"{kind}: re-encoding costs <= 3 points, ROC-AUC >= 0.97", f"{drop:.1f} points, {low:.3f}",
            drop <= 3 and low >= 0.97)
    if "paper" in result.get("bundled", {}) and "default" in result.get("bundled", {}):
        below = []
        for kind in result["bundled"]["paper"]:
            paper, default = (_headline(result["bundled"][p][kind]) for p in ("paper", "default"))
            below += [f"{kind} {t}" for t in paper if default[t]["roc_auc"] < paper[t]["roc_auc"] - 1e-9
                      or default[t]["balanced_accuracy"] < paper[t]["balanced_accuracy"] - 1e-9]
        row("bundled fakes not below the paper recipe (AUC and BA, every kind and re-encoding)",
            "below in: " + ", ".join(below) if below else "never below", not below)
    if not rows:
        return []
    return ["### Issue 13's targets (default preset)", "", "| target | measured | |", "|---|---|---|"] + rows + [""]


def mean_within_heads(heads):
    """{treatment: {metric: mean over families}} of ``{family: {treatment: {metric: value}}}``."""
    heads = list(heads.values())
    return {t: {m: float(np.mean([h[t][m] for h in heads])) for m in heads[0][t]} for t in heads[0]}


def log(message):
    print(message, flush=True)


def _features(items, preset, seed):
    from upconv_tf.datasets.augment import TREATMENTS
    from upconv_tf.detection import preset_features

    return preset_features(items, preset, TREATMENTS, seed=seed, errors=[])


def _presets(names, size=None):
    """``{name: preset}`` of ``NAME`` or ``NAME:FEATURE_KIND`` (the preset with other features)."""
    from upconv_tf.detection import detector_preset

    presets = {}
    for name in names:
        preset, _, kind = name.partition(":")
        presets[name] = detector_preset(preset, **({"size": size} if size else {}),
                                        **({"feature_kind": kind} if kind else {}))
    return presets


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

    from upconv_tf.corpus import wild_files
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
    parser.add_argument("--presets", default="paper,default",
                        help="comma-separated NAME or NAME:FEATURE_KIND (e.g. default:azimuthal)")
    parser.add_argument("--count", type=int, default=160, help="real images (and fakes per kind) of the bundled parts")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "results", "detection_wild.json"))
    parser.add_argument("--collect", metavar="DIR", help="only read DIR/res of experiments/detection_wild_cli.sh "
                                                         "into --out (key wild_cli)")
    parser.add_argument("--layout", metavar="DIR", help="only lay the corpus out for the CLI in DIR (see above)")
    args = parser.parse_args(argv)
    if args.collect:
        result = {}
        if os.path.isfile(args.out):
            with open(args.out) as handle:
                result = json.load(handle)
        result["wild_cli"] = collect(args.collect)
        from upconv_tf._atomic import write_json

        write_json(result, args.out)
        log(f"collected {args.collect}/res into {args.out}")
        return
    if args.layout:
        if not args.cache:
            parser.error("--layout needs --cache")
        counts = layout(args.cache, args.layout)
        log(f"{counts['real']} real, {sum(counts['generated'].values())} generated images in "
            f"{len(counts['generated'])} families -> {args.layout}")
        return
    parts, names = args.parts.split(","), args.presets.split(",")
    from upconv_tf.detection.presets import WILD_KIND

    started = time.time()
    result = {"command": "python experiments/detection_wild.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count()}, "default_kind": WILD_KIND}
    if os.path.isfile(args.out):
        with open(args.out) as handle:
            previous = json.load(handle)
        result.update({k: v for k, v in previous.items() if k in ("bundled", "dcgan64", "wild", "wild_cli")})
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
