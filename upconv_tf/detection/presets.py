"""Named recipes for the detector: what ``upconv-tf detector train --preset NAME`` and the library train.

A recipe is everything that decides a detector besides the data: its features, scaler, classifier and
threshold (:class:`~upconv_tf.detection.SpectralDetector` parameters), how files become images (crop ``size``,
``policy``) and whether training images are augmented (:mod:`upconv_tf.datasets.augment`).

* ``"default"``: built to hold up on images it has not seen (docs/RESULTS.md measures it):
  the ``"rings-cells-colour"`` features (ring, 2-D cell and colour spectra,
  :mod:`upconv_tf.detection.rings_cells_colour`) of a 192 px centre crop at native resolution
  (large enough for the ring statistics, small enough to miss the logos and labels near the edges of
  generated thumbnails), standardised, RBF SVM with ``C=1`` and ``gamma="scale"`` (the scikit-learn defaults:
  a softer margin than the notebooks' C, for training sets that never cover every generator), augmentation
  on (crops, JPEG/WebP twins, resizing), threshold calibrated on real training images for a 5 %
  false-positive rate.
* ``"paper"``: the published detector (Durall et al., CVPR 2020, and its notebooks): the reference azimuthal
  integral (``20 ln|F|`` on integer radii) divided by its first value, no scaler, RBF SVM with ``C=6.37`` and
  ``gamma=0.86``, no augmentation, threshold 0.5 on the SVM's (Platt) probability. The notebooks fed whole
  images and resampled each profile to a fixed length (80 bins for CelebA); an exported detector takes one
  image size, so the preset uses a 128 px centre crop (the package's earlier default) at its native 88 bins.
* ``"hybrid"``: ``"default"`` with the ``"hybrid"`` features (:mod:`upconv_tf.detection.hybrid`): the same
  spectral statistics followed by the pooled ImageNet features of a frozen EfficientNet-Lite0 of the same crop
  (1785 features at 192 px), a visual prior next to the spectral one; same crop, augmentation, scaler, SVM and
  calibrated threshold. Its features take about 2.5-3.5x the time of ``"default"``'s on a 2-core CPU
  (``benchmarks/bench_backbone.py``).

Any field can be overridden: ``detector_preset("paper", size=64)``.

Example:

>>> recipe = detector_preset("default", target_fpr=0.01)
>>> recipe.detector(random_state=0).get_params()["target_fpr"]
0.01
"""

from __future__ import annotations

import dataclasses

import numpy as np

from upconv_tf.datasets.augment import Augmentation
from upconv_tf.detection import hybrid, rings_cells_colour
from upconv_tf.detection.estimator import SpectralDetector
from upconv_tf.errors import ArgumentError

# The default preset's feature kind: it beat the azimuthal integral on the in-the-wild corpus within
# and across families and under every re-encoding, and the paper recipe on the bundled fakes (docs/RESULTS.md).
WILD_KIND = rings_cells_colour.KIND
# Fields of a recipe that are SpectralDetector parameters.
DETECTOR_FIELDS = ("classifier", "feature_kind", "mode", "normalize", "num_bins", "scaler", "C", "gamma", "target_fpr")


