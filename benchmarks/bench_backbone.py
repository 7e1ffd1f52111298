"""The visual prior's cost: EfficientNet-Lite0 (Keras and onnxruntime) and the hybrid detector's features.

* ``backbone``: the 1280 pooled features of :func:`upconv_tf.detection.hybrid.backbone` at 192 and 224 px, in
  batches of :data:`BATCH`: ``keras`` is the numpy path of the hybrid features
  (:func:`upconv_tf.detection.hybrid.backbone_features`: one ``tf.function``, float32), ``onnx`` the same graph
  exported with :func:`upconv_tf.export.onnx.function_to_onnx` (opset 17) and run by onnxruntime on the CPU with
  the runners' session options (:func:`upconv_tf.inference.session_options`).
* ``features``: ``SpectralFeatures(kind=...)`` of 192 px crops, ``"rings-cells-colour"`` (the default preset's)
  against ``"hybrid"`` (the hybrid preset's): what training and the Python path pay per image.
* ``export``: sizes on disk of a hybrid detector exported at 192 px (SVM on 64 images; the backbone's weights
  dominate).

Ratios from one run are what to compare (``harness``): ``onnx_vs_keras`` and ``hybrid_vs_default``.

Run: ``python benchmarks/bench_backbone.py [--quick]`` -> ``benchmarks/results/backbone.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import numpy as np  # noqa: E402

SIZES = (192, 224)
BATCH = 32
FEATURE_SIZE = 192


def folder_size(path) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


def main(argv=None) -> int:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    import onnxruntime as ort
    import tensorflow as tf

    from upconv_tf.datasets import bundled_crops
    from upconv_tf.detection import SpectralFeatures, detector_preset, hybrid
    from upconv_tf.export import export_detector
    from upconv_tf.export.onnx import function_to_onnx
    from upconv_tf.fakes import make_fakes
    from upconv_tf.inference import session_options

    timing = harness.timing(args.quick)
    data = {"environment": harness.environment(), "timing": timing, "batch": BATCH, "backbone": {}}
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="upconv-backbone-") as folder:
        for size in SIZES:
            images = rng.random((BATCH, size, size, 3), dtype=np.float32)
            spec = [tf.TensorSpec([None, size, size, 3], tf.float32, name="images")]
            graph = tf.function(lambda x: {"features": hybrid.backbone_graph(x)}, input_signature=spec)
            path = os.path.join(folder, f"backbone{size}.onnx")
            function_to_onnx(graph, spec, path, ["features"])
            session = ort.InferenceSession(path, session_options(), providers=["CPUExecutionProvider"])
            candidates = {"keras": (lambda x=images: hybrid.backbone_features(x), BATCH),
                          "onnx": (lambda x=images, s=session: s.run(None, {"images": x}), BATCH)}
            rates = harness.measure(candidates, **timing)
            ms = {name: 1000.0 / value["per_second"] for name, value in rates.items()}
            data["backbone"][str(size)] = {"images_per_second": rates, "ms_per_image": ms,
                                           "onnx_vs_keras": rates["onnx"]["per_second"] / rates["keras"]["per_second"]}
            print(size, "px backbone ms/image", {name: round(value, 1) for name, value in ms.items()}, flush=True)
        crops = bundled_crops(FEATURE_SIZE, BATCH, seed=0).images.astype(np.float32)
        kinds = ("rings-cells-colour", "hybrid")
        transformers = {kind: SpectralFeatures(kind=kind, size=FEATURE_SIZE) for kind in kinds}
        rates = harness.measure({kind: (lambda t=t: t.transform(crops), BATCH) for kind, t in transformers.items()},
                                **timing)
        ms = {kind: 1000.0 / value["per_second"] for kind, value in rates.items()}
        data["features"] = {"size": FEATURE_SIZE, "images_per_second": rates, "ms_per_image": ms,
                            "hybrid_vs_default": ms["hybrid"] / ms["rings-cells-colour"]}
        print(FEATURE_SIZE, "px features ms/image", {kind: round(value, 1) for kind, value in ms.items()}, flush=True)
        real = bundled_crops(FEATURE_SIZE, 32, seed=1).images
        fakes = make_fakes(bundled_crops(FEATURE_SIZE, 32, seed=2).images, "transconv")
        detector = detector_preset("hybrid").detector(random_state=0).fit(
            np.concatenate([real, fakes]), np.r_[np.zeros(32), np.ones(32)])
        result = export_detector(detector, os.path.join(folder, "hybrid"), image_size=FEATURE_SIZE)
        data["export"] = {"size": FEATURE_SIZE, "support_vectors": int(len(detector.classifier_.support_vectors_)),
                          "saved_model_bytes": folder_size(result.saved_model), "onnx_bytes": folder_size(result.onnx)}
        print("hybrid detector export bytes", data["export"], flush=True)
    harness.save("backbone", data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
