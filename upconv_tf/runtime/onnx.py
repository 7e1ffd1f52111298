"""Exported models on onnxruntime: :class:`OnnxDetector`, :class:`OnnxGenerator`.

This module and what it imports need only numpy, Pillow-free metadata reading and onnxruntime: no TensorFlow
(what a scoring worker installs); :meth:`OnnxDetector.from_bytes` opens a model read from any storage (the Beam
scoring pipeline reads it through Beam's FileSystems). ``CUDAExecutionProvider`` is used when onnxruntime-gpu
sees a GPU, else ``CPUExecutionProvider``; the one in use is the ``provider`` attribute and is logged. Session
options come from :func:`session_options`: on the CPU, worker threads that sleep between runs instead of spinning
(``benchmarks/bench_onnx_threads.py`` measured spinning threads losing throughput whenever other work shares the
cores); on CUDA, each batch goes through an IO binding with the output allocated on the device.

Example:

>>> OnnxDetector("export/spectral-detector/3").predict_proba(images)[:, 1]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os

import numpy as np

from upconv_tf.errors import ArgumentError
from upconv_tf.export.metadata import read_metadata, validate_metadata
from upconv_tf.resolve import METADATA_FILE, ONNX_FILE
from upconv_tf.runtime.base import _DetectorMixin, _GeneratorMixin, _Runner

logger = logging.getLogger("upconv_tf.runtime")

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
        raise ArgumentError("threads", f"must be an integer >= 0. Received: threads={threads!r}")
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
        path = os.path.join(path, ONNX_FILE)
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such ONNX file")
    return path, os.path.join(os.path.dirname(path), METADATA_FILE)


class _Onnx(_Runner):
    def __init__(self, path, providers=None, threads=None, spinning=None):
        model_path, metadata_path = _onnx_paths(path)
        self._open(model_path, read_metadata(metadata_path, self.reads), model_path, metadata_path, providers,
                   threads, spinning)

    @classmethod
    def from_bytes(cls, model: bytes, metadata: dict, source: str, providers=None, threads=None, spinning=None):
        """A runner for a model held in memory, e.g. read from cloud storage by a scoring worker.

        Args:
            model: the ``model.onnx`` bytes.
            metadata: its ``metadata.json`` (validated here).
            source: where they came from (the model's URI), for messages and the ``path`` attribute.
            providers, threads, spinning: as the class's constructor.
        """
        runner = cls.__new__(cls)
        runner._open(model, validate_metadata(metadata, source, cls.reads), source, f"{source}'s {METADATA_FILE}",
                     providers, threads, spinning)
        return runner

    def _open(self, model, metadata, source, metadata_path, providers, threads, spinning):
        """Start the onnxruntime session of ``model`` (a path or bytes) and check it against ``metadata``."""
        import onnxruntime

        self.path = self.source = source
        self.metadata = metadata
        providers = list(providers or choose_providers())
        options = session_options(providers[0], threads, spinning)
        try:
            self.session = onnxruntime.InferenceSession(model, options, providers=providers,
                                                        provider_options=provider_options(providers))
        except Exception as error:  # onnxruntime raises its own exception types
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(f"{source}: not a usable ONNX model ({message})") from None
        self._check_signature(*({t.name: [d if isinstance(d, int) else None for d in t.shape] for t in tensors}
                                for tensors in (self.session.get_inputs(), self.session.get_outputs())),
                              metadata_path)
        self.provider = self.session.get_providers()[0]
        logger.info("%s: onnxruntime on %s", source, self.provider)

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
