"""Throughput of an exported detector: onnxruntime vs the TensorFlow SavedModel, same model, same run.

``python -m upconv_tf.export.speed --sizes 128 1024`` fits a small SVM detector on bundled crops (real vs
transposed-convolution fakes) at each size, exports it (SavedModel + ONNX) to a temporary folder and prints
images per second of both runners on the same batches (one timed run each after one warm-up batch).
Sizes above the bundled photos (1024 px) use 256 px crops resized up.
Absolute numbers depend on the machine and its load; compare the two columns of one run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np


def _throughput(function, images, batch_size, seconds):
    function(images[:batch_size])  # warm-up (graph building, session allocation)
    done, start = 0, time.perf_counter()
    while True:
        for i in range(0, len(images), batch_size):
            function(images[i:i + batch_size])
            done += len(images[i:i + batch_size])
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def _crops(size, count, seed):
    """Bundled crops; above the largest photo side, 256 px crops resized up (bicubic) to ``size``."""
    import tensorflow as tf

    from upconv_tf.datasets import bundled_crops

    try:
        return bundled_crops(size, count, seed=seed).images
    except ValueError:
        small = bundled_crops(256, count, seed=seed).images
        return np.clip(tf.image.resize(small, (size, size), "bicubic").numpy(), 0.0, 1.0).astype(np.float32)


def measure(size, classifier="svm", seconds=5.0, batch_size=None, compute_dtype="float64", count=24):
    """{"size", "tensorflow_img_s", "onnxruntime_img_s", "provider", "max_abs_difference"} for one size."""
    from upconv_tf.detection import SpectralDetector
    from upconv_tf.export import export_detector
    from upconv_tf.fakes import make_fakes
    from upconv_tf.inference import OnnxDetector, SavedModelDetector

    train = min(count, 16)
    real = _crops(size, train, 0)
    fake = make_fakes(_crops(size, train, 1), "transconv")
    detector = SpectralDetector(classifier, random_state=0).fit(np.concatenate([real, fake]),
                                                                 np.r_[np.zeros(train), np.ones(train)])
    images = _crops(size, count, 2)
    batch_size = batch_size or max(1, min(32, (1 << 22) // (size * size)))
    with tempfile.TemporaryDirectory() as folder:
        result = export_detector(detector, folder, image_size=size, compute_dtype=compute_dtype)
        onnx, saved = OnnxDetector(result.onnx), SavedModelDetector(result.saved_model)
        difference = float(np.abs(onnx.probability(images) - saved.probability(images)).max())
        tf_speed = _throughput(saved.probability, images, batch_size, seconds)
        ort_speed = _throughput(onnx.probability, images, batch_size, seconds)
    return {"size": size, "classifier": classifier, "compute_dtype": compute_dtype, "batch_size": batch_size,
            "tensorflow_img_s": round(tf_speed, 1), "onnxruntime_img_s": round(ort_speed, 1),
            "provider": onnx.provider, "max_abs_difference": difference}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--classifier", choices=("svm", "logreg", "kmeans"), default="svm")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per runner and size")
    parser.add_argument("--batch-size", type=int, help="default: about 4 M pixels per batch, at most 32")
    parser.add_argument("--compute-dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--json", dest="json_path", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows = [measure(size, args.classifier, args.seconds, args.batch_size, args.compute_dtype) for size in args.sizes]
    print(f"{'size':>6} {'TF SavedModel img/s':>20} {'ONNX Runtime img/s':>19} {'ORT/TF':>7}  provider")
    for row in rows:
        ratio = row["onnxruntime_img_s"] / row["tensorflow_img_s"]
        print(f"{row['size']:>6} {row['tensorflow_img_s']:>20} {row['onnxruntime_img_s']:>19} {ratio:>7.2f}  "
              f"{row['provider']}")
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
