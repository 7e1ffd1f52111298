"""The Beam scoring pipeline on the local runner scores exactly as ``upconv-tf detect`` does: the same
probabilities (the shipped detector, by name), the same labels at the export's threshold, the same files
skipped with the same codes and reasons, in one process and in two worker processes."""

import json
import os

import pytest

from scoring_files import write_scoring_images

pytest.importorskip("apache_beam")

MODEL = "spectral-detector"
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("score-images")
    good, bad = write_scoring_images(str(folder), count=48)
    return folder, good, bad


@pytest.fixture(scope="module")
def detected(files):
    """``upconv-tf detect --json`` on the same files, through the library, with the ONNX export."""
    from upconv_tf.runtime import load_predictor
    from upconv_tf.workflows.detect import detect

    _, good, bad = files
    predictor = load_predictor(MODEL, backend="onnx")
    return detect(sorted(good + bad), (predictor, MODEL))


def read_lines(paths):
    records = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle if line.strip())
    return records


@pytest.fixture(scope="module")
def scored(files, tmp_path_factory):
    from upconv_tf.scoring import score

    folder, _, _ = files
    output = str(tmp_path_factory.mktemp("score-out") / "run")
    return score(os.path.join(str(folder), "*"), MODEL, output)


def assert_same_as_detect(summary, detected, good, bad):
    scores = {record["path"]: record for record in read_lines(summary["outputs"]["scores"])}
    expected = {record["path"]: record for record in detected["results"]}
    assert set(scores) == set(expected) == set(good)
    for path, record in scores.items():
        assert abs(record["probability"] - expected[path]["score"]) <= TOLERANCE, path
        assert record["generated"] == (expected[path]["label"] == "generated"), path
    skipped = read_lines(summary["outputs"]["skipped"])
    assert sorted(skipped, key=lambda r: r["path"]) == sorted(detected["skipped"], key=lambda r: r["path"])
    assert {record["path"] for record in skipped} == set(bad)
    assert sorted(summary["skipped"], key=lambda r: r["path"]) == sorted(skipped, key=lambda r: r["path"])
    assert summary["scored"] == len(good)
    assert summary["generated"] == sum(record["generated"] for record in scores.values())


def test_scores_and_skipped_files_equal_detect(scored, detected, files):
    _, good, bad = files
    assert_same_as_detect(scored, detected, good, bad)
    codes = {os.path.basename(record["path"]): record["code"] for record in scored["skipped"]}
    assert codes == {"corrupt.png": "unreadable", "notes.txt": "unreadable", "empty.jpg": "empty",
                     "small.png": "too-small"}


def test_records_name_the_export_and_use_its_threshold(scored):
    from upconv_tf.runtime.preprocess import detector_metadata
    from upconv_tf.scoring import SCORE_KEYS

    metadata = detector_metadata(MODEL)
    records = read_lines(scored["outputs"]["scores"])
    assert all(tuple(record) == SCORE_KEYS for record in records)
    assert {(record["model"], record["version"]) for record in records} == {(metadata["name"], metadata["version"])}
    assert scored["threshold"] == metadata["threshold"] != 0.5
    # The labels follow the export's own threshold, not 0.5.
    assert all(record["generated"] == (record["probability"] >= metadata["threshold"]) for record in records)


