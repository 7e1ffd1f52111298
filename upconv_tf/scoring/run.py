"""Run the scoring pipeline: :func:`score` (what ``upconv-tf score`` does).

Beam options are Beam's own (``--runner``, ``--direct_num_workers``, ``--project``...); with no runner named,
or ``DirectRunner``, the pipeline runs on ``FnApiRunner`` (Beam's ``DirectRunner`` first tries to download its
Prism binary, which fails offline). An option Beam does not know is refused before anything runs: on a
distributed runner a typo would otherwise be dropped with a log line and the job run without it.

Importing this module imports Apache Beam, never TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time

from upconv_tf import errors as E
from upconv_tf.errors import ArgumentError, NoUsableImages
from upconv_tf.scoring.model import METRICS_NAMESPACE, DetectorModelHandler, export_uri
from upconv_tf.scoring.transforms import EXTENSION, SCORES_SUFFIX, SKIPPED, SKIPPED_SUFFIX, ScoreImages, match_pattern

DEFAULT_RUNNER = "FnApiRunner"
LOCAL_RUNNERS = ("FnApiRunner", "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner")
SHARD = "-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]"


class PipelineFailed(RuntimeError):
    """The Beam job failed (a worker error, a runner that could not start); ``str()`` is one line."""


def pipeline_options(beam_args=()):
    """Beam's ``PipelineOptions`` from command-line style ``beam_args`` (or from the ``PipelineOptions`` of another
    pipeline, e.g. the one TFX builds from its ``beam_pipeline_args``), on ``FnApiRunner`` unless another runner
    is named; an option Beam does not know raises :class:`~upconv_tf.errors.ArgumentError`."""
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    if isinstance(beam_args, PipelineOptions):  # already parsed: a copy, only the runner's default applied
        options = PipelineOptions.from_dictionary(beam_args.get_all_options(drop_default=True,
                                                                            retain_unknown_options=True))
        if options.view_as(StandardOptions).runner in (None, "DirectRunner"):
            options.view_as(StandardOptions).runner = DEFAULT_RUNNER
        return options
    beam_args = [str(arg) for arg in beam_args]
    # A word after a complete option (--name=value) or after another word is no option's value: Beam would
    # drop it without a word.
    stray = [arg for previous, arg in zip([None] + beam_args, beam_args) if not arg.startswith("-")
             and (previous is None or not previous.startswith("-") or "=" in previous)]
    if stray:
        raise ArgumentError("beam_args", f"not a Beam option: {' '.join(stray)} (write Beam options as --name=value)")
    options = PipelineOptions(beam_args)
    known = options.get_all_options(retain_unknown_options=False)
    unknown = sorted(set(options.get_all_options(retain_unknown_options=True)) - set(known))
    if unknown:
        raise ArgumentError("beam_args", f"unknown Beam option(s): {', '.join('--' + name for name in unknown)}")
    standard = options.view_as(StandardOptions)
    if standard.runner in (None, "DirectRunner"):
        standard.runner = DEFAULT_RUNNER
    return options


def is_local(options) -> bool:
    """Whether ``options`` run the pipeline on this machine (FnApiRunner, the direct runners)."""
    from apache_beam.options.pipeline_options import StandardOptions

    runner = options.view_as(StandardOptions).runner
    return (runner if isinstance(runner, str) else type(runner).__name__) in LOCAL_RUNNERS


def default_threads(options):
    """onnxruntime threads per model: all cores for one local process; the cores shared out among local worker
    processes; 1 on a distributed runner (Dataflow runs one SDK process per vCPU)."""
    from apache_beam.options.pipeline_options import DirectOptions

    if not is_local(options):
        return 1
    direct = options.view_as(DirectOptions)
    if direct.direct_running_mode in ("multi_processing", "multi_threading"):
        cores = os.cpu_count() or 1
        workers = direct.direct_num_workers or cores
        return max(1, cores // workers)
    return None


def _shards(prefix: str) -> list:
    from apache_beam.io.filesystems import FileSystems

    return sorted(item.path for item in FileSystems.match([prefix + SHARD + EXTENSION])[0].metadata_list)


def _remove_old_outputs(output: str) -> None:
    """An earlier run with the same prefix may have written more shards than this one will: drop them all."""
    from apache_beam.io.filesystems import FileSystems

    old = _shards(output + SCORES_SUFFIX) + _shards(output + SKIPPED_SUFFIX)
    if old:
        FileSystems.delete(old)


def _read_records(paths) -> list:
    import json

    from upconv_tf.scoring.model import open_uri

    records = []
    for path in paths:
        with open_uri(path) as handle:
            records.extend(json.loads(line) for line in handle.read().decode("utf-8").splitlines() if line.strip())
    return records


def _counters(result) -> dict:
    """``{name: value}`` of the pipeline's counters (empty where the runner reports none)."""
    from apache_beam.metrics.metric import MetricsFilter

    try:
        counters = result.metrics().query(MetricsFilter().with_namespace(METRICS_NAMESPACE))["counters"]
    except Exception:  # noqa: BLE001 - a runner without metrics: the outputs are counted instead
        return {}
    values = {}
    for counter in counters:
        value = counter.committed if counter.committed is not None else counter.attempted
        values[counter.key.metric.name] = values.get(counter.key.metric.name, 0) + (value or 0)
    return values


