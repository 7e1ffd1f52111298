"""A fitted :class:`upconv_tf.detection.SpectralDetector` as one TensorFlow function: images in,
probability of "generated" out, every step inside the graph.

Steps (the same as ``SpectralDetector.predict_proba(X)[:, 1]``), by the detector's ``feature_kind``:

* ``"azimuthal"``: grayscale, ``rfft2d`` (the SavedModel) or the four-step MatMul DFT of
  :mod:`upconv_tf.layers.dft` (the ONNX model: ``fft="matmul"``), azimuthal integral
  (:func:`upconv_tf.layers.azimuthal.azimuthal_integral` with the ONNX-friendly ``"gather"`` reduction, or
  :func:`~upconv_tf.layers.azimuthal.profile_from_columns` on the four-step's output), resampling to
  ``num_bins_`` when the native length differs, normalisation;
* ``"rings-cells-colour"`` (:func:`colour_features`): luma and chroma planes (one MatMul), the power spectrum
  of the three (``rfft2d`` or the four-step DFT, batched), the ring and cell sums of
  :func:`upconv_tf.layers.azimuthal.bin_sums` (gathers and sums of :func:`upconv_tf.spectral.reduction_plan`),
  then the statistics of :func:`upconv_tf.detection.rings_cells_colour.features_from_sums`, the very function the
  numpy path evaluates;
* ``"hybrid"`` (:func:`hybrid_features`): those features, then the 1280 pooled features of the frozen
  EfficientNet-Lite0 of :func:`upconv_tf.detection.hybrid.backbone` (float32; its weights are variables of the
  SavedModel and constants of the ONNX file), cast to ``compute_dtype``;

then the detector's ``scaler_`` and ``classifier_`` heads (:mod:`upconv_tf.detection.heads`: the same closed forms the numpy
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
from upconv_tf.detection import hybrid, rings_cells_colour
from upconv_tf.detection.features import FEATURE_KINDS
from upconv_tf.detection.heads import HEADS

REDUCTION = "gather"


COMPUTE_DTYPES = ("float64", "float32")
# How the graph computes the spectrum: "rfft2d" (TensorFlow's FFT: the SavedModel) or "matmul" (the
# four-step DFT of :mod:`upconv_tf.layers.dft`: the ONNX model, no DFT operator).
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


def feature_kind(detector) -> str:
    """The detector's feature kind (``"azimuthal"`` for detectors made before there were others)."""
    return getattr(detector, "feature_kind", "azimuthal")


def check_image_size(detector, height: int, width: int) -> None:
    """Raise a one-line ``ValueError`` unless the detector's features exist for ``height x width`` images and,
    for a kind that cannot resample, have the length it was fitted on."""
    kind = FEATURE_KINDS[feature_kind(detector)]
    kind.check_size(height, width, detector.mode)
    if not kind.resamples and kind.length(height, width, detector.mode) != int(detector.num_bins_):
        raise ValueError(f"The detector was fitted on {int(detector.num_bins_)} {feature_kind(detector)!r} features; "
                         f"{height} x {width} px images give {kind.length(height, width, detector.mode)}: export it "
                         f"at the image size it was trained on. Received: height={height}, width={width}")


def feature_bins(detector, height: int, width: int):
    """``num_bins`` argument of the azimuthal integral for this image size (None: native length)."""
    if not FEATURE_KINDS[feature_kind(detector)].resamples:
        return None
    native = spectral.num_bins(height, width, detector.mode)
    return None if native == int(detector.num_bins_) and detector.num_bins is None else int(detector.num_bins_)


def spectral_features(images, detector, bins, compute_dtype: str = "float64", fft: str = "rfft2d"):
    """(N, H, W, C) float32 images -> (N, features) the detector's normalised profiles, in ``compute_dtype``.

    Both cast the images to ``compute_dtype`` first (in float32, rounding the gray values alone moves the
    weakest coefficients, e.g. the near-zero Nyquist row of a bilinear up-sampling, by more than the
    reference mode's 1e-8 floor). ``fft="rfft2d"`` then runs the layer's integral
    (:func:`upconv_tf.layers.azimuthal.azimuthal_integral`); ``fft="matmul"`` computes the power spectrum
    with :func:`upconv_tf.layers.dft.power_columns` and sums it into the same bins
    (:func:`upconv_tf.layers.azimuthal.profile_from_columns`).
    """
    from upconv_tf.layers import azimuthal
    from upconv_tf.layers import dft as four_step

    if fft not in FFTS:
        raise ValueError(f"`fft` must be one of {FFTS}. Received: fft={fft!r}")
    if feature_kind(detector) == rings_cells_colour.KIND:
        return colour_features(images, compute_dtype, fft)
    if feature_kind(detector) == hybrid.KIND:
        return hybrid_features(images, compute_dtype, fft)
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


