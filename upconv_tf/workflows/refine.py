"""Refining the spectrum of generated images (STIG) at the folder level: train a refiner, apply it, measure it.

* :func:`train_refiner`: train (or resume) a :class:`~upconv_tf.models.refiner.SpectrumRefiner` on a folder of
  generated and a folder of real images (unpaired), into a run folder (what ``upconv-tf refine train`` runs);
* :func:`refine_files`: refine image files with a run folder or an exported refiner and write PNGs (what
  ``upconv-tf refine apply`` runs);
* :func:`refinement_report`: before / after numbers of a refinement against real images (LFD, spectral distance,
  the paper's bins in the real band, SSIM to the input).

A run folder ``out`` holds ``config.json`` (the settings), ``checkpoints/`` (atomic step checkpoints: calling
:func:`train_refiner` again with the same folder resumes at the last one and ends with the weights of an
uninterrupted run), ``logs/`` (TensorBoard: losses, the refinement's SSIM / LFD / spectral distance and the
before / after grids), ``samples/`` (``before.png`` and ``after_epoch_NNN.png``: grids of the same generated
images), ``history.json``, ``metrics.json`` (:func:`refinement_report` on the training images, the sanity gates of
:func:`upconv_tf.models.sanity.refiner_sanity` and the verdict ``status``, the skipped files) and ``refiner.keras``
(the whole model, discriminators and optimizers included: it loads with ``safe_mode`` and trains further).

Example:

>>> result = train_refiner(RefineConfig("photos/", "generated/", steps=300), "runs/refiner")  # doctest: +SKIP
>>> refine_files("runs/refiner", ["generated/"], "refined/")["skipped"]  # doctest: +SKIP
[]
"""

from __future__ import annotations

import dataclasses
import os
import sys

from upconv_tf import errors as E
from upconv_tf.errors import ArgumentError, NoUsableImages
from upconv_tf.runs import CONFIG_FILE, HISTORY_FILE, METRICS_FILE, changed_settings, read_history, read_settings

REFINER_FILE = "refiner.keras"
MONITOR_IMAGES = 64  # generated images tiled before / after, and their spectra logged
REPORT_IMAGES = 512  # images metrics.json reads
POLICIES = ("center-crop", "resize")
# Settings that define the model and its training: a resumed run must use the same ones ("steps" may grow).
MODEL_KEYS = ("size", "policy", "width", "depth", "nested", "discriminator_width", "steps_per_epoch", "batch_size",
              "lr", "seed", "losses", "magnitude_floor")


