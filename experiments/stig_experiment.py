"""STIG (Lee et al., AAAI 2024) on our data: does refining the magnitude spectrum bring generated images to the real
spectrum while keeping their content, and how much do the project's detectors lose on refined images?

For each source of generated images:

* ``transconv`` / ``nearest``: :func:`upconv_tf.fakes.make_fakes` of bundled crops (64 px), the two kinds the issue
  names (a transposed convolution's checkerboard; nearest up-sampling + convolution);
* ``gan``: samples of the package's trained GAN (``saved_models/generator``, 32 px, against bundled crops of 32 px),

a :class:`~upconv_tf.models.refiner.SpectrumRefiner` is trained with :func:`upconv_tf.workflows.refine.train_refiner`
on crops of 12 photos (generated images made from other crops of the same photos than the real ones) and measured on
crops of the 4 held-out photos: LFD and spectral distance to real before and after, SSIM of each refined image to its
input, the paper's readout (reference bins of the mean profile inside the real mean +- 1 std): all from
:func:`upconv_tf.workflows.refine.refinement_report`, on 8-bit refined images (what a PNG holds).

Then the detectors (:mod:`upconv_tf.detection.presets` at the crop size: ``paper``, ``default`` and the strongest,
``hybrid``) are trained on the
training photos' real crops and unrefined generated images (:func:`upconv_tf.detection.training.fit_preset`) and
tested on the held-out photos: balanced accuracy on unrefined and on refined generated images. "Hardened": the same
detector trained with the refined training images added as generated ones.

Writes ``docs/results/stig.json`` and small before / after grids ``docs/results/stig_<source>_{before,after}.png``;
``python experiments/make_results.py`` puts them into docs/RESULTS.md. Budgets: ``--smoke`` (seconds, meaningless
numbers), default (CPU minutes), ``--full`` (longer training).
"""

from __future__ import annotations

import os

import numpy as np

import common

SOURCES = ("transconv", "nearest", "gan")
PRESETS = ("paper", "default", "hybrid")  # the published recipe, the default, the strongest (spectral + EfficientNet-Lite0)
TEST_PHOTOS = 4
BUDGETS = {
    "smoke": {"count": 64, "test": 32, "steps": 4, "steps_per_epoch": 2, "width": 4, "batch_size": 4,
              "detector_train": 32},
    "default": {"count": 1024, "test": 512, "steps": 600, "steps_per_epoch": 150, "width": 8, "batch_size": 8,
                "detector_train": 512},
    "full": {"count": 2048, "test": 1024, "steps": 3000, "steps_per_epoch": 500, "width": 16, "batch_size": 8,
             "detector_train": 2048},
}
# Loss settings of the measured refiners, as changes to the published defaults (upconv_tf.models.refiner.RefinerLosses).
# Every variant drops the identity pass of the real images (nce_identity: half the work per step on 2 CPU cores; it
# only keeps real images unchanged, which the measurements do not refine). "published": the published weights;
# "content10": the content SSIM weight raised from 1 to 10, for the transposed-convolution fakes, whose checkerboard
# the published weights trade for spectral distance at an SSIM to the input far below 0.9.
VARIANTS = {"published": {"nce_identity": False}, "content10": {"content": 10.0, "nce_identity": False}}
SOURCE_VARIANTS = {"transconv": ("published", "content10"), "nearest": ("published",),
                   "gan": ("published", "content10")}
GRID_IMAGES = 16


def photo_names():
    """(training photos, held-out photos) of the bundled photos: 4 held out, drawn with a fixed seed."""
    from upconv_tf.datasets import bundled_photos

    names = sorted(bundled_photos())
    held_out = sorted(np.random.default_rng(0).choice(names, TEST_PHOTOS, replace=False).tolist())
    return [n for n in names if n not in held_out], held_out


def crops(names, size, count, seed):
    """``count`` crops of ``size`` px of the named bundled photos (images in [0, 1])."""
    from upconv_tf.datasets import bundled_photos, sample_crops

    photos = bundled_photos()
    return sample_crops({name: photos[name] for name in names}, size, count, seed=seed).images


