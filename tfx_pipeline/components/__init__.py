"""The pipeline's custom components (``tfx.v1.dsl.components.component`` functions)."""

from tfx_pipeline.components.evaluate import DetectorEvaluator
from tfx_pipeline.components.ingest import ImageFolderExampleGen
from tfx_pipeline.components.push import DetectorPusher
from tfx_pipeline.components.score import DetectorScorer
from tfx_pipeline.components.spectral import SpectralFeatures, SpectralProfile

__all__ = ["DetectorEvaluator", "DetectorPusher", "DetectorScorer", "ImageFolderExampleGen", "SpectralFeatures",
           "SpectralProfile"]