@pytest.mark.slow
def test_two_worker_processes_score_the_same(files, detected, tmp_path):
    from upconv_tf.scoring import score

    folder, good, bad = files
    summary = score(os.path.join(str(folder), "*"), MODEL, str(tmp_path / "run"),
                    beam_args=["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    assert_same_as_detect(summary, detected, good, bad)


def test_a_folder_is_walked_for_image_files_and_a_missing_file_is_reported(files, tmp_path):
    from upconv_tf.scoring import score

    folder, good, bad = files
    missing = str(tmp_path / "gone.png")
    summary = score([str(folder), missing, good[0]], MODEL, str(tmp_path / "run"))
    paths = [record["path"] for record in read_lines(summary["outputs"]["scores"])]
    assert sorted(paths) == sorted(good + [good[0]])  # the folder's images, and the file named as well
    skipped = {record["path"]: record for record in summary["skipped"]}
    assert skipped[missing]["code"] == "missing"
    # A folder is walked for image files: another file in it is a note (reported, not an error).
    notes = [record for path, record in skipped.items() if path.endswith("notes.txt")]
    assert [record["code"] for record in notes] == ["not-an-image"]


def test_a_rerun_replaces_the_shards_of_an_earlier_run(files, tmp_path):
    from upconv_tf.scoring import score

    _, good, _ = files
    stale = tmp_path / "run-scores-00001-of-00002.jsonl"
    stale.write_text('{"path": "old"}\n')
    summary = score(good[:3], MODEL, str(tmp_path / "run"))
    assert not stale.exists()
    assert len(read_lines(summary["outputs"]["scores"])) == 3


def test_nothing_usable_raises_with_the_records(files, tmp_path):
    from upconv_tf.errors import NoUsableImages
    from upconv_tf.scoring import score

    _, _, bad = files
    with pytest.raises(NoUsableImages) as caught:
        score(bad, MODEL, str(tmp_path / "run"))
    assert sorted(item.path for item in caught.value.skipped) == sorted(bad)
    with pytest.raises(NoUsableImages, match="no file matches"):
        score(str(tmp_path / "nothing-*.png"), MODEL, str(tmp_path / "run"))


def test_the_handler_reads_metadata_through_filesystems_and_refuses_non_detectors(tmp_path):
    from upconv_tf.errors import ArgumentError
    from upconv_tf.resolve import resolve_model
    from upconv_tf.scoring import DetectorModelHandler

    export = os.path.dirname(resolve_model(MODEL, backend="onnx").onnx)
    handler = DetectorModelHandler(export, batch_size=8)
    assert handler.metadata["kind"] == "detector" and handler.threshold == handler.metadata["threshold"]
    model = handler.load_model()
    assert model.provider in ("CPUExecutionProvider", "CUDAExecutionProvider")
    with pytest.raises(ArgumentError, match="no detector found"):
        DetectorModelHandler(str(tmp_path))
    (tmp_path / "model.onnx").write_bytes(b"")
    with pytest.raises(ValueError, match="metadata.json: missing"):
        DetectorModelHandler(str(tmp_path))
    generator = os.path.dirname(resolve_model("generator", backend="onnx").onnx)
    with pytest.raises(ValueError, match="not a detector"):
        DetectorModelHandler(generator)
    with pytest.raises(ArgumentError, match="batch_size"):
        DetectorModelHandler(export, batch_size=0)


def test_beam_options_are_checked_and_the_runner_defaults_to_fnapirunner():
    from apache_beam.options.pipeline_options import StandardOptions

    from upconv_tf.errors import ArgumentError
    from upconv_tf.scoring import pipeline_options

    assert pipeline_options([]).view_as(StandardOptions).runner == "FnApiRunner"
    assert pipeline_options(["--runner=DirectRunner"]).view_as(StandardOptions).runner == "FnApiRunner"
    assert pipeline_options(["--runner", "DataflowRunner"]).view_as(StandardOptions).runner == "DataflowRunner"
    with pytest.raises(ArgumentError, match="unknown Beam option.*--direct_num_worker\\b"):
        pipeline_options(["--direct_num_worker=2"])
    with pytest.raises(ArgumentError, match="not a Beam option: oops"):
        pipeline_options(["--project", "p", "oops"])


def test_every_kind_of_bad_file_is_skipped_with_detects_record(photos, tmp_path):
    """The bad-input folder (links, FIFO, device, bombs, truncations, NaN TIFF, 16-bit, EXIF...): as a folder
    and as a glob, the pipeline reports each file exactly as ``detect`` does (here every image is smaller than
    the shipped detector's 192 px crop, so nothing is usable in either)."""
    from test_bad_inputs_files import build_bad_folder

    from upconv_tf.errors import NoUsableImages
    from upconv_tf.runtime import load_predictor
    from upconv_tf.scoring import score
    from upconv_tf.workflows.detect import detect

    folder = tmp_path / "images"
    folder.mkdir()
    build_bad_folder(folder, photos["astronaut"])
    predictor = load_predictor(MODEL, backend="onnx")
    for given in ([str(folder)], sorted(str(path) for path in folder.iterdir() if path.is_file() or path.is_symlink())):
        with pytest.raises(NoUsableImages) as by_detect:
            detect(given, (predictor, MODEL))
        with pytest.raises(NoUsableImages) as by_beam:
            score(given, MODEL, str(tmp_path / "out" / "run"))
        records = [sorted((item.as_record() for item in caught.value.skipped), key=lambda r: r["path"])
                   for caught in (by_detect, by_beam)]
        assert records[0] == records[1]
        assert {record["code"] for record in records[1]} >= {"empty", "unreadable", "decode-error", "too-large",
                                                             "bad-pixels", "not-a-file", "too-small"}