def colour_features(images, compute_dtype: str = "float64", fft: str = "rfft2d"):
    """(N, H, W, C) images -> (N, features) ``"rings-cells-colour"`` features in ``compute_dtype``, the graph twin of
    :func:`upconv_tf.detection.rings_cells_colour.features` (``fft`` as in :func:`spectral_features`).

    The three channel planes are one batch of ``3 N`` images for the FFT; the power spectrum is laid out as
    columns (one coefficient per row, ``(channel, image)`` per column), so that one gather plan per bin map sums
    every quantity of every channel and image at once.
    """
    from upconv_tf.layers import azimuthal
    from upconv_tf.layers import dft as four_step

    if fft not in FFTS:
        raise ValueError(f"`fft` must be one of {FFTS}. Received: fft={fft!r}")
    images = tf.cast(images, compute_dtype)
    height, width, channels = (int(side) for side in images.shape[1:])
    rings_cells_colour.check_size(height, width)
    matrix = rings_cells_colour.channel_matrix(channels).astype(compute_dtype)
    planes = tf.reshape(tf.matmul(tf.reshape(images, [-1, channels]), matrix), [-1, height, width, 3])
    planes = tf.transpose(planes, [3, 0, 1, 2])  # (3, N, H, W)
    scale = 1.0 / (height * width)
    # A sum times 1/(H W), not reduce_mean: tf2onnx makes that a GlobalAveragePool, which has no float64 kernel.
    planes = planes - tf.reduce_sum(planes, axis=[2, 3], keepdims=True) * scale
    if fft == "rfft2d":
        # tf2onnx converts an FFT only when ComplexAbs is its sole consumer: keep tf.abs right after it.
        magnitude = tf.abs(tf.signal.rfft2d(planes))
        power = tf.transpose(tf.reshape(tf.square(magnitude) * scale, [-1, height * (width // 2 + 1)]))
        positions = None
    else:
        power = four_step.power_columns(tf.reshape(planes, [-1, height, width]), compute_dtype) * scale
        positions = four_step.half_plane_positions(height, width)
    rows = int(power.shape[0])
    decibels = spectral.db_above_floor(power, rings_cells_colour.POWER_FLOOR, backends.tensorflow())
    luma_power, luma_decibels = (tf.reshape(x, [rows, 3, -1])[:, 0] for x in (power, decibels))
    ring_values = tf.concat([power, decibels, tf.square(luma_decibels)], axis=1)  # (rows, 7 N)
    cell_values = tf.concat([luma_power, luma_decibels], axis=1)  # (rows, 2 N)

    def sums(values, quantities, bin_map):
        plan = azimuthal.columns_plan(rows, height, width, positions, bin_map)
        bins = azimuthal.bin_sums(values, plan)  # (bins, quantities N)
        return tf.transpose(tf.reshape(bins, [plan.starts.size, quantities, -1]), [2, 1, 0])

    return rings_cells_colour.features_from_sums(
        sums(ring_values, rings_cells_colour.RING_QUANTITIES, rings_cells_colour.RING_MAP),
        sums(cell_values, rings_cells_colour.CELL_QUANTITIES, rings_cells_colour.CELL_MAP),
        height, width, backends.tensorflow())


def hybrid_features(images, compute_dtype: str = "float64", fft: str = "rfft2d"):
    """(N, H, W, C) float32 images in [0, 1] -> (N, features) ``"hybrid"`` features in ``compute_dtype``, the graph
    twin of :func:`upconv_tf.detection.hybrid.features`: :func:`colour_features`, then the backbone's pooled
    features (:func:`upconv_tf.detection.hybrid.backbone_graph`, float32, the same model object)."""
    spectral_half = colour_features(images, compute_dtype, fft)
    visual = tf.cast(hybrid.backbone_graph(tf.cast(images, tf.float32)), compute_dtype)
    return tf.concat([spectral_half, visual], axis=1)


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
    check_image_size(detector, height, width)
    height, width = int(height), int(width)
    bins = feature_bins(detector, height, width)
    scaler, head, ops = detector.scaler_, detector.classifier_, backends.tensorflow()

    @tf.function(input_signature=[tf.TensorSpec([None, height, width, channels], tf.float32, name="images")])
    def serve(images):
        features = spectral_features(images, detector, bins, compute_dtype, fft)  # float64 by default
        return {"probability": tf.cast(head.probability(scaler.transform(features, ops), ops), tf.float32)}

    return serve
