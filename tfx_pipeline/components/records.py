"""The pipeline's tf.Example layout, reading/writing it in an Examples artifact's split folders, and
artifact file I/O that works on local paths and on cloud URIs (gs://... on Vertex / Kubeflow) alike.

Features of every example:

- ``image``: the image as PNG bytes (8-bit RGB; real and generated images share this encoding, so the codec
  leaves no class-specific trace in the spectrum);
- ``label``: 0 real, 1 generated (``configs.LABEL_FOLDERS``);
- ``source``: the group key that decided the split (sub-folder, else file name);
- ``path``: the file's path relative to the data root;
- ``profile`` (added by ``SpectralFeatures``): the detector's azimuthal-integral feature vector.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile

import numpy as np

SPLITS = ("train", "eval")
FILE_NAME = "data_tfrecord-00000-of-00001.gz"


def split_dir(uri: str, split: str) -> str:
    """TFX's folder for one split of an Examples artifact."""
    return os.path.join(uri, f"Split-{split}")


def encode_png(image: np.ndarray) -> bytes:
    """(H, W, 3) float in [0, 1] -> PNG bytes (the rounding ``upconv_tf.datasets.save_png`` uses)."""
    from PIL import Image

    pixels = np.clip(np.asarray(image) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes -> (H, W, 3) float32 in [0, 1]."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), np.float32) / 255.0


def make_example(record: dict):
    """A ``tf.train.Example`` from ``{"image": bytes, "label": int, "source": str, "path": str[, "profile"]}``."""
    import tensorflow as tf

    feature = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[record["image"]])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(record["label"])])),
        "source": tf.train.Feature(bytes_list=tf.train.BytesList(value=[record["source"].encode()])),
        "path": tf.train.Feature(bytes_list=tf.train.BytesList(value=[record["path"].encode()])),
    }
    if record.get("profile") is not None:
        values = np.asarray(record["profile"], np.float32).ravel().tolist()
        feature["profile"] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def write_split(uri: str, split: str, records) -> int:
    """Write ``records`` (dicts, see :func:`make_example`) as the gzipped TFRecord file of one split."""
    import tensorflow as tf

    folder = split_dir(uri, split)
    tf.io.gfile.makedirs(folder)
    count = 0
    with tf.io.TFRecordWriter(os.path.join(folder, FILE_NAME), options="GZIP") as writer:
        for record in records:
            writer.write(make_example(record).SerializeToString())
            count += 1
    return count


def split_files(uri: str, split: str) -> list:
    import tensorflow as tf

    return sorted(tf.io.gfile.glob(os.path.join(split_dir(uri, split), "*")))


def read_records(patterns) -> list:
    """Parse every example of the gzipped TFRecord files matching ``patterns`` (one glob or a list) into
    dicts with ``image`` (bytes), ``label``, ``source``, ``path`` and, when present, ``profile``."""
    import tensorflow as tf

    if isinstance(patterns, str):
        patterns = [patterns]
    files = sorted(f for pattern in patterns for f in tf.io.gfile.glob(pattern))
    records = []
    for raw in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator():
        example = tf.train.Example.FromString(raw)
        feature = example.features.feature
        record = {
            "image": feature["image"].bytes_list.value[0],
            "label": int(feature["label"].int64_list.value[0]),
            "source": feature["source"].bytes_list.value[0].decode(),
            "path": feature["path"].bytes_list.value[0].decode(),
        }
        if "profile" in feature:
            record["profile"] = np.asarray(feature["profile"].float_list.value, np.float64)
        records.append(record)
    return records


def images_and_labels(records) -> tuple:
    """Decode the images of ``records`` into one (N, H, W, 3) array, with their labels."""
    if not records:
        raise ValueError("No examples to decode.")
    images = np.stack([decode_png(record["image"]) for record in records])
    return images, np.array([record["label"] for record in records], np.int64)


def write_json(data, path: str) -> None:
    """Write ``data`` as JSON to a local path or a cloud URI (``tf.io.gfile``)."""
    import tensorflow as tf

    with tf.io.gfile.GFile(path, "w") as handle:
        handle.write(json.dumps(data, indent=1))


def read_json(path: str):
    import tensorflow as tf

    with tf.io.gfile.GFile(path) as handle:
        return json.loads(handle.read())


def _copy_tree(source: str, target: str) -> None:
    import tensorflow as tf

    for root, _, files in tf.io.gfile.walk(source):
        folder = os.path.join(target, os.path.relpath(root, source))
        tf.io.gfile.makedirs(folder)
        for name in files:
            tf.io.gfile.copy(os.path.join(root, name), os.path.join(folder, name), overwrite=True)


@contextlib.contextmanager
def local_folder(uri: str, upload: bool = False):
    """A local folder for ``uri``: ``uri`` itself when it is local; otherwise a temporary copy of it
    (downloaded), copied back to ``uri`` on a clean exit when ``upload`` (for libraries that need files)."""
    if "://" not in uri:
        os.makedirs(uri, exist_ok=True)
        yield uri
        return
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="upconv-artifact-") as folder:
        if tf.io.gfile.exists(uri):
            _copy_tree(uri, folder)
        yield folder
        if upload:
            _copy_tree(folder, uri)
