"""What a custom ``train_step`` needs to give the same result on one device and on N replicas.

Keras 3 (TensorFlow backend) sums the gradients of all replicas in ``optimizer.apply_gradients``; its own
losses divide by the number of replicas for that reason (``sum_over_batch_size`` reduction). Our
train steps compute plain means over the replica's share of the batch and call
:func:`scale_for_replicas` exactly once before differentiating: no ``tf.nn.compute_average_loss`` on
top, no double scaling (SPEC s. 8).

Random draws (latents, penalty weights) are made for the *global* batch from the same seed on every
replica and each replica keeps its own slice (:func:`replica_slice`), so a step on 2 replicas uses the
very numbers a single device uses for the same global batch.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from upconv_tf.errors import ArgumentError

_multi_worker_strategy = None  # one per process: TensorFlow allows a single collective setup


def num_replicas() -> int:
    """Replicas in sync of the current strategy (1 outside ``tf.distribute``)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_id():
    """Index of the current replica across all workers (0 outside ``tf.distribute``)."""
    context = tf.distribute.get_replica_context()
    return 0 if context is None else context.replica_id_in_sync_group


def scale_for_replicas(loss):
    """Divide a per-replica mean loss by the number of replicas (gradients are summed across them)."""
    replicas = num_replicas()
    return loss if replicas == 1 else loss * tf.cast(1.0 / replicas, loss.dtype)


def replica_slice(global_values, local_batch):
    """The rows of a global-batch tensor that belong to this replica (replica i gets block i)."""
    start = tf.cast(replica_id(), tf.int32) * local_batch
    return global_values[start:start + local_batch]


def global_draw(sample, local_batch, shape, seed, dtype=tf.float32):
    """Draw ``(global_batch,) + shape`` values with ``sample(shape, seed=...)`` and keep this replica's rows.

    Args:
        sample: ``tf.random.stateless_normal`` or ``tf.random.stateless_uniform``.
        local_batch: scalar int32 tensor, the replica's batch size.
        shape: per-sample shape (tuple of ints).
        seed: shape-(2,) integer seed, the same on every replica.
    """
    global_shape = tf.concat([[local_batch * num_replicas()], tf.constant(shape, tf.int32)], axis=0)
    return replica_slice(sample(global_shape, seed=seed, dtype=dtype), local_batch)


def global_std(values):
    """Population standard deviation of ``values`` over the whole global batch (all replicas)."""
    values = tf.cast(values, tf.float32)
    moments = tf.stack([tf.reduce_sum(values), tf.reduce_sum(tf.square(values)), tf.cast(tf.size(values), tf.float32)])
    context = tf.distribute.get_replica_context()
    if context is not None and context.num_replicas_in_sync > 1:
        moments = context.all_reduce(tf.distribute.ReduceOp.SUM, moments)
    mean = moments[0] / moments[2]
    return tf.sqrt(tf.maximum(moments[1] / moments[2] - tf.square(mean), 0.0))


def global_mean(values):
    """Mean over the first axis of ``values`` across the whole global batch (all replicas), differentiable.

    ``ReplicaContext.all_reduce`` passes gradients back all-reduced, so with the loss divided by the number of
    replicas once (:func:`scale_for_replicas`) N replicas get the single-device gradient.
    """
    total = tf.reduce_sum(values, axis=0)
    count = tf.cast(tf.shape(values)[0], values.dtype)
    context = tf.distribute.get_replica_context()
    if context is not None and context.num_replicas_in_sync > 1:
        total, count = context.all_reduce(tf.distribute.ReduceOp.SUM, [total, count])
    return total / count


def _multi_worker(strategy) -> bool:
    extended = getattr(strategy, "extended", None)
    in_multi_worker = getattr(extended, "_in_multi_worker_mode", None)
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and bool(
        in_multi_worker and in_multi_worker())


def step_outputs(logs: dict) -> dict:
    """Logs returned by a ``train_step``, shaped so that Keras can reduce them under every strategy.

    Keras 3 (``reduce_per_replica``) reduces each value with ``strategy.reduce("MEAN", v, axis=0)``
    across several workers, which fails on scalars (tensorflow/tensorflow#72388); there, values get a
    leading axis of length 1 that this reduction removes again.
    """
    if _multi_worker(tf.distribute.get_strategy()):
        return {name: tf.reshape(value, [1]) for name, value in logs.items()}
    return logs


def training_strategy():
    """The strategy :func:`upconv_tf.models.training.train` runs under.

    ``MultiWorkerMirroredStrategy`` when the ``TF_CONFIG`` environment variable names a cluster (one process
    per worker; TensorFlow reads the cluster and this process' task from it), created once per process and
    before any other TensorFlow op (collectives are configured at program start-up); ``MirroredStrategy``
    on a machine with several GPUs; else the default strategy (one device).

    Raises:
        ValueError: ``TF_CONFIG`` is set but is not JSON naming a ``cluster`` and a ``task``.
    """
    global _multi_worker_strategy
    text = os.environ.get("TF_CONFIG", "").strip()
    if text:
        try:
            config = json.loads(text)
        except ValueError:
            raise ArgumentError("TF_CONFIG", "is not valid JSON") from None
        if not isinstance(config, dict) or not config.get("cluster") or not isinstance(config.get("task"), dict):
            raise ArgumentError("TF_CONFIG", "must name a `cluster` and this process' `task` "
                                             f"(e.g. {{'task': {{'type': 'worker', 'index': 0}}}}). Received: {text[:200]}")
        if _multi_worker_strategy is None:
            _multi_worker_strategy = tf.distribute.MultiWorkerMirroredStrategy()
        return _multi_worker_strategy
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def is_chief(strategy) -> bool:
    """Whether this process writes the results of a run (checkpoints, logs, metrics, the model).

    Under ``MultiWorkerMirroredStrategy`` only the chief does (``TF_CONFIG``'s ``chief`` task, else worker 0);
    the other workers run the same saves into a temporary folder, as the TensorFlow multi-worker guide does,
    since a save may need every worker. True for every other strategy.
    """
    return bool(strategy.extended.should_checkpoint)
