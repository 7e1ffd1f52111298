"""The parallel reader gives the foundation loader's images, order and errors, file for file."""

import os

import numpy as np
import pytest
from PIL import Image

from upconv_tf.datasets import ImageLoadError, iter_batches, list_images
from upconv_tf.datasets.fast import fast_route, iter_batches_parallel

SIZE = 48


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory, photos):
    """Every kind of file: fast-route PNG/JPEG, formats and modes TF must not decode, and broken files."""
    folder = tmp_path_factory.mktemp("mixed")
    rgb = next(p for p in photos.values() if min(p.shape[:2]) >= 128)[:96, :80]
    image = Image.fromarray(rgb)
    image.save(folder / "a_rgb.png")
    image.convert("RGBA").save(folder / "b_rgba.png")
    image.convert("L").save(folder / "c_gray.png")
    image.convert("P").save(folder / "d_palette.png")
    Image.fromarray((rgb[..., 0].astype(np.uint16) * 257)).save(folder / "e_16bit.png")
    image.save(folder / "f_rgb.jpg", quality=90)
    image.convert("L").save(folder / "g_gray.jpg", quality=90)
    image.save(folder / "h_progressive.jpg", quality=85, progressive=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the loader transposes it
    image.save(folder / "i_rotated.jpg", exif=exif)
    image.convert("CMYK").save(folder / "j_cmyk.jpg")
    image.save(folder / "k_photo.tiff")
    image.resize((40, 40)).save(folder / "l_small.png")
    (folder / "m_empty.png").write_bytes(b"")
    (folder / "n_text.png").write_bytes(b"not an image at all")
    data = (folder / "a_rgb.png").read_bytes()
    (folder / "o_truncated.png").write_bytes(data[: len(data) // 2])
    jpeg = (folder / "f_rgb.jpg").read_bytes()
    (folder / "p_truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    image.save(folder / "q_rgb2.png")
    return folder


def _collect(batches):
    batches = list(batches)
    return [b[0] for b in batches], [b[1] for b in batches]


@pytest.mark.parametrize("batch_size", [1, 4, 64])
def test_iter_batches_parallel_equal_iter_batches(mixed_folder, batch_size):
    paths = list_images(mixed_folder)
    expected_errors, errors = [], []
    expected = _collect(iter_batches(paths, SIZE, batch_size, errors=expected_errors))
    got = _collect(iter_batches_parallel(paths, SIZE, batch_size, errors=errors))
    assert got[1] == expected[1]
    for a, b in zip(got[0], expected[0]):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    assert errors == expected_errors
    assert {os.path.basename(item.path) for item in errors} >= {"l_small.png", "m_empty.png", "n_text.png",
                                                        "o_truncated.png", "p_truncated.jpg"}


def test_fast_route_takes_only_the_pngs_tensorflow_decodes_like_pil(mixed_folder):
    routed = {os.path.basename(p) for p in list_images(mixed_folder) if fast_route(p, SIZE)}
    assert routed >= {"a_rgb.png", "b_rgba.png", "c_gray.png", "q_rgb2.png"}
    assert not routed & {"d_palette.png", "e_16bit.png", "f_rgb.jpg", "i_rotated.jpg", "j_cmyk.jpg",
                         "k_photo.tiff", "l_small.png", "m_empty.png", "n_text.png"}
    assert not fast_route(str(mixed_folder / "a_rgb.png"), 200)  # smaller than the crop
    assert not fast_route(str(mixed_folder / "a_rgb.png"), SIZE, max_pixels=100)


def test_iter_batches_parallel_raise_without_an_error_list(mixed_folder):
    paths = [str(mixed_folder / "a_rgb.png"), str(mixed_folder / "n_text.png")]
    with pytest.raises(ImageLoadError, match="n_text.png"):
        list(iter_batches_parallel(paths, SIZE, 8))


def test_iter_batches_parallel_validate_batch_size_and_delegate_resize(mixed_folder):
    with pytest.raises(ValueError, match="batch_size"):
        list(iter_batches_parallel([], SIZE, 0))
    paths = [str(mixed_folder / "a_rgb.png"), str(mixed_folder / "f_rgb.jpg")]
    got = _collect(iter_batches_parallel(paths, 32, 8, policy="resize"))
    expected = _collect(iter_batches(paths, 32, 8, policy="resize"))
    np.testing.assert_array_equal(got[0][0], expected[0][0])
