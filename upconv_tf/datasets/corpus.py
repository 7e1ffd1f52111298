"""Deprecated: the corpus code lives in :mod:`upconv_tf.corpus` now. The old names still resolve here, with a
``DeprecationWarning``, for code that imported them."""

from __future__ import annotations

import importlib
import warnings

# Old name -> (module, name) in upconv_tf.corpus.
_MOVED = {
    "CORPUS_PACKAGES": ("debian", "CORPUS_PACKAGES"), "MIN_SIDE": ("debian", "MIN_SIDE"),
    "build_corpus": ("debian", "build_corpus"), "corpus_files": ("debian", "corpus_files"),
    "CorpusError": ("fetch", "CorpusError"),
    "vp8_quantizer": ("webp", "vp8_quantizer"), "estimate_webp_quality": ("webp", "estimate_webp_quality"),
    **{name: ("wild", name) for name in (
        "WILD_REQUIREMENT", "WILD_TEMPLATES", "WILD_SIZE", "WILD_DIR", "WILD_FIELDS", "RESAMPLE_FILTERS",
        "CONTROL_WORDS", "GRAYSCALE_COLOURFULNESS", "wild_family", "wild_family_group", "wild_role",
        "colourfulness", "build_wild_corpus", "wild_files")},
}


def __getattr__(name):
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _MOVED[name]
    warnings.warn(f"upconv_tf.datasets.corpus.{name} moved to upconv_tf.corpus.{module}.{attribute}",
                  DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(f"upconv_tf.corpus.{module}"), attribute)


def __dir__():
    return sorted(_MOVED)
