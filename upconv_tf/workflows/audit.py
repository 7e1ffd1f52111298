"""Audit a generator: how far its spectrum is from real images, and how detectable it is.

:func:`audit_generator` samples a generator (any form :func:`upconv_tf.runtime.load_generator` reads),
computes the three spectral metrics of :mod:`upconv_tf.metrics` against a folder of real images and trains
a spectral detector on the spot (grouped, balanced held-out splits of
:func:`upconv_tf.detection.evaluate_detector`); :func:`plot_report` draws the result. ``upconv-tf audit``
prints and writes it.

Generated images are mapped to [0, 1] and rounded to 8 bits, like the real images decoded from PNG/JPEG, so
that quantisation is not a difference the detector could use.

A spectrum is read only from a generator that trained: the sanity gates of :mod:`upconv_tf.models.sanity`
(sample spread, diversity and saturation against the real images, and for an ``upconv-tf train gan`` folder
the discriminator loss and the gates its ``metrics.json`` recorded) give ``status`` ``"trained"`` or
``"untrained"``; an untrained generator's verdict is ``"untrained"``, whatever its detector scores.

Example:

>>> report = audit_generator("runs/gan64", "photos/", runs=5)  # doctest: +SKIP
>>> report["detector"]["roc_auc"], report["detector"]["verdict"]  # doctest: +SKIP
"""

from __future__ import annotations

import os

from upconv_tf.errors import ArgumentError, NoUsableImages, records

MIN_REAL_IMAGES = 8
MAX_SAMPLES = 1000  # default number of generated images: as many as real ones, at most this


def verdict(roc_auc: float) -> str:
    """A plain-language reading of the detector's ROC-AUC."""
    if roc_auc >= 0.95:
        return "easily detected by its spectrum"
    if roc_auc >= 0.8:
        return "detectable by its spectrum"
    if roc_auc >= 0.6:
        return "weakly detectable by its spectrum"
    return "not detectable by its spectrum (close to chance)"


def audit_images(real, fake, real_groups=None, classifier: str = "logreg", runs: int = 5, seed: int = 0,
                 batch_size: int = 64, d_loss=None, training_reasons=()) -> dict:
    """Spectral metrics and held-out detectability of ``fake`` against ``real`` images in [0, 1].

    ``d_loss`` (the last-epoch discriminator loss, when known) and ``training_reasons`` (gates the training run
    failed) join the sanity gates of ``fake`` against ``real`` (:func:`upconv_tf.models.sanity.gan_sanity`).

    Returns a dictionary with ``metrics`` (:func:`upconv_tf.metrics.spectral_report`), ``detector``
    (accuracy and ROC-AUC mean/std over ``runs`` grouped balanced splits, the verdict: ``"untrained"`` when
    a gate fails), ``spectra`` (mean and std of the ``"centered"`` azimuthal integral of each set, for
    plotting), ``sanity`` (the gates) and ``status`` (``"trained"`` / ``"untrained"``).
    """
    from upconv_tf import metrics, spectral
    from upconv_tf.detection import evaluate_detector
    from upconv_tf.models import sanity

    gates = sanity.gan_sanity(fake, real, d_loss, training_reasons=training_reasons)

    report = metrics.spectral_report(real, fake, batch_size=batch_size)
    evaluation = evaluate_detector(real, fake, real_groups=real_groups, samples=["max"], runs=runs,
                                   classifiers=[classifier], seed=seed)
    result = evaluation["results"][0]
    detector = {
        "classifier": classifier,
        "accuracy": result["accuracy"]["mean"], "accuracy_std": result["accuracy"]["std"],
        "roc_auc": result["roc_auc"]["mean"], "roc_auc_std": result["roc_auc"]["std"],
        "train_size": sorted(set(result["train_size"])), "test_size": sorted(set(result["test_size"])),
        "runs": runs, "groups": evaluation["protocol"]["groups"],
        "verdict": verdict(result["roc_auc"]["mean"]) if gates["status"] == sanity.TRAINED else sanity.UNTRAINED,
    }
    spectra = {}
    for name, images in (("real", real), ("generated", fake)):
        mean, std = spectral.mean_spectrum(images, mode="centered", normalize=None, return_std=True,
                                           batch_size=batch_size)
        spectra[name] = {"mean": mean.tolist(), "std": std.tolist()}
    return {"metrics": report, "detector": detector, "spectra": spectra, "sanity": gates, "status": gates["status"]}


