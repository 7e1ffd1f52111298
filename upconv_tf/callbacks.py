"""Training callbacks: atomic step checkpoints that resume at the same step, and a per-epoch spectrum
plot for TensorBoard.

``keras.callbacks.BackupAndRestore`` restores the epoch only (a run killed mid-epoch repeats it) and
overwrites its weights file in place (a kill during the write loses the backup). ``TrainingCheckpoint``
writes ``ckpt-<step>.weights.h5`` through a temporary file and an atomic rename, then points
``state.json`` at it (also written atomically), so the folder always names a complete checkpoint, and
it records the global step, which :func:`upconv_tf.models.data.step_batches` turns back into the same
batches.
"""

from __future__ import annotations

import glob
import json
import os

import keras
import numpy as np

from upconv_tf._atomic import atomic_file, write_json
from upconv_tf.errors import ArgumentError

STATE_FILE = "state.json"


class TrainingCheckpoint(keras.callbacks.Callback):
    """Save the model's weights (optimizer and seed state included) every ``save_every`` steps and at
    each epoch end, atomically; restore them with :func:`restore_checkpoint`.

    Args:
        directory: checkpoint folder.
        save_every: steps between saves (None: epoch ends only).
        initial_step: global step of the first batch (the step a restored run starts from).

    Example:

    >>> state = restore_checkpoint(model, "run/checkpoints")  # doctest: +SKIP
    >>> model.fit(data, callbacks=[TrainingCheckpoint("run/checkpoints", 100, state["step"] if state else 0)])  # doctest: +SKIP
    """

    def __init__(self, directory, save_every=None, initial_step=0):
        super().__init__()
        if save_every is not None and (not isinstance(save_every, int) or save_every < 1):
            raise ArgumentError("save_every", f"must be None or a positive integer. Received: save_every={save_every!r}")
        if not isinstance(initial_step, int) or initial_step < 0:
            raise ArgumentError("initial_step", f"must be an integer >= 0. Received: initial_step={initial_step!r}")
        self.directory = os.fspath(directory)
        self.save_every = save_every
        self.step = initial_step
        self._saved_step = initial_step

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.save_every and self.step % self.save_every == 0:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        if self.step != self._saved_step:
            self.save()

    def save(self):
        """Write ``ckpt-<step>.weights.h5`` and ``state.json`` atomically; drop older checkpoints."""
        os.makedirs(self.directory, exist_ok=True)
        name = f"ckpt-{self.step:09d}.weights.h5"
        with atomic_file(os.path.join(self.directory, name), suffix=".weights.h5") as temporary:
            self.model.save_weights(temporary, overwrite=True)
        write_json({"step": self.step, "weights": name}, os.path.join(self.directory, STATE_FILE))
        for old in glob.glob(os.path.join(self.directory, "ckpt-*.weights.h5")):
            if os.path.basename(old) != name:
                os.remove(old)
        self._saved_step = self.step