@dataclasses.dataclass
class RefineConfig:
    """Settings of a refiner training run.

    Attributes:
        real, fake: folders (or files) of real and of generated images; unpaired.
        size: training image side in px (a multiple of ``2 ** (depth - 1)``).
        policy: how files are brought to ``size``: ``"center-crop"`` (keeps the native spectrum) or ``"resize"``.
        width, depth, nested, discriminator_width: the networks (:func:`upconv_tf.models.refiner.build_refiner`).
            Defaults: a nested U-Net of 4 levels, 8 channels at the top (141 k weights; the paper's has 64 channels
            and 5 levels, 36 M), measured to train at 64 px on 2 CPU cores in minutes.
        steps, steps_per_epoch, batch_size: the schedule (an "epoch" is the interval of the sample grids).
        lr: Adam learning rate of both optimizers, held for the first 20 % of the steps, then decayed linearly to 0
            (the published schedule; the published rate, 8e-5 at batch size 1 for 10 epochs, moves a CPU-sized run
            too slowly).
        seed: weights, data order and PatchNCE patches.
        save_every: steps between checkpoints (and at each epoch end).
        losses: overrides of :class:`~upconv_tf.models.refiner.RefinerLosses` (e.g. ``{"content": 3.0}``).
        magnitude_floor: the unit of the log magnitude (:class:`~upconv_tf.models.refiner.SpectrumRefiner`).
    """

    real: str
    fake: str
    size: int = 64
    policy: str = "center-crop"
    width: int = 8
    depth: int = 4
    nested: bool = True
    discriminator_width: int = 16
    steps: int = 600
    steps_per_epoch: int = 100
    batch_size: int = 8
    lr: float = 1e-3
    seed: int = 0
    save_every: int = 100
    losses: dict = dataclasses.field(default_factory=dict)
    magnitude_floor: object = "8-bit"

    def __post_init__(self):
        from upconv_tf.models.refiner import RefinerLosses, check_losses

        if self.policy not in POLICIES:
            raise ArgumentError("policy", f"must be one of {POLICIES}. Received: policy={self.policy!r}")
        for name in ("size", "width", "depth", "discriminator_width", "steps", "steps_per_epoch", "batch_size",
                     "save_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ArgumentError(name, f"must be a positive integer. Received: {name}={value!r}")
        if not isinstance(self.lr, (int, float)) or isinstance(self.lr, bool) or not self.lr > 0:
            raise ArgumentError("lr", f"must be a positive number. Received: lr={self.lr!r}")
        check_losses(dict(self.losses))  # validates the names and values
        self.losses = {key: value for key, value in dict(self.losses).items()
                       if value != getattr(RefinerLosses(), key)}

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class RefineResult:
    """What :func:`train_refiner` did: the model, where it is, ``metrics.json``, this call's history, the skipped
    files (:class:`upconv_tf.errors.Skipped` records), the number of generated and real images, and the first and last
    step."""

    model: object
    model_path: str
    metrics: dict
    history: dict
    skipped: list
    images: tuple
    start_step: int
    total_steps: int


def load_images(folder, size, policy, name):
    """``(images in [0, 1], skipped records)`` of a folder; :class:`upconv_tf.errors.NoUsableImages` if none."""
    from upconv_tf.datasets import load_folder

    if not os.path.exists(folder):
        raise ArgumentError(name, f"{folder}: no such file or folder")
    loaded = load_folder(folder, size=size, policy=policy)
    if not len(loaded.paths):
        raise NoUsableImages(f"no usable image in {folder}", [folder], loaded.errors, name)
    return loaded.images, list(loaded.errors)


def check_resume(config: RefineConfig, out) -> None:
    """Refuse to resume a run in ``out`` made with other model or training settings."""
    try:
        previous = read_settings(out)
    except (OSError, ValueError) as error:
        raise ArgumentError("out", f"{out}: its {CONFIG_FILE} is unreadable ({error}); use another `out`") from None
    if previous is None:
        return
    detail = changed_settings(previous, config.as_dict(), MODEL_KEYS)
    if detail:
        raise ArgumentError("out", f"{out} holds a run with other settings ({detail}); use another `out`")


def build(config: RefineConfig):
    """The compiled refiner of ``config`` (seeded), optimizers built so that a checkpoint restores their state."""
    import keras

    from upconv_tf.models.refiner import build_refiner, paper_optimizer

    keras.utils.set_random_seed(config.seed)
    model = build_refiner(config.size, config.width, config.depth, config.nested, config.discriminator_width,
                          losses=config.losses, seed=config.seed, magnitude_floor=config.magnitude_floor)
    model.compile(g_optimizer=paper_optimizer(config.lr, config.steps),
                  d_optimizer=paper_optimizer(config.lr, config.steps))
    return model


def pair_batches(generated, real, batch_size, seed, start_step=0):
    """``(generated, real)`` global batches, each a pure function of the step (resumable), unpaired."""
    import tensorflow as tf

    from upconv_tf.models.data import step_batches

    dataset = tf.data.Dataset.zip((step_batches(generated, batch_size, seed, start_step),
                                   step_batches(real, batch_size, seed + 1, start_step)))
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _forward(model, images, batch_size=64):
    import numpy as np

    return np.concatenate([np.asarray(model.refine(images[i:i + batch_size]), np.float32)
                           for i in range(0, len(images), batch_size)])


def refinement_report(real, inputs, refined) -> dict:
    """Before / after numbers of a refinement, all images in [0, 1] and of one size.

    Returns ``{"before": {...}, "after": {...}, "content_ssim": float}``; ``before`` compares ``inputs`` and
    ``after`` compares ``refined`` with ``real``: ``log_frequency_distance`` and ``spectral_distance``
    (:mod:`upconv_tf.metrics`), ``bins_in_band`` (the paper's readout: fraction of reference bins of the mean profile
    inside the real mean +- 1 std, :func:`upconv_tf.models.readout.band_fraction`). ``content_ssim``: mean SSIM of
    each refined image to its input.
    """
    from upconv_tf.metrics import log_frequency_distance, spectral_distance, structural_similarity
    from upconv_tf.models.readout import band_fraction

    def side(images):
        return {"log_frequency_distance": log_frequency_distance(real, images),
                "spectral_distance": spectral_distance(real, images),
                "bins_in_band": band_fraction(real, images)}

    return {"before": side(inputs), "after": side(refined),
            "content_ssim": float(structural_similarity(inputs, refined).mean())}


def final_metrics(model, generated, real, history) -> dict:
    """metrics.json: last-epoch losses, :func:`refinement_report` on (up to 512) training images refined and
    rounded to 8 bits (what a PNG holds), and the sanity gates."""
    from upconv_tf.metrics import structural_similarity
    from upconv_tf.models import sanity
    from upconv_tf.sampling import quantize

    inputs, reference = generated[:REPORT_IMAGES], real[:REPORT_IMAGES]
    refined = quantize(_forward(model, inputs))
    metrics = {key: values[-1] for key, values in history.items()}
    metrics["refinement"] = refinement_report(reference, inputs, refined)
    metrics["samples"] = len(inputs)
    report = sanity.refiner_sanity(refined, inputs, structural_similarity(inputs, refined))
    metrics["sanity"], metrics["status"] = report, report["status"]
    return metrics


def _fit(model, generated, real, config, out, start, verbose):
    import keras

    from upconv_tf.callbacks import RefinementMonitor, TrainingCheckpoint

    callbacks = [TrainingCheckpoint(os.path.join(out, "checkpoints"), config.save_every, initial_step=start),
                 RefinementMonitor(os.path.join(out, "logs"), generated[:MONITOR_IMAGES], real[:REPORT_IMAGES],
                                   os.path.join(out, "samples")),
                 keras.callbacks.TensorBoard(os.path.join(out, "logs"), write_graph=False)]
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    history, step, total, per_epoch = {}, start, config.steps, config.steps_per_epoch
    while step < total:
        # One call per epoch (the last may be short); batches restart from the step, so a resumed run sees
        # the batches an uninterrupted one would.
        epoch, offset = divmod(step, per_epoch)
        steps_now = min(per_epoch - offset, total - step)
        result = model.fit(pair_batches(generated, real, config.batch_size, config.seed, start_step=step),
                           initial_epoch=epoch, epochs=epoch + 1, steps_per_epoch=steps_now, callbacks=callbacks,
                           verbose=verbose, shuffle=False)
        for key, values in result.history.items():
            history.setdefault(key, []).extend(float(v) for v in values)
        step += steps_now
    return history


def train_refiner(config: RefineConfig, out, *, generated=None, real=None, verbose="auto", log=None) -> RefineResult:
    """Train (or resume) a spectrum refiner in the run folder ``out``; save it there (module docstring).

    Args:
        config: the settings.
        out: run folder; calling again with the same folder resumes (other settings are refused; ``steps`` may grow).
        generated, real: (N, size, size, 3) images in [0, 1] instead of loading ``config.fake`` / ``config.real``.
        verbose: Keras progress (``"auto"``: a bar on a terminal, one line per epoch otherwise; 0 silent).
        log: called with a one-line description of the run before it starts (e.g. ``print``).

    Returns:
        :class:`RefineResult`.

    Raises:
        ArgumentError: a bad setting or a run folder made with other settings (one line naming the setting).
        NoUsableImages: no image of ``fake`` or ``real`` could be used (its records say why).
    """
    import shutil
    import tempfile

    import numpy as np

    from upconv_tf._atomic import write_json
    from upconv_tf.callbacks import restore_checkpoint
    from upconv_tf.models.distribute import is_chief, training_strategy
    from upconv_tf.models.io import save_model

    strategy = training_strategy()  # first: a multi-worker strategy must exist before any other TF op
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ArgumentError("out", f"{out}: exists and is not a folder")
    factor = 2 ** (config.depth - 1)
    if config.size % factor or config.size < 16:
        raise ArgumentError("size", f"{config.size} must be >= 16 and a multiple of {factor} (2 ** (`depth` - 1))",
                            mentions=("depth",))
    check_resume(config, out)
    skipped = []
    if generated is None:
        generated, errors = load_images(config.fake, config.size, config.policy, "fake")
        skipped += errors
    if real is None:
        real, errors = load_images(config.real, config.size, config.policy, "real")
        skipped += errors
    generated, real = np.asarray(generated, np.float32), np.asarray(real, np.float32)
    if config.batch_size > min(len(generated), len(real)):
        raise ArgumentError("batch_size", f"{config.batch_size} is larger than the {min(len(generated), len(real))} "
                                          "images of the smaller folder")
    if config.batch_size % strategy.num_replicas_in_sync:
        raise ArgumentError("batch_size", f"{config.batch_size} (global) must be a multiple of the "
                                          f"{strategy.num_replicas_in_sync} replicas")
    chief = is_chief(strategy)
    writes = out if chief else tempfile.mkdtemp(prefix="upconv-tf-worker-")
    os.makedirs(writes, exist_ok=True)
    write_json(dict(config.as_dict(), out=out), os.path.join(writes, CONFIG_FILE))
    try:
        with strategy.scope():
            model = build(config)
        state = restore_checkpoint(model, os.path.join(out, "checkpoints"))
        start = state["step"] if state else 0
        if log is not None:
            log(f"refiner: {len(generated)} generated and {len(real)} real images of {config.size} px, {config.steps} "
                f"steps" + (f", resuming at step {start}" if start else "")
                + (f", {strategy.num_replicas_in_sync} replicas" if strategy.num_replicas_in_sync > 1 else ""))
        history = _fit(model, generated, real, config, writes, start, verbose) if start < config.steps else {}
        if history:
            previous = read_history(out) if start else {}
            before = start // config.steps_per_epoch
            history = {key: list(previous.get(key, []))[:before] + values for key, values in history.items()}
            write_json(history, os.path.join(writes, HISTORY_FILE))
        else:
            history = read_history(out)
        metrics = final_metrics(model, generated, real, history)
        metrics["skipped"] = E.records(skipped)
        write_json(metrics, os.path.join(writes, METRICS_FILE))
        save_model(model, os.path.join(writes, REFINER_FILE))
    finally:
        if not chief:
            shutil.rmtree(writes, ignore_errors=True)
    return RefineResult(model, os.path.join(out, REFINER_FILE), metrics, history, skipped, (len(generated), len(real)),
                        start, config.steps)


# ----------------------------------------------------------------------------------------------- applying
def _fit_image(image, runner, size, policy, path):
    """The image as the refiner takes it, or :class:`upconv_tf.errors.ImageLoadError` saying why not."""
    from upconv_tf.datasets.folder import fit_to_size

    fixed = runner.image_size
    if policy != "none":
        image = fit_to_size(image, size or fixed, policy, path)
    height, width = image.shape[:2]
    if fixed is not None and (height, width) != (fixed, fixed):
        raise E.ImageLoadError(path, E.UNSUPPORTED_SIZE, f"{width} x {height} px; the exported refiner takes {fixed} x "
                                                         f"{fixed} (use policy center-crop or resize)", size=(width, height))
    multiple = runner.size_multiple
    if height % multiple or width % multiple or min(height, width) < 16:
        raise E.ImageLoadError(path, E.UNSUPPORTED_SIZE, f"{width} x {height} px: the refiner takes sides that are "
                                                         f"multiples of {multiple} and at least 16 px (use policy "
                                                         "center-crop or resize)", size=(width, height))
    return image


def _output_name(path, root, out, taken):
    """``out/<path relative to its root>.png`` (a file argument: its base name); a name already ``taken`` by another
    input (``a.jpg`` after ``a.png``) keeps its extension: ``a.jpg.png``."""
    relative = os.path.relpath(path, root) if root is not None else os.path.basename(path)
    target = os.path.join(out, os.path.splitext(relative)[0] + ".png")
    if target in taken:
        target = os.path.join(out, relative + ".png")
    return target


def refine_files(model, paths, out, *, size=None, policy="none", batch_size: int = 16, progress=None) -> dict:
    """Refine image files and write the results as PNG files under ``out``.

    Args:
        model: a refiner run folder, ``.keras`` file or export (anything :func:`upconv_tf.runtime.load_refiner`
            reads), or such a runner.
        paths: image files and folders (walked recursively; the output keeps the layout under each folder).
        out: output folder (not one that holds the inputs: a refined PNG would replace its input).
        size: side to bring images to with ``policy`` (default: an export's size, else the run's training size).
        policy: ``"none"`` (native sizes: each must be one the model takes), ``"center-crop"`` or ``"resize"``.
        batch_size: images per model call (images of one size are batched together).
        progress: ``progress(total, desc)`` -> a bar with ``update(n)`` and ``close()`` (or None).

    Returns:
        ``{"model": str, "size", "policy", "results": [{"path", "output", "height", "width"}], "skipped": [records]}``.

    Raises:
        ArgumentError: a bad argument or an unusable model (one line naming it).
        NoUsableImages: no file could be refined (its records say why).
    """
    import numpy as np

    from upconv_tf.datasets import save_png
    from upconv_tf.datasets.folder import POLICIES as FOLDER_POLICIES
    from upconv_tf.datasets.folder import list_images, load_image
    from upconv_tf.runtime import load_refiner
    from upconv_tf.workflows._common import progress_bar

    if policy not in FOLDER_POLICIES:
        raise ArgumentError("policy", f"must be one of {FOLDER_POLICIES}. Received: policy={policy!r}")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 16):
        raise ArgumentError("size", f"must be an integer >= 16. Received: size={size!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ArgumentError("batch_size", f"must be a positive integer. Received: batch_size={batch_size!r}")
    if isinstance(model, (str, os.PathLike)):
        source, runner = os.fspath(model), load_refiner(model)
    else:
        source, runner = getattr(model, "source", type(model).__name__), model
    if policy != "none" and size is None:
        size = runner.image_size or runner.metadata["model"]["training_size"]
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ArgumentError("out", f"{out}: exists and is not a folder")
    errors, files = [], []
    for path in map(os.fspath, paths):
        if not os.path.lexists(path):
            errors.append(E.Skipped(path, E.MISSING, "no such file or folder"))
            continue
        root = path if os.path.isdir(path) else None
        if os.path.abspath(out) == os.path.abspath(root or os.path.dirname(path)):
            raise ArgumentError("out", f"{out}: holds the input {path}; write the refined images to another folder")
        files += [(found, root) for found in list_images(path, errors=errors)]
    bar = progress_bar(progress, len(files), "refine")
    results, pending, taken = [], {}, set()

    def flush(shape):
        batch = pending.pop(shape)
        refined = runner.refine(np.stack([image for image, _, _ in batch]), batch_size)
        for image, (_, path, target) in zip(refined, batch):
            save_png(image, target)
            results.append({"path": path, "output": target, "height": int(image.shape[0]),
                            "width": int(image.shape[1])})
        bar.update(len(batch))

    for path, root in files:
        try:
            image = _fit_image(load_image(path), runner, size, policy, path)
        except E.ImageLoadError as error:
            errors.append(error.skipped)
            bar.update(1)
            continue
        target = _output_name(path, root, out, taken)
        taken.add(target)
        pending.setdefault(image.shape, []).append((image, path, target))
        if len(pending[image.shape]) == batch_size:
            flush(image.shape)
    for shape in list(pending):
        flush(shape)
    bar.close()
    if not results:
        where = ", ".join(map(os.fspath, paths))
        raise NoUsableImages(f"no image could be refined in {where}" if errors else f"no image found under {where}",
                             paths, errors)
    return {"model": source, "size": size, "policy": policy, "results": results, "skipped": E.records(errors)}


# ----------------------------------------------------------------------------------------------- detectors
REFINED = "refined"  # the detectors' treatment: generated images refined by a spectrum refiner, real ones unchanged


def add_refined_rows(features, refiner, *, train: bool = True, test: bool = True, batch_size: int = 16):
    """Rows of the generated images *refined*, added to a detector's rows (STIG as an attack, and as training data).

    Each generated image of ``features`` (:class:`upconv_tf.detection.training.PresetFeatures` of files, e.g.
    :func:`upconv_tf.workflows.features.folder_preset_features`) is brought to the preset's crop (as its test rows are),
    refined, rounded to 8 bits (what a PNG of it holds) and turned into the preset's features:

    * ``test``: a test treatment :data:`REFINED`: those rows for generated images, the ``"none"`` rows for real ones
      (an attacker refines generated images only);
    * ``train``: the same rows as training twins of their image (like the augmentation's JPEG twins: used when the
      image is a training image, never when it is a test image), so a detector learns refined images too.

    Args:
        features: the rows; modified in place and returned. Needs the ``"none"`` test rows for ``test``.
        refiner: a refiner run, ``.keras`` file or export (:func:`upconv_tf.runtime.load_refiner`), or a runner.
        train, test: which rows to add.
        batch_size: images per refiner call.

    Raises:
        ArgumentError: the preset keeps native sizes (no one crop to refine), or the refiner does not take its crop.
    """
    import numpy as np

    from upconv_tf.datasets import load_image
    from upconv_tf.datasets.folder import fit_to_size
    from upconv_tf.runtime import load_refiner
    from upconv_tf.sampling import quantize

    runner = load_refiner(refiner) if isinstance(refiner, (str, os.PathLike)) else refiner
    preset = features.preset
    if preset.policy == "none":
        raise ArgumentError("refiner", "needs a preset with one crop size (`policy` center-crop or resize)",
                            mentions=("policy",))
    size = preset.size
    if (runner.image_size not in (None, size)) or size % runner.size_multiple or size < 16:
        raise ArgumentError("refiner", f"{getattr(runner, 'source', runner)} does not take the preset's {size} px crops "
                                       f"(export it at {size} px, or train the detector with `size` "
                                       f"{runner.image_size or runner.size_multiple * (size // runner.size_multiple)})",
                            mentions=("size",))
    if test and "none" not in features.test:
        raise ArgumentError("treatments", "must include none to add the refined treatment")
    fakes = np.flatnonzero(features.labels == 1)
    transformer = preset.detector().feature_transformer()
    blocks = []
    for start in range(0, len(fakes), batch_size):
        crops = np.stack([fit_to_size(load_image(features.names[i]), size, preset.policy, features.names[i])
                          for i in fakes[start:start + batch_size]])
        blocks.append(transformer.transform(quantize(runner.refine(crops, batch_size))))
    rows = np.concatenate(blocks) if blocks else np.zeros((0, features.train.shape[1]))
    if test:
        refined = np.array(features.test["none"], copy=True)
        refined[fakes] = rows
        features.test[REFINED] = refined
    if train:
        features.train = np.concatenate([features.train, rows])
        features.train_image = np.concatenate([features.train_image, fakes])
        features.train_original = np.concatenate([features.train_original, np.zeros(len(fakes), bool)])
    return features
