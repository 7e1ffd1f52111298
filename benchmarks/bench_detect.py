"""End-to-end detection throughput (images/s), from arrays and from files on disk (decode included).

One :class:`upconv_tf.detection.SpectralDetector` (SVM, ``mode="reference"``, min-max features) is fitted
on 128 px bundled-photo crops against :func:`upconv_tf.fakes.make_fakes` transposed-convolution fakes,
then exported with :func:`upconv_tf.export.export_detector` at 128, 256 and 1024 px (float64 inside, the
default, and ``compute_dtype="float32"``). At 256 and 1024 px the profile is resampled to the detector's
length, in every path alike. Paths:

* ``reference``: the published pipeline: features one image at a time (:mod:`upconv_tf.reference_impl`,
  resampled and min-max normalised as the detector's), then the fitted scaler + SVM on them;
* ``python``: ``SpectralDetector.predict_proba`` (numpy features, scikit-learn);
* ``saved_model`` / ``saved_model_f32``: :class:`upconv_tf.runtime.SavedModelDetector`;
* ``onnx`` / ``onnx_f32``: :class:`upconv_tf.runtime.OnnxDetector` (onnxruntime on the CPU, the four-step
  MatMul DFT of :mod:`upconv_tf.layers.dft`, the runners' default session options).

Exported runners get the same batches (``RUN_BATCH``: about 1 M pixels at 128 and 256 px).

From files (PNG, center crop at native size): ``reference`` and ``python`` read with the foundation
loader (:func:`upconv_tf.datasets.iter_batches`, PIL, one file after another, as ``upconv-tf detect``);
``python_fast``, ``saved_model`` and ``onnx`` read with :func:`upconv_tf.datasets.iter_batches_parallel`
(tf.data, parallel). ``decode_loader`` / ``decode_fast`` time reading alone (PNG and JPEG), which shows
where decoding dominates.

Targets: SavedModel >= 5x the reference pipeline; ONNX >= SavedModel at 128 and 256 px (1024 px reported).

Run: ``python benchmarks/bench_detect.py [--quick]`` -> ``benchmarks/results/detect.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import numpy as np  # noqa: E402

SIZES = {128: 128, 256: 32, 1024: 8}  # size -> number of files / images
RUN_BATCH = {128: 64, 256: 16, 1024: 2}  # batch size of the exported runners
ONNX_TARGET_SIZES = (128, 256)
REFERENCE_SHARE = 4  # the reference processes 1/4 of the images per call (it is slow)
TRAIN_SIZE, TRAIN_COUNT = 128, 96
TARGET = 5.0


def fit_detector():
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.detection import SpectralDetector
    from upconv_tf.fakes import make_fakes

    real = bundled_crops(TRAIN_SIZE, TRAIN_COUNT, seed=0).images
    fake = make_fakes(real, "transconv", seed=0)
    labels = np.r_[np.zeros(len(real)), np.ones(len(fake))].astype(int)
    return SpectralDetector(classifier="svm", random_state=0).fit(np.concatenate([real, fake]), labels)


def write_files(folder, size, count):
    """``count`` PNG and JPEG files of ``size`` px (bundled photos resized, then cropped)."""
    from PIL import Image

    from upconv_tf.datasets import bundled_photos

    photos = list(bundled_photos().values())
    rng = np.random.default_rng(size)
    pngs, jpegs = [], []
    for i in range(count):
        photo = Image.fromarray(photos[i % len(photos)])
        scale = size * rng.uniform(1.0, 1.25) / min(photo.size)
        photo = photo.resize((max(size, round(photo.width * scale)), max(size, round(photo.height * scale))),
                             Image.BICUBIC)
        pngs.append(os.path.join(folder, f"img_{size}_{i:04d}.png"))
        jpegs.append(os.path.join(folder, f"img_{size}_{i:04d}.jpg"))
        photo.save(pngs[-1])
        photo.save(jpegs[-1], quality=95)
    return pngs, jpegs


def reference_probability(detector, images):
    """The published pipeline: one image at a time to a profile, then the fitted scaler + classifier."""
    from upconv_tf import spectral
    from upconv_tf.reference_impl import reference_profile

    profiles = [reference_profile(image.astype(np.float64)) for image in images]
    features = spectral.normalize_profile(spectral.resample_profile(np.stack(profiles), detector.num_bins_),
                                          detector.normalize)
    return detector.predict_proba(features)[:, 1]


def build(size, detector, folder, quick=False):
    """``({name: (function, images_per_call)}, outputs on the array batch)`` for one size."""
    from upconv_tf.datasets import iter_batches, iter_batches_parallel, iter_images, load_folder
    from upconv_tf.export import export_detector
    from upconv_tf.runtime import OnnxDetector, SavedModelDetector

    count, batch = SIZES[size], RUN_BATCH[size]
    pngs, jpegs = write_files(folder, size, count)
    images = load_folder(*pngs, size=size).images
    few_images, few_files = images[: count // REFERENCE_SHARE], pngs[: count // REFERENCE_SHARE]
    runners = {}
    for suffix, dtype in (("", "float64"), ("_f32", "float32")):
        result = export_detector(detector, os.path.join(folder, f"detector_{size}{suffix}"), image_size=size,
                                 compute_dtype=dtype)
        runners[f"saved_model{suffix}"] = SavedModelDetector(result.saved_model)
        runners[f"onnx{suffix}"] = OnnxDetector(result.onnx)

    def from_files(predict, reader):
        return lambda: [predict(batch_images) for batch_images, _ in reader(pngs, size, batch, errors=[])]

    candidates = {
        "arrays/reference": (lambda: reference_probability(detector, few_images), len(few_images)),
        "arrays/python": (lambda: detector.predict_proba(images)[:, 1], count),
        "files/reference": (lambda: reference_probability(
            detector, [image for _, image in iter_images(few_files, size, errors=[])]), len(few_files)),
        "files/python": (from_files(lambda x: detector.predict_proba(x)[:, 1], iter_batches), count),
        "files/python_fast": (from_files(lambda x: detector.predict_proba(x)[:, 1], iter_batches_parallel), count),
        "decode_loader/png": (lambda: list(iter_batches(pngs, size, batch, errors=[])), count),
        "decode_fast/png": (lambda: list(iter_batches_parallel(pngs, size, batch, errors=[])), count),
        "decode_loader/jpeg": (lambda: list(iter_batches(jpegs, size, batch, errors=[])), count),
        "decode_fast/jpeg": (lambda: list(iter_batches_parallel(jpegs, size, batch, errors=[])), count),
    }
    for name, runner in runners.items():
        candidates[f"arrays/{name}"] = ((lambda r=runner: r.probability(images, batch)), count)
        if not name.endswith("_f32"):
            candidates[f"files/{name}"] = (from_files(lambda x, r=runner: r.probability(x, batch), iter_batches_parallel),
                                           count)
    outputs = {"python": detector.predict_proba(images)[:, 1],
               "reference": reference_probability(detector, images)}
    outputs.update({name: runner.probability(images, batch) for name, runner in runners.items()})
    return candidates, outputs


def summarize(rates, size):
    rate = {name: value["per_second"] for name, value in rates.items()}
    ratios, targets = {}, {}
    for source in ("arrays", "files"):
        reference = rate[f"{source}/reference"]
        for name in ("python", "python_fast", "saved_model", "saved_model_f32", "onnx", "onnx_f32"):
            if f"{source}/{name}" in rate:
                ratios[f"{source}/{name}_vs_reference"] = rate[f"{source}/{name}"] / reference
        ratios[f"{source}/onnx_vs_saved_model"] = rate[f"{source}/onnx"] / rate[f"{source}/saved_model"]
        targets[f"{source}/saved_model_vs_reference"] = {
            "value": ratios[f"{source}/saved_model_vs_reference"], "target": TARGET,
            "met": ratios[f"{source}/saved_model_vs_reference"] >= TARGET}
        if size in ONNX_TARGET_SIZES:
            targets[f"{source}/onnx_vs_saved_model"] = {
                "value": ratios[f"{source}/onnx_vs_saved_model"], "target": 1.0,
                "met": ratios[f"{source}/onnx_vs_saved_model"] >= 1.0}
    for kind in ("png", "jpeg"):
        ratios[f"decode_fast_vs_loader/{kind}"] = rate[f"decode_fast/{kind}"] / rate[f"decode_loader/{kind}"]
    # Share of the end-to-end time spent reading files (decode time / total time per image).
    ratios["decode_share/python"] = rate["files/python"] / rate["decode_loader/png"]
    for name in ("python_fast", "saved_model", "onnx"):
        ratios[f"decode_share/{name}"] = rate[f"files/{name}"] / rate["decode_fast/png"]
    return ratios, targets


def main(argv=None) -> int:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    detector = fit_detector()
    data = {"environment": harness.environment(), "timing": harness.timing(args.quick),
            "detector": {"classifier": detector.classifier, "mode": detector.mode, "normalize": detector.normalize,
                         "num_bins": int(detector.num_bins_), "train_size": TRAIN_SIZE},
            "sizes": {}, "targets": {}}
    with tempfile.TemporaryDirectory(prefix="upconv-bench-") as folder:
        for size in SIZES:
            candidates, outputs = build(size, detector, folder, args.quick)
            rates = harness.measure(candidates, **harness.timing(args.quick))
            ratios, targets = summarize(rates, size)
            agreement = {name: float(np.abs(value - outputs["python"]).max()) for name, value in outputs.items()}
            data["sizes"][str(size)] = {"images": SIZES[size], "run_batch": RUN_BATCH[size],
                                        "images_per_second": rates, "ratios": ratios,
                                        "max_probability_difference_vs_python": agreement}
            data["targets"].update({f"{name}@{size}": value for name, value in targets.items()})
            print(size, {name: round(value["per_second"], 1) for name, value in rates.items()}, flush=True)
    harness.save("detect", data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
