"""Real images: bundled photos, reproducible crops, user folders, CelebA / TFRecord layouts, and the
Debian benchmark corpus."""

from upconv_tf.datasets.bundled import BUNDLED_NAMES, bundled_photos
from upconv_tf.datasets.crops import CropSet, sample_crops
from upconv_tf.datasets.decode import decode_image
from upconv_tf.datasets.fast import iter_batches_parallel
from upconv_tf.datasets.folder import (
    IMAGE_EXTENSIONS,
    FolderImages,
    ImageLoadError,
    fit_to_size,
    iter_batches,
    iter_images,
    list_images,
    load_folder,
    load_image,
    save_png,
)
from upconv_tf.datasets.layouts import celeba_files, tfrecord_dataset


def __getattr__(name):
    # The Debian benchmark corpus moved to upconv_tf.corpus (which imports this package): resolved on use.
    if name in ("CORPUS_PACKAGES", "build_corpus", "corpus_files"):
        from upconv_tf.corpus import debian

        return getattr(debian, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def bundled_crops(size: int = 64, count: int = 256, seed: int = 0, max_scale: float = 1.0) -> CropSet:
    """Random crops of the bundled photos: :func:`sample_crops` over :func:`bundled_photos`."""
    return sample_crops(bundled_photos(), size, count, seed=seed, max_scale=max_scale)


__all__ = [
    "BUNDLED_NAMES", "CORPUS_PACKAGES", "IMAGE_EXTENSIONS", "CropSet", "FolderImages", "ImageLoadError",
    "build_corpus", "bundled_crops", "bundled_photos", "celeba_files", "corpus_files", "decode_image", "fit_to_size",
    "iter_batches", "iter_batches_parallel", "iter_images", "list_images", "load_folder", "load_image", "sample_crops", "save_png",
    "tfrecord_dataset",
]
