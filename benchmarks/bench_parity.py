"""How far exported models are from the models they came from, on this machine (float64 and float32 inside).

Fits SVM, logistic-regression and k-means detectors in both spectral modes on bundled crops (real vs
transposed-convolution and nearest fakes) at each ``--sizes``, exports them with
:func:`upconv_tf.export.export_detector` (``compute_dtype`` float64, the default, and float32), and records
the largest absolute difference of P(generated) between scikit-learn and (a) the ONNX model in onnxruntime
(:class:`upconv_tf.runtime.OnnxDetector`), (b) the SavedModel (:class:`upconv_tf.runtime.SavedModelDetector`),
on held-out crops with bilinear and zero-insertion fakes; then the largest relative difference between
Keras and ONNX / SavedModel for a small generator of each up-sampling kind and the auto-encoder.

Target: every float64 detector difference <= 1e-4 (the tests' tolerance); float32 is what it costs.

Run: ``python benchmarks/bench_parity.py [--quick] [--sizes 64 256]`` -> ``benchmarks/results/parity.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import numpy as np  # noqa: E402

TOLERANCE = 1e-4
CLASSIFIERS = ("svm", "logreg", "kmeans")
UPSAMPLINGS = ("transconv", "nearest", "bilinear", "zero")


def _crops(size, count, seed, kinds):
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.fakes import make_fakes

    real = bundled_crops(size, count, seed=seed).images
    parts = np.array_split(bundled_crops(size, count, seed=seed + 1).images, len(kinds))
    fake = np.concatenate([make_fakes(part, kind, seed=seed) for part, kind in zip(parts, kinds)])
    return np.concatenate([real, fake]), np.r_[np.zeros(count), np.ones(count)]


def detector_parity(size, classifier, mode, count=24):
    """``{dtype: {"onnx", "savedmodel"}}``: max |P - P_sklearn| on held-out crops, and the P range."""
    from upconv_tf.detection import SpectralDetector
    from upconv_tf.export import export_detector
    from upconv_tf.runtime import OnnxDetector, SavedModelDetector

    X, y = _crops(size, count, 0, ["transconv", "nearest"])
    test, _ = _crops(size, 8, 10, ["bilinear", "zero"])
    detector = SpectralDetector(classifier, mode=mode, random_state=0).fit(X, y)
    expected = detector.predict_proba(test)[:, 1]
    row = {"probability_range": [float(expected.min()), float(expected.max())]}
    with tempfile.TemporaryDirectory() as folder:
        for dtype in ("float64", "float32"):
            result = export_detector(detector, os.path.join(folder, dtype), image_size=size, compute_dtype=dtype)
            row[dtype] = {
                "onnx": float(np.abs(OnnxDetector(result.onnx).probability(test) - expected).max()),
                "savedmodel": float(np.abs(SavedModelDetector(result.saved_model).probability(test) - expected).max()),
            }
    return row


def generator_parity(model, input_shape):
    """``{"onnx", "savedmodel"}``: max |out - keras| / max |keras| for one generator or auto-encoder."""
    from upconv_tf.export import export_generator
    from upconv_tf.runtime import OnnxGenerator, SavedModelGenerator

    inputs = np.random.default_rng(0).standard_normal((8,) + tuple(input_shape)).astype(np.float32)
    expected = model(inputs, training=False).numpy()
    scale = np.abs(expected).max()
    with tempfile.TemporaryDirectory() as folder:
        result = export_generator(model, folder)
        onnx = OnnxGenerator(result.onnx).generate(inputs)
        saved = SavedModelGenerator(result.saved_model).generate(inputs)
    return {"onnx": float(np.abs(onnx - expected).max() / scale),
            "savedmodel": float(np.abs(saved - expected).max() / scale)}


def main(argv=None) -> int:
    arguments = harness.parser(__doc__.splitlines()[0])
    arguments.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    args = arguments.parse_args(argv)
    from upconv_tf.models import SpectralAutoencoder, build_generator

    sizes = [64] if args.quick else args.sizes
    data = {"environment": harness.environment(), "tolerance": TOLERANCE, "detectors": {}, "generators": {},
            "targets": {}}
    print(f"{'detector':>8} {'mode':>9} {'size':>5} {'ONNX f64':>9} {'SavedModel f64':>14} {'ONNX f32':>9} "
          f"{'SavedModel f32':>14}  P range")
    worst = 0.0
    for size in sizes:
        for mode in ("centered", "reference"):
            for classifier in CLASSIFIERS:
                row = detector_parity(size, classifier, mode)
                data["detectors"][f"{classifier}/{mode}/{size}"] = row
                worst = max(worst, row["float64"]["onnx"], row["float64"]["savedmodel"])
                low, high = row["probability_range"]
                print(f"{classifier:>8} {mode:>9} {size:>5} {row['float64']['onnx']:>9.1e} "
                      f"{row['float64']['savedmodel']:>14.1e} {row['float32']['onnx']:>9.1e} "
                      f"{row['float32']['savedmodel']:>14.1e}  {low:.3f}-{high:.3f}", flush=True)
    data["targets"]["detector_float64_max_abs_difference"] = {
        "value": worst, "target": TOLERANCE, "direction": "<=", "met": worst <= TOLERANCE}
    print(f"{'generator':>10} {'ONNX rel err':>13} {'SavedModel rel err':>19}")
    models = {kind: (build_generator(32, latent_dim=16, upsampling=kind, dim=8), (16,)) for kind in UPSAMPLINGS}
    autoencoder = SpectralAutoencoder(image_size=32)
    autoencoder(np.zeros((1, 32, 32, 3), np.float32))
    models["autoencoder"] = (autoencoder, (32, 32, 3))
    for name, (model, shape) in models.items():
        row = generator_parity(model, shape)
        data["generators"][name] = row
        print(f"{name:>10} {row['onnx']:>13.1e} {row['savedmodel']:>19.1e}", flush=True)
    harness.save("parity", data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
