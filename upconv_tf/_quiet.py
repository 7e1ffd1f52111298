"""Keep TensorFlow's start-up and runtime chatter off the user's terminal: what ``upconv-tf`` does for every
command, and :func:`quiet` (``upconv_tf.quiet()``) does for a Python script.

TensorFlow's C++ side logs straight to file descriptor 2 through absl (``WARNING: All log messages before
absl::InitializeLog()...``, oneDNN, ``cuInit``, ``cudart_stub``, "rebuild TensorFlow with the appropriate
compiler flags", grappler's ``E0000 ... remapper failed``), and several of these ignore
``TF_CPP_MIN_LOG_LEVEL``. :func:`quiet_stderr` puts a pipe on descriptor 2 and a thread that passes on every
line except those log lines; Python's ``sys.stderr`` (our messages, progress bars, tracebacks) writes to the
real stderr directly, so it is neither delayed nor filtered. ``upconv-tf --verbose`` turns all of this off.

Importing this module imports nothing but the standard library.

Example:

>>> import upconv_tf
>>> upconv_tf.quiet()  # doctest: +SKIP
>>> with upconv_tf.quiet():  # doctest: +SKIP
...     upconv_tf.evaluate_detector(["photos/"], ["generated/"])
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import re
import sys
import threading
import warnings

# Lines written by TensorFlow / absl / XLA on descriptor 2. Fatal ("F...") lines are kept: they say why the
# process is about to abort.
NOISE = re.compile(
    rb"^(?:"
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IWE]\d{4} [\d:.]+\s+\d+ [^\]\s]+:\d+\] "  # absl: E0000 00:00:1795982215.75  19516 file.cc:967]
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] "  # older TensorFlow format
    rb"|.*rebuild TensorFlow with the appropriate compiler flags"
    rb"|(?:WARNING|INFO):(?:absl|tensorflow):"
    # Apache Beam's local worker processes (``upconv-tf score``): without [gcp], importing Beam logs "apitools not
    # found" on the root logger, which gives it a stderr handler, and each worker's INFO lines follow.
    rb"|(?:INFO|WARNING):(?:__main__|apache_beam[.:]|root:apitools not found)|INFO:upconv_tf\."
    rb")"
)
# Python-side chatter of the same libraries (warnings and loggers), silenced unless --verbose.
LIBRARIES = r"(?:tensorflow|keras|absl|tf2onnx|onnx|onnxruntime|google\.protobuf)(?:\.|$)"


def is_noise(line: bytes) -> bool:
    return NOISE.match(line) is not None


def _pump(read_fd: int, write_fd: int) -> None:
    """Copy lines from ``read_fd`` to ``write_fd`` until end of file, dropping :data:`NOISE`."""
    pending = b""
    with os.fdopen(read_fd, "rb", buffering=0) as source:
        while True:
            chunk = source.read(65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_noise(line))
            if kept:
                os.write(write_fd, kept)
    if pending and not is_noise(pending):
        os.write(write_fd, pending)


def _silence_python_side() -> None:
    warnings.filterwarnings("ignore", module=LIBRARIES)
    for name in ("tensorflow", "absl", "keras", "tf2onnx", "onnx"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextlib.contextmanager
def quiet_stderr(enabled: bool = True):
    """Filter TensorFlow's log lines out of descriptor 2 while the block runs (no-op when not ``enabled``)."""
    if not enabled:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _silence_python_side()
    try:
        sys.stderr.flush()
        real = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2 (e.g. closed): nothing to filter
        yield
        return
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    pump = threading.Thread(target=_pump, args=(read_fd, real), name="upconv-tf-stderr", daemon=True)
    pump.start()
    python_stderr = sys.stderr
    try:
        is_fd2 = python_stderr.fileno() == 2
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        is_fd2 = False
    if is_fd2:  # our own lines go to the real stderr, unfiltered and in order
        sys.stderr = io.TextIOWrapper(io.FileIO(os.dup(real), "w"), encoding=python_stderr.encoding,
                                      errors="backslashreplace", line_buffering=True, write_through=True)
    try:
        yield
    finally:
        if is_fd2:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(real, 2)  # closes the pipe's last write end: the pump sees end of file
        pump.join(timeout=5)
        os.close(real)


class quiet:
    """Quiet TensorFlow's log lines and the Python warnings of TensorFlow, Keras, absl, tf2onnx and ONNX, as the
    ``upconv-tf`` command does, from the call on: call it first thing in a script (before TensorFlow is
    imported, so that its start-up lines are caught too), or use it as a context manager to quiet one block.
    The package's own warnings are kept. Filtering ends when the block ends, or at exit.

    Args:
        enabled: False does nothing (e.g. ``quiet(enabled=not verbose)``).
    """

    def __init__(self, enabled: bool = True):
        self._context = quiet_stderr(enabled)
        self._context.__enter__()
        self._active = True
        atexit.register(self.close)

    def close(self) -> None:
        """Stop filtering: descriptor 2 and ``sys.stderr`` are the terminal's again."""
        if self._active:
            self._active = False
            atexit.unregister(self.close)
            self._context.__exit__(None, None, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


@contextlib.contextmanager
def collapsed_warnings():
    """Each distinct warning (category and text) raised inside the block, issued once when the block ends.

    A loop that fits many models (an evaluation's splits) would otherwise repeat the same warning per fit:
    Python's "once per location" registry is reset whenever a library enters ``warnings.catch_warnings``. The
    warnings are re-issued under the caller's filters, so ``warnings.simplefilter("ignore")`` still hides them.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    distinct = {}
    for item in caught:
        distinct.setdefault((item.category, str(item.message)), item)
    for item in distinct.values():
        warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
