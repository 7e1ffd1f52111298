"""``upconv-tf train gan|autoencoder``: train with the spectral term; resumable, TensorBoard logs.

Output folder (``--out``): ``config.json`` (the settings), ``checkpoints/`` (atomic step checkpoints;
rerunning the same command resumes at the last saved step), ``logs/`` (TensorBoard scalars and a
spectrum plot per epoch), ``spectra/`` (the plots as PNG), ``history.json``, ``metrics.json`` (with the
sanity gates and ``status``: ``trained`` or ``untrained``, also printed) and the model: ``generator.keras``
(GAN, for ``upconv-tf generate`` and :func:`upconv_tf.models.load_generator_model`) or ``autoencoder.keras``. The run itself is :func:`upconv_tf.models.training.train`.
"""

from __future__ import annotations

import argparse

from upconv_tf.cli.common import (
    exit_status,
    non_negative_int,
    positive_int,
    report_errors,
)


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def _common_options(parser, default_lr):
    from upconv_tf.options import SPECTRAL_PROFILES, UPSAMPLINGS

    data = parser.add_argument_group("data")
    data.add_argument("--data", default="bundled",
                      help="'bundled' (random crops of the bundled photos) or an image folder (default bundled)")
    data.add_argument("--size", type=positive_int, default=64, help="image side in px, a power of two (default 64)")
    data.add_argument("--count", type=positive_int, default=1024, help="number of bundled crops (default 1024)")
    data.add_argument("--policy", choices=("center-crop", "resize"), default="resize",
                      help="how folder images are brought to --size (default resize)")
    model = parser.add_argument_group("model")
    model.add_argument("--upsampling", choices=UPSAMPLINGS, default="transconv", help="last up-sampling (default transconv)")
    model.add_argument("--correction", type=non_negative_int, default=None,
                       help="convolutions after the last up-sampling (default 0 for transconv, 1 otherwise; paper fix: 3)")
    model.add_argument("--kernel", type=positive_int, default=5, help="kernel of those convolutions (default 5)")
    model.add_argument("--dim", type=positive_int, default=None,
                       help="base width (default 16 for the GAN, measured to train at 32 px; 32 for the auto-encoder)")
    model.add_argument("--spectral-profile", choices=SPECTRAL_PROFILES, default="floored_log",
                       help="profile the spectral term compares (default floored_log: the paper's ring means of "
                            "20 ln|F| with a bounded gradient; paper: as published)")
    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=positive_int, default=10, help="epochs (default 10)")
    training.add_argument("--steps-per-epoch", type=positive_int, default=None,
                          help="steps per epoch (default: images // batch size)")
    training.add_argument("--batch-size", type=positive_int, default=64, help="global batch size (default 64)")
    training.add_argument("--lr", type=non_negative_float, default=default_lr, help=f"Adam learning rate (default {default_lr})")
    training.add_argument("--clipnorm", type=non_negative_float, default=None,
                          help="clip each gradient to this norm (e.g. 1; the reference spectrum's gradient can spike)")
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--save-every", type=positive_int, default=100,
                          help="checkpoint every N steps, and at each epoch end (default 100)")
    training.add_argument("--mixed-precision", action="store_true", help="mixed_float16 (the spectrum stays float32)")
    parser.add_argument("--out", required=True, help="output folder (rerun with the same folder to resume)")


def register(subparsers):
    from upconv_tf.options import GAN_LOSSES, NORMS

    parser = subparsers.add_parser("train", help="train a GAN or the auto-encoder with the spectral term",
                                   description="Train with the spectral regularisation of Durall et al. (CVPR 2020).")
    models = parser.add_subparsers(dest="model", required=True, metavar="MODEL")
    gan = models.add_parser("gan", help="DCGAN-style GAN (SpectralGAN)",
                            description="Train a SpectralGAN; writes OUT/generator.keras.")
    gan.add_argument("--loss", choices=GAN_LOSSES, default="dcgan", help="adversarial loss (default dcgan)")
    gan.add_argument("--spectral-weight", type=non_negative_float, default=None,
                     help="lambda of the spectral term (default: the paper's, 2 for dcgan, 0.5 for lsgan; 0 = plain GAN)")
    gan.add_argument("--latent-dim", type=positive_int, default=128)
    gan.add_argument("--norm", choices=NORMS, default=None,
                     help="discriminator norm (default batch, layer for wgan-gp/dragan)")
    gan.add_argument("--n-critic", type=positive_int, default=None, help="critic steps per step (default 5 for wgan-gp)")
    gan.add_argument("--r1-weight", type=non_negative_float, default=None,
                     help="gamma of the R1 penalty on real images (default 0.3 for dcgan/lsgan, measured; "
                          "0 for wgan-gp/dragan, which have their own penalty; 0 = off)")
    _common_options(gan, 2e-4)
    gan.set_defaults(run=run)
    ae = models.add_parser("autoencoder", help="the paper's auto-encoder experiment (SpectralAutoencoder)",
                           description="Train a SpectralAutoencoder; writes OUT/autoencoder.keras.")
    ae.add_argument("--spectral-weight", type=non_negative_float, default=0.5, help="lambda (default 0.5, 0 = MSE only)")
    _common_options(ae, 1e-3)
    ae.set_defaults(run=run)


def config_fields() -> set:
    import dataclasses

    from upconv_tf.models.training import TrainingConfig

    return {field.name for field in dataclasses.fields(TrainingConfig)}


def config_from_args(args):
    """The :class:`~upconv_tf.models.training.TrainingConfig` of the parsed options."""
    from upconv_tf.models.training import TrainingConfig

    fields = config_fields()
    return TrainingConfig(**{key: value for key, value in vars(args).items() if key in fields})


def run(args):
    from upconv_tf.models.training import train

    config = config_from_args(args)
    result = train(config, args.out, log=print)
    report_errors(result.skipped)
    bce = result.metrics.get("spectral_bce_to_real_mean")
    print(f"wrote {result.model_path}" + (f"; spectral BCE to the real mean {bce:.4f}" if bce is not None else ""))
    print(status_line(result.metrics))
    return exit_status(result.skipped)


def status_line(metrics) -> str:
    """One line with the sanity gates of a run (``metrics.json``): trained, or untrained and why."""
    report = metrics["sanity"]
    if report["status"] == "trained":
        return f"status: trained (sanity gates passed: {', '.join(report['checks'])})"
    return f"status: untrained ({'; '.join(report['reasons'])}): read no spectral verdict from this model"
