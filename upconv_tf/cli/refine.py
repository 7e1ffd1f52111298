"""``upconv-tf refine train|apply``: STIG, refining the magnitude spectrum of generated images.

``refine train --real DIR --fake DIR --out RUN`` trains a spectrum refiner (rerun to resume);
``refine apply RUN|EXPORT INPUT... --out DIR`` writes refined PNGs. The work is
:func:`upconv_tf.workflows.refine.train_refiner` and :func:`upconv_tf.workflows.refine.refine_files`.
"""

from __future__ import annotations

import argparse

from upconv_tf.cli.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    add_json_option,
    positive_int,
    progress_factory,
    report_errors,
    text_stream,
    write_json_output,
)


def _number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def _loss_setting(text):
    """``NAME=VALUE`` of :class:`upconv_tf.models.refiner.RefinerLosses` -> (name, value)."""
    import dataclasses

    from upconv_tf.models.refiner import RefinerLosses

    name, _, value = text.partition("=")
    fields = {field.name: field for field in dataclasses.fields(RefinerLosses)}
    if name not in fields or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with NAME one of {', '.join(fields)}; got {text!r}")
    default = getattr(RefinerLosses(), name)
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            parsed = value.lower() in ("true", "1")
        elif isinstance(default, int):
            parsed = int(value)
        elif name == "nce_levels":
            parsed = None if value.lower() == "none" else [int(v) for v in value.split(",")]
        else:
            parsed = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: cannot read {value!r}") from None
    return name, parsed


def _floor(text):
    return text if text == "8-bit" else _number(text)


def register(subparsers):
    parser = subparsers.add_parser(
        "refine", help="refine the spectrum of generated images (STIG): train a refiner, apply it",
        description="STIG (Lee et al., AAAI 2024): a network refines the magnitude spectrum of generated images and "
                    "keeps their phase and content.")
    commands = parser.add_subparsers(dest="refine_command", required=True, metavar="COMMAND")
    train = commands.add_parser("train", help="train a spectrum refiner on real and generated images (unpaired)",
                                description="Train a SpectrumRefiner; writes RUN/refiner.keras, checkpoints, "
                                            "TensorBoard logs, before/after grids (RUN/samples) and RUN/metrics.json. "
                                            "Rerun the same command to resume.")
    train.add_argument("--real", required=True, help="folder of real images")
    train.add_argument("--fake", required=True, help="folder of generated images to learn to refine")
    train.add_argument("--out", required=True, help="run folder (rerun with the same folder to resume)")
    train.add_argument("--size", type=positive_int, default=64, help="training image side in px (default 64)")
    train.add_argument("--policy", choices=("center-crop", "resize"), default="center-crop",
                       help="how files are brought to --size (default center-crop: keeps the native spectrum)")
    model = train.add_argument_group("model")
    model.add_argument("--width", type=positive_int, default=8, help="channels of the U-Net's top level (default 8)")
    model.add_argument("--depth", type=positive_int, default=4, help="levels of the U-Net (default 4)")
    model.add_argument("--nested", action=argparse.BooleanOptionalAction, default=True,
                       help="nested U-Net (UNet++, the paper's; default) or a plain one (--no-nested)")
    model.add_argument("--discriminator-width", type=positive_int, default=16,
                       help="first-stage channels of the patch discriminator (default 16)")
    model.add_argument("--magnitude-floor", type=_floor, default="8-bit",
                       help="unit of the log magnitude, log(1 + |F| / floor): 8-bit (default) or a number (1: the "
                            "published log1p)")
    model.add_argument("--losses", nargs="+", type=_loss_setting, default=[], metavar="NAME=VALUE",
                       help="loss settings that differ from the published ones, e.g. --losses content=10 "
                            "nce_identity=false; names: adversarial, spectral, nce, real_identity, content, "
                            "low_frequency, nce_identity, nce_temperature, nce_patches, nce_units, nce_levels, "
                            "low_frequency_box")
    schedule = train.add_argument_group("training")
    schedule.add_argument("--steps", type=positive_int, default=600, help="training steps (default 600)")
    schedule.add_argument("--steps-per-epoch", type=positive_int, default=100,
                          help="steps between sample grids (default 100)")
    schedule.add_argument("--batch-size", type=positive_int, default=8, help="global batch size (default 8)")
    schedule.add_argument("--lr", type=_number, default=1e-3,
                          help="Adam learning rate, decayed linearly over the last 80%% of the steps (default 1e-3)")
    schedule.add_argument("--seed", type=int, default=0)
    schedule.add_argument("--save-every", type=positive_int, default=100,
                          help="checkpoint every N steps, and at each epoch end (default 100)")
    train.set_defaults(run=run_train)

    apply = commands.add_parser("apply", help="refine image files with a trained or exported refiner",
                                description="Refine every image under INPUT (folders are walked; the output keeps "
                                            "their layout) and write PNG files to --out.")
    apply.add_argument("model", metavar="RUN|EXPORT",
                       help="an `upconv-tf refine train` folder, a refiner .keras or .onnx file, an exported "
                            "SavedModel or bundle folder, or saved_models/NAME[/VERSION]")
    apply.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    apply.add_argument("--out", required=True, help="output folder")
    apply.add_argument("--policy", choices=("none", "center-crop", "resize"), default="none",
                       help="none (default): native sizes, each must be one the model takes (a trained refiner: "
                            "sides multiple of 2^(depth-1); an export: its size); center-crop or resize to --size")
    apply.add_argument("--size", type=positive_int, default=None,
                       help="side for --policy center-crop/resize (default: the export's, or the training size)")
    apply.add_argument("--batch-size", type=positive_int, default=16)
    add_json_option(apply, "the refined files and the skipped ones")
    apply.set_defaults(run=run_apply)


