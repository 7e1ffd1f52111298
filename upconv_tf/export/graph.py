"""A fitted :class:`upconv_tf.detection.SpectralDetector` as one TensorFlow function: images in,
probability of "generated" out, every step inside the graph.

Steps (the same as ``SpectralDetector.predict_proba(X)[:, 1]``): grayscale, ``rfft2d`` (the SavedModel) or
the four-step MatMul DFT of :mod:`upconv_tf.export.fft` (the ONNX model: ``fft="matmul"``), azimuthal
integral (:func:`upconv_tf.layers.azimuthal.azimuthal_integral` with the ONNX-friendly ``"gather"``
reduction, or :func:`~upconv_tf.layers.azimuthal.profile_from_columns` on the four-step's output), resampling to ``num_bins_`` when the native length differs, normalisation, then the detector's
``scaler_`` and ``classifier_`` heads (:mod:`upconv_tf.detection.heads`: the same closed forms the numpy
path evaluates, here in TensorFlow):

* ``"logreg"``: ``sigmoid(coef_ . x + intercept_)``;
* ``"svm"``: RBF decision ``sum_i dual_coef_i exp(-gamma |x - sv_i|^2) + intercept_``, then the detector's
  Platt sigmoid ``1 / (1 + exp(-(a d + b)))`` with ``(a, b) = calibration_``;
* ``"kmeans"``: ``d_real / (d_real + d_fake)`` (0.5 when both are 0), Euclidean distances of the scaled
  features to the two centres, ``fake_cluster_`` naming the "generated" one.

Input and output are float32; inside, the graph computes in ``compute_dtype`` (float64 by default). float32
is not enough for parity: the FFT's absolute rounding error (~1e-7 of the largest coefficient) is large
relative to the weakest high-frequency coefficients, whose log (dB) values then move by up to ~0.2, and the
standard scaler magnifies that (6e-3 in the scaled features, 4e-4 in the probability at 256 px). The SVM
kernel takes exact differences ``x - sv`` (no ``|x|^2 - 2 x.sv + |sv|^2`` cancellation), so a batch uses
``batch x support vectors x bins`` numbers.
"""

from __future__ import annotations

import tensorflow as tf

from upconv_tf import backends, spectral
from upconv_tf.detection.heads import HEADS

REDUCTION = "gather"


COMPUTE_DTYPES = ("float64", "float32")
# How the graph computes the spectrum: "rfft2d" (TensorFlow's FFT: the SavedModel) or "matmul" (the
# four-step DFT of :mod:`upconv_tf.export.fft`: the ONNX model, no DFT operator).
FFTS = ("rfft2d", "matmul")


def check_fitted(detector):
    """Raise ``ValueError`` unless ``detector`` is a fitted SpectralDetector-like estimator."""
    missing = [name for name in ("mode", "normalize", "num_bins_", "scaler_", "classifier_")
               if not hasattr(detector, name)]
    if missing:
        raise ValueError(f"`detector` must be a fitted SpectralDetector; it has no {', '.join(missing)}. "
                         f"Received: {type(detector).__name__}")
    if getattr(detector, "classifier", None) not in HEADS:
        raise ValueError(f"`detector.classifier` must be one of {tuple(HEADS)}. "
                         f"Received: classifier={getattr(detector, 'classifier', None)!r}")
    if not isinstance(detector.classifier_, HEADS[detector.classifier]):
        raise ValueError(f"`detector.classifier_` must be a {HEADS[detector.classifier].__name__} "
                         f"(upconv_tf.detection.heads). Received: {type(detector.classifier_).__name__}")


def feature_bins(detector, height: int, width: int):
    """``num_bins`` argument of the azimuthal integral for this image size (None: native length)."""
    native = spectral.num_bins(height, width, detector.mode)
    return None if native == int(detector.num_bins_) and detector.num_bins is None else int(detector.num_bins_)


def spectral_features(images, detector, bins, compute_dtype: str = "float64", fft: str = "rfft2d"):
    """(N, H, W, C) float32 images -> (N, features) the detector's normalised profiles, in ``compute_dtype``.

    Both cast the images to ``compute_dtype`` first (in float32, rounding the gray values alone moves the
    weakest coefficients, e.g. the near-zero Nyquist row of a bilinear up-sampling, by more than the
    reference mode's 1e-8 floor). ``fft="rfft2d"`` then runs the layer's integral
    (:func:`upconv_tf.layers.azimuthal.azimuthal_integral`); ``fft="matmul"`` computes the power spectrum
    with :func:`upconv_tf.export.fft.power_columns` and sums it into the same bins
    (:func:`upconv_tf.layers.azimuthal.profile_from_columns`).
    """
    from upconv_tf.export import fft as four_step
    from upconv_tf.layers import azimuthal

    if fft not in FFTS:
        raise ValueError(f"`fft` must be one of {FFTS}. Received: fft={fft!r}")
    mode, normalize = detector.mode, detector.normalize
    images = tf.cast(images, compute_dtype)
    if fft == "rfft2d":
        return azimuthal.azimuthal_integral(images, mode, normalize, bins, reduction=REDUCTION)
    height, width = int(images.shape[1]), int(images.shape[2])
    power = four_step.power_columns(azimuthal.rgb_to_gray(images), compute_dtype)
    profile = azimuthal.profile_from_columns(power, height, width, four_step.half_plane_positions(height, width),
                                             mode)
    if bins is not None:
        profile = azimuthal.resample(profile, bins)
    return azimuthal.normalize(profile, normalize)


def detector_function(detector, height: int, width: int, channels: int = 3, compute_dtype: str = "float64",
                      fft: str = "rfft2d"):
    """``tf.function`` images ``(N, height, width, channels)`` float32 -> ``{"probability": (N,)}`` float32.

    ``compute_dtype`` is the precision inside the graph (module docstring): ``"float64"`` (parity with the
    scikit-learn path to ~1e-7) or ``"float32"`` (faster, ~1e-3 off). ``fft`` picks how the spectrum is
    computed (:data:`FFTS`, :func:`spectral_features`).

    Example:

    >>> serve = detector_function(detector, 64, 64)  # doctest: +SKIP
    >>> serve(images)["probability"]  # doctest: +SKIP
    """
    check_fitted(detector)
    if compute_dtype not in COMPUTE_DTYPES:
        raise ValueError(f"`compute_dtype` must be one of {COMPUTE_DTYPES}. Received: compute_dtype={compute_dtype!r}")
    if channels not in (1, 3, 4):
        raise ValueError(f"`channels` must be 1, 3 or 4. Received: channels={channels!r}")
    if fft not in FFTS:
        raise ValueError(f"`fft` must be one of {FFTS}. Received: fft={fft!r}")
    spectral.check_size(height, width, detector.mode)
    height, width = int(height), int(width)
    bins = feature_bins(detector, height, width)
    scaler, head, ops = detector.scaler_, detector.classifier_, backends.tensorflow()

    @tf.function(input_signature=[tf.TensorSpec([None, height, width, channels], tf.float32, name="images")])
    def serve(images):
        features = spectral_features(images, detector, bins, compute_dtype, fft)  # float64 by default
        return {"probability": tf.cast(head.probability(scaler.transform(features, ops), ops), tf.float32)}

    return serve
