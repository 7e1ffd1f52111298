"""The experiments read no spectral verdict from a model that did not train."""

import importlib.util
import os
import sys

from paths import REPO

ROOT = REPO


def experiment_module(name):
    folder = os.path.join(ROOT, "experiments")
    if folder not in sys.path:
        sys.path.insert(0, folder)  # the scripts import their sibling `common`
    spec = importlib.util.spec_from_file_location(f"experiments_{name}", os.path.join(folder, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_untrained_row_reads_untrained_and_is_no_disagreement():
    import numpy as np

    from upconv_tf.datasets import bundled_crops
    from upconv_tf.models import sanity

    common, results = experiment_module("common"), experiment_module("make_results")
    real = bundled_crops(32, 32, seed=3).images
    collapsed = sanity.gan_sanity(np.repeat(real[:1], 32, axis=0), real, d_loss=0.6)
    fine = sanity.gan_sanity(bundled_crops(32, 32, seed=4).images, real, d_loss=0.6)
    assert common.gated("too much HF", collapsed) == "untrained" and common.gated("too much HF", fine) == "too much HF"
    metric = dict(spectral_distance=0.1, spectral_bce_loss=0.7, log_frequency_distance=1.0, high_frequency_gap_db=3.0,
                  decay_exponent_fake=2.0, decay_exponent_real=2.5)
    rows = [dict(metric, generator=name, loss="dcgan", upsampling="transconv", correction=0, spectral_weight=0.0,
                 hf=common.gated("matches", gates), status=gates["status"], sanity=gates)
            for name, gates in (("dcgan-transconv", collapsed), ("lsgan-transconv", fine))]
    result = {"rows": rows, "paper": {"dcgan-transconv": "too much HF", "lsgan-transconv": "too much HF"},
              "fid": "not computed", "command": "x", "budget": "default", "seed": 0, "run_time_s": 60.0,
              "date": "today", "budget_settings": {}, "plots": [],
              "machine": dict(cpu="cpu", cores=2, gpu="none", tensorflow="2", python="3")}
    disagreements = []
    text = "\n".join(results.gan_section(result, disagreements))
    assert "| dcgan-transconv | transconv + 0 conv | 0.0 |" in text
    line = next(line for line in text.splitlines() if line.startswith("| dcgan-transconv"))
    assert "| untrained | too much HF | untrained |" in line
    assert f"- dcgan-transconv: {'; '.join(collapsed['reasons'])}" in text  # why it reads untrained
    assert disagreements == ["GAN lsgan-transconv: ours matches (+3.00 dB), paper too much HF."]


def test_detection_reads_no_verdict_from_an_untrained_generator():
    """Chandrasegaran's transfer rows: an untrained variant reads "untrained", is not compared with the paper and is
    no disagreement; a trained one keeps its accuracy reading."""
    import numpy as np

    from upconv_tf.datasets import bundled_crops

    detection, results = experiment_module("detection_experiment"), experiment_module("make_results")
    crops = bundled_crops(32, 64, seed=5)
    fake = np.clip(bundled_crops(32, 64, seed=6).images + np.random.default_rng(0).normal(0, 0.2, (64, 32, 32, 3)), 0, 1)
    names = detection.CHANDRASEGARAN
    rows = detection.transfer(crops.images, crops.groups, fake, {n: fake for n in names}, runs=2, seed=0,
                              classifiers=("logreg",), statuses={"dcgan-N.1.5": "untrained"})
    readings = {r["generator"]: r["reading"] for r in rows}
    assert readings["dcgan-N.1.5"] == "untrained"
    assert all(readings[n] in ("detected", "partly", "bypass") for n in names if n != "dcgan-N.1.5")
    metric = dict(spectral_distance=0.1, spectral_bce_loss=0.7, log_frequency_distance=1.0, high_frequency_gap_db=3.0,
                  decay_exponent_fake=2.0, decay_exponent_real=2.5)
    result = {"part_a": [], "samples": [], "runs": 2, "plots": ["chandrasegaran.png"],
              "reading_thresholds": {"detected_accuracy": detection.DETECTED_ACCURACY,
                                     "bypass_accuracy": detection.BYPASS_ACCURACY},
              "chandrasegaran_spectra": [dict(metric, generator=n, hf="x",
                                              status="untrained" if n == "dcgan-N.1.5" else "trained") for n in names],
              "chandrasegaran_transfer": rows, "command": "x", "budget": "default", "seed": 0, "run_time_s": 60.0,
              "date": "today", "machine": dict(cpu="cpu", cores=2, gpu="none", tensorflow="2", python="3")}
    disagreements = []
    text = "\n".join(results.detection_section(result, disagreements))
    line = next(line for line in text.splitlines() if line.startswith("| dcgan-N.1.5 |"))
    assert line.rstrip().endswith("| untrained | bypass | - |")
    assert not any("dcgan-N.1.5" in d for d in disagreements)
    # Z.1.5's paper reading is "detected": this weak detector's reading of it is compared (and may disagree).
    assert "| dcgan-Z.1.5 |" in text
