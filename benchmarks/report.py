"""Markdown tables from ``benchmarks/results/*.json``, written into docs/performance.md between the markers.

Run: ``python benchmarks/report.py [--print]`` (``--print`` writes the tables to stdout instead).
Every number in docs/performance.md's tables comes from here; none is typed by hand.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
PAGE = os.path.join(os.path.dirname(HERE), "docs", "performance.md")
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def _load(name):
    path = os.path.join(RESULTS, f"{name}.json")
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def _number(value, digits=3):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _when(data):
    env = data.get("environment", {})
    load = env.get("load_average_at_start", [None])[0], env.get("load_average_at_end", [None])[0]
    return (f"{env.get('time', '?')}, {env.get('cpus', '?')} CPUs, load average {_number(load[0])} -> "
            f"{_number(load[1])}, TF {env.get('tensorflow', '?')}, onnxruntime {env.get('onnxruntime', '?')}"
            + (", --quick" if "--quick" in env.get("argv", []) else ""))


def targets(results):
    rows = []
    for bench, data in results.items():
        for key, target in (data or {}).get("targets", {}).items():
            direction = target.get("direction", ">=")
            rows.append([bench, f"`{key}`", _number(target["value"]), f"{direction} {_number(target['target'])}",
                         "yes" if target["met"] else "**no**"])
    return ["**Targets** (ratios measured in the same run)", ""] + _table(
        ["benchmark", "ratio @ size", "measured", "target", "met"], rows)


SPECTRAL_COLUMNS = [("reference", "reference (1 image at a time)"), ("numpy", "numpy"),
                    ("layer_eager", "layer eager"), ("layer_function", "layer tf.function"),
                    ("layer_xla", "layer XLA"), ("layer_function_gray", "layer tf.function, gray input"), ("layer_segment_sum", "layer segment_sum"),
                    ("onnx_matmul_dft", "ONNX MatMul DFT"), ("onnx_dft_op", "ONNX DFT op"),
                    ("fft", "rfft2d alone"), ("fft_onnx_matmul", "ORT MatMul DFT alone"),
                    ("fft_onnx_dft_op", "ORT DFT op alone")]


def spectral(data):
    lines = [f"**Azimuthal integral, images/s** (`mode=\"{data['mode']}\"`; {_when(data)})", ""]
    rows = []
    for size, entry in data["sizes"].items():
        rates = entry["images_per_second"]
        rows.append([f"{size} px (batch {entry['batch']})"]
                    + [_number(rates[key]["per_second"]) if key in rates else "-" for key, _ in SPECTRAL_COLUMNS]
                    + [_number(entry["ratios"]["layer_function_vs_reference"]),
                       _number(entry["ratios"]["layer_function_vs_fft"]),
                       _number(entry["ratios"].get("layer_function_gray_vs_fft")),
                       _number(entry["max_relative_error"].get("layer_function"))])
    lines += _table(["size"] + [label for _, label in SPECTRAL_COLUMNS]
                    + ["layer / reference", "layer / FFT", "layer gray input / FFT", "layer max rel. error"], rows)
    memory = data.get("peak_memory")
    if memory:
        lines += ["", f"**Peak memory, {memory['size']} px, batch {memory['batch']}** (input "
                  f"{memory['input_bytes'] / 2**20:.0f} MiB; {memory['method']})", ""]
        rows = []
        for name, entry in memory["candidates"].items():
            if "error" in entry:
                rows.append([name, entry["error"], "", ""])
                continue
            rows.append([name] + ["-" if entry[key] is None else f"{entry[key] / 2**20:.0f} MiB" for key in
                                  ("tf_allocator_working_bytes", "tracemalloc_peak_bytes", "rss_peak_growth_bytes")])
        lines += _table(["path", "TF allocator above inputs", "tracemalloc peak", "RSS peak growth"], rows)
    return lines


def train(data):
    config = data["config"]
    lines = [f"**SpectralGAN training step** (DCGAN {config['size']} px, batch {config['batch']}, "
             f"spectral weight {config['spectral_weight']}, `{config['spectral_mode']}`; {_when(data)})", ""]
    rows = [[name.replace("_", " "), _number(seconds * 1000)] for name, seconds in data["seconds_per_step"].items()]
    rows.append(["overhead of the spectral term", f"{data['ratios']['spectral_overhead']:.1%}"])
    return lines + _table(["step", "ms"], rows)


DETECT_COLUMNS = [("reference", "reference"), ("python", "Python (SpectralDetector)"),
                  ("python_fast", "Python + fast reader"), ("saved_model", "SavedModel"), ("onnx", "ONNX"),
                  ("saved_model_f32", "SavedModel float32"), ("onnx_f32", "ONNX float32")]


def detect(data):
    lines = [f"**Detection, images/s end to end** ({data['detector']['classifier']}, "
             f"`{data['detector']['mode']}`; files are PNG, decode included; {_when(data)})", ""]
    rows = []
    for size, entry in data["sizes"].items():
        rates = entry["images_per_second"]
        for source in ("arrays", "files"):
            rows.append([f"{size} px", source] + [
                _number(rates[f"{source}/{key}"]["per_second"]) if f"{source}/{key}" in rates else "-"
                for key, _ in DETECT_COLUMNS])
        rows.append([f"{size} px", "decode only (loader / fast reader)", "", "", "", "", "",
                     f"PNG {_number(rates['decode_loader/png']['per_second'])} / "
                     f"{_number(rates['decode_fast/png']['per_second'])}",
                     f"JPEG {_number(rates['decode_loader/jpeg']['per_second'])} / "
                     f"{_number(rates['decode_fast/jpeg']['per_second'])}"])
    return lines + _table(["size", "from"] + [label for _, label in DETECT_COLUMNS], rows)


FFT_COLUMNS = [("four_step", "four-step MatMul float64"), ("dft_op", "DFT operator float64"),
               ("four_step_f32", "four-step MatMul float32"), ("dft_op_f32", "DFT operator float32"),
               ("tf2onnx_matmul_f32", "tf2onnx full MatMul float32"), ("tf", "TF rfft2d float64"),
               ("tf_f32", "TF rfft2d float32")]


def fft(data):
    lines = [f"**Power spectrum in onnxruntime (CPU), images/s** (gray in, `|rfft2d|^2` out; {_when(data)})", ""]
    rows = []
    for size, entry in data["sizes"].items():
        rates = entry["images_per_second"]
        errors = entry["max_relative_error"]
        rows.append([f"{size} (batch {entry['batch']}, factors {'x'.join(map(str, entry['factors']))})"]
                    + [_number(rates[key]["per_second"]) if key in rates else "-" for key, _ in FFT_COLUMNS]
                    + [_number(entry["ratios"]["four_step_vs_dft_op"]),
                       f"{errors.get('four_step', float('nan')):.1e} / {errors.get('four_step_f32', float('nan')):.1e}"])
    return lines + _table(["size"] + [label for _, label in FFT_COLUMNS]
                          + ["four-step / DFT op", "four-step max rel. error f64 / f32"], rows)


def onnx_threads(data):
    defaults = data.get("defaults", {})
    lines = [f"**onnxruntime CPU threads and spinning, detector images/s** (runner defaults: threads "
             f"{defaults.get('threads')}, spinning {defaults.get('spinning')}; 'contended': a process keeps one "
             f"core busy; {_when(data)})", ""]
    rows = []
    for size, entry in data["sizes"].items():
        for condition in ("shared", "contended"):
            rates = entry[condition]["images_per_second"]
            rows.append([f"{size} px (batch {entry['batch']})", condition]
                        + [_number(rates[name]["per_second"]) for name in sorted(rates)])
        names = sorted(entry["shared"]["images_per_second"])
    header = ["size", "machine"] + [name.replace("threads0", "threads=cores").replace("_", ", ") for name in names]
    return lines + _table(header, rows)


def parity(data):
    lines = [f"**Export parity: max |P - P_scikit-learn| on held-out crops** ({_when(data)})", ""]
    rows = []
    for key, entry in data["detectors"].items():
        classifier, mode, size = key.split("/")
        rows.append([classifier, mode, f"{size} px"] + [f"{entry[dtype][runner]:.1e}" for dtype in ("float64", "float32")
                                                        for runner in ("onnx", "savedmodel")])
    lines += _table(["detector", "mode", "size", "ONNX float64", "SavedModel float64", "ONNX float32",
                     "SavedModel float32"], rows)
    rows = [[name, f"{entry['onnx']:.1e}", f"{entry['savedmodel']:.1e}"] for name, entry in data["generators"].items()]
    return lines + ["", "Generators (32 px), max |out - Keras| / max |Keras|:", ""] + _table(
        ["model", "ONNX", "SavedModel"], rows)


def backbone(data):
    lines = [f"**EfficientNet-Lite0 backbone and hybrid features, ms per image** (batch {data['batch']}; {_when(data)})",
             ""]
    rows = [[f"backbone {size} px", _number(entry["ms_per_image"]["keras"]), _number(entry["ms_per_image"]["onnx"]),
             _number(entry["onnx_vs_keras"])] for size, entry in data["backbone"].items()]
    lines += _table(["what", "Keras", "onnxruntime", "onnxruntime speed-up"], rows)
    features, export = data["features"], data["export"]
    lines += ["", f"Features of {features['size']} px crops: default (rings-cells-colour) "
              f"{_number(features['ms_per_image']['rings-cells-colour'])} ms, hybrid "
              f"{_number(features['ms_per_image']['hybrid'])} ms ({_number(features['hybrid_vs_default'])}x). Exported "
              f"hybrid detector ({export['size']} px, {export['support_vectors']} support vectors): SavedModel "
              f"{export['saved_model_bytes'] / 1e6:.1f} MB, ONNX {export['onnx_bytes'] / 1e6:.1f} MB."]
    return lines


def beam(data):
    lines = [f"**Apache Beam scoring, images/s** ({data['images']} files, PNG and JPEG, shipped detector (ONNX, "
             f"192 px crops); whole jobs, best of {data['rounds']} round(s), and the steady rate between the first "
             f"and the last file done; {_when(data)})", ""]
    rates, steady = data["images_per_second"], data.get("steady_images_per_second", {})
    cpu = data.get("cpu_ms_per_image", {})
    rows = [[name.replace("_", " "), data["candidates"][name], _number(rates[name]["per_second"]),
             _number(steady[name]["per_second"]) if name in steady else "-",
             _number(cpu[name]) if name in cpu else "-"] for name in data["candidates"]]
    lines += _table(["run", "what", "images/s, whole job", "images/s, steady", "CPU ms per image"], rows)
    ratios = data["ratios"]
    return lines + ["", "Ratios: " + "; ".join(f"{name.replace('_', ' ')} {_number(value)}"
                                               for name, value in ratios.items())
                    + f". Max |P_beam - P_detect| {max(data['max_probability_difference_vs_detect'].values()):.1e}."]


NAMES = ("spectral", "train", "detect", "fft", "onnx_threads", "parity", "backbone", "beam")


def render() -> str:
    results = {name: _load(name) for name in NAMES}
    lines = [START, "<!-- generated by benchmarks/report.py from benchmarks/results/*.json: do not edit -->", ""]
    lines += targets(results) + [""]
    for name, function in (("spectral", spectral), ("train", train), ("detect", detect), ("fft", fft),
                           ("onnx_threads", onnx_threads), ("parity", parity), ("backbone", backbone),
                           ("beam", beam)):
        if results[name]:
            lines += function(results[name]) + [""]
        else:
            lines += [f"_{name}: no results yet (`make bench`)_", ""]
    return "\n".join(lines + [END])


def write_page(block: str, path: str = PAGE) -> None:
    """Replace the marked block in docs/performance.md (append a Performance section when it has none)."""
    with open(path) as handle:
        text = handle.read()
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Performance\n\n" + block + "\n"
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the tables instead of editing docs/performance.md")
    args = parser.parse_args(argv)
    block = render()
    if args.print:
        print(block)
    else:
        write_page(block)
        print(f"updated {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
