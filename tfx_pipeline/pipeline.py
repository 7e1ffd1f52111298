"""``create_pipeline``: the retraining pipeline, independent of the orchestrator (penguin template shape).

    ImageFolderExampleGen -> SpectralFeatures -> StatisticsGen -> SchemaGen
                                    |                                 |
                                    +--------------> Trainer <--------+
    latest blessed model (Resolver) --> DetectorEvaluator <-- Trainer
                                         DetectorPusher <-- blessing

The same function serves ``local_runner.py`` (LocalDagRunner, sqlite ML Metadata) and the Kubeflow / Vertex
runners (README.md): only the paths, the metadata connection and the Beam arguments change.
"""

from __future__ import annotations

import os
from typing import Optional

from tfx import v1 as tfx

from tfx_pipeline import configs
from tfx_pipeline.components import (
    DetectorEvaluator,
    DetectorPusher,
    DetectorScorer,
    ImageFolderExampleGen,
    SpectralFeatures,
)

TRAINER_RUN_FN = "tfx_pipeline.models.detector.run_fn"


def create_pipeline(
    pipeline_name: str,
    pipeline_root: str,
    data_root: str,
    serving_root: str,
    config: Optional[configs.PipelineConfig] = None,
    run_fn: str = TRAINER_RUN_FN,
    metadata_connection_config=None,
    beam_pipeline_args: Optional[list] = None,
    enable_cache: Optional[bool] = None,
    data_version: Optional[str] = None,
) -> tfx.dsl.Pipeline:
    """Build the pipeline.

    Args:
        pipeline_name: name in ML Metadata (the cache and the "last blessed model" are per name).
        pipeline_root: folder (or gs:// path) for the artifacts.
        data_root: folder with ``real/`` and ``fake/`` images.
        serving_root: where blessed models are published (``saved_models/``, ``export/``).
        config: every other setting (``configs.PipelineConfig``; defaults when None).
        run_fn: dotted path of the Trainer's ``run_fn``.
        metadata_connection_config: ML Metadata connection (sqlite locally; None on Kubeflow / Vertex,
            which bring their own).
        beam_pipeline_args: arguments for the Beam jobs of StatisticsGen, SchemaGen and the optional scoring step.
        enable_cache: reuse results of unchanged steps (default: ``config.enable_cache``).
        data_version: what identifies the data for the cache (new value, new ingestion). Default: a hash of
            the folder listing (``configs.data_fingerprint``), which needs ``data_root`` visible from the
            machine that builds the pipeline; pass it (a date, a dataset tag) when it is not (e.g. a /gcs/
            path compiled for Vertex on a laptop).

    Returns:
        A ``tfx.dsl.Pipeline``.
    """
    config = config or configs.PipelineConfig()
    if config.score_after_push and not config.score_input:
        raise ValueError("score_after_push needs score_input: the glob, folder or file of images to score")
    if data_version is None:
        if not os.path.isdir(data_root):
            raise ValueError(f"data_root {data_root!r} is not a folder on this machine: pass data_version= "
                             f"(e.g. a date or dataset tag) so that new data gets a new ingestion.")
        data_version = configs.data_fingerprint(data_root)
    example_gen = ImageFolderExampleGen(
        data_root=data_root,
        image_size=config.size,
        size_policy=config.size_policy,
        eval_percent=config.eval_percent,
        fingerprint=data_version,
    )
    features = SpectralFeatures(
        examples=example_gen.outputs["examples"],
        mode=config.mode,
        normalize=str(config.normalize),
        num_bins=config.num_bins or 0,
    )
    statistics_gen = tfx.components.StatisticsGen(examples=features.outputs["features"])
    schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"],
                                          infer_feature_shape=False)
    trainer = tfx.components.Trainer(
        run_fn=run_fn,
        examples=features.outputs["features"],
        schema=schema_gen.outputs["schema"],
        custom_config=config.trainer_config(),
    )
    model_resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    evaluator = DetectorEvaluator(
        examples=features.outputs["features"],
        model=trainer.outputs["model"],
        baseline_model=model_resolver.outputs["model"],
        tolerance=config.tolerance,
        min_balanced_accuracy=config.min_balanced_accuracy,
        min_auc=config.min_auc,
        max_fpr=config.max_fpr,
    )
    pusher = DetectorPusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        serving_root=serving_root,
        model_name=config.model_name,
        image_size=config.size,
    )
    components = [example_gen, features, statistics_gen, schema_gen, trainer, model_resolver, evaluator, pusher]
    if config.score_after_push:
        components.append(DetectorScorer(pushed_model=pusher.outputs["pushed_model"], serving_root=serving_root,
                                         model_name=config.model_name, score_input=config.score_input))
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=components,
        enable_cache=config.enable_cache if enable_cache is None else enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args,
    )
