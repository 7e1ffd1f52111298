"""The measurement of issue 14 ("Done when"), read from runs of the command line.

The issue measures GAN training with the CLI itself; this script reads what those commands wrote and turns
it into numbers, pictures and ``docs/results/gan_cli.json`` (rendered into docs/RESULTS.md by
``make_results.py``). Train and sample first, for each spectral weight W (0 and 2):

    upconv-tf train gan --loss dcgan --size 32 --upsampling nearest --correction 3 --kernel 5 --data bundled \\
        --epochs 16 --steps-per-epoch 50 --seed 1 --spectral-weight W --out runs/gan_wW_seed1
    upconv-tf generate runs/gan_wW_seed1 -n 256 --out runs/gan_wW_seed1.samples

then ``python experiments/gan_cli_measurement.py runs/gan_w0_seed1 runs/gan_w2_seed1``. A run folder made with
other settings than the issue's is refused.

Numbers (the issue's definitions): the last-epoch ``d_loss`` (``history.json``); pixel spread and diversity of
the 256 samples over those of real crops ``bundled_crops(32, 512, seed=9)`` (:mod:`upconv_tf.models.sanity`,
which also gives the verdict "trained" / "untrained"); the paper's readout (:mod:`upconv_tf.models.readout`):
the fraction of reference-profile bins of the samples' mean min-max profile inside the real mean +- 1 std, the
spectral distance against the real-vs-real floor, the HF gap below N/2 and in the corners. Writes
``gan_cli.json``, ``gan_w<W>_seed<S>.png`` (the first 64 samples) and ``gan_cli_readout.png``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os

import common

# The command, as written; a run folder must hold exactly these settings.
COMMAND = ("upconv-tf train gan --loss dcgan --size 32 --upsampling nearest --correction 3 --kernel 5 --data bundled "
           "--epochs 16 --steps-per-epoch 50 --seed {seed} --spectral-weight {weight}")
SETTINGS = dict(model="gan", loss="dcgan", size=32, upsampling="nearest", correction=3, kernel=5, data="bundled",
                epochs=16, steps_per_epoch=50)
REAL = dict(size=32, count=512, seed=9)  # the real crops
# Done when: both runs d_loss >= 0.05, spread within 25 % of real, diversity >= 50 % of real; weight 2: >= 90 %
# of the bins inside the real band.
DONE_WHEN = dict(d_loss=0.05, spread_tolerance=0.25, diversity=0.5, bins_in_band=0.9)


def read_run(folder):
    """(config, history, samples in [0, 1]) of a run folder and its ``<folder>.samples`` PNGs."""
    from upconv_tf.datasets import load_folder

    with open(os.path.join(folder, "config.json")) as handle:
        config = json.load(handle)
    different = {key: config.get(key) for key, value in SETTINGS.items() if config.get(key) != value}
    if different:
        raise SystemExit(f"{folder}: not the issue's command (settings {different})")
    with open(os.path.join(folder, "history.json")) as handle:
        history = json.load(handle)
    samples_folder = folder.rstrip(os.sep) + ".samples"
    if not glob.glob(os.path.join(samples_folder, "*.png")):
        raise SystemExit(f"{samples_folder}: no samples; run `upconv-tf generate {folder} -n 256 --out {samples_folder}`")
    samples = load_folder(samples_folder, size=config["size"], policy="none")
    return config, history, samples.images


def measure(folder, real, out):
    from upconv_tf.models import readout, sanity
    from upconv_tf.sampling import save_grid

    config, history, samples = read_run(folder)
    d_loss = history["d_loss"][-1]
    gates = sanity.gan_sanity(samples, real, d_loss)
    reading = readout.paper_readout(real, samples)
    weight, seed = config["spectral_weight"], config["seed"]
    grid = f"gan_w{weight:g}_seed{seed}.png"
    save_grid(samples[:64], os.path.join(out, grid), 8)
    done = (d_loss >= DONE_WHEN["d_loss"] and abs(gates["pixel_spread_ratio"] - 1) <= DONE_WHEN["spread_tolerance"]
            and gates["diversity_ratio"] >= DONE_WHEN["diversity"]
            and (weight == 0 or reading["bins_in_band"] >= DONE_WHEN["bins_in_band"]))
    row = {"spectral_weight": weight, "seed": seed, "command": COMMAND.format(seed=seed, weight=f"{weight:g}"),
           "samples": len(samples), "d_loss": d_loss, "pixel_spread_ratio": gates["pixel_spread_ratio"],
           "diversity_ratio": gates["diversity_ratio"], "saturation": gates["saturation"],
           "saturation_real": gates["saturation_real"], "status": gates["status"], "reasons": gates["reasons"],
           "bins_in_band": reading["bins_in_band"], "spectral_distance": reading["spectral_distance"],
           "real_floor": reading["real_floor"], "distance_over_floor": reading["distance_over_floor"],
           "hf_gap_below_half_db": reading["hf_gap"]["below_half_db"], "hf_gap_corners_db": reading["hf_gap"]["corners_db"],
           "matches": reading["matches"] if gates["status"] == "trained" else None,
           "done_when": bool(done), "grid": grid}
    common.log(f"  w={weight:g} seed {seed}: d_loss {d_loss:.3f}, spread {row['pixel_spread_ratio']:.3f} x real, "
               f"diversity {row['diversity_ratio']:.3f} x real, bins in band {row['bins_in_band']:.2f}, "
               f"{gates['status']}, done-when {'met' if done else 'NOT met'}")
    return row, samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders of the issue's command (samples in <run>.samples)")
    parser.add_argument("--out", default=common.RESULTS, help="results folder (default docs/results)")
    args = parser.parse_args()
    args.budget, args.seed = "cli", None
    run = common.Run("gan_cli", args)
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.models import readout

    real = bundled_crops(REAL["size"], REAL["count"], seed=REAL["seed"]).images
    rows, sets = [], {f"real crops (n={len(real)})": real}
    for folder in args.runs:
        row, samples = measure(folder, real, args.out)
        rows.append(row)
        sets[f"spectral weight {row['spectral_weight']:g}, seed {row['seed']}"] = samples
    readout.plot_readout(sets, run.path("gan_cli_readout.png"), title="DCGAN 32 px, nearest + 3 x 5x5, 800 steps")
    run.save({"rows": rows, "real": REAL, "done_when": DONE_WHEN,
              "generate": "upconv-tf generate OUT -n 256 --out OUT.samples",
              "plots": ["gan_cli_readout.png"] + [row["grid"] for row in rows]})


if __name__ == "__main__":
    main()
