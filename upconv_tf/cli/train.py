"""``upconv-tf train gan|autoencoder``: train with the spectral term; resumable, TensorBoard logs.

Output folder (``--out``): ``config.json`` (the settings), ``checkpoints/`` (atomic step checkpoints;
rerunning the same command resumes at the last saved step), ``logs/`` (TensorBoard scalars and a
spectrum plot per epoch), ``spectra/`` (the plots as PNG), ``history.json``, ``metrics.json`` and the
model: ``generator.keras`` (GAN, for ``upconv-tf generate`` and :func:`upconv_tf.models.load_generator`)
or ``autoencoder.keras``.
"""

from __future__ import annotations

import argparse
import os
import sys

from upconv_tf.cli.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    CommandError,
    non_negative_int,
    positive_int,
    report_errors,
    write_json,
)

# Settings that define the model: a resumed run must use the same ones.
MODEL_KEYS = {
    "gan": ("model", "loss", "size", "upsampling", "correction", "kernel", "dim", "latent_dim", "norm", "n_critic",
            "spectral_weight", "lr", "clipnorm", "batch_size", "seed", "mixed_precision"),
    "autoencoder": ("model", "size", "upsampling", "correction", "kernel", "dim", "spectral_weight", "lr", "clipnorm",
                    "batch_size", "seed", "mixed_precision"),
}


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def _common_options(parser, default_lr):
    from upconv_tf.options import UPSAMPLINGS

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
    model.add_argument("--dim", type=positive_int, default=32, help="base width (default 32)")
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
    _common_options(gan, 2e-4)
    gan.set_defaults(run=run)
    ae = models.add_parser("autoencoder", help="the paper's auto-encoder experiment (SpectralAutoencoder)",
                           description="Train a SpectralAutoencoder; writes OUT/autoencoder.keras.")
    ae.add_argument("--spectral-weight", type=non_negative_float, default=0.5, help="lambda (default 0.5, 0 = MSE only)")
    _common_options(ae, 1e-3)
    ae.set_defaults(run=run)


def load_real_images(args):
    """Training images in [-1, 1] and the skipped files."""
    from upconv_tf.datasets import bundled_crops, load_folder
    from upconv_tf.models import to_model_range

    if args.data == "bundled":
        return to_model_range(bundled_crops(args.size, args.count, seed=args.seed).images), []
    if not os.path.isdir(args.data):
        raise CommandError(f"--data {args.data}: not 'bundled' and not a folder")
    folder = load_folder(args.data, size=args.size, policy=args.policy)
    report_errors(folder.errors)
    if not len(folder.paths):
        raise CommandError(f"--data {args.data}: no usable image")
    return to_model_range(folder.images), folder.errors


def settings(args):
    from upconv_tf.models import PAPER_SPECTRAL_WEIGHTS

    config = {key.replace("-", "_"): value for key, value in vars(args).items() if key not in ("run", "command")}
    if args.model == "gan":
        if config["spectral_weight"] is None:
            config["spectral_weight"] = PAPER_SPECTRAL_WEIGHTS[args.loss]
        if config["norm"] is None:
            config["norm"] = "layer" if args.loss in ("wgan-gp", "dragan") else "batch"
    if config["correction"] is None:
        config["correction"] = 0 if args.upsampling == "transconv" else 1
    return config


def check_resume(config, out):
    """Refuse to resume a run that was made with other model settings."""
    import json

    path = os.path.join(out, "config.json")
    if not os.path.isfile(path):
        return
    with open(path) as handle:
        previous = json.load(handle)
    changed = [key for key in MODEL_KEYS[config["model"]] if previous.get(key) != config.get(key)]
    if changed:
        detail = ", ".join(f"{key}: {previous.get(key)!r} -> {config.get(key)!r}" for key in changed)
        raise CommandError(f"{out} holds a run with other settings ({detail}); use another --out")


def build_model(config):
    import keras

    from upconv_tf.models import SpectralAutoencoder, SpectralGAN, build_discriminator, build_generator

    keras.utils.set_random_seed(config["seed"])
    if config["model"] == "autoencoder":
        model = SpectralAutoencoder(config["size"], config["upsampling"], config["correction"], config["kernel"],
                                    config["dim"], spectral_weight=config["spectral_weight"])
        model.compile(keras.optimizers.Adam(config["lr"], clipnorm=config.get("clipnorm") or None))
        return model
    generator = build_generator(config["size"], config["latent_dim"], config["upsampling"], config["correction"],
                                config["kernel"], config["dim"])
    discriminator = build_discriminator(config["size"], norm=config["norm"], dim=config["dim"])
    model = SpectralGAN(generator, discriminator, loss=config["loss"], spectral_weight=config["spectral_weight"],
                        n_critic=config["n_critic"], seed=config["seed"])
    adam = dict(learning_rate=config["lr"], beta_1=0.5, beta_2=0.999, clipnorm=config.get("clipnorm") or None)
    model.compile(g_optimizer=keras.optimizers.Adam(**adam), d_optimizer=keras.optimizers.Adam(**adam))
    return model


