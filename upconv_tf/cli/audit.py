"""``upconv-tf audit``: how far a generator's spectrum is from real images, and how detectable it is.

Samples the generator, computes the three spectral metrics of :mod:`upconv_tf.metrics` against a folder of
real images, trains a spectral detector on the spot (grouped, balanced held-out splits of
:func:`upconv_tf.detection.evaluate_detector`) and writes a JSON report and one picture.

Generated images (tanh output in [-1, 1]) are mapped to [0, 1] and rounded to 8 bits, like the real
images decoded from PNG/JPEG, so that quantisation is not a difference the detector could use.
"""

from __future__ import annotations

import os

from upconv_tf.cli.common import EXIT_OK, EXIT_PARTIAL, CommandError, positive_int, report_errors, write_json

MIN_REAL_IMAGES = 8
GROUPINGS = ("file", "parent")


def register(subparsers):
    parser = subparsers.add_parser(
        "audit", help="spectral metrics and detectability of a generator against real images",
        description="Sample a generator, compare its spectrum with a folder of real images (spectral distance, "
                    "log frequency distance, high-frequency power-law decay) and train a spectral detector on "
                    "held-out splits to measure how detectable it is.",
    )
    parser.add_argument("--generator", required=True, metavar="MODEL",
                        help="generator: a .keras file or the folder `upconv-tf train` writes")
    parser.add_argument("--real", required=True, metavar="DIR", help="folder of real images (recursive)")
    parser.add_argument("--json", dest="json_path", metavar="PATH", help="write the report as JSON")
    parser.add_argument("--out", metavar="PNG", help="write the picture (spectra and metrics)")
    parser.add_argument("--samples", type=positive_int, default=None,
                        help="generated images (default: as many as real images, at most 1000)")
    parser.add_argument("--max-real", type=positive_int, default=1000, help="use at most this many real images")
    parser.add_argument("--policy", choices=("center-crop", "resize"), default="center-crop",
                        help="how real images are brought to the generator's size (default: centre crop)")
    parser.add_argument("--groups", choices=GROUPINGS, default="file",
                        help="what a real image's group is for the held-out splits: its file, or its parent "
                             "folder (put crops of one photo in one folder) (default: file)")
    parser.add_argument("--classifier", choices=("logreg", "svm", "kmeans"), default="logreg",
                        help="spectral detector classifier (default logreg)")
    parser.add_argument("--runs", type=positive_int, default=5, help="random held-out splits (default 5)")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent samples and the splits")
    parser.set_defaults(run=run)


def sample_generator(generator, count: int, seed: int = 0, batch_size: int = 64):
    """``count`` images from ``generator`` (latent ~ N(0, 1), seeded), in [0, 1], rounded to 8 bits."""
    import numpy as np

    latent_dim = int(generator.input_shape[-1])
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((count, latent_dim)).astype(np.float32)
    images = np.concatenate([np.asarray(generator(latent[i:i + batch_size], training=False))
                             for i in range(0, count, batch_size)])
    return np.round(np.clip((images + 1.0) / 2.0, 0.0, 1.0) * 255.0).astype(np.float32) / 255.0


def verdict(auc: float) -> str:
    """A plain-language reading of the detector's ROC-AUC."""
    if auc >= 0.95:
        return "easily detected by its spectrum"
    if auc >= 0.8:
        return "detectable by its spectrum"
    if auc >= 0.6:
        return "weakly detectable by its spectrum"
    return "not detectable by its spectrum (close to chance)"


def audit_images(real, fake, real_groups=None, classifier: str = "logreg", runs: int = 5, seed: int = 0,
                 batch_size: int = 64) -> dict:
    """Spectral metrics and held-out detectability of ``fake`` against ``real`` images in [0, 1].

    Returns a dictionary with ``metrics`` (:func:`upconv_tf.metrics.spectral_report`), ``detector``
    (accuracy and ROC-AUC mean/std over ``runs`` grouped balanced splits, the verdict) and ``spectra``
    (mean and std of the ``"centered"`` azimuthal integral of each set, for plotting).
    """
    from upconv_tf import metrics, spectral
    from upconv_tf.detection import evaluate_detector

    report = metrics.spectral_report(real, fake, batch_size=batch_size)
    evaluation = evaluate_detector(real, fake, real_groups=real_groups, samples=["max"], runs=runs,
                                   classifiers=[classifier], seed=seed)
    result = evaluation["results"][0]
    detector = {
        "classifier": classifier,
        "accuracy": result["accuracy"]["mean"], "accuracy_std": result["accuracy"]["std"],
        "roc_auc": result["auc"]["mean"], "roc_auc_std": result["auc"]["std"],
        "train_size": sorted(set(result["n_train"])), "test_size": sorted(set(result["n_test"])),
        "runs": runs, "groups": evaluation["protocol"]["groups"],
        "verdict": verdict(result["auc"]["mean"]),
    }
    spectra = {}
    for name, images in (("real", real), ("generated", fake)):
        mean, std = spectral.mean_spectrum(images, mode="centered", normalize=None, return_std=True,
                                           batch_size=batch_size)
        spectra[name] = {"mean": mean.tolist(), "std": std.tolist()}
    return {"metrics": report, "detector": detector, "spectra": spectra}


