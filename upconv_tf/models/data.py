"""Training batches that are a pure function of the step, so a resumed run sees the same batches."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from upconv_tf.errors import ArgumentError


def to_model_range(images01):
    """Images in [0, 1] (loaders, crops) -> [-1, 1] (the generators' tanh range), float32."""
    return np.asarray(images01, np.float32) * 2.0 - 1.0


def step_batches(images, batch_size, seed=0, start_step=0):
    """Endless ``tf.data.Dataset`` of global batches; batch ``k`` depends only on ``(seed, k)``.

    Each pass over the data ("data epoch") is a seeded permutation (``stateless_shuffle`` with seed
    ``(seed, pass)``), cut into ``len(images) // batch_size`` full batches (the rest of the permutation is
    dropped). Starting at ``start_step`` gives exactly the batches an uninterrupted run would see there.

    Args:
        images: (N, H, W, C) float32 array (N >= batch_size).
        batch_size: global batch size.
        seed: data order seed.
        start_step: index of the first batch.

    Example:

    >>> batches = step_batches(np.zeros((10, 8, 8, 3), "float32"), 4, start_step=3)
    >>> next(iter(batches)).shape
    TensorShape([4, 8, 8, 3])
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4:
        raise ArgumentError("images", f"must be (N, H, W, C). Received: shape={images.shape}")
    if not isinstance(batch_size, int) or batch_size < 1 or batch_size > len(images):
        raise ArgumentError("batch_size", f"must be between 1 and the number of images ({len(images)}). "
                                          f"Received: batch_size={batch_size!r}")
    per_pass = len(images) // batch_size
    count = len(images)
    data = tf.constant(images)
    shape = (batch_size,) + images.shape[1:]

    def batch(step):
        data_pass, index = step // per_pass, step % per_pass
        order = tf.random.experimental.stateless_shuffle(
            tf.range(count), seed=tf.stack([tf.constant(seed, tf.int64), data_pass]))
        return tf.ensure_shape(tf.gather(data, order[index * batch_size:(index + 1) * batch_size]), shape)

    dataset = tf.data.Dataset.range(start_step, np.iinfo(np.int64).max).map(batch)
    # Under tf.distribute each element (a global batch of static size) is split among the replicas, and
    # every worker computes the same batches and keeps its share (DATA: the order is deterministic).
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options).prefetch(2)
