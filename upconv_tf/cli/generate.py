"""``upconv-tf generate MODEL -n N --out DIR``: sample a trained generator into PNG files (and a grid)."""

from __future__ import annotations

import os

from upconv_tf.cli.common import EXIT_OK, CommandError, positive_int, progress

GRID_MAX = 256  # images tiled by --grid (the first ones): 16 x 16


def register(subparsers):
    parser = subparsers.add_parser(
        "generate", help="write PNG samples of a trained generator",
        description="Sample latents ~ N(0, 1) and write the generated images as PNG files. MODEL is any "
                    "generator upconv_tf.runtime.load_generator reads.",
    )
    parser.add_argument("model", metavar="MODEL",
                        help="an `upconv-tf train gan` folder, a generator .keras or .onnx file, an exported "
                             "SavedModel folder, or saved_models/NAME[/VERSION] (highest version)")
    parser.add_argument("-n", "--count", type=positive_int, default=64, help="number of images (default 64)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--grid", nargs="?", const="grid.png", metavar="PNG",
                        help=f"also tile the first {GRID_MAX} samples into one PNG (default OUT/grid.png; a "
                             "relative name goes into OUT)")
    parser.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--prefix", default="generated", help="file name prefix (default generated)")
    parser.set_defaults(run=run)


def run(args):
    from upconv_tf.datasets import save_png
    from upconv_tf.runtime import load_generator
    from upconv_tf.sampling import iter_samples, save_grid

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CommandError(f"--out {args.out}: exists and is not a folder")
    generator = load_generator(args.model)
    bar = progress(None, total=args.count, desc="generate")
    grid, written = [], 0
    for images in iter_samples(generator, args.count, args.seed, args.batch_size):
        for image in images:
            save_png(image, os.path.join(args.out, f"{args.prefix}_{written:05d}.png"))
            written += 1
        if args.grid:
            grid.extend(images[:GRID_MAX - len(grid)])
        bar.update(len(images))
    bar.close()
    print(f"wrote {args.count} images of {images.shape[1]} x {images.shape[2]} px to {args.out}")
    if args.grid:
        path = args.grid if os.path.isabs(args.grid) else os.path.join(args.out, args.grid)
        save_grid(grid, path)
        print(f"wrote {path}")
    return EXIT_OK
