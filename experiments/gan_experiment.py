"""GAN experiment (Durall et al., CVPR 2020, Fig. 1, 11, 13): DCGAN and LSGAN, transposed-convolution
baseline vs spectral regularisation (spectral loss + the paper's last unit: nearest x2 and 3 x 5x5 convs).

Each generator trains on crops of the 16 bundled photos with the package's training defaults (what
``upconv-tf train gan`` does: Adam 2e-4, betas 0.5 / 0.999, batch 64, R1 gamma 0.3, the floored_log spectral
term with lambda = 2 for DCGAN and 0.5 for LSGAN, base width 16; the default budget is the 800 steps measured
to train at 32 px, issue 14), then 8-bit samples are compared with real crops (another draw): spectral
distance, LFD, high-frequency power gap, decay exponent, and the paper's readout (reference profile up to the
corners, min-max per image: bins inside the real mean +- std, distance over the real-vs-real floor). Every
row passes the sanity gates first (its training run's and its samples'); a generator that fails them reads
"untrained" instead of a spectral verdict. ``dcgan-published-code`` is what the paper's published code trains
(its spectral term has no gradient: the nearest + 3 x 5x5 unit with weight 0, :data:`upconv_tf.models.ARMS`),
beside the differentiable arm ``dcgan-spectral``. FID is not computed: it needs Inception weights, which
cannot be downloaded here.

Run: ``python experiments/gan_experiment.py`` (default CPU budget, 32 px), ``--full`` (128 px, for a GPU),
``--smoke``. Each generator is a run of :func:`upconv_tf.models.training.train` (what ``upconv-tf train gan``
does: resumable, TensorBoard logs) in ``experiments/work/<budget>/<name>/``, whose ``generator.keras`` is
reused by ``detection_experiment.py``; results go to ``docs/results/gan.json`` and ``gan_*.png``.
"""

from __future__ import annotations

import os
import time

import common

BUDGET = {
    "smoke": dict(size=32, dim=8, train=128, epochs=1, steps=2, batch=64, samples=64, latent=64),
    "default": dict(size=32, dim=16, train=1024, epochs=16, steps=50, batch=64, samples=512, latent=128),
    "full": dict(size=128, dim=32, train=20000, epochs=50, steps=None, batch=64, samples=2000, latent=128),
}
# name -> (loss, last up-sampling, convolutions after it, spectral weight)
GENERATORS = {
    "dcgan-transconv": ("dcgan", "transconv", 0, 0.0),
    "dcgan-spectral": ("dcgan", "nearest", 3, 2.0),
    "dcgan-published-code": ("dcgan", "nearest", 3, 0.0),  # ARMS["published-code"]
    "lsgan-transconv": ("lsgan", "transconv", 0, 0.0),
    "lsgan-spectral": ("lsgan", "nearest", 3, 0.5),
    # Chandrasegaran et al. (CVPR 2021): only the last layer changes, no spectral loss.
    "dcgan-N.1.5": ("dcgan", "nearest", 1, 0.0),
    "dcgan-B.1.5": ("dcgan", "bilinear", 1, 0.0),
    "dcgan-Z.1.5": ("dcgan", "zero", 1, 0.0),
}
PAPER_GAN = ("dcgan-transconv", "dcgan-spectral", "dcgan-published-code", "lsgan-transconv", "lsgan-spectral")
PAPER = {"dcgan-transconv": "too much HF", "lsgan-transconv": "too much HF",
         "dcgan-spectral": "matches", "lsgan-spectral": "matches", "dcgan-published-code": "matches"}


def generator_path(work, budget_name, name):
    return os.path.join(work, budget_name, name, "generator.keras")


def train_generator(name, budget, seed, path):
    """Train one generator of :data:`GENERATORS` with :func:`upconv_tf.models.training.train` in the folder
    beside ``path`` (checkpoints, logs and ``generator.keras``); return (model, seconds)."""
    from upconv_tf.models.training import TrainingConfig, train

    loss, upsampling, correction, weight = GENERATORS[name]
    common.setup(seed)
    real = common.real_crops(budget["size"], budget["train"], seed).images * 2.0 - 1.0
    config = TrainingConfig(model="gan", size=budget["size"], latent_dim=budget["latent"], upsampling=upsampling,
                            correction=correction, kernel=5, dim=budget["dim"], norm="batch", loss=loss,
                            spectral_weight=weight, epochs=budget["epochs"], steps_per_epoch=budget["steps"],
                            batch_size=budget["batch"], count=budget["train"], seed=seed)
    started = time.time()
    result = train(config, os.path.dirname(path), images=real, verbose=0)
    seconds = time.time() - started
    last = {key: round(values[-1], 4) for key, values in result.history.items()}
    common.log(f"  trained {name} in {seconds:.0f} s ({budget['epochs']} epochs); last losses {last}")
    return result.model.generator, seconds


