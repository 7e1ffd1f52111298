"""Device check: the exported detector and generators run wholly on onnxruntime's CUDA provider, and how fast.

On a GPU machine (onnxruntime-gpu instead of onnxruntime, TensorFlow with CUDA: ``pip install -e '.[gpu]'``
after ``pip uninstall -y onnxruntime``), this script:

1. exports the detector of ``bench_detect.py`` (SVM, reference mode, float64 inside) at each ``--sizes``, a
   32 px generator of each up-sampling kind and the auto-encoder (:mod:`upconv_tf.export`);
2. runs each ONNX model with :class:`upconv_tf.runtime.OnnxDetector` / ``OnnxGenerator`` on
   ``CUDAExecutionProvider`` with session profiling and verbose logging, and reads where every node ran
   (:func:`placements` from the profile, :func:`missing_kernels` from the log);
3. fails when a node that computes data (any float output) ran on the CPU, or when onnxruntime reports an
   operator without a CUDA kernel; nodes that only compute shapes (int64/int32/bool outputs) may stay on the
   CPU, where onnxruntime puts them on purpose;
4. prints images per second of onnxruntime on CUDA against TensorFlow on the GPU (the SavedModel), in
   interleaved turns, and writes everything to ``--json``.

Exit status: 0 all nodes on the GPU; 1 a CPU fallback (listed); 2 no CUDA provider or no GPU (nothing
checked). Run: ``python benchmarks/gpu_check.py [--sizes 128 256 1024] [--json gpu_check.json]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

EXIT_OK, EXIT_FALLBACK, EXIT_NO_GPU = 0, 1, 2
CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"
SHAPE_TYPES = ("int64", "int32", "bool")  # outputs of shape computations, which may run on the CPU
UPSAMPLINGS = ("transconv", "nearest", "bilinear", "zero")
BATCH = {64: 256, 128: 64, 256: 16, 1024: 4}
_MISSING = re.compile(r"(?:CUDA kernel not found in registries|CUDA kernel not supported\. Fallback to CPU "
                      r"execution provider) for Op type: (\w+) node name: (\S*)")


def placements(events) -> list:
    """``[{"node", "op", "provider", "output_types"}]`` from an onnxruntime profile (its parsed JSON list).

    Each node run appears as a ``"cat": "Node"`` event whose ``args`` name the op and provider; the kernel
    events (``*_kernel_time``) are the ones that say where the node computed.
    """
    seen = {}
    for event in events:
        args = event.get("args") or {}
        if event.get("cat") != "Node" or "provider" not in args or not event.get("name", "").endswith("_kernel_time"):
            continue
        node = event["name"][: -len("_kernel_time")]
        types = []
        for output in args.get("output_type_shape") or []:
            types += list(output)  # [{"float": [2, 3]}, ...]
        seen[node] = {"node": node, "op": args.get("op_name", "?"), "provider": args["provider"],
                      "output_types": types}
    return list(seen.values())


def fallback_nodes(nodes) -> list:
    """The nodes that computed data on a provider other than CUDA (shape-only nodes excepted)."""
    return [node for node in nodes if node["provider"] != CUDA
            and not (node["output_types"] and all(kind in SHAPE_TYPES for kind in node["output_types"]))]


def missing_kernels(log_text: str) -> list:
    """``[(op_type, node_name)]`` that onnxruntime's verbose log reports as lacking a CUDA kernel."""
    return sorted(set(_MISSING.findall(log_text)))