@dataclasses.dataclass(frozen=True)
class DetectorPreset:
    """A detector recipe (module docstring). ``augmentation`` is used when ``augment`` is True."""

    name: str
    classifier: str = "svm"
    feature_kind: str = "azimuthal"
    mode: str = "reference"
    normalize: str | None = "minmax"
    num_bins: int | None = None
    scaler: bool = True
    C: float = 1.0
    gamma: float | str = "scale"
    target_fpr: float | None = None
    size: int = 128
    policy: str = "center-crop"
    augment: bool = False
    augmentation: Augmentation = Augmentation()

    def detector_params(self) -> dict:
        """Keyword arguments of :class:`SpectralDetector` (``target_fpr`` only for SVM and LR: k-means has no
        labels to calibrate it with)."""
        params = {name: getattr(self, name) for name in DETECTOR_FIELDS}
        if self.classifier == "kmeans":
            params["target_fpr"] = None
        return params

    def detector(self, random_state=None) -> SpectralDetector:
        """An unfitted :class:`SpectralDetector` with this recipe."""
        return SpectralDetector(random_state=random_state, **self.detector_params())

    def replace(self, **changes) -> "DetectorPreset":
        """A copy with ``changes`` (unknown names raise ``ValueError``)."""
        fields = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(changes) - fields)
        if unknown:
            raise ValueError(f"Unknown recipe setting(s) {unknown}; known: {sorted(fields)}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        """JSON-ready settings (stored in detector.json and metadata.json)."""
        data = dataclasses.asdict(self)
        augmentation = dataclasses.asdict(self.augmentation)
        augmentation.update(quality=list(self.augmentation.quality), scale=list(self.augmentation.scale))
        data["augmentation"] = augmentation if self.augment else None
        return data


_DEFAULT = DetectorPreset("default", feature_kind=WILD_KIND, scaler=True, C=1.0, gamma="scale", target_fpr=0.05,
                          size=192, augment=True)
PRESETS = {
    "default": _DEFAULT,
    # The default recipe with the visual prior added: only the features differ.
    "hybrid": _DEFAULT.replace(name="hybrid", feature_kind=hybrid.KIND),
    "paper": DetectorPreset("paper", feature_kind="azimuthal", mode="reference", normalize="first", scaler=False, C=6.37,
                            gamma=0.86, target_fpr=None, size=128, augment=False),
}


# ``size="auto"``: the crop that this share of each class's images hold (so that a few small images do not shrink
# every crop), rounded down to a multiple of AUTO_STEP px (the JPEG block), never above the preset's size.
AUTO_SIZE = "auto"
AUTO_COVERAGE = 0.95
AUTO_STEP = 8


def reference_size(preset: DetectorPreset) -> int:
    """The crop side of ``preset``: its ``size``, or for ``size="auto"`` that of the preset it is named after
    (the default's for another name)."""
    if preset.size != AUTO_SIZE:
        return int(preset.size)
    return PRESETS.get(preset.name, _DEFAULT).size


def auto_size(short_sides, preset: DetectorPreset) -> int:
    """The crop side ``size="auto"`` chooses for images whose shorter sides are ``short_sides``.

    The rule: for each class, the largest side that :data:`AUTO_COVERAGE` of its images hold (their 5th
    percentile short side); the smaller of the two classes', rounded down to a multiple of :data:`AUTO_STEP`
    px, at most the preset's ``size`` (192 for the default: images of 192 px or more change nothing) and at
    least the smallest side the preset's features take (images below that are skipped, as any image smaller
    than the crop is). Refused (one-line ``ValueError``) only when a class has no image the features can take.

    Args:
        short_sides: ``{label: [short side of each image]}`` (e.g. ``{0: [...], 1: [...]}``).
        preset: the recipe (its ``size`` is the ceiling; ``size="auto"`` is read as the recipe's own default).

    Returns:
        int, the crop side.

    Example:

    >>> auto_size({0: [128] * 40, 1: [512] * 40}, detector_preset("default"))
    128
    """
    from upconv_tf.detection.features import FEATURE_KINDS

    ceiling = reference_size(preset)
    minimum = FEATURE_KINDS[preset.feature_kind].min_side(preset.mode)
    chosen = ceiling
    for label, sides in short_sides.items():
        sides = np.asarray(list(sides), np.int64)
        if len(sides) == 0 or sides.max() < minimum:
            largest = int(sides.max()) if len(sides) else 0
            detail = (f"cannot be chosen: no {'generated' if label else 'real'} image is {minimum} px or more on its "
                      f"shorter side (the largest: {largest} px), the least the {preset.feature_kind} features take")
            fallback = largest - largest % AUTO_STEP if largest >= AUTO_STEP else largest
            if preset.feature_kind != "azimuthal" and fallback >= FEATURE_KINDS["azimuthal"].min_side(preset.mode):
                # The azimuthal integral takes smaller images: name the way out.
                detail += f"; pass `size` {fallback} or less with `feature_kind` azimuthal"
            raise ArgumentError("size", detail, mentions=("size", "feature_kind"))
        side = int(np.floor(np.quantile(sides, 1.0 - AUTO_COVERAGE, method="lower")))
        chosen = min(chosen, side)
    chosen = chosen - chosen % AUTO_STEP if chosen >= AUTO_STEP else chosen
    return int(max(chosen, minimum))


def detector_preset(name: str = "default", **overrides) -> DetectorPreset:
    """The recipe ``name`` (:data:`PRESETS`) with ``overrides`` applied."""
    if name not in PRESETS:
        raise ArgumentError("preset", f"must be one of {tuple(PRESETS)}. Received: preset={name!r}")
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]
