"""Issue 14: the experiments read no spectral verdict from a model that did not train."""

import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
