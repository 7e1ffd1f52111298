"""Run exported models: onnxruntime (:class:`OnnxDetector`, :class:`OnnxGenerator`) or the SavedModel
through TensorFlow (:class:`SavedModelDetector`, :class:`SavedModelGenerator`), and
:func:`load_predictor`, which picks the right one for a path.

Every runner reads and validates the ``metadata.json`` beside the model first, checks input shapes
against it, and runs in batches. ONNX runners use ``CUDAExecutionProvider`` when onnxruntime-gpu sees a
GPU, else ``CPUExecutionProvider``; the one in use is the ``provider`` attribute and is logged. Their
session options come from :func:`session_options`: on the CPU, worker threads that sleep between runs
instead of spinning (``benchmarks/bench_onnx_threads.py`` measured spinning threads losing throughput
whenever other work shares the cores); on CUDA, each batch goes through an IO binding with the output
allocated on the device.

Example:

>>> detector = load_predictor("saved_models/spectral-detector/1")  # doctest: +SKIP
>>> detector.predict_proba(images)[:, 1]  # probability of "generated"  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os

import numpy as np

from upconv_tf.export import layout
from upconv_tf.export.metadata import FILENAME, read_metadata
from upconv_tf.spectral import array_batches

logger = logging.getLogger("upconv_tf.inference")

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


def choose_providers(available=None) -> list:
    """``[CUDA, CPU]`` when onnxruntime offers CUDA (onnxruntime-gpu), else ``[CPU]``."""
    import onnxruntime

    available = onnxruntime.get_available_providers() if available is None else available
    return [CUDA, CPU] if CUDA in available else [CPU]


# CPU session settings, from benchmarks/bench_onnx_threads.py (2 shared cores): with one thread per physical
# core (onnxruntime's default count), idle workers that sleep were faster than spinning ones in every
# recorded condition (1.1-1.4x; 3x in an earlier run with another process on the cores). A single thread was
# faster still on that loaded machine, but would leave the cores of a quiet or larger one idle: pass threads=1
# where many processes share few cores.
CPU_THREADS = 0
CPU_SPINNING = False


def session_options(provider: str = CPU, threads: int | None = None, spinning: bool | None = None):
    """``onnxruntime.SessionOptions`` for the runners.

    Args:
        provider: the execution provider the session will use first.
        threads: intra-op threads on the CPU (0: one per physical core); default :data:`CPU_THREADS`.
        spinning: whether idle CPU worker threads spin (``session.intra_op.allow_spinning``); default
            :data:`CPU_SPINNING`. Inter-op threads never spin (the graph runs sequentially).

    Example:

    >>> onnxruntime.InferenceSession("model.onnx", session_options(), providers=[CPU])  # doctest: +SKIP
    """
    import onnxruntime

    threads = CPU_THREADS if threads is None else threads
    spinning = CPU_SPINNING if spinning is None else spinning
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 0:
        raise ValueError(f"`threads` must be an integer >= 0. Received: threads={threads!r}")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = int(threads)
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    if provider == CUDA:
        # The CPU threads only feed the GPU (and run the few nodes placed on the CPU).
        options.intra_op_num_threads = 1 if threads == 0 else int(threads)
    return options


def provider_options(providers) -> list:
    """Options for each provider: on CUDA, cuDNN picks convolution algorithms by a heuristic (no exhaustive
    search at the first batch of each shape) and copies run on the compute stream."""
    return [{"cudnn_conv_algo_search": "HEURISTIC", "do_copy_in_default_stream": "1"} if name == CUDA else {}
            for name in providers]


def _onnx_paths(path):
    """(model.onnx, metadata.json) for an .onnx file or a folder holding model.onnx."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, layout.ONNX_FILE)
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such ONNX file")
    return path, os.path.join(os.path.dirname(path), FILENAME)


