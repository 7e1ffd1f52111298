"""ImageFolderExampleGen: image folders (``real/``, ``fake/``) -> train/eval tf.Examples."""


import hashlib
import logging
import os

from tfx import v1 as tfx
from tfx.types import artifact_utils

from tfx_pipeline import configs
from tfx_pipeline.components import records as rec

Examples = tfx.types.standard_artifacts.Examples


def source_key(relative_path: str) -> str:
    """Group key of a file below its label folder: its first sub-folder, else the photo ``NAME`` of a crop
    named ``NAME_0001.png`` (``upconv_tf.detection.files.numbered_prefix``), else its file name without
    extension. Files of one source (e.g. crops of one photo and their generated twins) share a split, and real
    sources set the detector's threshold for a source never seen."""
    from upconv_tf.detection.files import numbered_prefix

    parts = relative_path.replace(os.sep, "/").split("/")
    if len(parts) > 1:
        return parts[0]
    return numbered_prefix(parts[0]) or os.path.splitext(parts[0])[0]


def split_of(source: str, eval_percent: int) -> str:
    """Deterministic split of a source: its hash modulo 100 against ``eval_percent``."""
    bucket = int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) % 100
    return "eval" if bucket < eval_percent else "train"


def _labelled_files(data_root):
    from upconv_tf.datasets import list_images

    for label_name, label in sorted(configs.LABEL_FOLDERS.items()):
        folder = os.path.join(data_root, label_name)
        if not os.path.isdir(folder):
            raise ValueError(f"data_root {data_root!r} has no {label_name}/ folder (expected real/ and fake/).")
        for path in list_images(folder):
            yield label, os.path.relpath(path, folder), path


@tfx.dsl.components.component
def ImageFolderExampleGen(
    examples: tfx.dsl.components.OutputArtifact[Examples],
    data_root: tfx.dsl.components.Parameter[str],
    image_size: tfx.dsl.components.Parameter[int],
    size_policy: tfx.dsl.components.Parameter[str],
    eval_percent: tfx.dsl.components.Parameter[int],
    fingerprint: tfx.dsl.components.Parameter[str],
):
    """Read ``data_root/real`` and ``data_root/fake`` into gzipped tf.Examples (``records`` layout).

    Images are decoded with ``upconv_tf.datasets`` and brought to ``image_size`` px by ``size_policy``;
    unreadable or too-small files are skipped and listed in ``skipped.json``. ``fingerprint`` (the data version,
    by default a hash of the folder listing) only serves the cache: new data gives a new execution.
    ``data_root`` is a file-system path (on Vertex: a /gcs/ FUSE path).
    """
    from upconv_tf.datasets import ImageLoadError, fit_to_size, load_image

    del fingerprint
    if not 0 < eval_percent < 100:
        raise ValueError(f"eval_percent must be in 1..99. Received: eval_percent={eval_percent}")
    buckets = {split: [] for split in rec.SPLITS}
    skipped = []
    for label, relative, path in _labelled_files(data_root):
        try:
            image = fit_to_size(load_image(path), image_size, size_policy, path)
        except ImageLoadError as error:
            skipped.append({"path": error.path, "reason": error.reason})
            logging.warning("skipped %s: %s", error.path, error.reason)
            continue
        source = source_key(relative)
        record = {"image": rec.encode_png(image), "label": label, "source": source,
                  "path": os.path.relpath(path, data_root)}
        buckets[split_of(source, eval_percent)].append(record)
    counts = {}
    for split, records in buckets.items():
        labels = {record["label"] for record in records}
        if labels != set(configs.LABEL_FOLDERS.values()):
            raise ValueError(
                f"The {split} split of {data_root!r} has labels {sorted(labels)}; it needs real and fake images "
                f"(add images from more sources, or change eval_percent={eval_percent})."
            )
        counts[split] = rec.write_split(examples.uri, split, records)
    examples.split_names = artifact_utils.encode_split_names(list(rec.SPLITS))
    rec.write_json(skipped, os.path.join(examples.uri, "skipped.json"))
    for split, count in counts.items():
        examples.set_int_custom_property(f"{split}_count", count)
    examples.set_int_custom_property("skipped_count", len(skipped))
    logging.info("ingested %s from %s (%d skipped)", counts, data_root, len(skipped))