def plot_report(report: dict, path) -> str:
    """One picture: mean +- std spectra of real and generated images, the metrics in the title."""
    from upconv_tf.plotting import plot_spectra

    m, d = report["metrics"], report["detector"]
    curves = {f"{name} (n={report['counts'][name]})": (s["mean"], s["std"]) for name, s in report["spectra"].items()}
    title = (f"audit of {os.path.basename(os.path.normpath(report['generator']))}, {report['size']} px\n"
             f"spectral dist. {m['spectral_distance']:.4f}, LFD {m['log_frequency_distance']:.2f}, "
             f"decay {m['decay_exponent_fake']:.2f} (real {m['decay_exponent_real']:.2f})\n"
             f"{d['classifier']} detector: acc. {100 * d['accuracy']:.1f}%, ROC-AUC {d['roc_auc']:.3f}: "
             f"{d['verdict'].split(' by ')[0]}")
    return plot_spectra(curves, path, title=title, ylabel="power (dB)")


def _load_generator(path):
    from upconv_tf.models import load_generator

    if not os.path.exists(path):
        raise CommandError(f"--generator {path}: no such file or folder")
    try:
        generator = load_generator(path)
    except (ValueError, OSError, TypeError, KeyError) as error:
        raise CommandError(f"--generator {path}: cannot load a generator ({error})") from None
    shape = tuple(generator.output_shape)
    if len(shape) != 4 or shape[1] is None or shape[1] != shape[2] or shape[3] not in (1, 3):
        raise CommandError(f"--generator {path}: expected square images (N, S, S, 3) as output. "
                           f"Received: output shape {shape}")
    return generator, int(shape[1])


def _groups(paths, grouping):
    if grouping == "parent":
        return [os.path.dirname(os.path.abspath(p)) for p in paths]
    return [os.path.abspath(p) for p in paths]


def run(args):
    from upconv_tf.datasets import load_folder

    if not os.path.isdir(args.real):
        raise CommandError(f"--real {args.real}: no such folder")
    generator, size = _load_generator(args.generator)
    real = load_folder(args.real, size=size, policy=args.policy, limit=args.max_real)
    report_errors(real.errors)
    if len(real.paths) < MIN_REAL_IMAGES:
        raise CommandError(f"--real {args.real}: {len(real.paths)} usable images of at least {size} px; "
                           f"the audit needs {MIN_REAL_IMAGES} or more")
    groups = _groups(real.paths, args.groups)
    if len(set(groups)) < 2:
        raise CommandError(f"--real {args.real}: all images fall in one group (--groups {args.groups}); "
                           "held-out splits need images from at least 2 sources")
    count = args.samples or min(len(real.paths), 1000)
    fake = sample_generator(generator, count, args.seed, args.batch_size)
    report = {"generator": os.path.abspath(args.generator), "real": os.path.abspath(args.real), "size": size,
              "counts": {"real": len(real.paths), "generated": count}, "seed": args.seed,
              "policy": args.policy, "grouping": args.groups}
    report.update(audit_images(real.images, fake, groups, args.classifier, args.runs, args.seed, args.batch_size))
    report["skipped"] = [{"path": p, "reason": r} for p, r in real.errors]
    m, d = report["metrics"], report["detector"]
    print(f"generator {args.generator}: {size} px, {count} samples vs {len(real.paths)} real images")
    print(f"  spectral distance (excess BCE, 0 = same mean spectrum): {m['spectral_distance']:.4f}")
    print(f"  spectral BCE loss (eq. 11, per image):                  {m['spectral_bce_loss']:.4f}")
    print(f"  log frequency distance (0 = same mean 2-D spectrum):   {m['log_frequency_distance']:.4f}")
    print(f"  high-frequency decay exponent: generated {m['decay_exponent_fake']:.3f}, "
          f"real {m['decay_exponent_real']:.3f} (gap {m['decay_exponent_gap']:+.3f})")
    print(f"  {d['classifier']} detector on held-out splits ({d['runs']} runs, {d['groups']} groups): "
          f"accuracy {100 * d['accuracy']:.1f} ± {100 * d['accuracy_std']:.1f} %, "
          f"ROC-AUC {d['roc_auc']:.3f} ± {d['roc_auc_std']:.3f} -> {d['verdict']}")
    if args.json_path:
        write_json(report, args.json_path)
        print(f"wrote {args.json_path}")
    if args.out:
        plot_report(report, args.out)
        print(f"wrote {args.out}")
    return EXIT_PARTIAL if real.errors else EXIT_OK
