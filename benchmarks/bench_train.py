"""SpectralGAN training-step time with and without the spectral term (DCGAN, 64 px, batch 64).

Two :class:`upconv_tf.models.SpectralGAN` built alike (``build_generator(64)``, ``build_discriminator(64)``,
``loss="dcgan"``), one with ``spectral_weight=2`` (the paper's DCGAN setting, real spectrum given so no
estimation pass runs) and one with ``spectral_weight=0`` (the spectrum is skipped entirely). Each step is
``train_on_batch`` on the same real batch (bundled photo crops in [-1, 1]): one discriminator and one
generator update, in Keras' compiled train function. Steps are timed in interleaved turns
(:mod:`harness`). Also timed: the spectral loss alone (forward + gradient w.r.t. the fake batch).

Target: overhead = step time with / step time without - 1 <= 10 % (median over rounds of the paired
turns' ratio).

Run: ``python benchmarks/bench_train.py [--quick]`` -> ``benchmarks/results/train.json``.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SIZE, BATCH, SPECTRAL_WEIGHT, TARGET = 64, 64, 2.0, 0.10


def build():
    """``{name: (function, steps_per_call)}`` and the configuration."""
    import keras
    import tensorflow as tf

    from upconv_tf import spectral
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.models import SpectralGAN, SpectralTerm, build_discriminator, build_generator

    real = bundled_crops(SIZE, BATCH, seed=0).images * 2.0 - 1.0
    profile = spectral.mean_spectrum(real, mode="reference", normalize="minmax")
    gans = {}
    for name, weight in (("with_spectral", SPECTRAL_WEIGHT), ("without_spectral", 0.0)):
        keras.utils.set_random_seed(0)
        gan = SpectralGAN(build_generator(SIZE), build_discriminator(SIZE), loss="dcgan",
                          spectral=SpectralTerm(weight), real_spectrum=profile if weight else None, seed=0)
        gan.compile()
        gans[name] = gan
    candidates = {name: ((lambda gan=gan: gan.train_on_batch(real)), 1) for name, gan in gans.items()}

    gan = gans["with_spectral"]
    fake = tf.constant(real[::-1].copy())

    @tf.function
    def spectral_term(images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            loss = gan.spectral_loss(images)
        return tape.gradient(loss, images)

    candidates["spectral_loss_and_gradient"] = ((lambda: spectral_term(fake).numpy()), 1)
    config = {"size": SIZE, "batch": BATCH, "loss": "dcgan", "spectral_weight": SPECTRAL_WEIGHT,
              "spectral_mode": gan.spectral_mode, "generator_parameters": gan.generator.count_params(),
              "discriminator_parameters": gan.discriminator.count_params(), "jit_compile": gan.jit_compile}
    return candidates, config


def main(argv=None) -> int:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    candidates, config = build()
    # A step takes ~0.3-1 s on 2 cores: more, longer turns than the other benchmarks so that the best turn
    # holds several steps.
    timing = {"rounds": 3, "min_time": 1.0} if args.quick else {"rounds": 6, "min_time": 2.0}
    rates = harness.measure(candidates, **timing)
    seconds = {name: 1.0 / value["per_second"] for name, value in rates.items()}
    # Paired turns (run back to back in each round) share the machine's load: the median of their ratios
    # is steadier than the ratio of the two best turns.
    paired = sorted(without / with_ - 1.0 for with_, without in
                    zip(rates["with_spectral"]["turns"], rates["without_spectral"]["turns"]))
    overhead = paired[len(paired) // 2]
    data = {"environment": harness.environment(), "config": config, "timing": timing,
            "steps_per_second": rates, "seconds_per_step": seconds,
            "ratios": {"spectral_overhead": overhead, "spectral_overhead_per_round": paired,
                       "best_step_ratio": seconds["with_spectral"] / seconds["without_spectral"] - 1.0,
                       "spectral_term_share_of_step": seconds["spectral_loss_and_gradient"] / seconds["with_spectral"]},
            "targets": {"spectral_overhead": {"value": overhead, "target": TARGET, "met": overhead <= TARGET,
                                              "direction": "<="}}}
    print({name: round(value * 1000, 1) for name, value in seconds.items()}, "ms/step; overhead",
          f"{overhead:.1%}", flush=True)
    harness.save("train", data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
