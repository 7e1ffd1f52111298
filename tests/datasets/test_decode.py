"""One decoder: encoded bytes (or an open file) decode to exactly what ``load_image`` gives for the file, and every
bad file gets the same skip code and reason, whichever way it is read."""

import io
import os

import numpy as np
import pytest

from upconv_tf import errors as E
from upconv_tf.datasets import load_image
from upconv_tf.datasets.decode import decode_image, fit_to_size
from upconv_tf.errors import ImageLoadError


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory, photos):
    from test_bad_inputs_files import build_bad_folder

    folder = tmp_path_factory.mktemp("decode")
    good, bad = build_bad_folder(folder, photos["astronaut"])
    return folder, good, bad


def regular_files(folder, names):
    """The names that are regular files (links, FIFOs, devices and the locked file are the path loader's)."""
    return sorted(name for name in names if (folder / name).is_file() and not (folder / name).is_symlink()
                  and os.access(folder / name, os.R_OK) and name != "locked.png")


def outcome(read):
    try:
        return read()
    except ImageLoadError as error:
        return error.skipped.code, error.skipped.detail


def test_bytes_files_and_paths_decode_alike(bad_folder):
    folder, good, bad = bad_folder
    names = regular_files(folder, set(good) | set(bad))
    assert len(names) >= 20
    for name in names:
        path = str(folder / name)
        data = (folder / name).read_bytes()
        by_path = outcome(lambda: load_image(path))
        for by_other in (outcome(lambda: decode_image(data, path)), outcome(lambda: decode_image(io.BytesIO(data), path))):
            if isinstance(by_path, tuple):
                assert by_other == by_path, name
            else:
                assert isinstance(by_other, np.ndarray) and by_other.dtype == np.float32, name
                np.testing.assert_array_equal(by_other, by_path, err_msg=name)


def test_each_failure_has_its_code():
    assert outcome(lambda: decode_image(b"", "x.png")) == (E.EMPTY, "empty file (0 bytes)")
    assert outcome(lambda: decode_image(b"hello", "x.png"))[0] == E.UNREADABLE
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 200)).save(buffer, "PNG")
    assert outcome(lambda: decode_image(buffer.getvalue()[:-30], "x.png"))[0] == E.DECODE_ERROR
    assert outcome(lambda: decode_image(buffer.getvalue(), "x.png", max_pixels=1000))[0] == E.TOO_LARGE


def test_the_size_policy_crops_the_centre_at_native_resolution():
    image = np.random.default_rng(0).random((200, 300, 3)).astype(np.float32)
    np.testing.assert_array_equal(fit_to_size(image, 192), image[4:196, 54:246])
    with pytest.raises(ImageLoadError) as caught:
        fit_to_size(image, 256, path="wide.png")
    assert caught.value.skipped.as_record() == {"path": "wide.png", "code": "too-small", "crop": 256,
                                                "reason": "300 x 200 px is smaller than the 256 px crop",
                                                "size": [300, 200]}