def config_from_args(args):
    from upconv_tf.workflows.refine import RefineConfig

    return RefineConfig(real=args.real, fake=args.fake, size=args.size, policy=args.policy, width=args.width,
                        depth=args.depth, nested=args.nested, discriminator_width=args.discriminator_width,
                        steps=args.steps, steps_per_epoch=args.steps_per_epoch, batch_size=args.batch_size,
                        lr=args.lr, seed=args.seed, save_every=args.save_every, losses=dict(args.losses),
                        magnitude_floor=args.magnitude_floor)


def run_train(args):
    from upconv_tf.workflows.refine import train_refiner

    result = train_refiner(config_from_args(args), args.out, log=print)
    report_errors(result.skipped)
    report = result.metrics["refinement"]
    before, after = report["before"], report["after"]
    print(f"wrote {result.model_path}; on the training images: LFD {before['log_frequency_distance']:.3f} -> "
          f"{after['log_frequency_distance']:.3f}, spectral distance {before['spectral_distance']:.4f} -> "
          f"{after['spectral_distance']:.4f}, SSIM to the input {report['content_ssim']:.3f}")
    print(status_line(result.metrics["sanity"]))
    return EXIT_PARTIAL if result.skipped else EXIT_OK


def status_line(report) -> str:
    """One line with the refiner's sanity gates (``metrics.json``)."""
    if report["status"] == "trained":
        return f"status: trained (sanity gates passed: {', '.join(report['checks'])})"
    return f"status: untrained ({'; '.join(report['reasons'])})"


def run_apply(args):
    from upconv_tf.errors import from_records
    from upconv_tf.workflows.refine import refine_files

    result = refine_files(args.model, args.inputs, args.out, size=args.size, policy=args.policy,
                          batch_size=args.batch_size, progress=progress_factory())
    skipped = from_records(result["skipped"])
    report_errors(skipped)
    write_json_output(result, args)
    print(f"wrote {len(result['results'])} refined image(s) to {args.out}"
          + (f", {len(skipped)} skipped" if skipped else ""), file=text_stream(args))
    return EXIT_PARTIAL if skipped else EXIT_OK