def source_images(source, size, budget, seed):
    """``{"real_train", "fake_train", "real_test", "fake_test"}`` images in [0, 1] for one source."""
    from upconv_tf.fakes import make_fakes

    count, test = budget["count"], budget["test"]
    train_photos, test_photos = photo_names()
    real_train, real_test = crops(train_photos, size, count, seed), crops(test_photos, size, test, seed + 1)
    if source in ("transconv", "nearest"):
        # Generated images are made from other crops of the same photos than the real ones.
        fake_train = make_fakes(crops(train_photos, size, count, seed + 2), source, seed=0)
        fake_test = make_fakes(crops(test_photos, size, test, seed + 3), source, seed=0)
    else:
        from upconv_tf.runtime import load_generator
        from upconv_tf.sampling import sample_images

        generator = load_generator(os.path.join(common.ROOT, "saved_models", "generator"))
        fake_train = sample_images(generator, count, seed=seed + 2, quantize_8bit=True)
        fake_test = sample_images(generator, test, seed=seed + 3, quantize_8bit=True)
    return {"real_train": real_train, "fake_train": fake_train, "real_test": real_test, "fake_test": fake_test}


def train(source, variant, data, size, budget, args):
    """The trained refiner of one source (a run folder under experiments/work/stig/)."""
    from upconv_tf.workflows.refine import RefineConfig, train_refiner

    config = RefineConfig(real="bundled", fake=source, size=size, width=budget["width"], steps=budget["steps"],
                          steps_per_epoch=budget["steps_per_epoch"], batch_size=budget["batch_size"], seed=args.seed,
                          save_every=budget["steps_per_epoch"], losses=dict(VARIANTS[variant]))
    out = os.path.join(args.work, "stig", f"{args.budget}-{source}-{variant}")
    result = train_refiner(config, out, generated=data["fake_train"], real=data["real_train"], verbose=0)
    return result, config


def refine(model, images):
    from upconv_tf.sampling import quantize

    return quantize(np.concatenate([np.asarray(model.refine(images[i:i + 64])) for i in range(0, len(images), 64)]))


def detection(data, refined_train, refined_test, size, seed, count):
    """Balanced accuracy (%) of each preset on held-out photos: unrefined and refined generated images, trained on
    ``count`` real and ``count`` unrefined generated images ("plain"), or with their ``count`` refined versions added
    ("hardened")."""
    from upconv_tf.detection.presets import detector_preset
    from upconv_tf.detection.training import fit_preset, preset_features

    sets = {"real_train": (data["real_train"][:count], 0), "fake_train": (data["fake_train"][:count], 1),
            "refined_train": (refined_train[:count], 1), "real_test": (data["real_test"], 0),
            "fake_test": (data["fake_test"], 1), "refined_test": (refined_test, 1)}
    results = {}
    for name in PRESETS:
        preset = detector_preset(name, size=size)
        items, where = [], {}
        for key, (images, label) in sets.items():
            where[key] = np.arange(len(items), len(items) + len(images))
            items += [(f"{key}/{i}", image, label, f"{key}/{i}", "") for i, image in enumerate(images)]
        features = preset_features(items, preset, treatments=("none",), seed=seed)
        test_rows = features.test["none"]
        row = {}
        for mode, train_sets in (("plain", ("real_train", "fake_train")),
                                 ("hardened", ("real_train", "fake_train", "refined_train"))):
            detector = fit_preset(features, np.concatenate([where[k] for k in train_sets]), seed=seed)
            for fakes in ("fake_test", "refined_test"):
                index = np.concatenate([where["real_test"], where[fakes]])
                predicted = detector.predict(test_rows[index])
                labels = features.labels[index]
                accuracy = 0.5 * (np.mean(predicted[labels == 0] == 0) + np.mean(predicted[labels == 1] == 1))
                row[f"{mode}_{'unrefined' if fakes == 'fake_test' else 'refined'}"] = round(100 * float(accuracy), 1)
        row["loss_points"] = round(row["plain_unrefined"] - row["plain_refined"], 1)
        row["hardened_gap_points"] = round(row["hardened_unrefined"] - row["hardened_refined"], 1)
        results[name] = row
    return results


# STIG's reported claims (SPEC s. 12; the paper's tables are not in its published code).
CLAIMS = ("STIG (Lee et al., AAAI 2024) reports lower FID and log frequency distance after refinement on eight sets of "
          "generated images (GANs and diffusion models), and frequency-based detectors confused by refined images.")


