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
    # Steps that write more generated images go here and append (name, folder) to
    # context["generated_dirs"]: the detector steps below train and evaluate on them too.
    ("a small DCGAN (transposed convolutions, no spectral term) trained on the real crops", None),
    ("train the spectral detector (real vs every generated folder)", _detection_step("step_train")),
    ("evaluate the detectors: grouped splits, accuracy and ROC-AUC", _detection_step("step_evaluate")),
    ("detect on a folder of new crops", _detection_step("step_detect")),
]


def step_gan(args, context):
    """Train a small plain DCGAN with ``upconv-tf train gan`` and sample as many images as real crops."""
    import numpy as np

    from upconv_tf.cli import main
    from upconv_tf.datasets import save_png
    from upconv_tf.models import load_generator

    out = os.path.join(args.out, "gan")
    status = main(["train", "gan", "--loss", "dcgan", "--size", str(args.size), "--dim", "16", "--spectral-weight",
                   "0", "--count", str(args.count), "--batch-size", "16", "--epochs", "1", "--steps-per-epoch",
                   str(args.gan_steps), "--seed", str(args.seed), "--out", out])
    if status:
        raise RuntimeError(f"training the demo GAN failed (exit {status})")
    generator = load_generator(out)
    latents = np.random.default_rng(args.seed).normal(size=(args.count, generator.input_shape[-1]))
    images = (np.asarray(generator.predict(latents.astype("float32"), verbose=0)) + 1.0) / 2.0
    folder = os.path.join(args.out, "generated", "dcgan")
    for i, image in enumerate(images):
        # Independent samples: 16 pseudo-groups so grouped splits have both sides.
        save_png(image, os.path.join(folder, f"dcgan{i % 16:02d}_{i:04d}.png"))
    context.setdefault("generated_dirs", []).append(("dcgan", folder))
    context.setdefault("extra_spectrum_dirs", []).append(folder)
    print(f"  {len(images)} DCGAN samples in {folder}")


DEMO_STEPS[1] = (DEMO_STEPS[1][0], step_gan)


def register(subparsers):
    parser = subparsers.add_parser("demo", help="run the main job end to end on the bundled photos")
    parser.add_argument("--out", default="demo_output", help="output folder (default demo_output)")
    parser.add_argument("--size", type=positive_int, default=64, help="crop size in px (default 64)")
    parser.add_argument("--count", type=positive_int, default=160, help="number of real crops")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gan-steps", type=positive_int, default=300, help="training steps of the demo GAN")
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