class _Runner:
    """Shared by the runners: metadata, shape checks, batching."""

    kind = None
    metadata: dict

    def _check(self, inputs):
        inputs = np.asarray(inputs)
        if inputs.dtype.kind not in "biuf":
            raise ValueError(f"`{self.input_name}` must hold real numbers. Received: dtype={inputs.dtype}")
        expected = self.metadata["input"]["shape"]
        if inputs.ndim == len(expected) - 1 and self.kind == "detector":
            inputs = inputs[None]
        if inputs.ndim != len(expected) or any(e is not None and e != g for e, g in zip(expected[1:],
                                                                                     inputs.shape[1:])):
            shape = "x".join("N" if d is None else str(d) for d in expected)
            raise ValueError(f"`{self.input_name}` must have shape {shape} for this model "
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
    kind = "detector"

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

    def predict(self, images, batch_size: int = 32) -> np.ndarray:
        """1 (generated) where the probability is >= 0.5, else 0."""
        return (self.probability(images, batch_size) >= 0.5).astype(np.int64)

    def input_settings(self) -> dict:
        """How files must be loaded for this model: ``{"size": side, "policy": ...}`` (square models)."""
        height, width = self.image_size
        if height != width:
            raise ValueError(f"{self.source}: takes {height} x {width} images; file loading handles square sizes")
        policy = self.metadata.get("preprocessing", {}).get("policy", "center-crop")
        return {"size": height, "policy": "center-crop" if policy == "none" else policy}


class _GeneratorMixin:
    kind = "generator"

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


class _Onnx(_Runner):
    def __init__(self, path, providers=None, threads=None, spinning=None):
        import onnxruntime

        self.path, metadata_path = _onnx_paths(path)
        self.source = self.path
        self.metadata = read_metadata(metadata_path, self.kind)
        providers = list(providers or choose_providers())
        options = session_options(providers[0], threads, spinning)
        try:
            self.session = onnxruntime.InferenceSession(self.path, options, providers=providers,
                                                        provider_options=provider_options(providers))
        except Exception as error:  # onnxruntime raises its own exception types
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(f"{self.path}: not a usable ONNX model ({message})") from None
        self._check_signature(*({t.name: [d if isinstance(d, int) else None for d in t.shape] for t in tensors}
                                for tensors in (self.session.get_inputs(), self.session.get_outputs())),
                              metadata_path)
        self.provider = self.session.get_providers()[0]
        logger.info("%s: onnxruntime on %s", self.path, self.provider)

    def _run(self, batch):
        if self.provider != CUDA:
            return self.session.run([self.output_name], {self.input_name: batch})[0]
        # IO binding: the input is copied to the GPU once, the output is allocated there and copied back
        # once, without onnxruntime's per-run host staging of both.
        binding = self.session.io_binding()
        binding.bind_cpu_input(self.input_name, np.ascontiguousarray(batch))
        binding.bind_output(self.output_name, "cuda")
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]


class _SavedModel(_Runner):
    provider = "tensorflow"

    def __init__(self, path):
        import tensorflow as tf

        self.path = os.fspath(path)
        self.source = self.path
        if not os.path.isfile(os.path.join(self.path, "saved_model.pb")):
            raise ValueError(f"{self.path}: not a SavedModel folder (no saved_model.pb)")
        self.metadata = read_metadata(os.path.join(self.path, FILENAME), self.kind)
        try:
            loaded = tf.saved_model.load(self.path)
            self._function = loaded.signatures["serving_default"]
        except (KeyError, OSError, ValueError, tf.errors.OpError) as error:
            raise ValueError(f"{self.path}: not a usable SavedModel ({str(error).splitlines()[0]})") from None
        self._loaded = loaded
        outputs = self._function.structured_outputs
        self._check_signature({k: v.shape.as_list() for k, v in self._function.structured_input_signature[1].items()},
                              {k: v.shape.as_list() for k, v in outputs.items()} if isinstance(outputs, dict) else {},
                              os.path.join(self.path, FILENAME))
        logger.info("%s: TensorFlow SavedModel", self.path)

    def _run(self, batch):
        return self._function(**{self.input_name: batch})[self.output_name].numpy()


class OnnxDetector(_DetectorMixin, _Onnx):
    """An exported detector (``model.onnx`` + ``metadata.json``) on onnxruntime.

    Args:
        path: the ``.onnx`` file or the folder that holds ``model.onnx``.
        providers: onnxruntime execution providers; default :func:`choose_providers`.
        threads, spinning: CPU thread settings (:func:`session_options`); defaults measured on 2 shared cores.

    Attributes:
        provider: the execution provider in use (``"CUDAExecutionProvider"`` or ``"CPUExecutionProvider"``).
        metadata: the validated metadata.json.

    Example:

    >>> OnnxDetector("export/spectral-detector/1").predict_proba(images)[:, 1]  # doctest: +SKIP
    """


