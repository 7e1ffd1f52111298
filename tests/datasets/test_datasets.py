import os

import numpy as np
import pytest
from PIL import Image

from upconv_tf import datasets


def test_bundled_photos_load_offline(photos):
    assert len(photos) >= 16
    assert set(datasets.BUNDLED_NAMES) == set(photos)
    for image in photos.values():
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert min(image.shape[:2]) >= 300


def test_crops_are_reproducible_and_keep_their_source(photos):
    a = datasets.sample_crops(photos, 64, 40, seed=3)
    b = datasets.sample_crops(photos, 64, 40, seed=3)
    c = datasets.sample_crops(photos, 64, 40, seed=4)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)
    assert a.images.shape == (40, 64, 64, 3) and a.images.dtype == np.float32
    assert 0 <= a.images.min() and a.images.max() <= 1
    for image, group, (top, left, side, _) in zip(a.images, a.groups, a.boxes):
        source = photos[a.sources[group]]
        np.testing.assert_array_equal(image, source[top:top + side, left:left + side] / np.float32(255))
    assert len(set(a.groups.tolist())) == len(photos)  # round robin uses every photo


def test_scaled_crops_are_resized(photos):
    crops = datasets.sample_crops(photos, 32, 10, seed=0, max_scale=4)
    assert crops.images.shape == (10, 32, 32, 3)
    assert (crops.boxes[:, 2] >= 32).all() and (crops.boxes[:, 2] > 32).any()


def test_crop_arguments_are_validated(photos):
    with pytest.raises(ValueError, match="size"):
        datasets.sample_crops(photos, 2, 3)
    with pytest.raises(ValueError, match="No photo"):
        datasets.sample_crops(photos, 5000, 3)


@pytest.fixture
def mixed_folder(tmp_path, photos):
    base = photos["astronaut"][:80, :96]
    Image.fromarray(base).save(tmp_path / "rgb.png")
    Image.fromarray(base).save(tmp_path / "photo.jpg", quality=95)
    Image.fromarray(np.dstack([base, np.full(base.shape[:2], 128, np.uint8)])).save(tmp_path / "rgba.png")
    Image.fromarray(base).convert("P").save(tmp_path / "palette.png")
    Image.fromarray(base[..., 0]).save(tmp_path / "gray.png")
    Image.fromarray((base[..., 0].astype(np.uint16) * 257)).save(tmp_path / "gray16.png")
    Image.fromarray(base).convert("CMYK").save(tmp_path / "cmyk.jpg")
    sub = tmp_path / "nested"
    sub.mkdir()
    Image.fromarray(base).save(sub / "deep.webp", lossless=True)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "notes.txt").write_text("not an image extension: a note, never read")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "tiny.png")
    with open(tmp_path / "rgb.png", "rb") as handle:
        (tmp_path / "truncated.png").write_bytes(handle.read()[:200])
    os.symlink(tmp_path / "missing.png", tmp_path / "broken.png")
    return tmp_path


def test_folder_loader_keeps_good_files_and_names_bad_ones(mixed_folder):
    result = datasets.load_folder(mixed_folder, size=64)
    names = sorted(os.path.basename(p) for p in result.paths)
    assert names == sorted(["rgb.png", "photo.jpg", "rgba.png", "palette.png", "gray.png", "gray16.png",
                            "cmyk.jpg", "deep.webp"])
    assert result.images.shape == (8, 64, 64, 3)
    bad = {os.path.basename(item.path): item for item in result.errors}
    assert set(bad) == {"empty.png", "text.png", "tiny.png", "truncated.png", "broken.png", "notes.txt"}
    assert bad["notes.txt"].code == "not-an-image"
    assert "empty" in bad["empty.png"].reason and "symbolic link" in bad["broken.png"].reason
    assert "smaller than" in bad["tiny.png"].reason
    assert {name: item.code for name, item in bad.items() if name not in ("truncated.png", "notes.txt")} == {
        "empty.png": "empty", "text.png": "unreadable", "tiny.png": "too-small", "broken.png": "not-a-file"}
    assert bad["tiny.png"].crop == 64 and min(bad["tiny.png"].size) < 64
    assert all("\n" not in item.reason for item in bad.values())


def test_loader_converts_modes_consistently(mixed_folder):
    rgb = datasets.load_image(mixed_folder / "rgb.png")
    np.testing.assert_allclose(datasets.load_image(mixed_folder / "rgba.png"), rgb)
    np.testing.assert_allclose(datasets.load_image(mixed_folder / "nested" / "deep.webp"), rgb)
    gray8 = datasets.load_image(mixed_folder / "gray.png")
    gray16 = datasets.load_image(mixed_folder / "gray16.png")
    np.testing.assert_allclose(gray16, gray8, atol=1e-6)
    np.testing.assert_allclose(gray8[..., 0], rgb[..., 0])


def test_exif_orientation_is_applied(tmp_path):
    image = np.zeros((20, 40, 3), np.uint8)
    image[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    Image.fromarray(image).save(tmp_path / "rotated.jpg", exif=exif.tobytes(), quality=100)
    loaded = datasets.load_image(tmp_path / "rotated.jpg")
    assert loaded.shape == (40, 20, 3)
    assert loaded[:10].mean() > 0.9 and loaded[-10:].mean() < 0.1  # white half now on top


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    Image.new("L", (9000, 9000)).save(tmp_path / "bomb.png", optimize=True)
    with pytest.raises(datasets.ImageLoadError, match="pixel limit"):
        datasets.load_image(tmp_path / "bomb.png", max_pixels=50_000_000)


def test_resize_policy_and_no_resize(mixed_folder):
    resized = datasets.load_folder(mixed_folder / "rgb.png", size=32, policy="resize")
    assert resized.images.shape == (1, 32, 32, 3)
    native = datasets.load_folder(mixed_folder / "rgb.png")
    assert native.images[0].shape == (80, 96, 3)


def test_celeba_layout(tmp_path, photos):
    folder = tmp_path / "img_align_celeba"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(photos["astronaut"][:218, :178]).save(folder / f"{i:06d}.jpg")
    (tmp_path / "list_eval_partition.txt").write_text("000000.jpg 0\n000001.jpg 1\n000002.jpg 0\n")
    assert [os.path.basename(p) for p in datasets.celeba_files(tmp_path, "train")] == ["000000.jpg", "000002.jpg"]
    assert len(datasets.celeba_files(tmp_path)) == 3
    with pytest.raises(ValueError, match="split"):
        datasets.celeba_files(tmp_path, "dev")


def test_tfrecord_dataset(tmp_path, photos):
    import io

    import tensorflow as tf

    path = str(tmp_path / "data.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for label in (0, 1):
            buffer = io.BytesIO()
            Image.fromarray(photos["coffee"][:100, :120]).save(buffer, format="PNG")
            feature = {"image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[buffer.getvalue()])),
                       "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label]))}
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    items = list(datasets.tfrecord_dataset([path], 64, label_key="label"))
    assert [int(label) for _, label in items] == [0, 1]
    expected = datasets.fit_to_size(photos["coffee"][:100, :120] / np.float32(255), 64)
    np.testing.assert_allclose(items[0][0].numpy(), expected, atol=1e-6)
