"""How far exported models are from the models they came from, on this machine.

``python -m upconv_tf.export.parity`` fits SVM, logistic-regression and k-means detectors on bundled crops
(real vs transposed-convolution and nearest fakes) at each ``--sizes``, exports them, and prints the largest
absolute difference of P(generated) between scikit-learn and (a) onnxruntime, (b) the SavedModel reloaded with
``tf.saved_model.load``, on held-out crops with bilinear and zero-insertion fakes; then the largest relative
difference between Keras and onnxruntime / the SavedModel for a small generator of each up-sampling kind.
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np


def _crops(size, count, seed, kinds):
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.fakes import make_fakes

    real = bundled_crops(size, count, seed=seed).images
    parts = np.array_split(bundled_crops(size, count, seed=seed + 1).images, len(kinds))
    fake = np.concatenate([make_fakes(part, kind, seed=seed) for part, kind in zip(parts, kinds)])
    return np.concatenate([real, fake]), np.r_[np.zeros(count), np.ones(count)]


def detector_parity(size, classifier, count=24):
    """{"onnx", "savedmodel"}: max |P - P_sklearn| on held-out crops."""
    import tensorflow as tf

    from upconv_tf.detection import SpectralDetector
    from upconv_tf.export import export_detector
    from upconv_tf.inference import OnnxDetector

    X, y = _crops(size, count, 0, ["transconv", "nearest"])
    test, _ = _crops(size, 8, 10, ["bilinear", "zero"])
    detector = SpectralDetector(classifier, random_state=0).fit(X, y)
    expected = detector.predict_proba(test)[:, 1]
    with tempfile.TemporaryDirectory() as folder:
        result = export_detector(detector, folder, image_size=size)
        onnx = OnnxDetector(result.onnx).probability(test)
        signature = tf.saved_model.load(result.saved_model).signatures["serving_default"]
        saved = signature(images=tf.constant(test))["probability"].numpy()
    return {"onnx": float(np.abs(onnx - expected).max()), "savedmodel": float(np.abs(saved - expected).max()),
            "probability_range": [float(expected.min()), float(expected.max())]}


def generator_parity(upsampling, size=32):
    """{"onnx", "savedmodel"}: max |out - keras| / max |keras| for a random small generator."""
    import tensorflow as tf

    from upconv_tf.export import export_generator
    from upconv_tf.inference import OnnxGenerator
    from upconv_tf.models import build_generator

    generator = build_generator(size, latent_dim=16, upsampling=upsampling, dim=8)
    latent = np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32)
    expected = generator(latent, training=False).numpy()
    scale = np.abs(expected).max()
    with tempfile.TemporaryDirectory() as folder:
        result = export_generator(generator, folder)
        onnx = OnnxGenerator(result.onnx).generate(latent)
        signature = tf.saved_model.load(result.saved_model).signatures["serving_default"]
        saved = signature(latent=tf.constant(latent))["images"].numpy()
    return {"onnx": float(np.abs(onnx - expected).max() / scale), "savedmodel": float(np.abs(saved - expected).max() / scale)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    args = parser.parse_args(argv)
    print(f"{'detector':>10} {'size':>5} {'ONNX abs err':>13} {'SavedModel abs err':>19}  P range")
    for size in args.sizes:
        for classifier in ("svm", "logreg", "kmeans"):
            row = detector_parity(size, classifier)
            low, high = row["probability_range"]
            print(f"{classifier:>10} {size:>5} {row['onnx']:>13.2e} {row['savedmodel']:>19.2e}  {low:.3f}-{high:.3f}")
    print(f"{'generator':>10} {'size':>5} {'ONNX rel err':>13} {'SavedModel rel err':>19}")
    for upsampling in ("transconv", "nearest", "bilinear", "zero"):
        row = generator_parity(upsampling)
        print(f"{upsampling:>10} {32:>5} {row['onnx']:>13.2e} {row['savedmodel']:>19.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
