"""Every setting of the retraining pipeline, in one place (the penguin template's ``configs.py``).

A :class:`PipelineConfig` holds the defaults below; the local runner overrides fields with
``--set field=value`` (or ``UPCONV_TFX_<FIELD>`` environment variables), and Kubeflow / Vertex runners build
the same config with cloud paths (see README.md).

This module must import without TFX (the tests and the host-side scripts read it). The Trainer fits the
detector preset ``preset`` (:mod:`upconv_tf.detection.presets`; default ``"default"``, what ``upconv-tf detector
train`` fits) exactly as the library does: its features, augmentation, classifier and threshold calibrated on
real sources; the detector settings below override single fields of it (None: the preset's, read from it, not
copied), and ``random_state`` seeds the runs so that retraining on the same data gives the same model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import typing

from upconv_tf.detection import SpectralDetector, detector_preset

PIPELINE_NAME = "upconv-detector"

# Folders under ``data_root`` holding each class; any image layout below them (sub-folders name the source
# of an image, e.g. the photo a crop came from, and keep a source in one split).
LABEL_FOLDERS = {"real": 0, "fake": 1}

# The library's detector defaults (SpectralDetector's __init__); "none" spells normalize=None in settings.
DETECTOR_DEFAULTS = SpectralDetector().get_params()
# Seed of the pipeline's detector (the library's default, None, would give another model on every run).
RANDOM_STATE = 0
# The preset the Trainer fits by default: the library's default recipe.
PRESET = "default"
# Preset fields the settings may override (None leaves the preset's).
TRAINER_FIELDS = ("classifier", "feature_kind", "C", "gamma", "target_fpr")


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Settings of one pipeline.

    Paths
        ``data_root``: folder with ``real/`` and ``fake/`` image folders. ``output_root``: TFX artifacts
        (``pipelines/<name>/``) and the sqlite ML Metadata store (``metadata/<name>/metadata.db``).
        ``serving_root``: where the Pusher publishes ``saved_models/<model_name>/<version>/`` and
        ``export/<model_name>/<version>/model.onnx``.
    Ingestion
        ``image_size`` / ``size_policy``: every image is brought to one size (``upconv_tf.datasets`` policy);
        ``eval_percent``: share of sources (sub-folders, else files) held out for evaluation, by hash, so a
        source never straddles the splits and a file keeps its split from run to run.
    Spectrum monitor (``SpectralFeatures``: the azimuthal-integral profile of every example and the mean
    spectrum of each class; ``upconv_tf.detection.SpectralDetector`` parameters, with its defaults)
        ``mode``, ``normalize``, ``num_bins`` (``normalize="none"``: no normalisation); the Trainer uses them
        too when ``feature_kind`` is ``"azimuthal"``.
    Trainer
        ``preset``: the detector recipe (``upconv_tf.detection.presets``); ``classifier``, ``feature_kind``,
        ``C``, ``gamma`` (a number, ``"scale"`` or ``"auto"``), ``target_fpr`` override its fields (None: the
        preset's); ``image_size`` None: the preset's crop; ``random_state`` (0: seeded). Real images'
        sources (sub-folders of ``real/``) set the threshold for a source never seen, as in the library.
    Gate (the grouped evaluation of ``upconv-tf detector evaluate``, on the eval split's sources)
        The candidate is blessed only if its balanced accuracy at its own threshold and its ROC-AUC on the eval
        split are each at least the last blessed model's minus ``tolerance`` (0: at least as good), at least
        ``min_balanced_accuracy`` / ``min_auc`` in absolute terms (the first model has no baseline), and its
        false-positive rate at its threshold, averaged over the eval split's real sources, at most ``max_fpr``.
    Scoring after a push (off by default)
        ``score_after_push``: add the ``DetectorScorer`` step, which scores ``score_input`` (a glob, folder or
        file, as ``upconv-tf score --input``) with each newly pushed model, on the pipeline's Beam arguments,
        into ``serving_root/scores/<model_name>/<version>/``.
    """

    pipeline_name: str = PIPELINE_NAME
    data_root: str = "tfx_data"
    output_root: str = "tfx_output"
    serving_root: str = "."
    model_name: str = "spectral-detector"
    image_size: typing.Optional[int] = None
    size_policy: str = "center-crop"
    eval_percent: int = 30
    mode: str = DETECTOR_DEFAULTS["mode"]
    normalize: str = DETECTOR_DEFAULTS["normalize"] or "none"
    num_bins: typing.Optional[int] = DETECTOR_DEFAULTS["num_bins"]
    preset: str = PRESET
    classifier: typing.Optional[str] = None
    feature_kind: typing.Optional[str] = None
    C: typing.Optional[float] = None
    gamma: typing.Union[float, str, None] = None
    target_fpr: typing.Optional[float] = None
    random_state: int = RANDOM_STATE
    tolerance: float = 0.0
    min_balanced_accuracy: float = 0.6
    min_auc: float = 0.6
    max_fpr: float = 0.2
    enable_cache: bool = True
    score_after_push: bool = False
    score_input: str = ""

    # ------------------------------------------------------------------------------------ derived paths
    @property
    def pipeline_root(self) -> str:
        return os.path.join(self.output_root, "pipelines", self.pipeline_name)

    @property
    def metadata_path(self) -> str:
        return os.path.join(self.output_root, "metadata", self.pipeline_name, "metadata.db")

    @property
    def size(self) -> int:
        """The crop every image is brought to: ``image_size``, else the preset's."""
        return int(self.image_size or detector_preset(self.preset).size)

    def overrides(self) -> dict:
        """The preset fields the settings change (``TRAINER_FIELDS`` that are not None; with azimuthal features
        also ``mode``, ``normalize`` and ``num_bins``)."""
        changes = {name: getattr(self, name) for name in TRAINER_FIELDS if getattr(self, name) is not None}
        if (self.feature_kind or detector_preset(self.preset).feature_kind) == "azimuthal":
            changes.update(mode=self.mode, normalize=None if self.normalize == "none" else self.normalize,
                           num_bins=self.num_bins)
        return changes

    def recipe(self):
        """The ``upconv_tf.detection.DetectorPreset`` the Trainer fits (at ``size``, with ``overrides``)."""
        return detector_preset(self.preset, size=self.size, policy=self.size_policy, **self.overrides())

    def detector_params(self) -> dict:
        """Keyword arguments of ``SpectralDetector`` of the recipe, seeded."""
        return dict(self.recipe().detector_params(), random_state=self.random_state)

    def trainer_config(self) -> dict:
        """The Trainer's ``custom_config``: the preset, its overrides, the seed and the input size policy."""
        return {"preset": self.preset, "overrides": self.overrides(), "random_state": self.random_state,
                "input": {"size": self.size, "policy": self.size_policy}}

    # ------------------------------------------------------------------------------------ overrides
    def replace(self, **changes) -> "PipelineConfig":
        unknown = sorted(set(changes) - {field.name for field in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"Unknown pipeline setting(s) {unknown}; known: {sorted(self.as_dict())}")
        return dataclasses.replace(self, **changes)

    def with_overrides(self, items) -> "PipelineConfig":
        """Apply ``["field=value", ...]`` (strings converted to the field's type)."""
        changes = {}
        for item in items:
            name, sep, text = item.partition("=")
            if not sep:
                raise ValueError(f"A setting must look like field=value. Received: {item!r}")
            changes[name.strip()] = parse_value(name.strip(), text.strip())
        return self.replace(**changes)

    @classmethod
    def from_env(cls, environ=None) -> "PipelineConfig":
        """Defaults, overridden by ``UPCONV_TFX_<FIELD>`` environment variables (e.g. UPCONV_TFX_DATA_ROOT)."""
        environ = os.environ if environ is None else environ
        items = []
        for field in dataclasses.fields(cls):
            key = "UPCONV_TFX_" + field.name.upper()
            if key in environ:
                items.append(f"{field.name}={environ[key]}")
        return cls().with_overrides(items)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


_TYPES = {field.name: field.type for field in dataclasses.fields(PipelineConfig)}


def parse_value(name: str, text: str):
    """Convert ``text`` to the type of setting ``name`` (``none`` gives None where allowed)."""
    if name not in _TYPES:
        raise ValueError(f"Unknown pipeline setting {name!r}; known: {sorted(_TYPES)}")
    kind = str(_TYPES[name])
    if "Optional" in kind and text.lower() in ("", "none", "null"):
        return None
    if "Union" in kind and "str" in kind:  # e.g. gamma: a number, or a name such as "scale"
        try:
            return float(text)
        except ValueError:
            return text
    try:
        if "bool" in kind:
            if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("1", "true", "yes")
        if "int" in kind:
            return int(text)
        if "float" in kind:
            return float(text)
    except ValueError:
        raise ValueError(f"Setting {name!r} must be of type {kind}. Received: {name}={text!r}") from None
    return text


def data_fingerprint(data_root: str) -> str:
    """Hash of the names, sizes and modification times of every file under ``data_root``'s label folders.

    It is an execution parameter of the ingestion component, so new or changed images re-run ingestion
    (and everything after it) while an unchanged folder is served from the cache.
    """
    digest = hashlib.sha256()
    count = 0
    for label in sorted(LABEL_FOLDERS):
        for root, dirs, files in os.walk(os.path.join(data_root, label)):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                info = os.stat(path)
                digest.update(f"{os.path.relpath(path, data_root)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
                count += 1
    return f"{count}-{digest.hexdigest()[:16]}"