def ensure_generator(name, args, budget):
    """The trained generator ``name`` from the work folder, training it first when it is missing."""
    from upconv_tf.models import load_generator_model

    path = generator_path(args.work, args.budget, name)
    if os.path.exists(path):
        return load_generator_model(path), None
    return train_generator(name, budget, args.seed, path)


def sample(generator, count, seed, batch=64):
    """8-bit samples in [0, 1] (as the audit samples)."""
    from upconv_tf.sampling import sample_images

    return sample_images(generator, count, seed, batch, quantize_8bit=True)


def save_grid(images, path, columns=8):
    from upconv_tf.sampling import save_grid as save

    rows = len(images) // columns
    return save(images[: rows * columns], path, columns)


def sanity_gates(name, images, real, args):
    """The gates a generator's row is read under: its training run's recorded ones and its samples' against ``real``."""
    from upconv_tf.models import sanity
    from upconv_tf.models.training import recorded_gates

    return sanity.gan_sanity(images, real, **recorded_gates(generator_path(args.work, args.budget, name)))


def evaluate(names, args, budget, run, real):
    """Metrics rows and samples of each generator in ``names``; a generator that fails the sanity gates
    (its training run's, and its samples' against ``real``) reads "untrained"."""
    rows, samples = [], {}
    for name in names:
        generator, seconds = ensure_generator(name, args, budget)
        images = sample(generator, budget["samples"], args.seed + 1)
        samples[name] = images
        loss, upsampling, correction, weight = GENERATORS[name]
        gates = sanity_gates(name, images, real, args)
        row = dict(common.metric_row(real, images), generator=name, loss=loss, upsampling=upsampling,
                   correction=correction, spectral_weight=weight,
                   train_seconds=None if seconds is None else round(seconds, 1),
                   status=gates["status"], sanity=gates)
        row["hf"] = common.gated(common.hf_reading(row["high_frequency_gap_db"]), gates)
        row["readout"] = common.readout_row(real, images, gates)
        rows.append(row)
        save_grid(images[:32], run.path(f"gan_samples_{name}.png"))
        common.log(f"  {name:16s} {gates['status']} {'; '.join(gates['reasons'])}")
        common.log(f"  {name:16s} spectral distance {row['spectral_distance']:.4f}  LFD "
                   f"{row['log_frequency_distance']:.3f}  HF gap {row['high_frequency_gap_db']:+.2f} dB ({row['hf']})  "
                   f"decay {row['decay_exponent_fake']:.2f} vs real {row['decay_exponent_real']:.2f}")
    return rows, samples


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    run = common.Run("gan", args)
    budget = BUDGET[args.budget]
    common.log(f"GAN experiment ({args.budget}): {budget['size']} px, dim {budget['dim']}, {budget['train']} "
               f"real crops, {budget['epochs']} epochs of batch {budget['batch']}")
    real = common.real_crops(budget["size"], budget["samples"], args.seed + 7).images
    held_out = common.real_crops(budget["size"], budget["samples"], args.seed + 8).images
    reference = dict(common.metric_row(real, held_out), generator="real (another draw of crops)", loss="-",
                     upsampling="-", correction=0, spectral_weight=0.0, train_seconds=None)
    reference["hf"] = common.hf_reading(reference["high_frequency_gap_db"])
    reference["readout"] = common.readout_row(real, held_out)
    rows, samples = evaluate(PAPER_GAN, args, budget, run, real)
    from upconv_tf.models import readout

    for loss in ("dcgan", "lsgan"):
        sets = {"real": real, **{f"{n}": samples[n] for n in PAPER_GAN if n.startswith(loss)}}
        common.plot(sets, run.path(f"gan_{loss}.png"), f"{loss.upper()} spectra ({budget['size']} px)")
        readout.plot_readout(sets, run.path(f"gan_readout_{loss}.png"),
                             title=f"{loss.upper()} {budget['size']} px: reference profile, min-max, mean +- std")
    run.save({"budget_settings": budget, "paper": PAPER, "rows": [reference] + rows,
              "plots": ["gan_readout_dcgan.png", "gan_readout_lsgan.png", "gan_dcgan.png", "gan_lsgan.png"]
              + [f"gan_samples_{n}.png" for n in PAPER_GAN],
              "fid": "not computed: FID needs Inception-v3 weights, which cannot be downloaded offline"})


if __name__ == "__main__":
    main()
