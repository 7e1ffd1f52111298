"""The spectral term shared by :class:`SpectralGAN` and :class:`SpectralAutoencoder`.

``L_spectral = spectral_bce(profile(generated), mean real profile)`` (Durall et al., CVPR 2020, eqs. 10-11),
computed in float32 (also under ``mixed_float16``; float64 stays float64). The profile is picked by
``spectral_profile`` (:mod:`upconv_tf.losses.spectral`): ``"floored_log"`` (default: the published ring means
of ``20 ln|F|``, the profile the paper's readout plots, with the power floored at 8-bit rounding noise: a
bounded gradient), ``"paper"`` (exactly the published profile) or ``"ring_power"`` (log of the ring-mean power: the best conditioned, but a
different statistic: generators trained on it matched its profile and still missed the readout's band);
``spectral_mode`` picks the bins (``"reference"``: integer radii up to the corners, as the published code). The mean real profile is a
non-trainable weight of the model (so it is saved, restored and mirrored with the rest), set from a profile
or estimated from real images (the paper uses 1,000 unlabelled real images).

``spectral_reduction`` says what is compared with the real mean: ``"batch"`` (default) the mean profile of the
(global) batch, which is what the paper's readout compares (generated mean against the real mean +- std), and
leaves each image free to have its own spectrum, like real images; ``"sample"`` every image's profile, as in
eq. (11) and the published code, which pushes every image towards the one mean shape (a flat crop and a
textured one alike). :data:`PUBLISHED_TERM` (``SpectralTerm(profile="paper", reduction="sample")``) is
eq. (11) as published, ill-conditioned gradient included; every other combination holds the exact-0/1 bins of
each min-max profile constant (:func:`upconv_tf.losses.hold_extremes`).

Conditioning, float32 against float64 gradients of the term on a freshly initialised N.3.5 generator
(relative error, worst of 3 seeds, latent 128, dim 16): default (floored_log, batch) 2.4e-5, paper profile
with the batch BCE 1.5e-4, published term 3.2e-2 (its exact-0/1 bins cancel ~1e5-sized terms), ring_power 2e-6.

``spectral_warmup`` ramps the weight linearly from 0 over the first generator updates, so that the term
acts on images with structure rather than on the near-constant output of a fresh generator.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.errors import ArgumentError
from upconv_tf.layers import AzimuthalIntegral
from upconv_tf.losses import floored_log_profile, hold_extremes, log_ring_power, normalize_minmax, spectral_bce
from upconv_tf.models import distribute
from upconv_tf.options import SPECTRAL_PROFILES

SPECTRAL_REDUCTIONS = ("batch", "sample")
# Eq. (11) as the published code computes it (with a gradient, which the published code lacks).
PUBLISHED_TERM = {"profile": "paper", "reduction": "sample"}

MAX_SPECTRUM_IMAGES = 1000


def check_weight(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise ArgumentError(name, f"must be a finite number >= 0. Received: {name}={value!r}")
    return float(value)


def take_images(data, limit=MAX_SPECTRUM_IMAGES) -> np.ndarray:
    """Up to ``limit`` images from an array, a tf.data.Dataset or an iterable of batches, as numpy."""
    if isinstance(data, (tuple, list)) and data and not np.isscalar(data[0]):
        data = data[0]  # (x, y) given to fit
    if isinstance(data, np.ndarray) or tf.is_tensor(data):
        return np.asarray(data[:limit])
    chunks, count = [], 0
    for item in data:
        if isinstance(item, (tuple, list)):
            item = item[0]
        item = np.asarray(item)
        item = item if item.ndim == 4 else item[None]
        chunks.append(item[: limit - count])
        count += len(chunks[-1])
        if count >= limit:
            break
    if not chunks:
        raise ArgumentError("data", "yielded no images to estimate the real spectrum from.")
    return np.concatenate(chunks)


# The keyword arguments the models took before :class:`SpectralTerm` (``spectral_weight`` -> ``weight``...).
LEGACY_ARGUMENTS = {f"spectral_{name}": name for name in ("weight", "mode", "normalize", "profile", "warmup",
                                                           "reduction")}


@dataclasses.dataclass(frozen=True)
class SpectralTerm:
    """The settings of the spectral term of :class:`SpectralGAN` and :class:`SpectralAutoencoder`.

    Attributes:
        weight: lambda of eq. (10) (0 switches the term off and skips the spectrum); the paper uses 2 for
            the DCGAN, 0.5 for the LSGAN and the auto-encoder.
        mode: bins of the profile: ``"reference"`` (published pipeline: integer radii up to the corners) or
            ``"centered"``.
        normalize: ``"minmax"`` (the BCE needs profiles in [0, 1]).
        profile: ``"floored_log"`` (default: the published ring means of ``20 ln|F|`` with a bounded
            gradient), ``"paper"`` (exactly the published profile) or ``"ring_power"``
            (:mod:`upconv_tf.losses.spectral`).
        reduction: ``"batch"`` (the BCE of the global batch's mean profile) or ``"sample"`` (mean of per-image
            BCEs, eq. 11 as published).
        warmup: generator (or model) updates over which the weight ramps up linearly from 0 (0: none).

    :data:`PUBLISHED_TERM` holds eq. (11) as published: ``SpectralTerm(**PUBLISHED_TERM)``.

    Example:

    >>> term = SpectralTerm(weight=0.5, warmup=100)
    >>> SpectralTerm.from_config(term.get_config()) == term
    True
    """

    weight: float = 2.0
    mode: str = "reference"
    normalize: str = "minmax"
    profile: str = "floored_log"
    reduction: str = "batch"
    warmup: int = 0

    def __post_init__(self):
        object.__setattr__(self, "weight", check_weight("weight", self.weight))
        if self.mode not in spectral.MODES:
            raise ArgumentError("mode", f"must be one of {spectral.MODES}. Received: mode={self.mode!r}")
        if self.normalize != "minmax":
            raise ArgumentError("normalize", "must be 'minmax' (the BCE needs profiles in [0, 1]). "
                                             f"Received: normalize={self.normalize!r}")
        if self.profile not in SPECTRAL_PROFILES:
            raise ArgumentError("profile", f"must be one of {SPECTRAL_PROFILES}. Received: profile={self.profile!r}")
        if self.reduction not in SPECTRAL_REDUCTIONS:
            raise ArgumentError("reduction", f"must be one of {SPECTRAL_REDUCTIONS}. "
                                             f"Received: reduction={self.reduction!r}")
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, (int, np.integer)) or self.warmup < 0:
            raise ArgumentError("warmup", "must be an integer >= 0 (updates). "
                                          f"Received: warmup={self.warmup!r}")
        object.__setattr__(self, "warmup", int(self.warmup))

    @property
    def published(self) -> bool:
        """Whether this is eq. (11) as published (:data:`PUBLISHED_TERM`)."""
        return {"profile": self.profile, "reduction": self.reduction} == PUBLISHED_TERM

    def replace(self, **changes) -> "SpectralTerm":
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def get_config(self) -> dict:
        """The settings as a JSON-serialisable dict (what the models' ``get_config`` holds under ``spectral``)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, config) -> "SpectralTerm":
        return cls(**config)


def spectral_term(spectral, legacy: dict, default_weight: float, owner: str) -> SpectralTerm:
    """The :class:`SpectralTerm` of a model built with ``spectral`` (a term, its config dict, or None for the
    defaults with ``default_weight``) or, for one release, with the former ``spectral_*`` keyword arguments
    (``legacy``, popped from the model's ``**kwargs``; a ``DeprecationWarning`` names the new form)."""
    if isinstance(spectral, dict):
        spectral = SpectralTerm.from_config(spectral)
    if spectral is not None and not isinstance(spectral, SpectralTerm):
        raise ArgumentError("spectral", f"must be a SpectralTerm (or None). Received: spectral={spectral!r}")
    if not legacy:
        return spectral if spectral is not None else SpectralTerm(weight=default_weight)
    if spectral is not None:
        raise ArgumentError("spectral", f"and {sorted(legacy)} were both given; put every setting in "
                                        "`spectral=SpectralTerm(...)`")
    new = ", ".join(f"{LEGACY_ARGUMENTS[key]}={value!r}" for key, value in legacy.items())
    warnings.warn(f"{owner}({', '.join(sorted(legacy))}=...) is deprecated and will be removed in the next "
                  f"release; pass spectral=SpectralTerm({new})", DeprecationWarning, stacklevel=3)
    settings = {"weight": default_weight}
    settings.update({LEGACY_ARGUMENTS[key]: value for key, value in legacy.items()})
    return SpectralTerm(**settings)


def upgrade_config(config: dict) -> dict:
    """A model config saved with the former flat ``spectral_*`` keys, with them moved into ``spectral`` (loading
    a saved model is not a use of the deprecated arguments: no warning)."""
    config = dict(config)
    legacy = pop_legacy(config)
    if legacy and config.get("spectral") is None:
        config["spectral"] = {LEGACY_ARGUMENTS[key]: value for key, value in legacy.items()}
        config["spectral"].setdefault("weight", 2.0 if "discriminator" in config else 0.5)
    return config


def pop_legacy(kwargs: dict) -> dict:
    """The former ``spectral_*`` keyword arguments, removed from ``kwargs``."""
    return {key: kwargs.pop(key) for key in list(kwargs) if key in LEGACY_ARGUMENTS}


class SpectralTargetMixin:
    """Adds ``real_spectrum`` (weight), ``adapt()``, ``set_real_spectrum()`` and ``spectral_loss()``."""

    def _init_spectral(self, term, real_spectrum):
        """Keep the settings of ``term`` (a :class:`SpectralTerm`) and the layer that computes the profile."""
        self.spectral = term
        self.spectral_weight = term.weight
        self.spectral_mode = term.mode
        self.spectral_normalize = term.normalize
        self.spectral_profile = term.profile
        self.spectral_reduction = term.reduction
        self.spectral_warmup = term.warmup
        self.azimuthal_integral = AzimuthalIntegral(mode=term.mode, normalize=term.normalize,
                                                    name="azimuthal_integral")
        self._initial_real_spectrum = None if real_spectrum is None else np.asarray(real_spectrum, np.float32)

    def _build_spectral(self, height, width):
        self.azimuthal_integral.build((None, height, width, self._image_shape[-1]))
        bins = spectral.num_bins(height, width, self.spectral_mode)
        self.real_spectrum = self.add_weight(shape=(bins,), initializer="zeros", trainable=False,
                                             name="real_spectrum")
        # How many real images the profile was estimated from (-1: given by the user, 0: not set yet).
        self.real_spectrum_count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                                   name="real_spectrum_count")
        if self._initial_real_spectrum is not None:
            self.set_real_spectrum(self._initial_real_spectrum)

    @property
    def has_real_spectrum(self) -> bool:
        return float(self.real_spectrum_count.numpy()) != 0

    def set_real_spectrum(self, profile, count=-1):
        """Use ``profile`` (bins,) in [0, 1] as the mean real spectrum."""
        profile = np.asarray(profile, np.float32)
        expected = tuple(self.real_spectrum.shape)
        if profile.shape != expected:
            raise ArgumentError("real_spectrum", f"must have shape {expected} ({self.spectral_mode} profile of the "
                                                 f"image size). Received: shape={profile.shape}")
        if not np.all(np.isfinite(profile)) or profile.min() < 0 or profile.max() > 1:
            raise ArgumentError("real_spectrum", "must be a min-max normalised profile with values in [0, 1]. "
                                                 f"Received: min={profile.min()}, max={profile.max()}")
        self.real_spectrum.assign(profile)
        self.real_spectrum_count.assign(float(count))

    def adapt(self, data, max_images=MAX_SPECTRUM_IMAGES):
        """Estimate the mean real spectrum from up to ``max_images`` real images (in [-1, 1]).

        Args:
            data: (N, H, W, C) array, tf.data.Dataset or iterable of batches (``(x, y)`` tuples allowed).
            max_images: how many images to average (the paper uses 1,000).

        Returns:
            The profile, a float32 numpy array.
        """
        images = take_images(data, max_images)
        height, width = self._image_shape[:2]
        if images.ndim != 4 or images.shape[1:3] != (height, width):
            raise ValueError(f"Real images must be (N, {height}, {width}, C) like the model's images. "
                             f"Received: shape={images.shape}")
        if self.spectral_profile == "paper":  # numpy, exactly the published pipeline
            profile = spectral.mean_spectrum(images, mode=self.spectral_mode, normalize=self.spectral_normalize)
        else:
            profile = np.mean(self.spectral_profiles(np.asarray(images, np.float64)), axis=0)
        self.set_real_spectrum(np.clip(profile, 0.0, 1.0), count=len(images))
        return profile

    def _adapt_if_needed(self, x):
        if self.spectral_weight > 0 and not self.has_real_spectrum:
            if x is None:
                raise ValueError("The spectral term needs the mean real spectrum: pass `real_spectrum=` or call "
                                 "`adapt(real_images)` first.")
            self.adapt(x)

    def profile_tensor(self, images):
        """(B, bins) min-max profiles of ``images`` as the spectral term sees them (a differentiable tensor)."""
        if self.spectral_profile == "paper":
            return self.azimuthal_integral(images)
        profile = log_ring_power if self.spectral_profile == "ring_power" else floored_log_profile
        return normalize_minmax(profile(images, self.spectral_mode))

    def spectral_profiles(self, images, batch_size=64) -> np.ndarray:
        """Profiles of ``images`` (N, H, W, C) as the spectral term sees them, numpy (N, bins)."""
        return np.concatenate([np.asarray(self.profile_tensor(batch))
                               for batch in spectral.array_batches(np.asarray(images), batch_size)])

    def _loss_profiles(self, images):
        """Profiles of ``images`` for the loss, and the real mean in their dtype."""
        images = tf.convert_to_tensor(images)
        profiles = self.profile_tensor(images)
        if not self.spectral.published:
            profiles = hold_extremes(profiles)  # the published term keeps its (ill-conditioned) gradient
        return profiles, tf.cast(self.real_spectrum, profiles.dtype)

    def spectral_loss(self, images):
        """The spectral term of ``images`` (a scalar): the BCE of the global batch's mean profile to the real mean
        (``spectral_reduction="batch"``), or the mean over the replica's images of their BCE (``"sample"``)."""
        profiles, target = self._loss_profiles(images)
        if self.spectral_reduction == "batch":
            return spectral_bce(distribute.global_mean(profiles)[None], target)[0]
        return tf.reduce_mean(spectral_bce(profiles, target))

    def spectral_scale(self, step):
        """The weight at generator update ``step`` (0-based): ``spectral_weight``, ramped up over the warm-up."""
        if not self.spectral_warmup:
            return tf.constant(self.spectral_weight, tf.float32)
        ramp = tf.minimum(tf.cast(step + 1, tf.float32) / float(self.spectral_warmup), 1.0)
        return self.spectral_weight * ramp

    def spectral_distance(self, images, batch_size=64) -> float:
        """The spectral term over all of ``images`` (N, H, W, C), a float: the BCE of their mean profile to the
        real mean (``spectral_reduction="batch"``), or the mean of their BCEs (``"sample"``)."""
        profiles = self.spectral_profiles(images, batch_size)
        target = self.real_spectrum.numpy()
        if self.spectral_reduction == "batch":
            profiles = np.mean(profiles, axis=0, keepdims=True)
        return float(np.mean(spectral_bce(profiles, target.astype(profiles.dtype))))

    def _spectral_config(self):
        return {"spectral": self.spectral.get_config()}