@contextlib.contextmanager
def _watch(progress, total, desc):
    """A progress bar fed by the files the DoFns tick (local runs); yields the tick file (None: no bar)."""
    if progress is None:
        yield None
        return
    folder = tempfile.mkdtemp(prefix="upconv-score-")
    path = os.path.join(folder, "ticks")
    open(path, "wb").close()
    bar, done, stop = progress(total, desc), [0], threading.Event()

    def poll():
        while True:
            count = os.path.getsize(path)
            if count > done[0]:
                bar.update(count - done[0])
                done[0] = count
            if stop.wait(0.5):
                if os.path.getsize(path) == done[0]:
                    return

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join()
        bar.close()
        shutil.rmtree(folder, ignore_errors=True)


def score(inputs, model, output: str, *, beam_args=(), batch_size: int = 32, threads: int | None = None,
          progress=None) -> dict:
    """Score image files with an exported detector on Apache Beam, writing JSON lines.

    Args:
        inputs: a file pattern or a list of them (:class:`~upconv_tf.scoring.ScoreImages`): globs, folders,
            files; local or ``gs://``...
        model: an export folder or its ``model.onnx`` (local or a URI), or a bare model name
            (``spectral-detector``, found from any folder: :func:`upconv_tf.resolve.resolve_model`).
        output: prefix of the outputs: ``OUTPUT-scores-SSSSS-of-NNNNN.jsonl`` (``{"path", "probability",
            "generated", "model", "version"}`` a line) and ``OUTPUT-skipped-SSSSS-of-NNNNN.jsonl`` (``{"path",
            "code", "reason"}``). Shards an earlier run wrote under the same prefix are replaced.
        beam_args: Beam pipeline options, command-line style (``["--direct_num_workers=2",
            "--direct_running_mode=multi_processing"]``, ``["--runner=DataflowRunner", "--project=P", ...]``), or a
            ``PipelineOptions`` (:func:`pipeline_options`).
        batch_size: images per onnxruntime call.
        threads: onnxruntime threads per model (None: :func:`default_threads`).
        progress: ``progress(total, desc)`` -> a bar with ``update(n)`` / ``close()`` (local runners only).

    Returns:
        ``{"model", "version", "model_uri", "threshold", "runner", "scored", "generated", "skipped" (the
        records), "outputs": {"scores": [files], "skipped": [files]}, "seconds", "images_per_second"}``.

    Raises:
        ArgumentError: a bad model, option or argument (one line, the argument named).
        NoUsableImages: no file could be scored (``skipped`` says why).
        PipelineFailed: the Beam job failed.
    """
    import apache_beam as beam
    from apache_beam.options.pipeline_options import StandardOptions

    patterns = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    patterns = [os.fspath(p) for p in patterns]
    if not patterns:
        raise ArgumentError("inputs", "give at least one file pattern")
    output = os.fspath(output)
    if not output or output.endswith(("/", os.sep)):
        raise ArgumentError("output", f"{output!r}: give a file prefix, e.g. scores/run1 (-> "
                                      f"scores/run1{SCORES_SUFFIX}-00000-of-00001{EXTENSION})")
    options = pipeline_options(beam_args)
    runner = options.view_as(StandardOptions).runner
    uri = export_uri(model)
    handler = DetectorModelHandler(uri, batch_size=batch_size,
                                   threads=default_threads(options) if threads is None else threads)
    local = is_local(options)
    total = None
    if local:
        matched = [match_pattern(pattern) for pattern in patterns]
        total = sum(len(paths) for paths, _ in matched)
        if total == 0:
            skipped = [record for _, records in matched for record in records]
            where = ", ".join(patterns)
            raise NoUsableImages(f"no file matches {where}", patterns, skipped, argument="inputs")
    _remove_old_outputs(output)
    start = time.perf_counter()
    with _watch(progress if local else None, total, "score") as ticks:
        pipeline = beam.Pipeline(options=options)
        _ = pipeline | "ScoreImages" >> ScoreImages(patterns, handler, output=output, progress_path=ticks)
        try:
            result = pipeline.run()
            result.wait_until_finish()
        except (ArgumentError, NoUsableImages):
            raise
        except Exception as error:  # noqa: BLE001 - Beam raises many types; the user gets one line
            from upconv_tf.datasets.decode import first_line

            raise PipelineFailed(f"the scoring pipeline failed on {runner}: {first_line(error)}") from error
    seconds = time.perf_counter() - start
    outputs = {"scores": _shards(output + SCORES_SUFFIX), SKIPPED: _shards(output + SKIPPED_SUFFIX)}
    skipped = E.from_records(_read_records(outputs[SKIPPED]))
    counters = _counters(result)
    if "scored" in counters:
        scored, generated = counters["scored"], counters.get("generated", 0)
    else:  # a runner that reports no metrics: count the outputs
        records = _read_records(outputs["scores"])
        scored, generated = len(records), sum(bool(record["generated"]) for record in records)
    summary = {"model": handler.metadata.get("name"), "version": handler.metadata.get("version"), "model_uri": uri,
               "threshold": handler.threshold, "runner": runner, "scored": int(scored),
               "generated": int(generated), "skipped": E.records(skipped), "outputs": outputs,
               "seconds": round(seconds, 3), "images_per_second": round(scored / seconds, 2) if seconds else None}
    if not scored:
        where = ", ".join(patterns)
        raise NoUsableImages(f"no usable image in {where}", patterns, skipped, argument="inputs")
    return summary
