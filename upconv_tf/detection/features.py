"""The detector's features as a stateless scikit-learn transformer: images in, one spectral profile per image out.

:class:`SpectralFeatures` is the one feature step of the package: :class:`~upconv_tf.detection.SpectralDetector`
fits and predicts on it, and ``upconv-tf detector``, :func:`~upconv_tf.detection.file_features` and the TFX
``SpectralFeatures`` component use it directly. Feature kinds are looked up in :data:`FEATURE_KINDS`; a new kind
adds its entry there (and its graph in :mod:`upconv_tf.export.graph`), and callers pick it with ``kind=``.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Callable

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from upconv_tf import spectral
from upconv_tf.detection import hybrid, rings_cells_colour
from upconv_tf.errors import ArgumentError

# Images per FFT call are capped so one call touches about this many pixels (memory stays ~100 MB).
_PIXELS_PER_CALL = 1 << 22


@dataclasses.dataclass(frozen=True)
class FeatureKind:
    """What :class:`SpectralFeatures` needs to know of one feature kind (an entry of :data:`FEATURE_KINDS`).

    Attributes:
        length: ``(height, width, mode) -> int``, the number of features of one image at its native size.
        compute: ``(images, mode, normalize, num_bins) -> (N, features)`` float64, for a batch of same-size
            (N, H, W, C) images (``num_bins`` None: native length).
        check_size: ``(height, width, mode) -> None``, a one-line ``ValueError`` when the size is too small.
        names: ``(height, width, mode, length) -> list of str``, the name of each feature.
        spectrum: ``(features, mode) -> (radii, profiles)``, the 1-D spectrum part of (N, features) rows and the
            radius of each of its bins (tells a "generated" k-means cluster by its spectrum).
        resamples: whether ``num_bins`` applies (the feature vector can be resampled to any length), so that
            images of several sizes give one length; else every image must give the same length.
        description: one line for help texts.
        min_side: ``(mode) -> int``, the smallest image side the features take.
    """

    length: Callable
    compute: Callable
    check_size: Callable
    names: Callable
    spectrum: Callable
    resamples: bool
    description: str
    min_side: Callable


def _azimuthal_compute(images, mode, normalize, num_bins):
    return spectral.azimuthal_integral(images, mode, normalize, num_bins)


def _colour_compute(images, mode, normalize, num_bins):
    return rings_cells_colour.features(images)


def _hybrid_compute(images, mode, normalize, num_bins):
    return hybrid.features(images)


# The feature kinds by name: the value of ``SpectralFeatures(kind=...)``, ``SpectralDetector(feature_kind=...)``
# and of the ``feature_kind`` key of an exported detector's metadata.
FEATURE_KINDS = {
    "azimuthal": FeatureKind(
        length=lambda height, width, mode: spectral.num_bins(height, width, mode),
        compute=_azimuthal_compute,
        check_size=spectral.check_size,
        names=lambda height, width, mode, length: [f"azimuthal_{k}" for k in range(length)],
        spectrum=lambda features, mode: (spectral.bin_radii(np.shape(features)[-1], mode), features),
        resamples=True,
        description="azimuthal integral (1-D power spectrum) of the gray image, the paper's features",
        min_side=lambda mode: spectral.MIN_SIZE[mode],
    ),
    rings_cells_colour.KIND: FeatureKind(
        length=lambda height, width, mode: rings_cells_colour.num_features(height, width),
        compute=_colour_compute,
        check_size=lambda height, width, mode: rings_cells_colour.check_size(height, width),
        names=lambda height, width, mode, length: rings_cells_colour.feature_names(height, width),
        spectrum=lambda features, mode: rings_cells_colour.luma_profile(features),
        resamples=False,
        description="ring and 2-D cell statistics of the luma and chroma power spectra (in-the-wild default)",
        min_side=lambda mode: rings_cells_colour.min_side(),
    ),
    hybrid.KIND: FeatureKind(
        length=lambda height, width, mode: hybrid.num_features(height, width),
        compute=_hybrid_compute,
        check_size=lambda height, width, mode: hybrid.check_size(height, width),
        names=lambda height, width, mode, length: hybrid.feature_names(height, width),
        spectrum=lambda features, mode: rings_cells_colour.luma_profile(hybrid.spectral_part(features)),
        resamples=False,
        description="rings-cells-colour features and the pooled ImageNet features of a frozen EfficientNet-Lite0 "
                    "of the same image",
        min_side=lambda mode: rings_cells_colour.min_side(),
    ),
}


def check_feature_params(kind="azimuthal", mode="reference", normalize="minmax", num_bins=None, size=None):
    """Raise ``ValueError`` naming the first bad feature parameter (see :class:`SpectralFeatures`).

    Returns the ``size`` as ``(height, width)`` or None.
    """
    if not isinstance(kind, str) or kind not in FEATURE_KINDS:
        raise ArgumentError("kind", f"must be one of {tuple(FEATURE_KINDS)}. Received: kind={kind!r}")
    if mode not in spectral.MODES:
        raise ArgumentError("mode", f"must be one of {spectral.MODES}. Received: mode={mode!r}")
    if normalize not in spectral.NORMALIZATIONS:
        raise ArgumentError("normalize", f"must be one of {spectral.NORMALIZATIONS}. Received: normalize={normalize!r}")
    if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(num_bins, numbers.Integral)
                                 or num_bins < 2):
        raise ArgumentError("num_bins", f"must be None or an integer >= 2. Received: num_bins={num_bins!r}")
    if num_bins is not None and not FEATURE_KINDS[kind].resamples:
        raise ArgumentError("num_bins", f"applies to the 'azimuthal' features only ({kind!r} has a fixed length per "
                                        f"image size). Received: num_bins={num_bins!r}")
    if size is None:
        return None
    def integer(value):
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    if integer(size):
        height = width = int(size)
    elif isinstance(size, (tuple, list)) and len(size) == 2 and all(integer(side) for side in size):
        height, width = (int(side) for side in size)
    else:
        raise ArgumentError("size", f"must be None, an integer or (height, width). Received: size={size!r}")
    try:
        FEATURE_KINDS[kind].check_size(height, width, mode)
    except ValueError as error:
        raise ArgumentError("size", f"is too small: {error}") from None
    return height, width


def as_images(X):
    """``X`` as images (a (N, H, W, C) array or a list of (H, W[, C]) arrays), or None when ``X`` looks like
    precomputed features (a 2-D array, a sparse matrix or a list of 1-D rows).

    (N, H, W) arrays are gray batches (a channel axis is added); TensorFlow tensors are converted to numpy.
    """
    if isinstance(X, (list, tuple)):
        if len(X) and np.ndim(X[0]) >= 2:
            return [np.asarray(image) for image in X]
        return None
    if hasattr(X, "numpy") and not hasattr(X, "__array_namespace__"):
        X = X.numpy()
    if hasattr(X, "ndim") and not hasattr(X, "tocsr") and X.ndim in (3, 4):
        X = np.asarray(X)
        return X[..., None] if X.ndim == 3 else X
    return None


class SpectralFeatures(TransformerMixin, BaseEstimator):
    """Spectral features of images: the azimuthal integral (1-D power spectrum) of each image.

    A stateless transformer: :meth:`fit` only validates, and :meth:`transform` maps each image on its own
    (``kind="azimuthal"``: :func:`upconv_tf.spectral.azimuthal_integral` ``(image, mode, normalize, bins)``,
    the numpy twin of :class:`upconv_tf.layers.AzimuthalIntegral`). Images may be of any size; the profile
    length is, in this order of precedence:

    1. ``num_bins`` when given (every profile is resampled to it);
    2. the native length of ``size`` x ``size`` images when ``size`` is given (images of other sizes are
       resampled to it);
    3. otherwise the native length when all images of ``X`` share a size, else the shortest native length among
       them (as the published notebooks did for mixed sizes). This depends on ``X``: give ``num_bins`` or
       ``size`` when separate calls must agree (e.g. a pipeline fitted on one size and applied to another).

    Parameters
    ----------
    mode : {"centered", "reference"}, default="reference"
        Azimuthal-integral definition (:mod:`upconv_tf.spectral`).
    normalize : {None, "minmax", "first"}, default="minmax"
        Per-profile normalisation.
    num_bins : int or None, default=None
        Resample every profile to this length.
    size : int, (int, int) or None, default=None
        Image size (side or ``(height, width)``) whose native profile length is used when ``num_bins`` is None.
    kind : {"azimuthal", "rings-cells-colour", "hybrid"}, default="azimuthal"
        Feature kind (a key of :data:`FEATURE_KINDS`): ``"azimuthal"``, the azimuthal integral above (the paper's
        features); ``"rings-cells-colour"``, ring and 2-D cell statistics of the luma and chroma power spectra
        (:mod:`upconv_tf.detection.rings_cells_colour`: 505 features at 192 px, images of at least 24 x 24 px);
        ``"hybrid"``, those followed by the 1280 pooled features of a frozen ImageNet EfficientNet-Lite0
        (:mod:`upconv_tf.detection.hybrid`: 1785 at 192 px; images in [0, 1]).
        ``mode``, ``normalize`` and ``num_bins`` apply to ``"azimuthal"`` only (``num_bins`` must stay None
        otherwise); the other kind's length follows the image size (``size`` fixes it; every image must then
        give that length, e.g. be of that size).

    Examples
    --------
    >>> import numpy as np
    >>> features = SpectralFeatures(mode="reference")
    >>> features.fit_transform(np.random.rand(4, 64, 64, 3)).shape
    (4, 43)
    >>> features.transform([np.random.rand(64, 64, 3), np.random.rand(80, 96, 3)]).shape
    (2, 43)
    >>> SpectralFeatures(num_bins=3).get_feature_names_out().tolist()
    ['azimuthal_0', 'azimuthal_1', 'azimuthal_2']
    >>> colour = SpectralFeatures(kind="rings-cells-colour", size=192)
    >>> colour.transform(np.random.rand(2, 192, 192, 3)).shape
    (2, 505)
    >>> colour.get_feature_names_out()[[0, 31, 217, 504]].tolist()
    ['y_mean_rings1-3', 'y_gap_rings1-3', 'y_mean_cell0_0', 'y_gap_cell11_11']
    """

    def __init__(self, mode="reference", normalize="minmax", num_bins=None, size=None, kind="azimuthal"):
        self.mode = mode
        self.normalize = normalize
        self.num_bins = num_bins
        self.size = size
        self.kind = kind

    def _check_params(self):
        return check_feature_params(self.kind, self.mode, self.normalize, self.num_bins, self.size)

    @staticmethod
    def _images(X):
        images = as_images(X)
        if images is None:
            raise ArgumentError("X", f"must be images: (N, H, W, C) or (N, H, W) arrays or a list of (H, W[, C]) "
                                     f"arrays. Received: {type(X).__name__} of shape {np.shape(X)}")
        if len(images) == 0:
            raise ArgumentError("X", "holds no images.")
        return images

    def _native_lengths(self, images):
        """``{(height, width): native length}`` of the image sizes in ``images`` (sizes checked)."""
        kind = FEATURE_KINDS[self.kind]
        shapes = {images.shape[1:3]} if isinstance(images, np.ndarray) else {np.shape(i)[:2] for i in images}
        for height, width in shapes:
            kind.check_size(height, width, self.mode)
        return {(height, width): kind.length(height, width, self.mode) for height, width in shapes}

    def num_features(self, X=None) -> int:
        """Length of the profiles :meth:`transform` gives for ``X`` (``X`` is needed only when both ``num_bins``
        and ``size`` are None).

        Parameters
        ----------
        X : array_like or list, optional
            Images, as for :meth:`transform`.

        Returns
        -------
        int
        """
        size = self._check_params()
        kind = FEATURE_KINDS[self.kind]
        if self.num_bins is not None:
            return int(self.num_bins)
        if size is not None:
            return kind.length(*size, self.mode)
        if X is None:
            needed = "`X`, `num_bins` or `size`" if kind.resamples else "`X` or `size`"
            raise ValueError(f"The number of features depends on the image size: give {needed}.")
        lengths = self._native_lengths(self._images(X))
        if not kind.resamples and len(set(lengths.values())) > 1:
            raise ArgumentError("X", f"kind={self.kind!r} gives a different number of features per image size; bring "
                                     "the images to one size (`size` with `policy` 'center-crop' or 'resize'). "
                                     f"Received: {self._sizes(lengths)}", mentions=("size", "policy"))
        return min(lengths.values())

    @staticmethod
    def _sizes(lengths):
        return ", ".join(f"{h} x {w} px ({n} features)" for (h, w), n in sorted(lengths.items()))

    def fit(self, X=None, y=None):
        """Validate the parameters (and ``X`` when given); nothing is learned.

        Parameters
        ----------
        X : array_like or list, optional
            Images, as for :meth:`transform`.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._check_params()
        if X is not None:
            self._images(X)
        return self

    def transform(self, X):
        """One profile per image.

        Parameters
        ----------
        X : array_like or list
            (N, H, W, C) with C in {1, 3, 4}, (N, H, W) gray, or a list of (H, W[, C]) images of any sizes
            (a TensorFlow tensor is converted to numpy).

        Returns
        -------
        numpy.ndarray of shape (N, n_features)
            float64 profiles; ``n_features`` is :meth:`num_features` of ``X``.
        """
        images = self._images(X)
        length = self.num_features(images)
        kind = FEATURE_KINDS[self.kind]
        lengths = self._native_lengths(images)
        if not kind.resamples and set(lengths.values()) != {length}:
            raise ValueError(f"kind={self.kind!r} at size={self.size!r} gives {length} features per image; crop the "
                             f"images to that size. Received: {self._sizes(lengths)}")
        if isinstance(images, np.ndarray):
            groups = {images.shape[1:]: np.arange(len(images))}
        else:
            groups = {}
            for index, image in enumerate(images):
                if image.ndim == 2:
                    image = images[index] = image[..., None]
                groups.setdefault(image.shape, []).append(index)
        out = np.empty((len(images), length), np.float64)
        for shape, index in groups.items():
            height, width = shape[:2]
            bins = None if lengths[height, width] == length else length
            for chunk in spectral.array_batches(np.asarray(index), max(1, _PIXELS_PER_CALL // (height * width))):
                batch = images[chunk] if isinstance(images, np.ndarray) else np.stack([images[i] for i in chunk])
                out[chunk] = kind.compute(batch, self.mode, self.normalize, bins)
        return out

    def get_feature_names_out(self, input_features=None):
        """The name of each output feature: ``"azimuthal_<k>"`` (bin ``k``; needs ``num_bins`` or ``size``), or for
        ``"rings-cells-colour"`` (needs ``size``) ``"<channel>_<statistic>_rings<first>-<last>"`` and
        ``"<channel>_<statistic>_cell<row>_<column>"`` (:func:`upconv_tf.detection.rings_cells_colour.feature_names`).

        Parameters
        ----------
        input_features : None
            Ignored (the input is images, which have no feature names).

        Returns
        -------
        numpy.ndarray of str
        """
        length = self.num_features()
        size = self._check_params() or (None, None)
        return np.asarray(FEATURE_KINDS[self.kind].names(*size, self.mode, length), dtype=object)

    def _more_tags(self):  # scikit-learn < 1.6
        return {"stateless": True, "requires_fit": False, "X_types": ["3darray"]}

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags
