"""The scoring pipeline's steps: :class:`ScoreImages` and the DoFns it is made of.

    patterns -> MatchImages -> Reshuffle -> DecodeImages -> RunInference(DetectorModelHandler) -> ScoreRecords
                    |                           |
                    +---------- skipped --------+--> {"path", "code", "reason"} records

``Reshuffle`` after matching spreads the files over the workers (without it every file would be read by the
worker that listed them). Decoding is :func:`upconv_tf.runtime.preprocess`, so a file is scored, or skipped
with the same ``code`` and ``reason``, as ``upconv-tf detect`` would.

Importing this module imports Apache Beam, never TensorFlow.
"""

from __future__ import annotations

import json
import os
import re

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference

from upconv_tf import errors as E
from upconv_tf.datasets.decode import first_line
from upconv_tf.datasets.folder import IMAGE_EXTENSIONS, list_images
from upconv_tf.errors import ImageLoadError, Skipped
from upconv_tf.scoring.model import METRICS_NAMESPACE, DetectorModelHandler, has_scheme, open_uri

SKIPPED = "skipped"  # the tag of the skipped-file outputs
SCORE_KEYS = ("path", "probability", "generated", "model", "version")
SCORES_SUFFIX, SKIPPED_SUFFIX = "-scores", "-skipped"  # output PREFIX-scores-SSSSS-of-NNNNN.jsonl ...
EXTENSION = ".jsonl"
_WILDCARD = re.compile(r"[*?\[]")


def match_pattern(pattern: str) -> tuple:
    """``(paths, skipped)`` for one input pattern, as :class:`MatchImages` matches it.

    A glob (``*`` within a folder, ``**`` across folders: Beam's ``FileSystems.match``) gives every file it
    matches, whatever its extension (naming a file is asking for it to be read). A folder gives the image files
    below it, by extension: a local one walked as ``upconv-tf detect`` walks it
    (:func:`upconv_tf.datasets.list_images`, folders that cannot be listed reported), one on another file system
    matched as ``FOLDER/**``. A file name gives that file; a name that matches nothing is a ``missing``
    :class:`~upconv_tf.errors.Skipped` record.
    """
    from apache_beam.io.filesystem import BeamIOError

    pattern = str(pattern)
    if not has_scheme(pattern) and not _WILDCARD.search(pattern):  # a local file or folder, as detect takes it
        if os.path.isdir(pattern):
            skipped = []
            found = list_images(pattern, errors=skipped)
            if not found and not skipped:
                skipped.append(Skipped(pattern, E.EMPTY_FOLDER, "holds no image file"))
            return found, skipped
        if os.path.lexists(pattern):  # a file, or a broken link the decoder names as such
            return [pattern], []
        return [], [Skipped(pattern, E.MISSING, "no such file or folder")]
    folder = pattern.endswith(("/", os.sep))
    query = FileSystems.join(pattern.rstrip("/" + os.sep) or pattern, "**") if folder else pattern
    try:
        found = [item.path for item in FileSystems.match([query])[0].metadata_list]
    except BeamIOError as error:
        causes = list(getattr(error, "exception_details", {}).values())
        return [], [Skipped(pattern, E.UNLISTABLE, f"cannot list: {first_line(causes[0] if causes else error)}")]
    if folder:
        found = [path for path in found if path.lower().endswith(IMAGE_EXTENSIONS)]
        if not found:
            return [], [Skipped(pattern, E.EMPTY_FOLDER, "holds no image file")]
    elif not found and not _WILDCARD.search(pattern):
        return [], [Skipped(pattern, E.MISSING, "no such file or folder")]
    return found, []


class _Ticks:
    """A local run's progress: each file done appends one byte to ``path`` (the launcher watches its size; the
    DoFns may run in other processes, where no counter of the launcher's is reachable while the job runs)."""

    def __init__(self, path):
        self.path, self._handle = path, None

    def tick(self):
        if self.path is None:
            return
        if self._handle is None:
            self._handle = open(self.path, "ab", buffering=0)
        self._handle.write(b".")

    def close(self):
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class MatchImages(beam.DoFn):
    """Input pattern -> the paths it matches (:func:`match_pattern`); bad patterns to the ``skipped`` output."""

    def process(self, pattern):
        paths, skipped = match_pattern(pattern)
        for record in skipped:
            yield beam.pvalue.TaggedOutput(SKIPPED, record.as_record())
        yield from paths


class DecodeImages(beam.DoFn):
    """Path -> ``(path, image)``, the image being what the model takes (:func:`upconv_tf.runtime.preprocess`);
    a file that cannot be used -> its :class:`~upconv_tf.errors.Skipped` record on the ``skipped`` output.

    A local file is read as ``upconv-tf detect`` reads it (not a regular file, empty, permission...); any other
    URI through Beam's FileSystems. A read error other than "missing" or "permission denied" is raised, so that
    the runner retries the bundle (a transient storage error must not mark a good file as bad).
    """

    def __init__(self, metadata: dict, progress_path=None):
        self._metadata = metadata
        self._progress_path = progress_path
        self._skipped = Metrics.counter(METRICS_NAMESPACE, "skipped")

    def setup(self):
        self._ticks = _Ticks(self._progress_path)

    def _source(self, path):
        if not has_scheme(path):
            return path
        try:
            with open_uri(path) as handle:
                return handle.read()
        except FileNotFoundError:
            raise ImageLoadError(path, E.MISSING, "no such file or folder") from None
        except PermissionError:
            raise ImageLoadError(path, E.PERMISSION, "permission denied") from None

    def process(self, path):
        from upconv_tf.runtime.preprocess import preprocess

        try:
            yield path, preprocess(self._source(path), self._metadata, name=path)[0]
        except ImageLoadError as error:
            self._skipped.inc()
            self._ticks.tick()
            yield beam.pvalue.TaggedOutput(SKIPPED, error.skipped.as_record())

    def teardown(self):
        self._ticks.close()


class ScoreRecords(beam.DoFn):
    """``(path, PredictionResult)`` -> ``{"path", "probability", "generated", "model", "version"}``:
    ``generated`` is ``probability >= threshold``, the export's own threshold (its metadata.json)."""

    def __init__(self, metadata: dict, progress_path=None):
        self._threshold = float(metadata.get("threshold", 0.5))
        self._model, self._version = metadata.get("name"), metadata.get("version")
        self._progress_path = progress_path
        self._scored = Metrics.counter(METRICS_NAMESPACE, "scored")
        self._generated = Metrics.counter(METRICS_NAMESPACE, "generated")

    def setup(self):
        self._ticks = _Ticks(self._progress_path)

    def process(self, element):
        path, result = element
        probability = float(result.inference)
        generated = probability >= self._threshold
        self._scored.inc()
        if generated:
            self._generated.inc()
        self._ticks.tick()
        yield {"path": path, "probability": probability, "generated": generated, "model": self._model,
               "version": self._version}

    def teardown(self):
        self._ticks.close()


class WriteJsonLines(beam.PTransform):
    """Dict records -> ``PREFIX-SSSSS-of-NNNNN.jsonl`` files, one JSON object a line."""

    def __init__(self, prefix: str):
        super().__init__()
        self._prefix = prefix

    def expand(self, records):
        return (records
                | "ToJson" >> beam.Map(json.dumps)
                | "Write" >> beam.io.WriteToText(self._prefix, file_name_suffix=EXTENSION))


class ScoreImages(beam.PTransform):
    """Score the image files matching ``patterns`` with an exported detector.

    Applied to a pipeline, it returns ``{"scores": records, "skipped": records}``: one
    ``{"path", "probability", "generated", "model", "version"}`` dict per scored file and one
    ``{"path", "code", "reason"}`` dict (the package's :class:`~upconv_tf.errors.Skipped` record) per file or
    pattern that could not be used. With ``output``, both are also written as JSON lines:
    ``OUTPUT-scores-SSSSS-of-NNNNN.jsonl`` and ``OUTPUT-skipped-SSSSS-of-NNNNN.jsonl``.

    Args:
        patterns: a file pattern or a list of them: globs (``*`` within a folder, ``**`` across folders),
            folders (their image files), files; local or on any file system Beam reads (``gs://``...).
        model: an export folder URI (``model.onnx`` + ``metadata.json``) or a :class:`DetectorModelHandler`.
        output: prefix of the JSON-lines outputs (None: write nothing, use the returned PCollections).
        batch_size, threads: passed to :class:`DetectorModelHandler` when ``model`` is a URI.
        progress_path: a local file that gets one byte per file done (local runs: :func:`upconv_tf.scoring.score`
            watches it for its progress bar).

    Example:

    >>> with beam.Pipeline(options=options) as pipeline:  # doctest: +SKIP
    ...     pipeline | ScoreImages("gs://BUCKET/uploads/**", "gs://BUCKET/export/spectral-detector/3",
    ...                            output="gs://BUCKET/scores/run1")
    """

    def __init__(self, patterns, model, *, output: str | None = None, batch_size: int = 32,
                 threads: int | None = None, progress_path=None):
        super().__init__()
        self.patterns = [patterns] if isinstance(patterns, (str, os.PathLike)) else list(patterns)
        self.patterns = [os.fspath(p) for p in self.patterns]
        self.handler = model if isinstance(model, DetectorModelHandler) else DetectorModelHandler(
            model, batch_size=batch_size, threads=threads)
        self.output = output
        self.progress_path = progress_path

    def expand(self, pbegin):
        metadata = self.handler.metadata
        matched = (pbegin
                   | "Patterns" >> beam.Create(self.patterns)
                   | "Match" >> beam.ParDo(MatchImages()).with_outputs(SKIPPED, main="files"))
        decoded = (matched.files
                   | "Reshuffle" >> beam.Reshuffle()
                   | "Decode" >> beam.ParDo(DecodeImages(metadata, self.progress_path)).with_outputs(
                       SKIPPED, main="images"))
        scores = (decoded.images
                  | "RunInference" >> RunInference(KeyedModelHandler(self.handler))
                  | "Records" >> beam.ParDo(ScoreRecords(metadata, self.progress_path)))
        skipped = (matched[SKIPPED], decoded[SKIPPED]) | "Skipped" >> beam.Flatten()
        if self.output is not None:
            scores | "WriteScores" >> WriteJsonLines(self.output + SCORES_SUFFIX)
            skipped | "WriteSkipped" >> WriteJsonLines(self.output + SKIPPED_SUFFIX)
        return {"scores": scores, SKIPPED: skipped}
