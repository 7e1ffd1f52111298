"""Every setting of the retraining pipeline, in one place (the penguin template's ``configs.py``).

A :class:`PipelineConfig` holds the defaults below; the local runner overrides fields with
``--set field=value`` (or ``UPCONV_TFX_<FIELD>`` environment variables), and Kubeflow / Vertex runners build
the same config with cloud paths (see README.md).

This module must import without TFX (the tests and the host-side scripts read it). The detector settings
default to :class:`upconv_tf.detection.SpectralDetector`'s own defaults (read from it, not copied), except
``random_state``: the pipeline seeds its runs so that retraining on the same data gives the same model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import typing

from upconv_tf.detection import SpectralDetector

PIPELINE_NAME = "upconv-detector"

# Folders under ``data_root`` holding each class; any image layout below them (sub-folders name the source
# of an image, e.g. the photo a crop came from, and keep a source in one split).
LABEL_FOLDERS = {"real": 0, "fake": 1}

# The library's detector defaults (SpectralDetector's __init__); "none" spells normalize=None in settings.
DETECTOR_DEFAULTS = SpectralDetector().get_params()
# Seed of the pipeline's detector (the library's default, None, would give another model on every run).
RANDOM_STATE = 0


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
    Features and trainer (``upconv_tf.detection.SpectralDetector`` parameters, with its defaults)
        ``mode``, ``normalize``, ``num_bins`` (spectral features; also used by the spectral component),
        ``classifier``, ``C``, ``gamma`` (a number, ``"scale"`` or ``"auto"``), ``max_iter``, ``random_state``
        (0: seeded). ``normalize="none"``: no normalisation.
    Gate
        The candidate is blessed only if its accuracy and ROC-AUC on the eval split are each at least the
        last blessed model's minus ``tolerance`` (0: at least as good), and at least ``min_accuracy`` /
        ``min_auc`` in absolute terms (the first model has no baseline).
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
    image_size: int = 64
    size_policy: str = "center-crop"
    eval_percent: int = 30
    mode: str = DETECTOR_DEFAULTS["mode"]
    normalize: str = DETECTOR_DEFAULTS["normalize"] or "none"
    num_bins: typing.Optional[int] = DETECTOR_DEFAULTS["num_bins"]
    classifier: str = DETECTOR_DEFAULTS["classifier"]
    C: float = DETECTOR_DEFAULTS["C"]
    gamma: typing.Union[float, str] = DETECTOR_DEFAULTS["gamma"]
    max_iter: int = DETECTOR_DEFAULTS["max_iter"]
    random_state: int = RANDOM_STATE
    tolerance: float = 0.0
    min_accuracy: float = 0.6
    min_auc: float = 0.6
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

    def detector_params(self) -> dict:
        """Keyword arguments of ``SpectralDetector`` (the Trainer's ``custom_config``)."""
        names = ("classifier", "mode", "normalize", "num_bins", "C", "gamma", "max_iter", "random_state")
        params = {name: getattr(self, name) for name in names}
        params["normalize"] = None if self.normalize == "none" else self.normalize
        return params

    def trainer_config(self) -> dict:
        """The Trainer's ``custom_config``: detector parameters and the input size policy it was trained for."""
        return {"detector": self.detector_params(), "input": {"size": self.image_size, "policy": self.size_policy}}

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