def generator_size(generator) -> int:
    """Side of the square images a generator runner makes; ``ValueError`` for any other output."""
    shape = tuple(generator.metadata["output"]["shape"])
    if len(shape) != 4 or shape[1] is None or shape[1] != shape[2] or shape[3] not in (1, 3):
        raise ArgumentError("generator", f"{generator.source}: expected square images (N, S, S, 3) as output. "
                                         f"Received: output shape {shape}")
    return int(shape[1])


def audit_generator(generator, real, *, samples=None, max_real: int = 1000, policy: str = "center-crop",
                    group_by: str = "file", classifier: str = "logreg", runs: int = 5, seed: int = 0,
                    batch_size: int = 64) -> dict:
    """Audit ``generator`` against the real images under the folder ``real``.

    Args:
        generator: a path (:func:`upconv_tf.runtime.load_generator`) or a loaded generator runner.
        real: folder of real images (recursive); brought to the generator's size by ``policy``.
        samples: generated images (default: as many as real images, at most 1000).
        max_real: use at most this many real images.
        policy: ``"center-crop"`` or ``"resize"`` for the real images.
        group_by: what a real image's group is for the held-out splits
            (:data:`upconv_tf.detection.GROUP_BY`: its file, its file-name prefix or its folder).
        classifier, runs, seed, batch_size: the detector and its splits.

    Returns:
        The report: ``generator``, ``real``, ``size``, ``counts``, ``seed``, ``policy``, ``group_by``,
        ``metrics``, ``detector``, ``spectra``, ``sanity``, ``status`` (:func:`audit_images`; a training
        folder's ``metrics.json`` gives the discriminator loss and its own gates) and ``skipped`` (real files
        that could not be used: ``[{"path", "code", "reason"}]``).

    Raises:
        ValueError: one line naming the argument in backquotes (unusable generator or folder, too few images,
            a single group).
    """
    from upconv_tf.datasets import load_folder
    from upconv_tf.detection import group_ids
    from upconv_tf.models.training import recorded_gates
    from upconv_tf.runtime import load_generator
    from upconv_tf.sampling import sample_images

    source = generator if isinstance(generator, (str, os.PathLike)) else getattr(generator, "source", "generator")
    if isinstance(generator, (str, os.PathLike)):
        try:
            generator = load_generator(generator)
        except (OSError, ValueError) as error:
            raise ArgumentError("generator", f"{source}: cannot load a generator ({error})") from None
    size = generator_size(generator)
    if not os.path.isdir(real):
        raise ArgumentError("real", f"{real}: no such folder")
    loaded = load_folder(real, size=size, policy=policy, limit=max_real)
    if len(loaded.paths) < MIN_REAL_IMAGES:
        raise NotEnoughRealImages(real, len(loaded.paths), size, loaded.errors)
    groups = group_ids(loaded.paths, group_by)
    if len(set(groups)) < 2:
        raise ArgumentError("real", f"{real}: all images fall in one group (`group_by` {group_by}); held-out splits "
                                    "need images from at least 2 sources", mentions=("group_by",))
    count = samples or min(len(loaded.paths), MAX_SAMPLES)
    fake = sample_images(generator, count, seed, batch_size, quantize_8bit=True)
    report = {"generator": os.path.abspath(source) if isinstance(source, (str, os.PathLike)) else str(source),
              "real": os.path.abspath(real), "size": size,
              "counts": {"real": len(loaded.paths), "generated": count}, "seed": seed, "policy": policy,
              "group_by": group_by}
    recorded = recorded_gates(source) if isinstance(source, (str, os.PathLike)) else {}
    report.update(audit_images(loaded.images, fake, groups, classifier, runs, seed, batch_size, **recorded))
    report["skipped"] = records(loaded.errors)
    return report


class NotEnoughRealImages(NoUsableImages):
    """Fewer than :data:`MIN_REAL_IMAGES` usable real images; ``skipped`` holds every skipped file."""

    def __init__(self, folder, usable, size, skipped):
        super().__init__(f"{folder}: {usable} usable images of at least {size} px; the audit needs "
                         f"{MIN_REAL_IMAGES} or more", [folder], skipped, "real")
        self.folder, self.usable, self.size = folder, usable, size


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
