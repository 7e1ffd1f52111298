"""Saving a model's random-draw state with its weights, so that a resumed run draws what an uninterrupted one
would (the GAN's latents, the refiner's patches)."""

from __future__ import annotations

import numpy as np


class SeedStateMixin:
    """Keras model mixin (before ``keras.Model`` in the bases): the model's own variables are saved with the state
    of ``self.seed_generator`` (a :class:`keras.random.SeedGenerator`) after them. Files saved before the state
    was kept (own variables only) still load, with the seed state left as built."""

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[str(len(self._own_variables()))] = self.seed_generator.state.numpy()

    def load_own_variables(self, store):
        own = self._own_variables()
        count = len(store.keys())
        if count not in (len(own), len(own) + 1):
            raise ValueError(f"{type(self).__name__} expects {len(own) + 1} saved own variables. Received: {count}")
        for i, variable in enumerate(own):
            variable.assign(store[str(i)])
        if count == len(own) + 1:
            self.seed_generator.state.assign(np.asarray(store[str(len(own))]))

    def _own_variables(self):
        return self._trainable_variables + self._non_trainable_variables