def monitor_inputs(config, model, images):
    import numpy as np

    if config["model"] == "gan":
        return np.random.default_rng(config["seed"]).normal(size=(64, model.latent_dim)).astype(np.float32)
    return images[:64]


def fit(model, images, config, out, start, total, steps_per_epoch):
    """Train from global step ``start`` to ``total``; a run resumed mid-epoch first finishes that epoch."""
    import keras

    from upconv_tf.callbacks import SpectrumMonitor, TrainingCheckpoint
    from upconv_tf.models import step_batches

    callbacks = [
        TrainingCheckpoint(os.path.join(out, "checkpoints"), config["save_every"], initial_step=start),
        SpectrumMonitor(os.path.join(out, "logs"), monitor_inputs(config, model, images),
                        plot_dir=os.path.join(out, "spectra")),
        keras.callbacks.TensorBoard(os.path.join(out, "logs"), write_graph=False),
    ]
    verbose = 1 if sys.stdout.isatty() else 2
    history = {}
    step = start
    while step < total:
        epoch, offset = divmod(step, steps_per_epoch)
        # A run resumed mid-epoch first finishes that epoch, then continues with whole epochs.
        last_epoch = epoch + 1 if offset else config["epochs"]
        result = model.fit(step_batches(images, config["batch_size"], config["seed"], start_step=step),
                           initial_epoch=epoch, epochs=last_epoch, steps_per_epoch=steps_per_epoch - offset,
                           callbacks=callbacks, verbose=verbose, shuffle=False)
        for key, values in result.history.items():
            history.setdefault(key, []).extend(float(v) for v in values)
        step = last_epoch * steps_per_epoch
    return history


def final_metrics(model, config, images, history):
    """Last-epoch training metrics plus the spectral BCE of the outputs to the real mean."""
    import numpy as np

    metrics = {key: values[-1] for key, values in history.items()}
    if config["model"] == "gan":
        latents = np.random.default_rng(config["seed"] + 1).normal(size=(256, model.latent_dim)).astype(np.float32)
        outputs = model.generator.predict(latents, batch_size=64, verbose=0)
        metrics["samples"] = len(latents)
    else:
        outputs = model.predict(images, batch_size=64, verbose=0)
        metrics["reconstruction_mse"] = float(np.mean((outputs - images) ** 2))
        metrics["samples"] = len(images)
    if model.has_real_spectrum:
        metrics["spectral_bce_to_real_mean"] = model.spectral_distance(outputs)
    return metrics


def run(args):
    import keras

    from upconv_tf.callbacks import restore_checkpoint
    from upconv_tf.models import check_size, save_model

    config = settings(args)
    check_size(config["size"])
    out = config["out"]
    if os.path.exists(out) and not os.path.isdir(out):
        raise CommandError(f"--out {out}: exists and is not a folder")
    check_resume(config, out)
    images, errors = load_real_images(args)
    if config["batch_size"] > len(images):
        raise CommandError(f"--batch-size {config['batch_size']} is larger than the {len(images)} training images")
    steps_per_epoch = config["steps_per_epoch"] or len(images) // config["batch_size"]
    total = config["epochs"] * steps_per_epoch
    os.makedirs(out, exist_ok=True)
    write_json(config, os.path.join(out, "config.json"))
    if config["mixed_precision"]:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(config)
        model.adapt(images)
        state = restore_checkpoint(model, os.path.join(out, "checkpoints"))
        start = state["step"] if state else 0
        print(f"{config['model']}: {len(images)} images of {config['size']} px, {total} steps "
              f"({config['epochs']} epochs x {steps_per_epoch})" + (f", resuming at step {start}" if start else ""))
        history = fit(model, images, config, out, start, total, steps_per_epoch) if start < total else {}
        if history:
            write_json(history, os.path.join(out, "history.json"))
        metrics = final_metrics(model, config, images, history)
        metrics["skipped_files"] = [{"path": p, "reason": r} for p, r in errors]
        write_json(metrics, os.path.join(out, "metrics.json"))
        if config["model"] == "gan":
            path = save_model(model.generator, os.path.join(out, "generator.keras"))
        else:
            path = save_model(model, os.path.join(out, "autoencoder.keras"))
    finally:
        if config["mixed_precision"]:
            keras.mixed_precision.set_global_policy("float32")
    bce = metrics.get("spectral_bce_to_real_mean")
    print(f"wrote {path}" + (f"; spectral BCE to the real mean {bce:.4f}" if bce is not None else ""))
    return EXIT_PARTIAL if errors else EXIT_OK
