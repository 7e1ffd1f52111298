"""``upconv-tf generate MODEL -n N --out DIR``: sample a trained generator into PNG files."""

from __future__ import annotations

import os

from upconv_tf.cli.common import EXIT_OK, positive_int, progress


def register(subparsers):
    parser = subparsers.add_parser(
        "generate", help="write PNG samples of a trained generator",
        description="Sample latents ~ N(0, 1) and write the generated images as PNG files.",
    )
    parser.add_argument("model", metavar="MODEL", help="`upconv-tf train gan` output folder or a generator .keras file")
    parser.add_argument("-n", "--count", type=positive_int, default=64, help="number of images (default 64)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--prefix", default="generated", help="file name prefix (default generated)")
    parser.set_defaults(run=run)


def run(args):
    import numpy as np

    from upconv_tf.datasets import save_png
    from upconv_tf.models import load_generator

    generator = load_generator(args.model)
    latent_dim = generator.input_shape[1]
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    bar = progress(None, total=args.count, desc="generate")
    for start in range(0, args.count, args.batch_size):
        count = min(args.batch_size, args.count - start)
        latents = rng.normal(size=(count, latent_dim)).astype(np.float32)
        images = np.asarray(generator(latents, training=False), np.float32)
        for offset, image in enumerate(images):
            save_png(np.clip((image + 1.0) / 2.0, 0.0, 1.0), os.path.join(args.out, f"{args.prefix}_{start + offset:05d}.png"))
        bar.update(count)
    bar.close()
    print(f"wrote {args.count} images of {images.shape[1]} x {images.shape[2]} px to {args.out}")
    return EXIT_OK