class OnnxGenerator(_GeneratorMixin, _Onnx):
    """An exported generator or auto-encoder on onnxruntime (see :class:`OnnxDetector`).

    Example:

    >>> OnnxGenerator("export/generator/1").sample(4, seed=0).shape  # doctest: +SKIP
    (4, 64, 64, 3)
    """


class SavedModelDetector(_DetectorMixin, _SavedModel):
    """An exported detector SavedModel (with metadata.json) through TensorFlow; same API as OnnxDetector."""


class SavedModelGenerator(_GeneratorMixin, _SavedModel):
    """An exported generator SavedModel through TensorFlow; same API as OnnxGenerator."""


def _latest_version(folder):
    found = layout.versions(folder)
    return os.path.join(folder, str(found[-1])) if found else None


def load_predictor(path, backend: str = "auto"):
    """An object with ``predict_proba(images)`` for any detector a user may point at.

    Args:
        path: an ``.onnx`` file; a SavedModel folder (``saved_model.pb`` + metadata.json); a folder holding
            ``model.onnx``; the folder ``upconv-tf detector train`` wrote (its scikit-learn detector, or
            with ``backend`` its ``saved_model/`` or ``model.onnx``); or a model folder of the repository
            layout (``saved_models/<name>`` or ``export/<name>``: the highest version).
        backend: ``"auto"``, ``"sklearn"``, ``"savedmodel"`` or ``"onnx"``.

    Returns:
        :class:`OnnxDetector`, :class:`SavedModelDetector` or a ``SpectralDetector``.
    """
    backends = ("auto", "sklearn", "savedmodel", "onnx")
    if backend not in backends:
        raise ValueError(f"`backend` must be one of {backends}. Received: backend={backend!r}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"{path}: no such file or folder")
    if os.path.isfile(path):
        if backend not in ("auto", "onnx"):
            raise ValueError(f"{path}: a file can only be an ONNX model, not backend={backend!r}")
        return OnnxDetector(path)
    has = lambda *parts: os.path.exists(os.path.join(path, *parts))  # noqa: E731
    if has("saved_model.pb") and backend in ("auto", "savedmodel"):
        return SavedModelDetector(path)
    if has(layout.ONNX_FILE) and backend == "onnx":
        return OnnxDetector(path)
    if has(layout.SAVED_MODEL_DIR, "saved_model.pb") and backend == "savedmodel":
        return SavedModelDetector(os.path.join(path, layout.SAVED_MODEL_DIR))
    if backend in ("auto", "sklearn") and _is_detector_folder(path):
        from upconv_tf.detection import load_detector

        return load_detector(path)
    if backend == "auto":
        if has(layout.ONNX_FILE):
            return OnnxDetector(path)
        latest = _latest_version(path)
        if latest is not None:
            return load_predictor(latest, backend)
    raise ValueError(f"{path}: no {'' if backend == 'auto' else backend + ' '}detector found (expected an .onnx "
                     f"file, a SavedModel, model.onnx or a folder written by `upconv-tf detector train`)")


def _is_detector_folder(path) -> bool:
    """True when ``path`` holds a scikit-learn detector saved by :mod:`upconv_tf.detection` (no pickle)."""
    from upconv_tf.detection.persistence import JSON_NAME

    return os.path.isfile(os.path.join(path, JSON_NAME))


def input_settings(predictor, path) -> dict:
    """How image files must be loaded for ``predictor`` (from :func:`load_predictor` on ``path``).

    Returns ``{"size", "policy", "fixed"}``: an exported model takes one image size, fixed by its graph
    (``fixed`` True: a caller must not ask for another); a detector folder records the size and policy it was
    trained with (``size`` None: native sizes), which a caller may override.
    """
    if hasattr(predictor, "input_settings"):
        return dict(predictor.input_settings(), fixed=True)
    from upconv_tf.detection import read_detector_info

    saved = read_detector_info(path)["metadata"].get("input", {})
    return {"size": saved.get("size"), "policy": saved.get("policy", "center-crop"), "fixed": False}


class KerasGenerator(_GeneratorMixin, _Runner):
    """A Keras generator (latent -> images in [-1, 1]) or auto-encoder with the runners' API.

    ``metadata`` is built from the model (no metadata.json: a .keras file describes itself); ``model`` is the
    Keras model. Made by :func:`load_generator` for ``.keras`` files and ``upconv-tf train`` folders.
    """

    provider = "keras"

    def __init__(self, model, source="keras model"):
        self.model = model
        self.path = self.source = os.fspath(source)
        from upconv_tf.export.api import model_input_shape

        in_shape = model_input_shape(model)  # functional models, or a SpectralAutoencoder's image size
        out_shape = [None] + list(self._run(np.zeros([1] + in_shape[1:], np.float32)).shape[1:])
        latent = len(in_shape) == 2
        self.metadata = {
            "kind": "generator" if latent else "autoencoder",
            "input": {"name": "latent" if latent else "images", "shape": in_shape, "dtype": "float32"},
            "output": {"name": "images" if latent else "reconstruction", "shape": out_shape, "dtype": "float32",
                       "range": [-1, 1]},
        }

    def _run(self, batch):
        return np.asarray(self.model(batch, training=False), np.float32)


def load_generator(path, backend: str = "auto"):
    """The one loader of generators, whatever form they come in, as a runner with ``sample`` / ``generate``.

    Args:
        path: an ``upconv-tf train gan`` folder (its ``generator.keras``); a generator ``.keras`` file (or a
            saved SpectralGAN: its generator); an exported SavedModel folder (``saved_model.pb`` +
            metadata.json); an ``.onnx`` file or a folder holding ``model.onnx``; an export bundle
            (``DIR/model.onnx`` + ``DIR/saved_model/``); or a model folder of the repository layout
            (``saved_models/<name>`` or ``export/<name>``: the highest version).
        backend: ``"auto"``, ``"keras"``, ``"savedmodel"`` or ``"onnx"`` (for a bundle: which half).

    Returns:
        :class:`KerasGenerator`, :class:`SavedModelGenerator` or :class:`OnnxGenerator`: ``sample(count, seed)``
        gives images in the output range (``metadata["output"]["range"]``); :mod:`upconv_tf.sampling` maps
        them to [0, 1].

    Raises:
        ValueError: one line saying what is wrong (missing, not a model, an auto-encoder, damaged...).

    Example:

    >>> load_generator("saved_models/generator").sample(4, seed=0).shape  # doctest: +SKIP
    (4, 32, 32, 3)
    """
    backends = ("auto", "keras", "savedmodel", "onnx")
    if backend not in backends:
        raise ValueError(f"`backend` must be one of {backends}. Received: backend={backend!r}")
    runner = _load_generator_runner(os.fspath(path), backend)
    if len(runner.metadata["input"]["shape"]) != 2:
        raise ValueError(f"{path}: an auto-encoder (images in, images out), not a generator of latent vectors")
    return runner


def _load_generator_runner(path, backend):
    from upconv_tf.models.io import GENERATOR_FILE, is_keras_file, load_keras_model

    if not os.path.lexists(path):
        raise ValueError(f"{path}: no such file or folder")
    if os.path.isfile(path):
        if path.endswith(".onnx") and backend in ("auto", "onnx"):
            return OnnxGenerator(path)
        if backend in ("auto", "keras") and (path.endswith(".keras") or is_keras_file(path)):
            return KerasGenerator(load_keras_model(path), path)
        raise ValueError(f"{path}: not a generator file (expected a .keras or .onnx file"
                         + ("" if backend == "auto" else f" for backend={backend!r}") + ")")
    if not os.path.isdir(path):
        raise ValueError(f"{path}: not a file or folder")
    has = lambda *parts: os.path.exists(os.path.join(path, *parts))  # noqa: E731
    if has(GENERATOR_FILE) and backend in ("auto", "keras"):
        return KerasGenerator(load_keras_model(os.path.join(path, GENERATOR_FILE)), os.path.join(path, GENERATOR_FILE))
    if has("saved_model.pb") and backend in ("auto", "savedmodel"):
        return SavedModelGenerator(path)
    if has(layout.ONNX_FILE) and backend in ("auto", "onnx"):
        return OnnxGenerator(path)
    if has(layout.SAVED_MODEL_DIR, "saved_model.pb") and backend in ("auto", "savedmodel"):
        return SavedModelGenerator(os.path.join(path, layout.SAVED_MODEL_DIR))
    latest = _latest_version(path)
    if latest is not None:
        return _load_generator_runner(latest, backend)
    if has("autoencoder.keras"):
        raise ValueError(f"{path}: holds an auto-encoder (autoencoder.keras), not a generator of latent vectors")
    raise ValueError(f"{path}: no generator found (expected generator.keras, a .keras or .onnx file, an exported "
                     "SavedModel or model.onnx, or saved_models/NAME[/VERSION])")
