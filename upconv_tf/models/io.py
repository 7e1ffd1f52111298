"""Saving (atomic) and loading of trained models."""

from __future__ import annotations

import os
import zipfile

import keras

from upconv_tf._atomic import atomic_file
from upconv_tf.errors import ArgumentError
from upconv_tf.resolve import AUTOENCODER_FILE, GENERATOR_FILE  # noqa: F401  (the file names of a training run)


def save_model(model, path) -> str:
    """``model.save(path)`` atomically (:mod:`upconv_tf._atomic`: hidden temporary, umask mode, rename)."""
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ArgumentError("path", f"must end in .keras. Received: path={path!r}")
    with atomic_file(path, suffix=".keras") as temporary:
        model.save(temporary)
    return path


def is_keras_file(path) -> bool:
    """True when ``path`` is a zip archive (what a ``.keras`` file is)."""
    return zipfile.is_zipfile(os.fspath(path))


def load_keras_model(path):
    """A saved Keras model: a generator, a SpectralGAN (its generator is returned) or a SpectralAutoencoder.

    Loaded with ``safe_mode=True`` (no arbitrary code). Raises ``OSError`` when ``path`` is missing and a
    one-line ``ValueError`` saying what is wrong otherwise (not a zip archive, refused by safe_mode, damaged).
    """
    import upconv_tf.layers  # noqa: F401  (registers the custom layers)
    import upconv_tf.models  # noqa: F401
    from upconv_tf.models.gan import SpectralGAN

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise OSError(f"{path}: no such file" if not os.path.exists(path) else f"{path}: not a file")
    if not is_keras_file(path):
        raise ValueError(f"{path}: not a .keras model (a .keras file is a zip archive; this one is not)")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except OSError:
        raise
    except Exception as error:  # damaged zip/h5, or refused by safe_mode (e.g. a Lambda layer): one line
        text = " ".join(str(error).split())
        raise ValueError(f"{path}: not a loadable .keras model ({type(error).__name__}: {text})") from None
    if isinstance(model, SpectralGAN):
        model = model.generator
    return model


def load_generator_model(path):
    """Load a Keras generator as a ``keras.Model``: latent (N, latent_dim) -> images (N, H, W, 3) in [-1, 1].

    For exported generators (SavedModel, ONNX, ``saved_models/NAME[/V]``) as well, use
    :func:`upconv_tf.runtime.load_generator`, which gives a runner of any of them.

    Args:
        path: a folder written by ``upconv-tf train gan`` (its ``generator.keras``), a generator
            ``.keras`` file, or a saved :class:`SpectralGAN` ``.keras`` file (its generator is returned).
            Loaded with ``safe_mode=True`` (no arbitrary code).

    Returns:
        The generator ``keras.Model``.

    Raises:
        OSError: the path does not exist or holds no generator.
        ValueError: the file is not a generator.

    Example:

    >>> generator = load_generator_model("runs/gan64")  # doctest: +SKIP
    >>> images = generator(np.random.normal(size=(4, generator.input_shape[1])))  # doctest: +SKIP
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        candidate = os.path.join(path, GENERATOR_FILE)
        if not os.path.isfile(candidate):
            raise OSError(f"{path}: no {GENERATOR_FILE} in this folder (is it an `upconv-tf train gan` output?)")
        path = candidate
    elif not os.path.isfile(path):
        raise OSError(f"{path}: no such file or folder")
    model = load_keras_model(path)
    in_shape, out_shape = model.input_shape, model.output_shape
    if not isinstance(in_shape, tuple) or len(in_shape) != 2 or len(out_shape) != 4:
        raise ValueError(f"{path}: not a generator (expected (N, latent) -> (N, H, W, C); "
                         f"got {in_shape} -> {out_shape})")
    return model


def load_generator(path):
    """Deprecated name of :func:`load_generator_model` (the runner of any generator is
    :func:`upconv_tf.runtime.load_generator`)."""
    import warnings

    warnings.warn("upconv_tf.models.load_generator is now load_generator_model (a keras.Model); "
                  "upconv_tf.load / upconv_tf.runtime.load_generator give a runner of any generator",
                  DeprecationWarning, stacklevel=2)
    return load_generator_model(path)
