"""``upconv-tf demo``: the main job end to end on the bundled photos (what ``make demo`` runs);
the steps are :mod:`upconv_tf.workflows.demo`."""

from __future__ import annotations

from upconv_tf.cli.common import EXIT_OK, positive_int


def register(subparsers):
    from upconv_tf.workflows.demo import DemoConfig

    default = DemoConfig()
    parser = subparsers.add_parser("demo", help="run the main job end to end on the bundled photos")
    parser.add_argument("--out", default=default.out, help=f"output folder (default {default.out})")
    parser.add_argument("--size", type=positive_int, default=default.size,
                        help=f"crop size in px (default {default.size})")
    parser.add_argument("--count", type=positive_int, default=default.count,
                        help=f"number of real crops (default {default.count})")
    parser.add_argument("--seed", type=int, default=default.seed)
    parser.add_argument("--gan-steps", type=positive_int, default=default.gan_steps,
                        help=f"training steps of the demo GAN (default {default.gan_steps})")
    parser.add_argument("--pretrained", default=default.pretrained,
                        help=f"shipped detector to show, by name (found from any folder) or path (default "
                             f"{default.pretrained}, its highest version)")
    parser.set_defaults(run=run)


def run(args):
    from upconv_tf.workflows.demo import DemoConfig, run_demo

    run_demo(DemoConfig(out=args.out, size=args.size, count=args.count, seed=args.seed, gan_steps=args.gan_steps,
                        pretrained=args.pretrained),
             log=lambda line: print(line, flush=True))
    return EXIT_OK
