"""``upconv-tf demo``: the main job end to end on the bundled photos (what ``make demo`` runs)."""

from __future__ import annotations

import os
import time

from upconv_tf.cli.common import EXIT_OK, positive_int

DEMO_STEPS = []  # (title, function(args, context)) appended by modules that extend the demo


def _detection_step(name):
    def step(args, context):
        from upconv_tf.detection import demo_steps

        return getattr(demo_steps, name)(args, context)

    return step


DEMO_STEPS += [
    ("fakes: other crops down-sampled and up-sampled back by each up-conv kind", _detection_step("step_fakes")),
    # Steps that write more generated images (e.g. a trained SpectralGAN generator) go here and append
    # (name, folder) to context["generated_dirs"]: the detector steps below train and evaluate on them too.
    ("train the spectral detector (real vs every generated folder)", _detection_step("step_train")),
    ("evaluate the detectors: grouped splits, accuracy and ROC-AUC", _detection_step("step_evaluate")),
    ("detect on a folder of new crops", _detection_step("step_detect")),
]


def register(subparsers):
    parser = subparsers.add_parser("demo", help="run the main job end to end on the bundled photos")
    parser.add_argument("--out", default="demo_output", help="output folder (default demo_output)")
    parser.add_argument("--size", type=positive_int, default=64, help="crop size in px (default 64)")
    parser.add_argument("--count", type=positive_int, default=160, help="number of real crops")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(run=run)


def step_real_crops(args, context):
    from upconv_tf.datasets import bundled_crops, bundled_photos, save_png

    photos = bundled_photos()
    crops = bundled_crops(args.size, args.count, seed=args.seed)
    folder = os.path.join(args.out, "real")
    for i, image in enumerate(crops.images):
        save_png(image, os.path.join(folder, f"{crops.sources[crops.groups[i]]}_{i:04d}.png"))
    context["crops"] = crops
    context["real_dir"] = folder
    print(f"  {len(photos)} bundled photos -> {len(crops)} crops of {args.size} px in {folder}")


def step_layer_parity(args, context):
    import numpy as np

    from upconv_tf import spectral
    from upconv_tf.layers import AzimuthalIntegral

    images = context["crops"].images[:32]
    for mode in spectral.MODES:
        ours = AzimuthalIntegral(mode=mode)(images).numpy()
        numpy_path = spectral.azimuthal_integral(images, mode=mode)
        error = np.abs(ours - numpy_path).max() / np.abs(numpy_path).max()
        print(f"  AzimuthalIntegral(mode={mode!r}): {ours.shape[1]} bins, layer vs numpy max rel. error {error:.2e}")


def step_spectrum(args, context):
    from upconv_tf.cli import main

    out = os.path.join(args.out, "spectrum")
    folders = [context["real_dir"]] + context.get("extra_spectrum_dirs", [])
    main(["spectrum", *folders, "--size", str(args.size), "--out", out + ".png", "--json", out + ".json"])


def run(args):
    started = time.time()
    context = {}
    steps = [("real crops from the bundled photos", step_real_crops),
             ("spectral layer vs numpy", step_layer_parity)] + DEMO_STEPS + [("spectra of every folder", step_spectrum)]
    for number, (title, step) in enumerate(steps, 1):
        print(f"[{number}/{len(steps)}] {title}")
        step(args, context)
    print(f"demo finished in {time.time() - started:.0f} s; outputs in {args.out}/")
    return EXIT_OK
