"""Training-time augmentation: crops away from the top-left corner, re-encoded twins, determinism."""

import numpy as np
import pytest

from upconv_tf.datasets.augment import (
    TREATMENTS,
    Augmentation,
    augment_image,
    crop_offsets,
    encode,
    parse_treatment,
    reencode,
)


@pytest.fixture(scope="module")
def photo():
    from upconv_tf.datasets import bundled_photos

    image = next(p for p in bundled_photos().values() if min(p.shape[:2]) >= 300)
    return np.asarray(image[:300, :280], np.float32) / 255.0


def test_crop_offsets_start_at_the_centre_and_never_go_up_and_left():
    offsets = crop_offsets(300, 280, 192, count=6, max_offset=48)
    centre = ((300 - 192) // 2, (280 - 192) // 2)
    assert offsets[0] == centre and len(offsets) == 6 and len(set(offsets)) == 6
    for top, left in offsets:
        assert not (top < centre[0] and left < centre[1])  # the top-left corner holds service logos
        assert 0 <= top <= 300 - 192 and 0 <= left <= 280 - 192
    assert max(abs(top - centre[0]) for top, _ in offsets) == 48
    # A side without margin keeps its centre; coinciding positions are given once.
    assert crop_offsets(64, 64, 64, count=5) == [(0, 0)]
    assert crop_offsets(64, 100, 64, count=5) == [(0, 18), (0, 36), (0, 0)]
    with pytest.raises(ValueError, match="smaller than the 64 px crop"):
        crop_offsets(60, 100, 64)
    with pytest.raises(ValueError, match="count"):
        crop_offsets(300, 300, 64, count=7)


def test_augment_image_crops_twins_and_determinism(photo):
    augmentation = Augmentation(crops=5, twins=1)
    crops, original = augment_image(photo, 192, augmentation, seed=3, index=7)
    assert crops.shape == (10, 192, 192, 3) and crops.dtype == np.float32
    assert original.tolist() == [True, False] * 5
    for (top, left), crop in zip(crop_offsets(300, 280, 192, 5), crops[original]):
        np.testing.assert_array_equal(crop, photo[top:top + 192, left:left + 192])
    twins = crops[~original]
    assert twins.min() >= 0 and twins.max() <= 1
    again, _ = augment_image(photo, 192, augmentation, seed=3, index=7)
    np.testing.assert_array_equal(crops, again)  # the same seed and image give the same rows
    other, _ = augment_image(photo, 192, augmentation, seed=3, index=8)
    assert not np.array_equal(other[~original], twins)  # another image draws other treatments


def test_twins_are_treated_as_the_probabilities_say(photo):
    always_jpeg = Augmentation(crops=1, twins=20, jpeg=1.0, webp=0.0, resize=0.0, quality=(60, 60))
    crops, original = augment_image(photo, 128, always_jpeg, seed=0)
    crop = crops[0]
    for twin in crops[~original]:
        assert 0 < np.abs(twin - crop).mean() < 0.05  # lossy, but the same picture
    untouched = Augmentation(crops=1, twins=3, jpeg=0.0, webp=0.0, resize=0.0)
    crops, original = augment_image(photo, 128, untouched, seed=0)
    assert all(np.array_equal(twin, crops[0]) for twin in crops[1:])
    resized = Augmentation(crops=1, twins=4, jpeg=0.0, webp=0.0, resize=1.0, scale=(0.5, 0.6))
    crops, _ = augment_image(photo, 128, resized, seed=0)
    assert all(not np.array_equal(twin, crops[0]) for twin in crops[1:])
    # An image exactly the crop's size cannot be down-scaled: its twins stay crops of it.
    small = photo[:128, :128]
    crops, _ = augment_image(small, 128, resized, seed=0)
    assert crops.shape[0] == 5 and all(np.array_equal(twin, small) for twin in crops[1:])


def test_treatments_parse_and_reencode(photo):
    assert parse_treatment("none") is None
    assert parse_treatment("jpeg90") == ("jpeg", 90, "420")
    assert parse_treatment("jpeg75-444") == ("jpeg", 75, "444")
    assert parse_treatment("webp80") == ("webp", 80, None)
    for bad in ("png", "jpeg0", "jpeg101", "webp80-420", "jpeg"):
        with pytest.raises(ValueError, match="treatment"):
            parse_treatment(bad)
    crop = photo[:64, :64]
    np.testing.assert_array_equal(reencode(crop, "none"), crop)
    errors = {t: np.abs(reencode(crop, t) - crop).mean() for t in TREATMENTS[1:]}
    assert all(value > 0 for value in errors.values())
    assert errors["jpeg75"] > errors["jpeg90"]  # lower quality, larger change
    gray = encode(crop[..., :1], "jpeg", 90)
    assert gray.shape == (64, 64, 1)


def test_augmentation_validates_its_settings():
    for bad in ({"crops": 0}, {"crops": 7}, {"twins": -1}, {"jpeg": 0.7, "webp": 0.5}, {"resize": 2.0},
                {"quality": (0, 90)}, {"quality": (90, 60)}, {"scale": (0.0, 1.0)}):
        with pytest.raises(ValueError):
            Augmentation(**bad)
    assert Augmentation().per_image == 10