@contextlib.contextmanager
def captured_stderr(path):
    """Redirect file descriptor 2 (where onnxruntime's C++ logger writes) to ``path``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "w") as handle:
        os.dup2(handle.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def check_model(runner_class, path, inputs, folder) -> dict:
    """Run one exported model on CUDA with profiling; returns its placements and fallbacks."""
    import onnxruntime

    from upconv_tf.runtime import session_options

    log_path = os.path.join(folder, "ort_verbose.log")
    runner = runner_class(path, providers=[CUDA, CPU])
    options = session_options(CUDA)
    options.enable_profiling = True
    options.profile_file_prefix = os.path.join(folder, "profile")
    options.log_severity_level = 0  # verbose: node placements and missing kernels
    with captured_stderr(log_path):
        onnxruntime.set_default_logger_severity(0)  # the partitioner logs through the default logger
        try:
            session = onnxruntime.InferenceSession(runner.path, options, providers=[CUDA, CPU])
            name = session.get_inputs()[0].name
            for _ in range(3):
                session.run(None, {name: inputs})
            profile = session.end_profiling()
        finally:
            onnxruntime.set_default_logger_severity(3)
    with open(profile) as handle:
        nodes = placements(json.load(handle))
    with open(log_path, errors="replace") as handle:
        missing = missing_kernels(handle.read())
    fallback = fallback_nodes(nodes)
    return {"provider": runner.provider, "nodes": len(nodes),
            "on_cuda": sum(node["provider"] == CUDA for node in nodes),
            "fallback": [f"{node['op']} ({node['node']}) on {node['provider']}" for node in fallback],
            "missing_kernels": [f"{op} ({node})" for op, node in missing], "runner": runner}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 1024], choices=sorted(BATCH))
    parser.add_argument("--json", dest="json_path", help="write the results to this file")
    parser.add_argument("--quick", action="store_true", help="shorter timing turns")
    args = parser.parse_args(argv)

    import numpy as np
    import onnxruntime

    if CUDA not in onnxruntime.get_available_providers():
        print(f"no {CUDA} in onnxruntime {onnxruntime.__version__} (providers: "
              f"{onnxruntime.get_available_providers()}): install onnxruntime-gpu on a GPU machine", file=sys.stderr)
        return EXIT_NO_GPU
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    import harness
    from bench_detect import fit_detector

    from upconv_tf.export import export_detector, export_generator
    from upconv_tf.models import SpectralAutoencoder, build_generator
    from upconv_tf.runtime import OnnxDetector, OnnxGenerator, SavedModelDetector, SavedModelGenerator

    results = {"environment": dict(harness.environment(), gpus=[gpu.name for gpu in gpus],
                                   providers=onnxruntime.get_available_providers()), "models": {}}
    failed = []
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="upconv-gpu-") as folder:
        models = {}
        detector = fit_detector()
        for size in args.sizes:
            result = export_detector(detector, os.path.join(folder, f"detector{size}"), image_size=size)
            models[f"detector {size} px"] = (OnnxDetector, SavedModelDetector, result,
                                            rng.random((BATCH[size], size, size, 3), dtype=np.float32))
        generators = {kind: build_generator(32, latent_dim=16, upsampling=kind, dim=8) for kind in UPSAMPLINGS}
        autoencoder = SpectralAutoencoder(image_size=32)
        autoencoder(np.zeros((1, 32, 32, 3), np.float32))
        for kind, model in list(generators.items()) + [("autoencoder", autoencoder)]:
            result = export_generator(model, os.path.join(folder, f"gen-{kind}"))
            shape = result.metadata["input"]["shape"][1:]
            models[f"generator {kind}"] = (OnnxGenerator, SavedModelGenerator, result,
                                          rng.standard_normal([64] + shape).astype(np.float32))
        for name, (onnx_class, saved_class, result, inputs) in models.items():
            work = tempfile.mkdtemp(dir=folder)
            entry = check_model(onnx_class, result.onnx, inputs, work)
            runner = entry.pop("runner")
            candidates = {"onnxruntime_cuda": (lambda r=runner, x=inputs: r.run(x, len(x)), len(inputs))}
            if gpus:
                saved = saved_class(result.saved_model)
                candidates["tensorflow_gpu"] = (lambda r=saved, x=inputs: r.run(x, len(x)), len(inputs))
            rates = harness.measure(candidates, **harness.timing(args.quick))
            entry["images_per_second"] = {key: value["per_second"] for key, value in rates.items()}
            if gpus:
                entry["onnx_vs_tensorflow"] = (entry["images_per_second"]["onnxruntime_cuda"]
                                               / entry["images_per_second"]["tensorflow_gpu"])
            results["models"][name] = entry
            status = "OK" if not (entry["fallback"] or entry["missing_kernels"]) else "CPU FALLBACK"
            if status != "OK":
                failed.append(name)
            speeds = ", ".join(f"{key} {value:,.0f} img/s" for key, value in entry["images_per_second"].items())
            print(f"{name:>22}: {entry['on_cuda']}/{entry['nodes']} nodes on CUDA, {status}; {speeds}"
                  + (f" (ONNX/TF {entry['onnx_vs_tensorflow']:.2f})" if gpus else " (no GPU for TensorFlow)"),
                  flush=True)
            for line in entry["fallback"] + entry["missing_kernels"]:
                print(f"{'':>24}{line}")
    results["failed"] = failed
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump(results, handle, indent=1)
    if failed:
        print(f"CPU fallback in: {', '.join(failed)}", file=sys.stderr)
        return EXIT_FALLBACK
    print("every exported model ran wholly on the CUDA provider")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
