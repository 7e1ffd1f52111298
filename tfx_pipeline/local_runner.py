"""Run the pipeline with TFX's LocalDagRunner and a sqlite ML Metadata store (penguin template's local_runner).

    python -m tfx_pipeline.local_runner --data-root DATA --output-root OUT --serving-root . [--set key=value ...]

Settings: ``configs.PipelineConfig`` defaults, then ``UPCONV_TFX_<FIELD>`` environment variables, then the
flags. After the run, a summary (state of every step: COMPLETE or CACHED; blessing; pushed version) is read
back from ML Metadata, printed as JSON and written to ``--summary`` (default OUT/last_run.json).
On a host without ``import tfx`` (glibc < 2.39), run it through ``run_in_debian13.sh run ...``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

from tfx_pipeline import configs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tfx_pipeline.local_runner", description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="folder with real/ and fake/ images")
    parser.add_argument("--output-root", help="pipeline artifacts and metadata (pipelines/, metadata/)")
    parser.add_argument("--serving-root", help="where blessed models are published (saved_models/, export/)")
    parser.add_argument("--name", help="pipeline name")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a configs.PipelineConfig field (repeatable)")
    parser.add_argument("--no-cache", action="store_true", help="run every step even if its inputs are unchanged")
    parser.add_argument("--summary", help="write the run summary JSON here (default OUTPUT_ROOT/last_run.json)")
    parser.add_argument("--verbose", action="store_true", help="log TFX's progress (INFO) to stderr")
    return parser.parse_args(argv)


def build_config(args) -> configs.PipelineConfig:
    config = configs.PipelineConfig.from_env().with_overrides(args.settings)
    changes = {name: os.path.abspath(value) for name, value in
               (("data_root", args.data_root), ("output_root", args.output_root), ("serving_root", args.serving_root))
               if value}
    if config.score_input and "://" not in config.score_input:  # the scoring step may run in another folder
        changes["score_input"] = os.path.abspath(config.score_input)
    if args.name:
        changes["pipeline_name"] = args.name
    if args.no_cache:
        changes["enable_cache"] = False
    return config.replace(**changes)


def _artifact_summary(artifact) -> dict:
    summary = {"type_id": artifact.type_id, "uri": artifact.uri}
    for key, value in artifact.custom_properties.items():
        summary[key] = value.int_value if value.HasField("int_value") else (
            value.double_value if value.HasField("double_value") else value.string_value)
    return summary


def summarize_last_run(metadata_path: str, pipeline_name: str) -> dict:
    """State of each step of the latest run of ``pipeline_name`` and its outputs' custom properties."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2
    from tfx.orchestration import metadata

    store = metadata_store.MetadataStore(metadata.sqlite_metadata_connection_config(metadata_path))
    pipeline_context = store.get_context_by_type_and_name("pipeline", pipeline_name)
    runs = [context for context in store.get_contexts_by_type("pipeline_run")
            if pipeline_context is None or context.id in
            {c.id for c in store.get_children_contexts_by_context(pipeline_context.id)}] or \
        store.get_contexts_by_type("pipeline_run")
    run = max(runs, key=lambda context: (context.create_time_since_epoch, context.id))
    node_type = store.get_context_type("node")
    steps = {}
    for execution in sorted(store.get_executions_by_context(run.id), key=lambda e: e.id):
        nodes = [c.name for c in store.get_contexts_by_execution(execution.id) if c.type_id == node_type.id]
        node_id = nodes[0].split(".", 1)[-1] if nodes else str(execution.id)
        events = store.get_events_by_execution_ids([execution.id])
        outputs = {}
        output_ids = [event.artifact_id for event in events if event.type == metadata_store_pb2.Event.OUTPUT]
        for artifact, event in zip(store.get_artifacts_by_id(output_ids),
                                   [e for e in events if e.type == metadata_store_pb2.Event.OUTPUT]):
            key = event.path.steps[0].key if event.path.steps else str(artifact.id)
            outputs[key] = _artifact_summary(artifact)
        steps[node_id] = {"state": metadata_store_pb2.Execution.State.Name(execution.last_known_state),
                          "outputs": outputs}
    blessing = steps.get("DetectorEvaluator", {}).get("outputs", {}).get("blessing", {})
    pushed = steps.get("DetectorPusher", {}).get("outputs", {}).get("pushed_model", {})
    return {"run_id": run.name, "steps": steps, "blessed": blessing.get("blessed") == 1,
            "pushed": pushed.get("pushed") == 1, "pushed_version": pushed.get("pushed_version"),
            "candidate": {k: blessing.get(f"candidate_{k}") for k in GATED},
            "baseline": {k: blessing.get(f"baseline_{k}") for k in GATED}}


# The evaluator's numbers in the run summary (its blessing's custom properties).
GATED = ("balanced_accuracy", "roc_auc", "mean_source_fpr")


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        config = build_config(args)
        missing = [label for label in configs.LABEL_FOLDERS if not os.path.isdir(os.path.join(config.data_root, label))]
        if missing:
            raise ValueError(f"data_root {config.data_root!r} needs the image folders {sorted(configs.LABEL_FOLDERS)}; "
                             f"missing: {missing}")
    except ValueError as error:
        print(f"local_runner: error: {error}", file=sys.stderr)
        return 1
    logging.getLogger().setLevel(logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("apache_beam").setLevel(logging.WARNING)
    if not args.verbose:
        logging.getLogger("absl").setLevel(logging.ERROR)
    from tfx import v1 as tfx

    from tfx_pipeline.pipeline import create_pipeline

    os.makedirs(os.path.dirname(config.metadata_path), exist_ok=True)
    start = time.perf_counter()
    try:
        pipeline = create_pipeline(
            pipeline_name=config.pipeline_name,
            pipeline_root=config.pipeline_root,
            data_root=config.data_root,
            serving_root=config.serving_root,
            config=config,
            metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
                config.metadata_path),
            beam_pipeline_args=["--direct_num_workers=1"],
        )
    except ValueError as error:
        print(f"local_runner: error: {error}", file=sys.stderr)
        return 1
    tfx.orchestration.LocalDagRunner().run(pipeline)
    summary = summarize_last_run(config.metadata_path, config.pipeline_name)
    summary["pipeline_seconds"] = round(time.perf_counter() - start, 1)
    summary["config"] = config.as_dict()
    path = args.summary or os.path.join(config.output_root, "last_run.json")
    from upconv_tf._atomic import write_json

    write_json(summary, path)
    print(json.dumps({k: summary[k] for k in ("run_id", "blessed", "pushed", "pushed_version", "candidate",
                                              "baseline", "pipeline_seconds")}))
    print("steps: " + ", ".join(f"{node}={step['state']}" for node, step in summary["steps"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
