"""Subprocess helper for tests/models/test_distribute.py (devices must be configured before TF starts).

``python distribute_worker.py local OUT KINDS``
    splits the CPU into 2 logical devices, then for each kind trains the same tiny model from the same
    initial weights on one device (default strategy) and under ``MirroredStrategy`` over the 2 devices,
    and writes ``OUT/<kind>_init.npz``, ``OUT/<kind>_single.npz``, ``OUT/<kind>_mirrored.npz``.
``python distribute_worker.py multiworker OUT KINDS INDEX PORT0,PORT1``
    one worker of a 2-worker ``MultiWorkerMirroredStrategy`` on 127.0.0.1 (TF_CONFIG set here); writes
    ``OUT/<kind>_init_w<INDEX>.npz`` and ``OUT/<kind>_multiworker_w<INDEX>.npz``.
``python distribute_worker.py train OUT EPOCHS INDEX PORT0,PORT1``
    one worker of ``upconv_tf.models.training.train`` (what ``upconv-tf train gan`` runs) under TF_CONFIG,
    into the run folder ``OUT/run``; writes what it returned to ``OUT/train_w<INDEX>.json`` and the
    generator's weights to ``OUT/train_w<INDEX>.npz`` (outside the run folder).

Every run uses ``model.fit`` on the same global batches, float64 (``keras.config.set_floatx`` and float64 data;
see tests/models/test_distribute.py), the default R1 penalty for dcgan, SGD (unlike Adam, SGD is not invariant to a
constant loss scale, so a missing or doubled 1/replicas factor changes the weights), no batch norm (its
statistics depend on how the batch is split): the generator has no norm, the discriminator layer norm
(per-sample statistics), the auto-encoder none.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

SIZE, LATENT, DIM, GLOBAL_BATCH, STEPS, LR = 32, 16, 8, 8, 3, 0.01
# "dcgan-doublescaled": a negative control, dcgan with the loss divided by the replicas twice. "refiner": the
# spectrum refiner (STIG), trained on (generated, real) pairs in [0, 1].
KINDS = ("dcgan", "wgan-gp", "ae", "dcgan-doublescaled", "refiner")


def build(kind):
    import keras

    from upconv_tf.models import SpectralAutoencoder, SpectralGAN, SpectralTerm, build_discriminator, build_generator

    keras.config.set_floatx("float64")  # float64 layers, variables and data (see tests/models/test_distribute.py)
    keras.utils.set_random_seed(0)
    if kind == "refiner":
        from upconv_tf.models import build_refiner

        model = build_refiner(SIZE, width=4, depth=3, discriminator_width=4, seed=7,
                              losses={"nce_patches": 16, "nce_units": 8})
        model.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR))
        return model
    if kind == "ae":
        model = SpectralAutoencoder(SIZE, "transconv", correction=1, kernel_size=3, filters=DIM, spectral=SpectralTerm(0.5))
        model.compile(keras.optimizers.SGD(LR))
        return model
    if kind == "dcgan-doublescaled":
        from upconv_tf.models import distribute

        if not hasattr(distribute, "original_scale"):
            distribute.original_scale = distribute.scale_for_replicas
            distribute.scale_for_replicas = lambda loss: distribute.original_scale(distribute.original_scale(loss))
        kind = "dcgan"
    generator = build_generator(SIZE, LATENT, "transconv", correction=0, dim=DIM, norm="none")
    discriminator = build_discriminator(SIZE, norm="layer", dim=DIM)
    model = SpectralGAN(generator, discriminator, loss=kind, spectral=SpectralTerm(2.0), n_critic=2, seed=7)
    assert model.r1_weight > 0 or kind == "wgan-gp"  # dcgan runs with its default R1 penalty
    model.compile(g_optimizer=keras.optimizers.SGD(LR), d_optimizer=keras.optimizers.SGD(LR))
    return model


def _parts(model):
    if not hasattr(model, "generator"):
        return [model]
    return [model.generator, model.discriminator] + [getattr(model, name) for name in (
        "spectral_discriminator", "nce_head") if hasattr(model, name)]


def trained_weights(model):
    return [w for m in _parts(model) for w in m.get_weights()]


def set_trained_weights(model, weights):
    for m in _parts(model):
        count = len(m.get_weights())
        m.set_weights(weights[:count])
        weights = weights[count:]


def dataset(kind=None):
    import numpy as np
    import tensorflow as tf

    from upconv_tf.datasets import bundled_crops

    images = bundled_crops(SIZE, GLOBAL_BATCH * STEPS, seed=3).images
    if kind == "refiner":
        from upconv_tf.fakes import make_fakes

        fakes = make_fakes(bundled_crops(SIZE, GLOBAL_BATCH * STEPS, seed=4).images, "transconv")
        pairs = (fakes.astype(np.float64), images.astype(np.float64))
        data = tf.data.Dataset.from_tensor_slices(pairs).batch(GLOBAL_BATCH, drop_remainder=True)
    else:
        data = tf.data.Dataset.from_tensor_slices((images * 2.0 - 1.0).astype(np.float64)).batch(
            GLOBAL_BATCH, drop_remainder=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return data.with_options(options)


def train(model, kind=None):
    model.fit(dataset(kind), epochs=1, verbose=0)
    return trained_weights(model)


def save(path, weights):
    import numpy as np

    np.savez(path, *weights)


def run_local(out, kinds):
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    for kind in kinds:
        model = build(kind)
        init = trained_weights(model)
        save(os.path.join(out, f"{kind}_init.npz"), init)
        save(os.path.join(out, f"{kind}_single.npz"), train(model, kind))
        with strategy.scope():
            model = build(kind)
            set_trained_weights(model, init)
        save(os.path.join(out, f"{kind}_mirrored.npz"), train(model, kind))


def run_multiworker(out, kinds, index, ports):
    os.environ["TF_CONFIG"] = tf_config(index, ports)
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    assert strategy.num_replicas_in_sync == len(ports)
    for kind in kinds:
        with strategy.scope():
            model = build(kind)
        save(os.path.join(out, f"{kind}_init_w{index}.npz"), trained_weights(model))
        save(os.path.join(out, f"{kind}_multiworker_w{index}.npz"), train(model, kind))


def tf_config(index, ports):
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                       "task": {"type": "worker", "index": index}})


def run_training(out, epochs, index, ports):
    os.environ["TF_CONFIG"] = tf_config(index, ports)
    from upconv_tf.models.training import TrainingConfig, train

    config = TrainingConfig(model="gan", size=SIZE, dim=4, latent_dim=LATENT, count=16, batch_size=GLOBAL_BATCH,
                            epochs=epochs, steps_per_epoch=2, save_every=1, upsampling="nearest", correction=1)
    result = train(config, os.path.join(out, "run"), verbose=0)
    with open(os.path.join(out, f"train_w{index}.json"), "w") as handle:
        json.dump({"start_step": result.start_step, "total_steps": result.total_steps, "model_path": result.model_path,
                   "status": result.metrics["status"], "replicas": result.model.distribute_strategy.num_replicas_in_sync},
                  handle)
    save(os.path.join(out, f"train_w{index}.npz"), result.model.generator.get_weights())


if __name__ == "__main__":
    mode, out, kinds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    if mode == "train":
        run_training(out, int(sys.argv[3]), int(sys.argv[4]), [int(p) for p in sys.argv[5].split(",")])
    elif mode == "local":
        run_local(out, kinds)
    else:
        run_multiworker(out, kinds, int(sys.argv[4]), [int(p) for p in sys.argv[5].split(",")])
