"""Bad files: every reader of image folders processes each good file and names each bad one with a one-line
reason (on stderr and in the JSON output), without a traceback, with the documented exit status
(0 all good, 2 some files skipped, 1 usage error / nothing usable).

One folder holds every kind of file we could think of (:func:`build_bad_folder`). Root reads ``chmod 000``
files, so when the tests run as root (CI does) the permission cases run with the effective user switched
to ``nobody`` (``os.seteuid``), in a folder that user can traverse.
"""

import contextlib
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import pytest
from PIL import Image

from upconv_tf import datasets
from upconv_tf.cli import main
from upconv_tf.errors import from_records

NOBODY = 65534
SIZE = 64  # every good file is at least 64 px on each side


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def raw_png(path, width, height, bit_depth, color_type, rows: bytes, compress=True):
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    data = zlib.compress(rows) if compress else rows
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data)
                     + png_chunk(b"IEND", b""))


def build_bad_folder(folder, photo):
    """Write every kind of good and bad file into ``folder``.

    Returns ``(good, bad)``: the names that must load, and ``{name: regex of the reason}`` for the others.
    The ``chmod 000`` file and folder are in neither: their outcome depends on the user (root reads them).
    """
    base = photo[:80, :96]  # non-square
    good, bad = set(), {}

    def add_good(name, image, **save):
        (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(folder / name, **save)
        good.add(name)

    add_good("rgb.png", base)
    add_good("photo.jpg", base, quality=90)
    add_good("rgba.png", np.dstack([base, np.full(base.shape[:2], 100, np.uint8)]))
    add_good("palette.png", Image.fromarray(base).convert("P"))
    add_good("palette_transparent.png", Image.fromarray(base).convert("P"), transparency=0)
    add_good("gray.png", base[..., 1])
    add_good("gray_alpha.png", Image.fromarray(base).convert("LA"))
    add_good("gray16.png", base[..., 1].astype(np.uint16) * 257)
    add_good("bilevel.png", Image.fromarray(base).convert("1"))
    add_good("cmyk.jpg", Image.fromarray(base).convert("CMYK"))
    add_good("float.tiff", base[..., 0].astype(np.float32) / 255)
    add_good("portrait.webp", photo[:120, :70], lossless=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated by 90 degrees
    add_good("exif_rotated.jpg", base, exif=exif.tobytes())
    rows = b"".join(b"\x00" + (base[r].astype(">u2") * 257).tobytes() for r in range(80))
    raw_png(folder / "rgb16.png", 96, 80, 16, 2, rows)  # 16-bit RGB
    good.add("rgb16.png")
    (folder / "nested" / "deeper").mkdir(parents=True)
    add_good("nested/deeper/inner.png", base)

    def add_bad(name, reason):
        bad[name] = reason

    (folder / "empty.png").write_bytes(b"")
    add_bad("empty.png", r"empty file \(0 bytes\)")
    (folder / "text.png").write_text("this is not an image\n")
    add_bad("text.png", r"not a readable image")
    jpeg = (folder / "photo.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    add_bad("truncated.jpg", r"cannot decode: image file is truncated")
    png = (folder / "rgb.png").read_bytes()
    (folder / "truncated.png").write_bytes(png[:300])
    add_bad("truncated.png", r"cannot decode")
    raw_png(folder / "corrupt.png", 96, 80, 8, 2, b"garbage!" * 64, compress=False)
    add_bad("corrupt.png", r"cannot decode")
    Image.fromarray(base[:4, :4]).save(folder / "tiny.png")
    add_bad("tiny.png", rf"4 x 4 px is smaller than the {SIZE} px crop")
    Image.fromarray(base[:50]).save(folder / "short.png")
    add_bad("short.png", rf"96 x 50 px is smaller than the {SIZE} px crop")
    # Decompression bombs: 20,000 x 20,000 in the header, a few hundred bytes on disk.
    raw_png(folder / "bomb.png", 20_000, 20_000, 8, 0, b"\x00" * 20_001 * 4)
    add_bad("bomb.png", r"decompression bomb")
    sof = jpeg.find(b"\xff\xc0")
    (folder / "bomb.jpg").write_bytes(jpeg[: sof + 5] + struct.pack(">HH", 20_000, 20_000) + jpeg[sof + 9:])
    add_bad("bomb.jpg", r"decompression bomb")
    nan = base[..., 0].astype(np.float32) / 255
    nan[10, 10] = np.nan
    Image.fromarray(nan).save(folder / "nan.tiff")
    add_bad("nan.tiff", r"NaN or infinite pixel values")
    os.symlink(folder / "does-not-exist.png", folder / "broken_link.png")
    add_bad("broken_link.png", r"broken \(or looping\) symbolic link")
    os.symlink(folder / "loop.png", folder / "loop.png")
    add_bad("loop.png", r"symbolic link")
    os.mkfifo(folder / "fifo.png")  # opening it would block forever
    add_bad("fifo.png", r"not a regular file \(a FIFO\)")
    os.symlink("/dev/zero", folder / "device.png")  # endless
    add_bad("device.png", r"not a regular file \(a device\)")
    (folder / "notes.txt").write_text("not an image extension: never read")
    add_bad("notes.txt", r"not an image file \(\.txt\)")  # a note (not-an-image), listed as "ignored"
    # Unreadable by anyone but root.
    Image.fromarray(base).save(folder / "locked.png")
    os.chmod(folder / "locked.png", 0)
    (folder / "private").mkdir()
    Image.fromarray(base).save(folder / "private" / "hidden.png")
    os.chmod(folder / "private", 0)
    return good, bad


def expected_outcome(good, bad, privileged):
    """Add the permission cases: loaded as root, refused otherwise."""
    good, bad = set(good), dict(bad)
    if privileged:
        good |= {"locked.png", "private/hidden.png"}
    else:
        bad["locked.png"] = r"permission denied"
        bad["private"] = r"cannot list folder: Permission denied"
    return good, bad


@contextlib.contextmanager
def unprivileged():
    """Run the block as ``nobody`` when running as root; yields whether we are still privileged (never)."""
    if os.geteuid() != 0:
        yield
        return
    try:
        os.setegid(NOBODY)
        os.seteuid(NOBODY)
    except OSError as error:  # e.g. a container without CAP_SETUID
        os.setegid(0)
        pytest.skip(f"running as root and cannot switch to an unprivileged user ({error}), so chmod 000 "
                    "files stay readable: the permission cases cannot be tested here")
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture(scope="module")
def bad_folder(photos):
    """(folder, good, bad) in a temporary folder that ``nobody`` can traverse (mode 0755)."""
    root = tempfile.mkdtemp(prefix="upconv-bad-files-")
    os.chmod(root, 0o755)
    folder = pathlib.Path(root) / "images"
    folder.mkdir()
    good, bad = build_bad_folder(folder, photos["astronaut"])
    out = folder.parent / "out"
    out.mkdir()
    os.chmod(out, 0o777)
    yield folder, good, bad
    os.chmod(folder / "private", 0o755)
    shutil.rmtree(root)


def relative(folder, path):
    return os.path.relpath(path, folder)


def check_errors(folder, errors, bad):
    """``errors`` (Skipped records) names exactly the bad files, each with a code and a one-line reason."""
    from upconv_tf.errors import CODES

    assert all(item.code in CODES for item in errors)
    reasons = {relative(folder, item.path): item.reason for item in errors}
    assert set(reasons) == set(bad), (sorted(reasons), sorted(bad))
    for name, pattern in bad.items():
        assert re.search(pattern, reasons[name]), (name, reasons[name])
        assert "\n" not in reasons[name] and "Traceback" not in reasons[name]


@pytest.mark.parametrize("privileged", [True, False], ids=["as-is", "unprivileged"])
def test_load_folder_keeps_good_files_and_names_bad_ones(bad_folder, privileged):
    folder, good, bad = bad_folder
    if os.geteuid() != 0 and privileged:
        pytest.skip("not running as root: the unprivileged case covers this user")
    good, bad = expected_outcome(good, bad, privileged and os.geteuid() == 0)
    with contextlib.nullcontext() if privileged else unprivileged():
        result = datasets.load_folder(folder, size=SIZE)
    assert sorted(relative(folder, p) for p in result.paths) == sorted(good)
    assert result.images.shape == (len(good), SIZE, SIZE, 3) and result.images.dtype == np.float32
    assert np.isfinite(result.images).all() and result.images.min() >= 0 and result.images.max() <= 1
    check_errors(folder, result.errors, bad)


def test_every_good_file_decodes_to_the_same_picture(bad_folder):
    folder, good, _ = bad_folder
    reference = datasets.load_image(folder / "rgb.png")
    for name in ("rgba.png", "rgb16.png", "nested/deeper/inner.png"):
        np.testing.assert_allclose(datasets.load_image(folder / name), reference, atol=1 / 255)
    for name in ("gray.png", "gray16.png", "gray_alpha.png", "float.tiff"):
        image = datasets.load_image(folder / name)
        assert image.shape == (80, 96, 3) and np.allclose(image[..., 0], image[..., 2])
    assert datasets.load_image(folder / "exif_rotated.jpg").shape == (96, 80, 3)  # EXIF rotation applied
    assert datasets.load_image(folder / "portrait.webp").shape == (120, 70, 3)
    cmyk = datasets.load_image(folder / "cmyk.jpg")
    assert np.abs(cmyk - reference).mean() < 0.05  # lossy, but the same picture


def test_unexpected_decoder_errors_become_one_line_reasons(bad_folder, monkeypatch):
    folder, _, _ = bad_folder

    def broken(image):
        raise KeyError("decoder bug")

    monkeypatch.setattr(datasets.decode.ImageOps, "exif_transpose", broken)
    with pytest.raises(datasets.ImageLoadError, match=r"rgb.png: cannot decode \(KeyError\): 'decoder bug'$"):
        datasets.load_image(folder / "rgb.png")


def test_unlistable_folder_warns_when_errors_are_not_collected(bad_folder):
    folder, _, _ = bad_folder
    with unprivileged(), pytest.warns(UserWarning, match="private: cannot list folder"):
        paths = datasets.list_images(folder)
    assert not any("hidden.png" in path for path in paths)


def run_spectrum(folder, json_path, *extra):
    return main(["spectrum", str(folder), "--size", str(SIZE), "--json", str(json_path), *extra])


def check_cli_output(folder, stderr, records, bad):
    """Each bad file: one ``skipped PATH: reason`` line on stderr (``ignored`` for the file that is not an image)
    and one JSON record; no traceback."""
    assert "Traceback" not in stderr
    listed = [line for line in stderr.splitlines() if line.startswith(("skipped ", "ignored "))]
    assert len(listed) == len(bad), listed
    for line in listed:
        verb, rest = line.split(" ", 1)
        path, reason = rest.split(": ", 1)
        assert (verb == "ignored") == path.endswith("notes.txt"), line
        assert re.search(bad[relative(folder, path)], reason), line
    check_errors(folder, from_records(records), bad)


@pytest.mark.parametrize("privileged", [True, False], ids=["as-is", "unprivileged"])
def test_spectrum_cli_on_the_bad_folder(bad_folder, capsys, privileged):
    folder, good, bad = bad_folder
    if os.geteuid() != 0 and privileged:
        pytest.skip("not running as root: the unprivileged case covers this user")
    good, bad = expected_outcome(good, bad, privileged and os.geteuid() == 0)
    json_path = folder.parent / "out" / f"spectrum-{privileged}.json"
    with contextlib.nullcontext() if privileged else unprivileged():
        status = run_spectrum(folder, json_path)
    assert status == 2  # finished, some files skipped
    captured = capsys.readouterr()
    stats = json.loads(json_path.read_text())["folders"][0]
    assert stats["count"] == len(good)
    assert np.isfinite(stats["mean"]).all() and len(stats["mean"]) == SIZE // 2
    check_cli_output(folder, captured.err, stats["skipped"], bad)


def test_spectrum_cli_subprocess_exit_codes(bad_folder, tmp_path, capsys):
    """The real command exits 2 with skipped files; 0 when all good, 1 for usage errors and nothing usable."""
    folder, good, bad = bad_folder
    good, bad = expected_outcome(good, bad, os.geteuid() == 0)
    result = subprocess.run([sys.executable, "-m", "upconv_tf", "spectrum", str(folder), "--size", str(SIZE),
                             "--json", str(tmp_path / "all.json")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    check_cli_output(folder, result.stderr, json.loads((tmp_path / "all.json").read_text())["folders"][0]["skipped"],
                     bad)
    assert main(["spectrum", str(folder / "rgb.png"), str(folder / "cmyk.jpg"), "--size", str(SIZE)]) == 0
    with pytest.raises(SystemExit) as usage:
        main(["spectrum", str(folder), "--size", "zero"])
    assert usage.value.code == 1
    assert capsys.readouterr().err.strip().endswith("argument --size: expected an integer, got 'zero'")
    assert main(["spectrum", str(folder / "text.png"), str(folder / "bomb.png"), "--json",
                 str(tmp_path / "none.json")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "upconv-tf spectrum: error: no usable image in the given folders"
    errors = {relative(folder, e["path"]) for f in json.loads((tmp_path / "none.json").read_text())["folders"]
              for e in f["skipped"]}
    assert errors == {"text.png", "bomb.png"}  # the JSON still names them


@pytest.fixture(scope="module")
def fake_folder(bad_folder, crops64):
    from upconv_tf.datasets import save_png
    from upconv_tf.fakes import make_fakes

    folder = bad_folder[0].parent / "fakes"
    for i, image in enumerate(make_fakes(crops64.images[:12], "transconv", seed=0)):
        save_png(image, folder / f"fake_{i:02d}.png")
    return folder


@pytest.fixture(scope="module")
def trained_detector(bad_folder, fake_folder):
    """``upconv-tf detector train`` with the bad folder as the real images: (status, stderr, detector folder)."""
    import io
    from contextlib import redirect_stderr

    folder = bad_folder[0]
    out = folder.parent / "detector"
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        status = main(["detector", "train", "--real", str(folder), "--fake", str(fake_folder), "--size", str(SIZE),
                       "--classifier", "logreg", "--no-export", "--out", str(out)])
    return status, stderr.getvalue(), out


def test_detector_train_cli_on_the_bad_folder(bad_folder, trained_detector):
    folder, good, bad = bad_folder
    good, bad = expected_outcome(good, bad, os.geteuid() == 0)
    status, stderr, out = trained_detector
    assert status == 2
    training = json.loads((out / "detector.json").read_text())["metadata"]["training"]
    assert training["real"] == len(good) and training["generated"] == 12 and len(training["skipped"]) == len(bad)
    check_cli_output(folder, stderr, training["skipped"], bad)


def test_detect_cli_on_the_bad_folder(bad_folder, trained_detector, capsys):
    folder, good, bad = bad_folder
    good, bad = expected_outcome(good, bad, os.geteuid() == 0)
    json_path = folder.parent / "out" / "detect.json"
    assert main(["detect", str(folder), "--model", str(trained_detector[2]), "--json", str(json_path)]) == 2
    result = json.loads(json_path.read_text())
    assert sorted(relative(folder, r["path"]) for r in result["results"]) == sorted(good)
    assert all(0 <= r["score"] <= 1 for r in result["results"])
    check_cli_output(folder, capsys.readouterr().err, result["skipped"], bad)


def test_train_gan_cli_on_the_bad_folder(bad_folder, capsys):
    folder, good, bad = bad_folder
    good, bad = expected_outcome(good, bad, os.geteuid() == 0)
    out = folder.parent / "gan"
    status = main(["train", "gan", "--data", str(folder), "--size", str(SIZE), "--policy", "center-crop",
                   "--dim", "8", "--latent-dim", "8", "--batch-size", "8", "--epochs", "1", "--steps-per-epoch", "1",
                   "--out", str(out)])
    assert status == 2
    assert (out / "generator.keras").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    check_cli_output(folder, capsys.readouterr().err, metrics["skipped"], bad)


def test_detector_train_native_sizes_skips_images_below_the_minimum(bad_folder, fake_folder, tmp_path, capsys):
    folder = bad_folder[0]
    real = [str(folder / name) for name in ("rgb.png", "tiny.png", "photo.jpg", "portrait.webp")]
    status = main(["detector", "train", "--real", *real, "--fake", str(fake_folder), "--policy", "none",
                   "--num-bins", "16", "--features", "azimuthal", "--classifier", "logreg", "--no-export", "--out",
                   str(tmp_path / "det")])
    assert status == 2
    err = capsys.readouterr().err
    assert re.search(r"skipped .*tiny.png: cannot compute features: Images must be at least 6 x 6 px", err)
    assert "Traceback" not in err
