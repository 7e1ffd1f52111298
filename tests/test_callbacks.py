"""Checkpoints: a run killed mid-epoch resumes at the same step and ends with the uninterrupted weights."""

import json

import numpy as np
import pytest

from upconv_tf.callbacks import TrainingCheckpoint, read_checkpoint_state, restore_checkpoint
from upconv_tf.models import training

CONFIG = training.TrainingConfig(
    model="gan", size=32, latent_dim=8, upsampling="transconv", correction=0, kernel=5, dim=8, norm="layer",
    loss="dcgan", spectral_weight=2.0, n_critic=None, lr=1e-3, seed=0, save_every=1, batch_size=8, epochs=2)
STEPS_PER_EPOCH, TOTAL = 3, 6


class Killed(Exception):
    pass


@pytest.fixture(scope="module")
def images():
    from upconv_tf.datasets import bundled_crops

    return bundled_crops(32, 24, seed=4).images * 2.0 - 1.0


def new_model(images):
    model = training.build_model(CONFIG)
    model.adapt(images)
    return model


def weights(model):
    return model.generator.get_weights() + model.discriminator.get_weights()


def test_killed_run_resumes_at_the_same_step(images, tmp_path, monkeypatch):
    reference = new_model(images)
    training.fit(reference, images, CONFIG, str(tmp_path / "a"), 0, TOTAL, STEPS_PER_EPOCH)

    save = TrainingCheckpoint.save

    def save_then_die(self):
        save(self)
        if self.step == 4:  # mid-epoch: epoch 2, second of its 3 steps
            raise Killed

    monkeypatch.setattr(TrainingCheckpoint, "save", save_then_die)
    with pytest.raises(Killed):
        training.fit(new_model(images), images, CONFIG, str(tmp_path / "b"), 0, TOTAL, STEPS_PER_EPOCH)
    monkeypatch.setattr(TrainingCheckpoint, "save", save)

    resumed = new_model(images)
    state = restore_checkpoint(resumed, tmp_path / "b" / "checkpoints")
    assert state["step"] == 4 and resumed.g_optimizer.iterations.numpy() == 4
    history = training.fit(resumed, images, CONFIG, str(tmp_path / "b"), state["step"], TOTAL, STEPS_PER_EPOCH)
    assert len(history["g_loss"]) == 1  # only the rest of the interrupted epoch was run
    assert read_checkpoint_state(tmp_path / "b" / "checkpoints")["step"] == TOTAL
    # float32 kernels on several threads may sum in another order from run to run (a few 1e-6 here, seen when
    # other processes share the cores): the tolerance is above that and far below what a fresh model differs by.
    for a, b in zip(weights(resumed), weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # A fresh model would not match: the comparison sees the restored state.
    assert any(not np.allclose(a, b, rtol=1e-4, atol=1e-5)
               for a, b in zip(weights(new_model(images)), weights(reference)))
    # Only the latest checkpoint is kept, no temporary file is left.
    names = sorted(p.name for p in (tmp_path / "b" / "checkpoints").iterdir())
    assert names == ["ckpt-000000006.weights.h5", "state.json"]


def test_damaged_or_missing_checkpoints(tmp_path, images):
    assert restore_checkpoint(new_model(images), tmp_path) is None
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(ValueError, match="damaged checkpoint state"):
        read_checkpoint_state(tmp_path)
    (tmp_path / "state.json").write_text(json.dumps({"step": 3, "weights": "ckpt-000000003.weights.h5"}))
    with pytest.raises(ValueError, match="missing"):
        restore_checkpoint(new_model(images), tmp_path)
    with pytest.raises(ValueError, match="Received: save_every=0"):
        TrainingCheckpoint(tmp_path, save_every=0)
