"""Training runs: build, fit, resume and score a SpectralGAN or a SpectralAutoencoder from one config.

:func:`train` is what ``upconv-tf train``, the demo, the pretrained builder and the experiments call. The
output folder ``out`` holds:

* ``config.json``: the settings (:class:`TrainingConfig`, defaults resolved);
* ``checkpoints/``: atomic step checkpoints (:class:`upconv_tf.callbacks.TrainingCheckpoint`); calling
  :func:`train` again with the same folder resumes at the last saved step and ends with the weights of an
  uninterrupted run (batches are a pure function of the step, :func:`upconv_tf.models.step_batches`);
* ``logs/`` (TensorBoard scalars and a spectrum plot per epoch), ``spectra/`` (those plots as PNG),
  ``samples/`` (a grid of the model's outputs per epoch: samples of fixed latents, or reconstructions);
* ``history.json``, ``metrics.json`` (last-epoch losses, the spectral BCE of the outputs to the real mean,
  the sanity gates of :mod:`upconv_tf.models.sanity` with their thresholds under ``sanity`` and the verdict
  ``status``: ``"trained"`` or ``"untrained"``, the skipped input files) and the model: ``generator.keras``
  or ``autoencoder.keras``.

Example:

>>> result = train(TrainingConfig("gan", size=32, epochs=2), "runs/gan32")  # doctest: +SKIP
>>> result.model_path, result.metrics["spectral_bce_to_real_mean"]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys

from upconv_tf.errors import ArgumentError, NoUsableImages, records
from upconv_tf.runs import CONFIG_FILE, HISTORY_FILE, METRICS_FILE, changed_settings, read_history, read_settings

MODELS = ("gan", "autoencoder")
MODEL_FILES = {"gan": "generator.keras", "autoencoder": "autoencoder.keras"}
DEFAULT_LR = {"gan": 2e-4, "autoencoder": 1e-3}
# Base width: 16 for the GAN (the recipe measured to train at 32 px in 800 steps on seeds 1-5, with
# R1 gamma 0.3 and the floored_log term; width 32 with the earlier term ended with d_loss 0.01, the
# discriminator winning), 32 for the auto-encoder (the paper's filters).
DEFAULT_DIM = {"gan": 16, "autoencoder": 32}
AUTOENCODER_SPECTRAL_WEIGHT = 0.5  # the paper's lambda for the auto-encoder
GAN_ONLY = ("loss", "latent_dim", "norm", "n_critic", "r1_weight")
# Settings that define the model: a resumed run must use the same ones.
MODEL_KEYS = {
    "gan": ("model", "loss", "size", "upsampling", "correction", "kernel", "dim", "latent_dim", "norm", "n_critic",
            "spectral_weight", "spectral_profile", "r1_weight", "lr", "clipnorm", "batch_size", "seed",
            "mixed_precision"),
    "autoencoder": ("model", "size", "upsampling", "correction", "kernel", "dim", "spectral_weight",
                    "spectral_profile", "lr", "clipnorm", "batch_size", "seed", "mixed_precision"),
}
# Keys added after runs were written without them: not compared when a run folder lacks them.
ADDED_KEYS = ("spectral_profile", "r1_weight")
MONITOR_IMAGES = 64  # outputs plotted (spectrum) and tiled (sample grid) after each epoch
SANITY_SAMPLES = 256  # GAN samples the sanity gates read after training


@dataclasses.dataclass
class TrainingConfig:
    """Settings of a training run; ``None`` means "the default for this model" (see :meth:`resolved`).

    Attributes:
        model: ``"gan"`` (SpectralGAN, DCGAN-style) or ``"autoencoder"`` (the paper's SpectralAutoencoder).
        data: ``"bundled"`` (random crops of the bundled photos) or an image folder.
        size: image side in px, a power of two.
        count: number of bundled crops.
        policy: how folder images are brought to ``size`` (``"resize"`` or ``"center-crop"``).
        upsampling, correction, kernel, dim: the last up-sampling unit and the base width
            (:func:`upconv_tf.models.build_generator`); ``correction`` defaults to 0 for transconv, else 1;
            ``dim`` to :data:`DEFAULT_DIM` (16 GAN, 32 auto-encoder).
        epochs, steps_per_epoch, batch_size: the schedule (steps default to images // batch size).
        lr, clipnorm: Adam learning rate (default 2e-4 GAN, 1e-3 auto-encoder) and gradient clipping.
        seed: weights, data order and latents.
        save_every: steps between checkpoints (and at each epoch end).
        mixed_precision: ``mixed_float16`` (the spectrum stays float32).
        spectral_weight: lambda of the spectral term (default: the paper's, 2 for dcgan, 0.5 for lsgan and for
            the auto-encoder; 0 switches it off).
        spectral_profile: the profile the term compares (:data:`upconv_tf.options.SPECTRAL_PROFILES`; default
            ``"floored_log"``, the paper's with a bounded gradient).
        loss, latent_dim, norm, n_critic: GAN only (norm defaults to layer for wgan-gp/dragan, else batch).
        r1_weight: GAN only, gamma of the R1 penalty on real images (default
            :data:`upconv_tf.models.gan.DEFAULT_R1_WEIGHT`: 0.3 for dcgan/lsgan, 0 for wgan-gp/dragan).
    """

    model: str = "gan"
    data: str = "bundled"
    size: int = 64
    count: int = 1024
    policy: str = "resize"
    upsampling: str = "transconv"
    correction: int | None = None
    kernel: int = 5
    dim: int | None = None
    epochs: int = 10
    steps_per_epoch: int | None = None
    batch_size: int = 64
    lr: float | None = None
    clipnorm: float | None = None
    seed: int = 0
    save_every: int = 100
    mixed_precision: bool = False
    spectral_weight: float | None = None
    spectral_profile: str = "floored_log"
    loss: str = "dcgan"
    latent_dim: int = 128
    norm: str | None = None
    n_critic: int | None = None
    r1_weight: float | None = None

    def __post_init__(self):
        if self.model not in MODELS:
            raise ArgumentError("model", f"must be one of {MODELS}. Received: model={self.model!r}")

    def resolved(self) -> "TrainingConfig":
        """A copy with every ``None`` default filled in for this model."""
        from upconv_tf.models.gan import DEFAULT_R1_WEIGHT, PAPER_SPECTRAL_WEIGHTS

        values = {}
        if self.dim is None:
            values["dim"] = DEFAULT_DIM[self.model]
        if self.model == "gan" and self.r1_weight is None and self.loss in DEFAULT_R1_WEIGHT:
            values["r1_weight"] = DEFAULT_R1_WEIGHT[self.loss]
        if self.spectral_weight is None:
            values["spectral_weight"] = (PAPER_SPECTRAL_WEIGHTS[self.loss] if self.model == "gan"
                                         else AUTOENCODER_SPECTRAL_WEIGHT)
        if self.model == "gan" and self.norm is None:
            values["norm"] = "layer" if self.loss in ("wgan-gp", "dragan") else "batch"
        if self.correction is None:
            values["correction"] = 0 if self.upsampling == "transconv" else 1
        if self.lr is None:
            values["lr"] = DEFAULT_LR[self.model]
        return dataclasses.replace(self, **values)

    def as_dict(self) -> dict:
        """The settings as written to ``config.json`` (GAN-only keys left out for the auto-encoder)."""
        data = dataclasses.asdict(self)
        if self.model != "gan":
            for key in GAN_ONLY:
                data.pop(key)
        return data


@dataclasses.dataclass
class TrainingResult:
    """What :func:`train` did.

    Attributes:
        model: the trained SpectralGAN / SpectralAutoencoder.
        model_path: the saved ``generator.keras`` / ``autoencoder.keras``.
        metrics: the content of ``metrics.json``.
        history: per-epoch losses of this call (empty when the run was already complete).
        skipped: ``[(path, reason)]`` input files that could not be used.
        images, start_step, total_steps: training images, the step this call started at (> 0: resumed)
            and the last step.
    """

    model: object
    model_path: str
    metrics: dict
    history: dict
    skipped: list
    images: int
    start_step: int
    total_steps: int


def load_training_images(config: TrainingConfig):
    """Training images in [-1, 1] and the skipped files ``[(path, reason)]``."""
    from upconv_tf.datasets import bundled_crops, load_folder
    from upconv_tf.models.data import to_model_range

    if config.data == "bundled":
        return to_model_range(bundled_crops(config.size, config.count, seed=config.seed).images), []
    if not os.path.isdir(config.data):
        raise ArgumentError("data", f"{config.data}: not 'bundled' and not a folder")
    folder = load_folder(config.data, size=config.size, policy=config.policy)
    if not len(folder.paths):
        raise NoUsableImages(f"no usable image in {config.data}", [config.data], folder.errors, "data")
    return to_model_range(folder.images), folder.errors


def check_resume(config: TrainingConfig, out) -> None:
    """Refuse to resume a run in ``out`` that was made with other model settings."""
    try:
        previous = read_settings(out)
    except (OSError, ValueError) as error:
        raise ValueError(f"{os.path.join(os.fspath(out), CONFIG_FILE)}: unreadable ({error}); use another `out`") from None
    if previous is None:
        return
    # A setting added since the run was made is compared only when the run recorded it.
    keys = [key for key in MODEL_KEYS[config.model] if key in previous or key not in ADDED_KEYS]
    detail = changed_settings(previous, config.as_dict(), keys)
    if detail:
        raise ValueError(f"{out} holds a run with other settings ({detail}); use another `out`")


def build_model(config: TrainingConfig):
    """The compiled model of ``config`` (seeded), optimizers built (so a checkpoint restores their state)."""
    import keras

    from upconv_tf.models import SpectralAutoencoder, SpectralGAN, SpectralTerm, build_discriminator, build_generator

    config = config.resolved()
    keras.utils.set_random_seed(config.seed)
    if config.model == "autoencoder":
        model = SpectralAutoencoder(config.size, config.upsampling, config.correction, config.kernel, config.dim,
                                    spectral=SpectralTerm(config.spectral_weight, profile=config.spectral_profile))
        model.compile(keras.optimizers.Adam(config.lr, clipnorm=config.clipnorm or None))
        model.optimizer.build(model.trainable_variables)
        return model
    generator = build_generator(config.size, config.latent_dim, config.upsampling, config.correction, config.kernel,
                                config.dim)
    discriminator = build_discriminator(config.size, norm=config.norm, dim=config.dim)
    model = SpectralGAN(generator, discriminator, loss=config.loss,
                        spectral=SpectralTerm(config.spectral_weight, profile=config.spectral_profile),
                        n_critic=config.n_critic, seed=config.seed, r1_weight=config.r1_weight)
    adam = dict(learning_rate=config.lr, beta_1=0.5, beta_2=0.999, clipnorm=config.clipnorm or None)
    model.compile(g_optimizer=keras.optimizers.Adam(**adam), d_optimizer=keras.optimizers.Adam(**adam))
    return model


def monitor_inputs(config: TrainingConfig, model, images):
    """Fixed inputs of the per-epoch plots: seeded latents (GAN) or the first training images."""
    from upconv_tf.sampling import latents

    if config.model == "gan":
        return latents(MONITOR_IMAGES, model.latent_dim, config.seed)
    return images[:MONITOR_IMAGES]


def fit(model, images, config: TrainingConfig, out, start, total, steps_per_epoch, verbose="auto", callbacks=()):
    """Train from global step ``start`` to ``total``; a run resumed mid-epoch first finishes that epoch.

    Returns the per-epoch history of this call.
    """
    import keras

    from upconv_tf.callbacks import SpectrumMonitor, TrainingCheckpoint
    from upconv_tf.models.data import step_batches

    out = os.fspath(out)
    callbacks = [
        TrainingCheckpoint(os.path.join(out, "checkpoints"), config.save_every, initial_step=start),
        SpectrumMonitor(os.path.join(out, "logs"), monitor_inputs(config, model, images),
                        plot_dir=os.path.join(out, "spectra"), grid_dir=os.path.join(out, "samples")),
        keras.callbacks.TensorBoard(os.path.join(out, "logs"), write_graph=False),
        *callbacks,
    ]
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    history = {}
    step = start
    while step < total:
        epoch, offset = divmod(step, steps_per_epoch)
        # A run resumed mid-epoch first finishes that epoch, then continues with whole epochs.
        last_epoch = epoch + 1 if offset else config.epochs
        result = model.fit(step_batches(images, config.batch_size, config.seed, start_step=step),
                           initial_epoch=epoch, epochs=last_epoch, steps_per_epoch=steps_per_epoch - offset,
                           callbacks=callbacks, verbose=verbose, shuffle=False)
        for key, values in result.history.items():
            history.setdefault(key, []).extend(float(v) for v in values)
        step = last_epoch * steps_per_epoch
    return history


def final_metrics(model, config: TrainingConfig, images, history) -> dict:
    """Last-epoch training metrics, the spectral BCE of the outputs to the real mean and the sanity gates.

    The gates (:mod:`upconv_tf.models.sanity`) read 8-bit outputs against the training images: 256 samples of
    seeded latents and the last-epoch ``d_loss`` for a GAN, the reconstructions of the training images for
    the auto-encoder. ``metrics["sanity"]`` holds their values, thresholds and reasons, ``metrics["status"]``
    is ``"trained"`` or ``"untrained"`` (then no spectral verdict should be read from the model).
    """
    import numpy as np

    from upconv_tf.models import sanity
    from upconv_tf.sampling import latents, quantize, to_unit_range

    def forward(network, inputs, batch=64):
        # Plain calls, not ``predict``: identical on every worker, no collective step outside training.
        return np.concatenate([np.asarray(network(inputs[i:i + batch], training=False), np.float32)
                               for i in range(0, len(inputs), batch)])

    metrics = {key: values[-1] for key, values in history.items()}
    if config.model == "gan":
        z = latents(SANITY_SAMPLES, model.latent_dim, config.seed + 1)
        outputs = forward(model.sampling_generator(), z)
        metrics["samples"] = len(z)
        report = sanity.gan_sanity(quantize(to_unit_range(outputs)), to_unit_range(images), metrics.get("d_loss"))
    else:
        outputs = forward(model, images)
        metrics["reconstruction_mse"] = float(np.mean((outputs - images) ** 2))
        metrics["samples"] = len(images)
        report = sanity.autoencoder_sanity(quantize(to_unit_range(outputs)), to_unit_range(images))
    if model.has_real_spectrum:
        metrics["spectral_bce_to_real_mean"] = model.spectral_distance(outputs)
    metrics["sanity"], metrics["status"] = report, report["status"]
    return metrics


def training_record(path) -> dict | None:
    """The ``metrics.json`` of an ``upconv-tf train`` folder, given the folder or its saved model file.

    None when ``path`` is not such a folder (no ``config.json`` + ``metrics.json``) or they cannot be read;
    :func:`upconv_tf.workflows.audit.audit_generator` reads the run's sanity gates from it.
    """
    path = os.fspath(path)
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    if os.path.isfile(path) and os.path.basename(path) not in MODEL_FILES.values():
        return None
    try:
        with open(os.path.join(folder, METRICS_FILE)) as handle:
            metrics = json.load(handle)
    except (OSError, ValueError):
        return None
    if not os.path.isfile(os.path.join(folder, CONFIG_FILE)) or not isinstance(metrics, dict):
        return None
    return metrics


def recorded_gates(path) -> dict:
    """What a training run recorded for the sanity gates of its samples read elsewhere.

    Returns ``{"d_loss": ..., "training_reasons": [...]}``, the keyword arguments of
    :func:`upconv_tf.models.sanity.gan_sanity`: the reasons of the gates the run failed, or its last-epoch
    ``d_loss`` when it recorded no gates (an older run; then the discriminator gate is checked again).
    Both empty when ``path`` is not an ``upconv-tf train`` folder or model file (:func:`training_record`).
    """
    record = training_record(path) or {}
    recorded = record.get("sanity")
    if isinstance(recorded, dict):
        failed = recorded.get("status") != "trained"
        return {"d_loss": None, "training_reasons": list(recorded.get("reasons", [])) if failed else []}
    return {"d_loss": record.get("d_loss"), "training_reasons": []}


def train(config: TrainingConfig, out, *, images=None, verbose="auto", log=None, callbacks=()) -> TrainingResult:
    """Build, fit (or resume) and score a training run in the folder ``out``; save the model there.

    Args:
        config: the settings.
        out: output folder; calling again with the same folder resumes (other model settings are refused).
        images: training images in [-1, 1] (N, size, size, 3) instead of loading ``config.data``.
        verbose: Keras progress (``"auto"``: a bar on a terminal, one line per epoch otherwise; 0 silent).
        log: called with a one-line description of the run before it starts (e.g. ``print``).
        callbacks: more Keras callbacks for ``fit`` (e.g. a progress line).

    Returns:
        :class:`TrainingResult`.

    Raises:
        ValueError: a bad setting, an unusable data folder (:class:`NoUsableImages`), or a folder holding a
            run with other settings; one line, naming the setting in backquotes.
    """
    import shutil
    import tempfile

    import keras

    from upconv_tf._atomic import write_json
    from upconv_tf.callbacks import restore_checkpoint
    from upconv_tf.models.architectures import check_size
    from upconv_tf.models.distribute import is_chief, training_strategy
    from upconv_tf.models.io import save_model

    strategy = training_strategy()  # first: a multi-worker strategy must exist before any other TF op
    config = config.resolved()
    check_size(config.size)
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ArgumentError("out", f"{out}: exists and is not a folder")
    check_resume(config, out)
    skipped = []
    if images is None:
        images, skipped = load_training_images(config)
    if config.batch_size > len(images):
        raise ArgumentError("batch_size", f"{config.batch_size} is larger than the {len(images)} training images")
    if config.batch_size % strategy.num_replicas_in_sync:
        raise ArgumentError("batch_size", f"{config.batch_size} (global) must be a multiple of the "
                                          f"{strategy.num_replicas_in_sync} replicas")
    steps_per_epoch = config.steps_per_epoch or len(images) // config.batch_size
    total = config.epochs * steps_per_epoch
    chief = is_chief(strategy)
    # Every process reads the run folder (all resume from the chief's checkpoints); only the chief writes
    # there. Other workers make the same saves into a folder of their own, removed at the end.
    writes = out if chief else tempfile.mkdtemp(prefix="upconv-tf-worker-")
    os.makedirs(writes, exist_ok=True)
    write_json(dict(config.as_dict(), out=out), os.path.join(writes, CONFIG_FILE))
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        with strategy.scope():
            model = build_model(config)
        model.adapt(images)
        state = restore_checkpoint(model, os.path.join(out, "checkpoints"))
        start = state["step"] if state else 0
        if log is not None:
            log(f"{config.model}: {len(images)} images of {config.size} px, {total} steps ({config.epochs} epochs x "
                f"{steps_per_epoch})" + (f", resuming at step {start}" if start else "")
                + (f", {strategy.num_replicas_in_sync} replicas" if strategy.num_replicas_in_sync > 1 else ""))
        history = (fit(model, images, config, writes, start, total, steps_per_epoch, verbose, callbacks)
                   if start < total else {})
        if history:
            # A resumed run keeps the epochs before it (the gates read the last epoch's losses).
            previous = read_history(out) if start else {}
            epochs_before = start // steps_per_epoch
            history = {key: list(previous.get(key, []))[:epochs_before] + values for key, values in history.items()}
            write_json(history, os.path.join(writes, HISTORY_FILE))
        else:
            history = read_history(out)  # already complete: score the run as it ended
        metrics = final_metrics(model, config, images, history)
        metrics["skipped"] = records(skipped)
        write_json(metrics, os.path.join(writes, METRICS_FILE))
        saved = model.generator if config.model == "gan" else model
        save_model(saved, os.path.join(writes, MODEL_FILES[config.model]))
        path = os.path.join(out, MODEL_FILES[config.model])
    finally:
        if config.mixed_precision:
            keras.mixed_precision.set_global_policy("float32")
        if not chief:
            shutil.rmtree(writes, ignore_errors=True)
    return TrainingResult(model, path, metrics, history, list(skipped), len(images), start, total)
