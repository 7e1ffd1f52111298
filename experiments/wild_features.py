"""Issue 13: parity of the ``"rings-cells-colour"`` features and of detectors on them, numpy vs SavedModel vs ONNX.

The features are defined once in the package (:mod:`upconv_tf.detection.rings_cells_colour`; in a graph by
:func:`upconv_tf.export.graph.colour_features`); this script only measures that every path computes the same:

* features: ``SpectralFeatures(kind="rings-cells-colour")`` (numpy) against the TensorFlow graph with ``rfft2d``
  (the SavedModel's) and against the ONNX file of the four-step MatMul graph (the exported ONNX model's), on
  real crops (``bundled_crops``) and on synthetic fakes of every up-sampler (``make_fakes``: bilinear ones have an
  exactly cancelled Nyquist row), RGB, gray (1 channel) and RGBA;
* probabilities: ``SpectralDetector(classifier, feature_kind="rings-cells-colour")`` trained on real crops against
  transposed-conv and nearest fakes, exported with :func:`upconv_tf.export.export_detector`, on held-out
  bilinear and zero-insertion fakes and real crops: scikit-learn vs SavedModel vs onnxruntime.

Run: ``python experiments/wild_features.py [--sizes 64 192 256 96x128]`` (about a minute per size on 2 cores);
prints one line per size and path. The research version of the definition (dense ring/cell matrices) is in git
history (commit 9894e5b); it put |f| = 56 of 192 px images in the wrong cell row (a float ``fftfreq`` rounded
below 7.0), which the package's integer cell map does not.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

KIND = "rings-cells-colour"
CLASSIFIERS = ("svm", "logreg", "kmeans")


def _size(text):
    height, _, width = text.partition("x")
    return int(height), int(width or height)


def _crops(height, width, count, seed):
    from upconv_tf.datasets import bundled_crops

    return bundled_crops(max(height, width), count, seed=seed).images[:, :height, :width].astype(np.float32)


def _fakes(images, kind, seed):
    from upconv_tf.fakes import make_fakes

    return make_fakes(images, kind, seed=seed)


def feature_parity(height, width, count=6):
    """Largest |TF rfft2d - numpy| and |ONNX (MatMul DFT) - numpy| of the features, per input family."""
    import onnxruntime as ort
    import tensorflow as tf

    from upconv_tf.detection import SpectralFeatures
    from upconv_tf.export.graph import colour_features
    from upconv_tf.export.onnx import function_to_onnx

    real = _crops(height, width, count, 0)
    families = {"real": real}
    for kind in ("transconv", "nearest", "bilinear", "zero"):
        families[kind] = _fakes(_crops(height, width, count, 1), kind, seed=0)
    families["gray"] = real[..., :1]
    families["rgba"] = np.concatenate([real, np.random.default_rng(0).random(real.shape[:3] + (1,), np.float32)], -1)
    numpy_features = SpectralFeatures(kind=KIND, size=(height, width))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, images in families.items():
            reference = numpy_features.transform(images)
            spec = [tf.TensorSpec([None, height, width, images.shape[-1]], tf.float32, name="images")]
            graphs = {fft: tf.function(lambda x, fft=fft: {"features": colour_features(x, "float64", fft)},
                                       input_signature=spec) for fft in ("rfft2d", "matmul")}
            saved = graphs["rfft2d"](tf.constant(images))["features"].numpy()
            path = os.path.join(folder, f"{name}.onnx")
            function_to_onnx(graphs["matmul"], spec, path, ["features"], float64_log=True)
            session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            onnx_out = session.run(None, {"images": images})[0]
            rows.append((name, np.abs(saved - reference).max(), np.abs(onnx_out - reference).max(),
                         np.abs(reference).max()))
    return rows


def probability_parity(height, width):
    """Largest |SavedModel - scikit-learn| and |ONNX - scikit-learn| of P(generated) per classifier."""
    import tensorflow as tf

    from upconv_tf.detection import SpectralDetector
    from upconv_tf.export import export_detector
    from upconv_tf.runtime import OnnxDetector

    real, source = _crops(height, width, 24, 0), _crops(height, width, 24, 1)
    X = np.concatenate([real, _fakes(source[:12], "transconv", 0), _fakes(source[12:], "nearest", 0)])
    y = np.r_[np.zeros(24), np.ones(24)]
    held = _crops(height, width, 12, 10)
    test = np.concatenate([held[:4], _fakes(held[4:8], "bilinear", 1), _fakes(held[8:], "zero", 1)])
    rows = []
    for classifier in CLASSIFIERS:
        detector = SpectralDetector(classifier, feature_kind=KIND, random_state=0).fit(X, y)
        expected = detector.predict_proba(test)[:, 1]
        with tempfile.TemporaryDirectory() as folder:
            result = export_detector(detector, folder, image_size=(height, width))
            serve = tf.saved_model.load(result.saved_model).signatures["serving_default"]
            saved = serve(images=tf.constant(test))["probability"].numpy()
            onnx_out = OnnxDetector(result.onnx).probability(test)
        rows.append((classifier, np.ptp(expected), np.abs(saved - expected).max(), np.abs(onnx_out - expected).max()))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=_size, default=[(64, 64), (192, 192), (256, 256), (96, 128)],
                        help="image sizes, N or HxW (default 64 192 256 96x128)")
    args = parser.parse_args(argv)
    for height, width in args.sizes:
        for name, saved, onnx_diff, scale in feature_parity(height, width):
            print(f"{height}x{width} features {name:9s}: max |SavedModel - numpy| {saved:.1e} dB, "
                  f"|ONNX - numpy| {onnx_diff:.1e} dB (largest |feature| {scale:.0f} dB)", flush=True)
        for classifier, spread, saved, onnx_diff in probability_parity(height, width):
            print(f"{height}x{width} probability {classifier:6s}: max |SavedModel - sklearn| {saved:.1e}, "
                  f"|ONNX - sklearn| {onnx_diff:.1e} (spread of P {spread:.2f})", flush=True)


if __name__ == "__main__":
    main()