def _f(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def markdown(result, images="results") -> list:
    """The docs/RESULTS.md section of a ``stig.json`` result (make_results.py calls this)."""
    settings = result["settings"]
    m = result["machine"]
    lines = ["## 5. STIG: refining the spectrum of generated images (Lee et al., AAAI 2024)", "",
             f"Commands: {', '.join(f'`{c}`' for c in dict.fromkeys(r.get('command', result['command']) for r in result['rows']))} "
             f"(budget `{result['budget']}`, seed {result['seed']}; the last one's run below). Machine: {m['cpu']}, "
             f"{m['cores']} cores, GPU {m['gpu']}, TensorFlow {m['tensorflow']}. Run time: "
             f"{result['run_time_s'] / 60:.1f} min ({result['date']}), 1-min load average "
             f"{result['load_average'][0]} at start and {result['load_average'][1]} at the end.", "",
             f"Reported: {CLAIMS}", "",
             f"Setting: a `SpectrumRefiner` per source and loss variant (nested U-Net, width {settings['width']}, 4 "
             f"levels; {settings['steps']} steps of batch {settings['batch_size']}, Adam 1e-3 held for 20 % of the "
             f"steps then decayed to 0; variants: {settings['variants']}, changes to the published loss settings); "
             f"trained on {settings['count']} "
             f"crops of 12 bundled photos and as many generated images, measured on {settings['test']} crops of the "
             f"held-out photos {', '.join(settings['test_photos'])} and as many generated images, refined images "
             "rounded to 8 bits. **LFD** and **spectral distance** to the held-out real crops (lower is closer; "
             "\"real floor\": real training crops against them), **SSIM** of each refined image to its input, "
             "**bins in band**: the paper's readout (fraction of reference bins of the mean profile inside the real "
             "mean +- 1 std).", "",
             "| source | variant | px | LFD before | LFD after | spectral distance before | after | SSIM to input | "
             "bins in band before | after | real floor LFD / distance | refiner gates |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        report, training = row["report"], row["training"]
        before, after, floor = report["before"], report["after"], report["floor"]
        lines.append(f"| {row['source']} | {row['variant']} | {row['size']} | {_f(before['log_frequency_distance'])} | "
                     f"{_f(after['log_frequency_distance'])} | {_f(before['spectral_distance'], 4)} | "
                     f"{_f(after['spectral_distance'], 4)} | {_f(report['content_ssim'])} | "
                     f"{_f(before['bins_in_band'], 2)} | {_f(after['bins_in_band'], 2)} | "
                     f"{_f(floor['log_frequency_distance'])} / {_f(floor['spectral_distance'], 4)} | "
                     f"{training['status']} |")
    if result.get("oracle"):
        lines += ["", f"Gain oracle (`{result['oracle_command']}`): no learning, each channel's spectrum times one gain "
                  "per frequency, exp(mean log |F_real| - mean log |F_generated|) over the training images (DC and "
                  "phase kept), on the same test images; \"boosts only\" applies the gains above 1 (lost high "
                  "frequencies put back, the transposed convolution's excess kept):", "",
                  "| source | oracle | LFD before | LFD after | spectral distance before | after | SSIM to input | "
                  "bins in band after |", "|---|---|---|---|---|---|---|---|"]
        for source, reports in result["oracle"].items():
            for name, report in reports.items():
                before, after = report["before"], report["after"]
                lines.append(f"| {source} | {name} | {_f(before['log_frequency_distance'])} | "
                             f"{_f(after['log_frequency_distance'])} | {_f(before['spectral_distance'], 4)} | "
                             f"{_f(after['spectral_distance'], 4)} | {_f(report['content_ssim'])} | "
                             f"{_f(after['bins_in_band'], 2)} |")
    lines += ["", "Detectors (presets at the crop size, trained on the training photos' real crops and unrefined "
              "generated images; balanced accuracy % on the held-out photos; \"hardened\": trained with the "
              "refined training images added as generated ones):", "",
              "| source | variant | preset | unrefined | refined | loss (points) | hardened: unrefined | "
              "hardened: refined | hardened gap (points) |", "|---|---|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        for preset, d in row["detectors"].items():
            lines.append(f"| {row['source']} | {row['variant']} | {preset} | {d['plain_unrefined']} | "
                         f"{d['plain_refined']} | {d['loss_points']} | {d['hardened_unrefined']} | "
                         f"{d['hardened_refined']} | {d['hardened_gap_points']} |")
    lines += ["", "Generated test images before refinement and after (the first 16 of each source; 8-bit PNG grids):", ""]
    for row in result["rows"]:
        lines.append(f"- {row['source']} ({row['variant']}): before ![{row['grids']['before']}]"
                     f"({images}/{row['grids']['before']}) after ![{row['grids']['after']}]"
                     f"({images}/{row['grids']['after']})")
    return lines + [""]


def gain_oracle(data):
    """What a magnitude-only refinement *could* do without learning: each channel's spectrum times one gain per
    frequency, ``exp(mean log|F_real| - mean log|F_generated|)`` over the training images (DC kept, phase kept), on the
    generated test images: all the gains ("matched"), or only those above 1 ("boosts only": lost high frequencies put
    back, nothing removed). Returns ``{name: refinement_report}`` on 8-bit results."""
    from upconv_tf.sampling import quantize
    from upconv_tf.workflows.refine import refinement_report

    def log_magnitude(images):
        return np.log(np.abs(np.fft.fft2(images, axes=(1, 2))) + 1e-8).mean(axis=0)

    gain = np.exp(log_magnitude(data["real_train"]) - log_magnitude(data["fake_train"]))
    gain[0, 0] = 1.0
    spectra = np.fft.fft2(data["fake_test"], axes=(1, 2))
    reports = {}
    for name, factor in (("matched", gain), ("boosts only", np.maximum(gain, 1.0))):
        refined = quantize(np.clip(np.fft.ifft2(spectra * factor, axes=(1, 2)).real, 0.0, 1.0))
        reports[name] = refinement_report(data["real_test"], data["fake_test"], refined)
    return reports


def run_oracle(args, budget, path):
    """Add the gain oracle (:func:`gain_oracle`) of the two 64 px sources to an existing ``stig.json``."""
    import json

    from upconv_tf._atomic import write_json

    with open(path) as handle:
        results = json.load(handle)
    results["oracle"] = {source: gain_oracle(source_images(source, 64, budget, args.seed))
                         for source in ("transconv", "nearest")}
    results["oracle_command"] = common.command_line()
    write_json(results, path)
    print(f"wrote the oracle into {path}")


def main():
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--oracle", action="store_true",
                        help="only add the per-frequency gain oracle to an existing stig.json (numpy, seconds)")
    parser.add_argument("--sources", default=",".join(SOURCES),
                        help=f"comma-separated sources to (re)measure (default all: {','.join(SOURCES)}); the rows of "
                             "the others are kept from an existing stig.json")
    args = parser.parse_args()
    if args.oracle:
        return run_oracle(args, BUDGETS[args.budget], os.path.join(args.out, "stig.json"))
    common.setup(args.seed)
    run = common.Run("stig", args)
    budget = BUDGETS[args.budget]
    from upconv_tf.sampling import save_grid
    from upconv_tf.workflows.refine import refinement_report

    sources = [source for source in args.sources.split(",") if source]
    if not set(sources) <= set(SOURCES):
        parser.error(f"--sources: choose from {', '.join(SOURCES)}")
    results = {"settings": dict(budget, variants=VARIANTS, test_photos=photo_names()[1]), "rows": []}
    previous = run.path("stig.json")
    if set(sources) != set(SOURCES) and os.path.exists(previous):
        import json

        with open(previous) as handle:
            kept = json.load(handle)
        results["rows"] = [dict(row, command=row.get("command", kept["command"]))
                           for row in kept.get("rows", []) if row["source"] not in sources]
        results.update({key: kept[key] for key in ("oracle", "oracle_command") if key in kept})
    for source in sources:
        size = 32 if source == "gan" else 64
        data = source_images(source, size, budget, args.seed)
        floor = refinement_report(data["real_test"], data["real_train"][:len(data["real_test"])],
                                  data["real_train"][:len(data["real_test"])])["before"]
        for variant in SOURCE_VARIANTS[source]:
            common.log(f"{source} ({variant}): {size} px")
            trained, config = train(source, variant, data, size, budget, args)
            model = trained.model
            refined_test = refine(model, data["fake_test"])
            refined_train = refine(model, data["fake_train"])
            report = refinement_report(data["real_test"], data["fake_test"], refined_test)
            report["floor"] = floor
            grids = {}
            for side, images in (("before", data["fake_test"]), ("after", refined_test)):
                name = f"stig_{source}_{side}.png" if side == "before" else f"stig_{source}_{variant}_{side}.png"
                grids[side] = os.path.basename(save_grid(images[:GRID_IMAGES], run.path(name)))
            detectors = detection(data, refined_train, refined_test, size, args.seed, budget["detector_train"])
            results["rows"].append({
                "source": source, "variant": variant, "size": size, "report": report, "grids": grids,
                "command": common.command_line(),
                "detectors": detectors,
                "training": {"status": trained.metrics["status"], "reasons": trained.metrics["sanity"]["reasons"],
                             "steps": trained.total_steps, "images": list(trained.images),
                             "generator_parameters": int(model.generator.count_params()),
                             "run": os.path.relpath(os.path.dirname(trained.model_path), common.ROOT)},
            })
            common.log(f"  {report}\n  {detectors}")
    results["rows"].sort(key=lambda row: (SOURCES.index(row["source"]), list(VARIANTS).index(row["variant"])))
    run.save(results)


if __name__ == "__main__":
    main()
