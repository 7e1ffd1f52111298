"""What every runner shares: its validated ``metadata.json``, input checks against it, batching, and the
detector / generator APIs (``probability`` / ``predict_proba`` / ``predict``; ``generate`` / ``sample``).

Importing this module imports neither TensorFlow nor onnxruntime.
"""

from __future__ import annotations

import numpy as np

from upconv_tf.errors import ArgumentError
from upconv_tf.spectral import array_batches


class _Runner:
    """Shared by the runners: metadata, shape checks, batching."""

    reads = None  # what the runner opens: "detector" or "generator" (which includes auto-encoders)
    metadata: dict

    @property
    def kind(self) -> str:
        """What the model is (its metadata's ``kind``): detector, generator, autoencoder or refiner."""
        return self.metadata["kind"]

    def _check(self, inputs):
        inputs = np.asarray(inputs)
        if inputs.dtype.kind not in "biuf":
            raise ArgumentError(self.input_name, f"must hold real numbers. Received: dtype={inputs.dtype}")
        expected = self.metadata["input"]["shape"]
        if inputs.ndim == len(expected) - 1 and self.reads == "detector":
            inputs = inputs[None]
        if inputs.ndim != len(expected) or any(e is not None and e != g for e, g in zip(expected[1:],
                                                                                     inputs.shape[1:])):
            shape = "x".join("N" if d is None else str(d) for d in expected)
            raise ArgumentError(self.input_name, f"must have shape {shape} for this model "
                                                 f"({self.source}). Received: shape={inputs.shape}")
        return inputs.astype(np.float32, copy=False)

    def _check_signature(self, inputs: dict, outputs: dict, metadata_path) -> None:
        """The model's own ``{name: shape}`` (None = any size) must agree with its metadata.json."""
        for kind, actual, key in (("inputs", inputs, "input"), ("outputs", outputs, "output")):
            expected = {self.metadata[key]["name"]: self.metadata[key]["shape"]}
            if set(actual) != set(expected):
                raise ValueError(f"{self.source}: {kind} {sorted(actual)} do not match {metadata_path} "
                                 f"({sorted(expected)})")
            for name, shape in actual.items():
                want = expected[name]
                if len(shape) != len(want) or any(a is not None and w is not None and a != w
                                                  for a, w in zip(shape, want)):
                    raise ValueError(f"{self.source}: `{name}` has shape {shape} in the model but {want} in "
                                     f"{metadata_path}")

    @property
    def input_name(self):
        return self.metadata["input"]["name"]

    @property
    def output_name(self):
        return self.metadata["output"]["name"]

    def run(self, inputs, batch_size: int = 32) -> np.ndarray:
        """The model's output for ``inputs``, computed ``batch_size`` rows at a time."""
        batches = array_batches(self._check(inputs), batch_size)
        outputs = [self._run(batch) for batch in batches]
        if not outputs:
            return np.zeros((0,) + tuple(self.metadata["output"]["shape"][1:]), np.float32)
        return np.concatenate(outputs)


class _DetectorMixin:
    reads = "detector"

    @property
    def image_size(self):
        """(H, W) of the images the model takes."""
        return tuple(self.metadata["input"]["shape"][1:3])

    def probability(self, images, batch_size: int = 32) -> np.ndarray:
        """(N,) probability that each image is generated; ``images`` float32 (N, H, W, C) in [0, 1]."""
        return self.run(images, batch_size)

    def predict_proba(self, images, batch_size: int = 32) -> np.ndarray:
        """(N, 2): P(real), P(generated), as ``SpectralDetector.predict_proba``."""
        p = self.probability(images, batch_size).astype(np.float64)
        return np.stack([1.0 - p, p], axis=1)

    @property
    def threshold(self) -> float:
        """The probability from which the model's label is "generated" (metadata.json; 0.5 when absent)."""
        return float(self.metadata.get("threshold", 0.5))

    def predict(self, images, batch_size: int = 32) -> np.ndarray:
        """1 (generated) where the probability is >= :attr:`threshold`, else 0."""
        return (self.probability(images, batch_size) >= self.threshold).astype(np.int64)

    def input_settings(self) -> dict:
        """How files must be loaded for this model: ``{"size": side, "policy": ...}`` (square models)."""
        from upconv_tf.runtime.preprocess import input_policy

        size, policy = input_policy(self.metadata)
        return {"size": size, "policy": policy, "threshold": self.threshold}


class _GeneratorMixin:
    reads = "generator"

    def generate(self, inputs, batch_size: int = 32) -> np.ndarray:
        """Images for latent vectors (or input images, for an auto-encoder)."""
        return self.run(inputs, batch_size)

    def sample(self, count: int, seed=None, batch_size: int = 32) -> np.ndarray:
        """``count`` images from standard-normal latent vectors (generators only)."""
        shape = self.metadata["input"]["shape"]
        if len(shape) != 2:
            raise ValueError(f"{self.source} takes images, not latent vectors: use generate(images)")
        latent = np.random.default_rng(seed).standard_normal((int(count), shape[1])).astype(np.float32)
        return self.generate(latent, batch_size)
