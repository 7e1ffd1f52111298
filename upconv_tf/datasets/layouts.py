"""Readers for common real-data layouts: CelebA (``img_align_celeba/`` + partition list) and TFRecords."""

from __future__ import annotations

import os

from upconv_tf.errors import ArgumentError

CELEBA_SPLITS = {"train": "0", "val": "1", "test": "2"}


def celeba_files(root, split: str | None = None) -> list:
    """Image paths of a CelebA-style folder, optionally one split of ``list_eval_partition.txt``.

    ``root`` holds ``img_align_celeba/`` (or the images directly) and, for ``split``, the partition
    file. CelebA images are 178 x 218 px: use ``policy="center-crop"`` with a size <= 178.
    """
    root = os.fspath(root)
    images = os.path.join(root, "img_align_celeba")
    folder = images if os.path.isdir(images) else root
    if not os.path.isdir(folder):
        raise ArgumentError("root", f"is not a folder. Received: root={root!r}")
    if split is None:
        from upconv_tf.datasets.folder import list_images

        return list_images(folder)
    if split not in CELEBA_SPLITS:
        raise ArgumentError("split", f"must be None or one of {tuple(CELEBA_SPLITS)}. Received: split={split!r}")
    partition = os.path.join(root, "list_eval_partition.txt")
    if not os.path.isfile(partition):
        raise ValueError(f"{partition}: missing; needed for split={split!r}")
    wanted = CELEBA_SPLITS[split]
    with open(partition) as handle:
        names = [line.split()[0] for line in handle if len(line.split()) == 2 and line.split()[1] == wanted]
    return [os.path.join(folder, name) for name in names]


def tfrecord_dataset(files, size: int, image_key: str = "image", label_key: str | None = None,
                     channels: int = 3):
    """A ``tf.data.Dataset`` of (size, size, channels) float32 images in [0, 1] (and labels) from
    TFRecords whose examples hold encoded images (PNG/JPEG bytes) under ``image_key``.

    Images are centre-cropped to ``size`` (the folder loader's default policy); smaller ones are
    padded by ``tf.image.resize_with_crop_or_pad``.
    """
    import tensorflow as tf

    features = {image_key: tf.io.FixedLenFeature([], tf.string)}
    if label_key:
        features[label_key] = tf.io.FixedLenFeature([], tf.int64)

    def parse(record):
        example = tf.io.parse_single_example(record, features)
        image = tf.io.decode_image(example[image_key], channels=channels, expand_animations=False)
        image = tf.image.convert_image_dtype(image, tf.float32)
        image = tf.image.resize_with_crop_or_pad(image, size, size)
        return (image, example[label_key]) if label_key else image

    return tf.data.TFRecordDataset(files).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
