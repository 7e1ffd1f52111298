"""Auto-encoder experiment (Durall et al., CVPR 2020, Fig. 5, 7, 8; supplement Fig. 20-21).

The model down-samples each real crop by 2 itself (2 x 2 average) and up-samples it back with one unit:
transposed convolution, nearest + conv or bilinear + conv; each with and without the spectral loss
(lambda = 0.5) and with and without the 3 x 5x5 correction layers (a 2 x 2 design). Trained on crops of 12
bundled photos, evaluated on crops of the 4 others: MSE, spectral distance to the real crops, LFD,
high-frequency power gap and decay exponent, and the paper's readout (reference profile up to the corners,
min-max per image). A model that fails the sanity gates (reconstruction no better than 1.25 x the 2 x 2
block-mean baseline, or pixel spread off by 25 %) reads "untrained" instead of a spectral verdict.

Run: ``python experiments/ae_experiment.py`` (default CPU budget: 32 px, 1500 steps, about 15 min on 2 cores),
``--full`` (128 px, long training, for a GPU), ``--smoke`` (seconds; meaningless numbers).
Each model is a run of :func:`upconv_tf.models.training.train` under ``experiments/work/<budget>/``.
Writes ``docs/results/ae.json`` and ``docs/results/ae_<upsampling>.png``.
"""

from __future__ import annotations

import os

import numpy as np

import common

BUDGET = {
    "smoke": dict(size=32, train=64, test=32, epochs=1, steps=2, batch=32, filters=8),
    "default": dict(size=32, train=1152, test=384, epochs=30, steps=50, batch=32, filters=32),
    "full": dict(size=128, train=6000, test=1000, epochs=60, steps=None, batch=64, filters=32),
}
UPSAMPLINGS = ("transconv", "nearest", "bilinear")
SPECTRAL_WEIGHT = 0.5  # the paper's lambda for the auto-encoder
# (label, spectral loss, 3 x 5x5 correction)
VARIANTS = (("plain", False, False), ("+spectral", True, False), ("+correction", False, True),
            ("+spectral +correction", True, True))
# What the paper shows for each unit without the fix (Fig. 5): transconv adds high-frequency power,
# interpolation + conv loses it; with the spectral loss and the correction the spectrum matches.
PAPER = {"transconv": "too much HF", "nearest": "missing HF", "bilinear": "missing HF"}


def train_one(upsampling, spectral, correction, train, budget, seed, work):
    """One auto-encoder, trained by :func:`upconv_tf.models.training.train` in a folder under ``work``."""
    from upconv_tf.models.training import TrainingConfig
    from upconv_tf.models.training import train as train_run

    common.setup(seed)
    config = TrainingConfig(model="autoencoder", size=budget["size"], upsampling=upsampling,
                            correction=3 if correction else None, kernel=5, dim=budget["filters"],
                            spectral_weight=SPECTRAL_WEIGHT if spectral else 0.0, lr=1e-3, epochs=budget["epochs"],
                            steps_per_epoch=budget["steps"], batch_size=budget["batch"], seed=seed)
    name = f"ae-{upsampling}{'-spectral' if spectral else ''}{'-correction' if correction else ''}"
    return train_run(config, os.path.join(work, name), images=train * 2.0 - 1.0, verbose=0).model


def reconstruct(model, images01, batch=64):
    from upconv_tf.sampling import quantize, to_unit_range

    out = np.concatenate([np.asarray(model(images01[i:i + batch] * 2.0 - 1.0, training=False))
                          for i in range(0, len(images01), batch)])
    return quantize(to_unit_range(out))


def main():
    from upconv_tf.models import readout, sanity

    args = common.parser(__doc__.splitlines()[0]).parse_args()
    run = common.Run("ae", args)
    budget = BUDGET[args.budget]
    crops = common.real_crops(budget["size"], budget["train"] + budget["test"], args.seed)
    train_set, test_set = common.photo_split(crops, test_photos=4, seed=args.seed)
    train, test = train_set.images[:budget["train"]], test_set.images[:budget["test"]]
    common.log(f"AE experiment ({args.budget}): {budget['size']} px, {len(train)} training crops "
               f"({len(np.unique(train_set.groups))} photos), {len(test)} test crops (other photos)")
    reference = dict(common.metric_row(test, train[:len(test)]), upsampling="real", variant="other photos",
                     spectral_loss=False, correction=False, mse=None)
    reference["hf"] = common.hf_reading(reference["high_frequency_gap_db"])
    reference["readout"] = common.readout_row(test, train[:len(test)])
    rows = [reference]
    for upsampling in UPSAMPLINGS:
        sets = {"real (test photos)": test}
        for label, spectral, correction in VARIANTS:
            model = train_one(upsampling, spectral, correction, train, budget, args.seed,
                              os.path.join(args.work, args.budget))
            output = reconstruct(model, test)
            gates = sanity.autoencoder_sanity(output, test)
            row = common.metric_row(test, output)
            row.update(upsampling=upsampling, variant=label, spectral_loss=spectral, correction=correction,
                       mse=float(np.mean((output - test) ** 2)), status=gates["status"], sanity=gates,
                       hf=common.gated(common.hf_reading(row["high_frequency_gap_db"]), gates),
                       readout=common.readout_row(test, output, gates))
            rows.append(row)
            sets[f"{upsampling} {label}"] = output
            common.log(f"  {upsampling:9s} {label:22s} MSE {row['mse']:.5f}  spectral distance "
                       f"{row['spectral_distance']:.4f}  LFD {row['log_frequency_distance']:.3f}  "
                       f"HF gap {row['high_frequency_gap_db']:+.2f} dB ({row['hf']})"
                       + (f" [{'; '.join(gates['reasons'])}]" if gates["reasons"] else ""))
        common.plot(sets, run.path(f"ae_{upsampling}.png"),
                    f"Auto-encoder, {upsampling} up-sampling ({budget['size']} px, test photos)")
        readout.plot_readout(sets, run.path(f"ae_readout_{upsampling}.png"),
                             title=f"Auto-encoder, {upsampling}: reference profile, min-max, mean +- std")
    run.save({"budget_settings": budget, "spectral_weight": SPECTRAL_WEIGHT, "paper": PAPER, "rows": rows,
              "plots": [f"ae_readout_{u}.png" for u in UPSAMPLINGS] + [f"ae_{u}.png" for u in UPSAMPLINGS],
              "notes": "MSE on [0, 1] images; metrics of the reconstructions of held-out photos against those "
                       "photos' crops; HF gap = mean power difference (dB) over the upper quarter of the rings."})


if __name__ == "__main__":
    main()