def read_checkpoint_state(directory):
    """The ``state.json`` of a checkpoint folder as a dict, or None when there is no checkpoint."""
    path = os.path.join(os.fspath(directory), STATE_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as handle:
            state = json.load(handle)
        int(state["step"]), str(state["weights"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: damaged checkpoint state ({error})") from None
    return state


def restore_checkpoint(model, directory):
    """Load the latest checkpoint of ``directory`` into ``model`` (built and compiled).

    Returns:
        The state dict (``{"step": int, "weights": file}``), or None when the folder holds no checkpoint.
    """
    state = read_checkpoint_state(directory)
    if state is None:
        return None
    path = os.path.join(os.fspath(directory), state["weights"])
    if not os.path.isfile(path):
        raise ValueError(f"{directory}: checkpoint state names {state['weights']}, which is missing")
    build_optimizer(model)
    model.load_weights(path)
    return state


def build_optimizer(model) -> None:
    """Create the optimizer's slot variables (Adam's moments) before weights are loaded.

    ``fit`` builds a single-optimizer model's optimizer on its first step; loaded before that, a checkpoint's
    optimizer state is skipped ("Skipping variable loading for optimizer 'adam', because it has 2 variables
    whereas the saved optimizer has 10") and a resumed run drifts from an uninterrupted one. Models with their
    own optimizers (SpectralGAN) build them in ``compile``.
    """
    optimizer = getattr(model, "optimizer", None)
    if isinstance(optimizer, keras.optimizers.Optimizer) and not optimizer.built:
        optimizer.build(model.trainable_variables)


class SpectrumMonitor(keras.callbacks.Callback):
    """Each ``every`` epochs: the spectrum of the model's outputs against the real mean, as a plot.

    Calls ``model(inputs)`` (latents for :class:`SpectralGAN`, real images for
    :class:`SpectralAutoencoder`), computes the profiles with the model's ``spectral_mode`` /
    ``spectral_normalize`` and writes to ``log_dir`` (TensorBoard): the image ``spectrum`` (plot of the
    generated mean +- std and the real mean) and the scalar ``spectral_bce`` (mean spectral BCE of the
    outputs to the real mean). With ``plot_dir`` the PNGs are also kept there (``spectrum_epoch_NNN.png``);
    with ``grid_dir`` the outputs themselves are tiled into ``samples_epoch_NNN.png`` there
    (:func:`upconv_tf.sampling.save_grid`), since nobody looks at 64 separate small images.

    Args:
        log_dir: TensorBoard folder (a ``spectrum`` sub-folder is written).
        inputs: fixed model inputs, so epochs are comparable.
        every: epochs between plots.
        plot_dir: optional folder for the PNG files.
        grid_dir: optional folder for a grid of the outputs per plotted epoch.
    """

    def __init__(self, log_dir, inputs, every=1, plot_dir=None, grid_dir=None):
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ArgumentError("every", f"must be a positive integer. Received: every={every!r}")
        self.log_dir = os.fspath(log_dir)
        self.inputs = inputs
        self.every = every
        self.plot_dir = plot_dir
        self.grid_dir = grid_dir
        self._writer = None
        self.history = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.history.append(self.record(epoch))

    def record(self, epoch):
        """Compute, plot and log the spectrum for ``epoch`` (0-based); returns the spectral BCE or None."""
        import tensorflow as tf

        from upconv_tf import spectral
        from upconv_tf.losses import spectral_bce
        from upconv_tf.plotting import plot_spectra

        model = self.model
        outputs = np.asarray(model(self.inputs, training=False), np.float32)
        if self.grid_dir is not None:
            from upconv_tf.sampling import save_grid, to_unit_range

            save_grid(to_unit_range(outputs), os.path.join(self.grid_dir, f"samples_epoch_{epoch + 1:03d}.png"))
        profiles = spectral.azimuthal_integral(outputs, mode=model.spectral_mode, normalize=model.spectral_normalize)
        curves = {f"generated, epoch {epoch + 1}": (profiles.mean(0), profiles.std(0))}
        bce = None
        if model.has_real_spectrum:
            real = model.real_spectrum.numpy()
            curves["real (mean)"] = (real, None)
            bce = float(np.mean(spectral_bce(profiles, real)))
        folder = self.plot_dir or os.path.join(self.log_dir, "spectrum_png")
        path = plot_spectra(curves, os.path.join(folder, f"spectrum_epoch_{epoch + 1:03d}.png"),
                            title=f"Spectrum after epoch {epoch + 1}" + (f", BCE {bce:.4f}" if bce is not None else ""),
                            ylabel=f"{model.spectral_mode} profile, {model.spectral_normalize}")
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "spectrum"))
        image = tf.image.decode_png(tf.io.read_file(path), channels=4)
        with self._writer.as_default():
            tf.summary.image("spectrum", image[None], step=epoch)
            if bce is not None:
                tf.summary.scalar("spectral_bce", bce, step=epoch)
        self._writer.flush()
        return bce

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()


class RefinementMonitor(keras.callbacks.Callback):
    """Each ``every`` epochs: what a :class:`~upconv_tf.models.refiner.SpectrumRefiner` does to fixed inputs.

    Writes ``grid_dir/before.png`` (the inputs, once) and ``grid_dir/after_epoch_NNN.png`` (their refinements,
    :func:`upconv_tf.sampling.save_grid`), and to TensorBoard (``log_dir/refinement``) the scalars ``content_ssim``
    (mean SSIM of the refined images to their inputs), ``log_frequency_distance`` and ``spectral_distance`` of the
    refined images to ``real`` (:mod:`upconv_tf.metrics`), and the two grids as images.

    Args:
        log_dir: TensorBoard folder.
        inputs: (N, H, W, C) generated images in [0, 1] to refine (fixed, so epochs are comparable).
        real: (M, H, W, C) real images in [0, 1] of the same size.
        grid_dir: folder for the PNG grids.
        every: epochs between records.
    """

    def __init__(self, log_dir, inputs, real, grid_dir, every=1):
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"`every` must be a positive integer. Received: every={every!r}")
        self.log_dir, self.grid_dir = os.fspath(log_dir), os.fspath(grid_dir)
        self.inputs, self.real = np.asarray(inputs, np.float32), np.asarray(real, np.float32)
        self.every = every
        self._writer = None
        self.history = []

    def on_train_begin(self, logs=None):
        from upconv_tf.sampling import save_grid

        path = os.path.join(self.grid_dir, "before.png")
        if not os.path.exists(path):
            save_grid(self.inputs, path)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.history.append(self.record(epoch))

    def record(self, epoch) -> dict:
        """Refine, tile, measure and log for ``epoch`` (0-based); returns the scalars."""
        import tensorflow as tf

        from upconv_tf.metrics import log_frequency_distance, spectral_distance, structural_similarity
        from upconv_tf.sampling import save_grid

        refined = np.asarray(self.model.refine(self.inputs), np.float32)
        path = save_grid(refined, os.path.join(self.grid_dir, f"after_epoch_{epoch + 1:03d}.png"))
        scalars = {"content_ssim": float(structural_similarity(self.inputs, refined).mean()),
                   "log_frequency_distance": log_frequency_distance(self.real, refined),
                   "spectral_distance": spectral_distance(self.real, refined)}
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "refinement"))
        with self._writer.as_default():
            for name, value in scalars.items():
                tf.summary.scalar(name, value, step=epoch)
            for name, grid in (("before", os.path.join(self.grid_dir, "before.png")), ("after", path)):
                if os.path.isfile(grid):
                    tf.summary.image(name, tf.image.decode_png(tf.io.read_file(grid), channels=3)[None], step=epoch)
        self._writer.flush()
        return scalars

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()
