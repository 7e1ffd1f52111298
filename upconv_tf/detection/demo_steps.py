"""The detection part of ``upconv-tf demo``: fakes -> train detector -> evaluate -> detect on a folder.

Hook for other generators: a demo step that writes generated images (e.g. from a trained SpectralGAN
generator, in [0, 1] PNGs named ``SOURCE_INDEX.png`` like the real crops) appends ``(name, folder)`` to
``context["generated_dirs"]``; the train / evaluate steps here then include that folder.
"""

from __future__ import annotations

import json
import os

from upconv_tf.fakes import KINDS


def step_fakes(args, context):
    """Fakes of other crops of the bundled photos, one folder per up-sampling kind, saved as PNG like the real
    crops (same 8-bit encoding for both classes)."""
    from upconv_tf.datasets import bundled_crops, save_png
    from upconv_tf.fakes import make_fakes

    crops = bundled_crops(args.size, args.count, seed=args.seed + 1)
    generated = context.setdefault("generated_dirs", [])
    for number, kind in enumerate(KINDS):
        folder = os.path.join(args.out, "fakes", kind)
        fakes = make_fakes(crops.images, kind, seed=args.seed + number)
        for i, image in enumerate(fakes):
            save_png(image, os.path.join(folder, f"{crops.sources[crops.groups[i]]}_{i:04d}.png"))
        generated.append((kind, folder))
        context.setdefault("extra_spectrum_dirs", []).append(folder)
    print(f"  {len(KINDS)} x {len(crops)} fakes ({', '.join(KINDS)}) of other crops in {args.out}/fakes/")


def step_train(args, context):
    """One SVM detector on the real crops against every generated folder (balanced)."""
    from upconv_tf.cli import main

    folder = os.path.join(args.out, "detector")
    fakes = [path for _, path in context.get("generated_dirs", [])]
    main(["detector", "train", "--real", context["real_dir"], "--fake", *fakes, "--size", str(args.size),
          "--classifier", "svm", "--balance", "--seed", str(args.seed), "--out", folder, "--overwrite"])
    context["detector_dir"] = folder


def step_evaluate(args, context):
    """The evaluation protocol against each generated folder (splits grouped by source photo)."""
    from upconv_tf.cli import main

    for name, path in context.get("generated_dirs", []):
        print(f"  real vs {name}:")
        main(["detector", "evaluate", "--real", context["real_dir"], "--fake", path, "--size", str(args.size),
              "--samples", "20,100,max", "--runs", "5", "--group-by", "prefix", "--seed", str(args.seed),
              "--json", os.path.join(args.out, "evaluation", f"{name}.json")])


def step_detect(args, context):
    """``upconv-tf detect`` on a folder of new crops (real and each fake kind) with the trained detector."""
    from upconv_tf.cli import main
    from upconv_tf.datasets import bundled_crops, save_png
    from upconv_tf.fakes import make_fakes

    folder = os.path.join(args.out, "detect_input")
    real = bundled_crops(args.size, 24, seed=args.seed + 2)
    for i, image in enumerate(real.images):
        save_png(image, os.path.join(folder, "real", f"{i:03d}.png"))
    others = bundled_crops(args.size, 6 * len(KINDS), seed=args.seed + 3)
    for number, kind in enumerate(KINDS):
        chunk = others.images[6 * number:6 * (number + 1)]
        for i, image in enumerate(make_fakes(chunk, kind, seed=args.seed + number)):
            save_png(image, os.path.join(folder, "generated", kind, f"{i:03d}.png"))
    results = os.path.join(args.out, "detect.json")
    main(["detect", folder, "--model", context["detector_dir"], "--json", results])
    with open(results) as handle:
        records = json.load(handle)["results"]
    for truth in ("real", "generated"):
        mine = [r for r in records if f"{os.sep}{truth}{os.sep}" in r["path"]]
        right = sum(r["label"] == truth for r in mine)
        print(f"  {truth}: {right}/{len(mine)} labelled {truth}")
