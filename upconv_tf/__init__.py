"""upconv-tf: see, fix and detect what up-convolutions do to the frequency spectrum of generated images.

Everything a user needs is one attribute away; each is imported on first use, so ``import upconv_tf`` loads no
TensorFlow (the numpy spectrum, the loaders of ONNX models and the scoring runtime never do).

The spectrum
    azimuthal_integral(images, mode=..., normalize=...)  numpy 1-D power spectrum (the paper's AI)
    AzimuthalIntegral(mode=..., normalize=...)           the same as a differentiable Keras layer
    spectral_distance(real, fake), log_frequency_distance(real, fake)   how far two image sets' spectra are

Training (the spectral term and the 3 x 5x5 correction)
    TrainingConfig(model, ...), train(config, out)       a whole run: data, checkpoints, resume, sanity gates
    SpectralGAN, SpectralAutoencoder                      the Keras models with the spectral loss
    SpectralTerm(weight=..., profile=...)                 the settings of their spectral term
    build_generator, build_discriminator                  the reference architectures

Refining after the fact (STIG, Lee et al., AAAI 2024)
    SpectrumRefiner                                       the refiner: magnitude spectrum in, refined image out
    RefineConfig, train_refiner(config, out)              a whole refiner run (resumes like train)
    refine_files(model, paths, out)                       refine image files with a run or an export

Detection
    SpectralDetector                                      the scikit-learn estimator (features -> classifier)
    train_detector(real, fake, preset=...)                fit on folders with a preset, save and export
    evaluate_detector(real, fake, protocol=...)           grouped, cross-family and cross-source evaluation
    detect(paths, model)                                  score image files with any detector
    audit_generator(generator, real)                      how far a generator's spectrum is, how detectable
    score(pattern, model, output)                         score a bucket with Apache Beam (no TensorFlow)

Models
    load(path_or_name)                                    any model -> the object that runs it (``.kind``)
    resolve_model(path_or_name)                           what a path holds, found from any folder
    export_model(path)                                    a trained model -> SavedModel + ONNX

Errors and output
    NoUsableImages, Skipped, ArgumentError                errors and skip records as data
    quiet()                                               TensorFlow's log lines off (as the CLI), for scripts

Example:

>>> import upconv_tf
>>> import numpy as np
>>> upconv_tf.azimuthal_integral(np.zeros((1, 32, 32, 3)), mode="reference").shape
(1, 20)
"""

from upconv_tf._lazy import lazy_names

__version__ = "0.1.0"

# name -> "module" or "module:attribute" (looked up on first use).
_EXPORTS = {
    "azimuthal_integral": "upconv_tf.spectral",
    "AzimuthalIntegral": "upconv_tf.layers",
    "spectral_distance": "upconv_tf.metrics",
    "log_frequency_distance": "upconv_tf.metrics",
    "TrainingConfig": "upconv_tf.models.training",
    "train": "upconv_tf.models.training",
    "SpectralGAN": "upconv_tf.models",
    "SpectralAutoencoder": "upconv_tf.models",
    "SpectralTerm": "upconv_tf.models",
    "build_generator": "upconv_tf.models",
    "build_discriminator": "upconv_tf.models",
    "SpectrumRefiner": "upconv_tf.models.refiner",
    "RefineConfig": "upconv_tf.workflows.refine",
    "train_refiner": "upconv_tf.workflows.refine",
    "refine_files": "upconv_tf.workflows.refine",
    "SpectralDetector": "upconv_tf.detection",
    "train_detector": "upconv_tf.workflows.detector",
    "evaluate_detector": "upconv_tf.workflows.detector",
    "detect": "upconv_tf.workflows.detect",
    "audit_generator": "upconv_tf.workflows.audit",
    "score": "upconv_tf.scoring.run",
    "load": "upconv_tf.runtime.load",
    "resolve_model": "upconv_tf.resolve",
    "export_model": "upconv_tf.export.api:export_path",
    "NoUsableImages": "upconv_tf.errors",
    "Skipped": "upconv_tf.errors",
    "ArgumentError": "upconv_tf.errors",
    "quiet": "upconv_tf._quiet",
}
__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
