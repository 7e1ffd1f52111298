"""A numpy reader of the legacy (pre-zip) ``torch.save`` format: tensors of a trusted file, no torch, no code run.

The format (what ``torch.save(obj, f, _use_new_zipfile_serialization=False)`` writes, and every torch before 1.6):
five pickles back to back, then the raw storages.

1. the magic number ``0x1950A86A20F9469CFC6C``;
2. the protocol version ``1001``;
3. system information: ``{"protocol_version", "little_endian", "type_sizes"}``;
4. the object (a state dict: ``{name: tensor}``). A tensor is pickled as the call
   ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)``
   (``backward_hooks`` an ``collections.OrderedDict``), and each storage as a *persistent id*, the tuple
   ``("storage", torch.<Type>Storage, key, location, numel, view_metadata)``: the storage's data is not in the
   pickle but after it, found by ``key``;
5. the list of storage keys, in the order their data follows;

then, per key, the storage's element count (int64) and its elements (``numel`` values of the storage type,
in the byte order of ``little_endian``). A tensor is a strided view of its storage: element ``(i, j, ...)`` is
``storage[storage_offset + i * stride[0] + j * stride[1] + ...]`` (strides in elements).

Unpickling runs code that a file names, so :func:`read_legacy_torch` refuses to read anything but a file whose
SHA-256 is the one the caller pins, and even then unpickles with an allow-list of globals: the tensor-rebuild
functions, the storage types and ``collections.OrderedDict``, each mapped to a harmless stand-in here (nothing
of torch is imported). Any other global, persistent id or byte layout is refused with a one-line
:class:`TorchFileError` naming the file.

Example:

>>> from upconv_tf.backbones.efficientnet_lite import WEIGHTS_SHA256, weights_path
>>> tensors = read_legacy_torch(weights_path(), sha256=WEIGHTS_SHA256)
>>> tensors["_conv_stem.weight"].shape
(32, 3, 3, 3)
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import io
import os
import pickle
import re
import struct

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
# torch.<name> storage types and their element types (little-endian; swapped for big-endian files).
STORAGE_DTYPES = {
    "DoubleStorage": "<f8", "FloatStorage": "<f4", "HalfStorage": "<f2", "LongStorage": "<i8",
    "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}
_SHA256 = re.compile(r"[0-9a-f]{64}")


class TorchFileError(ValueError):
    """A legacy torch file that is not the pinned one, or holds something other than tensors; ``str()`` is one
    line naming the file."""


@dataclasses.dataclass(frozen=True)
class _StorageType:
    """Stand-in for ``torch.<Type>Storage``: only its element type."""

    name: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(STORAGE_DTYPES[self.name])


@dataclasses.dataclass(frozen=True)
class _Storage:
    """A persistent id: the storage ``key`` of ``numel`` elements of ``kind``, whose data follows the pickles."""

    kind: _StorageType
    key: str
    numel: int


@dataclasses.dataclass(frozen=True)
class _Tensor:
    """What ``_rebuild_tensor_v2`` was asked to build; made an array once the storages are read."""

    storage: _Storage
    offset: object
    size: object
    stride: object


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *metadata):
    return _Tensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *rest):
    return data  # an nn.Parameter is its tensor


# (module, name) -> the stand-in the unpickler returns for that global; every other global is refused.
_ALLOWED = {("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
            ("collections", "OrderedDict"): collections.OrderedDict}
_ALLOWED.update({("torch", name): _StorageType(name) for name in STORAGE_DTYPES})


class _Unpickler(pickle.Unpickler):
    """Unpickler that resolves only :data:`_ALLOWED` globals and storage persistent ids."""

    def __init__(self, stream, path, storages=False):
        super().__init__(stream)
        self._path = path
        self._storages = {} if storages else None

    def find_class(self, module, name):
        found = _ALLOWED.get((module, name))
        if found is None:
            raise TorchFileError(f"{self._path}: refused to unpickle the global {module}.{name}: only torch "
                                 f"tensor and storage records are read from this file")
        return found

    def persistent_load(self, pid):
        storage_id = isinstance(pid, tuple) and len(pid) == 6 and pid[0] in ("storage", b"storage")
        if self._storages is None or not storage_id:
            raise TorchFileError(f"{self._path}: refused the persistent id {str(pid)[:80]!r}: only tensor storages "
                                 f"are read from this file")
        _, kind, key, location, numel, view = pid
        key = key.decode("ascii") if isinstance(key, bytes) else key
        if not isinstance(kind, _StorageType) or not isinstance(key, str) or not _is_count(numel):
            raise TorchFileError(f"{self._path}: malformed storage record for key {str(key)[:40]!r}")
        if view is not None:
            raise TorchFileError(f"{self._path}: storage {key} is a view of another storage, which this reader "
                                 f"does not read")
        storage = self._storages.setdefault(key, _Storage(kind, key, int(numel)))
        if storage != _Storage(kind, key, int(numel)):
            raise TorchFileError(f"{self._path}: storage {key} is declared twice with different types or sizes")
        return storage


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def file_sha256(path) -> str:
    """Hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_legacy_torch(path, *, sha256: str) -> dict:
    """``{name: numpy array}`` of the tensors of a legacy-format ``torch.save`` state dict (module docstring).

    Args:
        path: the file.
        sha256: the file's pinned SHA-256 (64 lowercase hex digits); any other content is refused before a
            byte of it is unpickled.

    Returns:
        The tensors, in the file's order, as C-contiguous arrays of the storages' dtypes (0-d arrays for
        scalars); element for element what ``torch.load`` gives.

    Raises:
        TorchFileError: one line naming the file (wrong SHA-256, not the legacy format, a global or persistent
            id other than tensor records, a tensor outside its storage, truncated data).
        ValueError: ``sha256`` is not 64 lowercase hex digits.
        OSError: the file cannot be read.
    """
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"`sha256` must be 64 lowercase hex digits. Received: sha256={sha256!r}")
    path = os.fspath(path)
    with open(path, "rb") as handle:
        data = handle.read()  # the bytes hashed are the bytes parsed
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise TorchFileError(f"{path}: SHA-256 {actual} is not the pinned {sha256}; the file is not unpickled")
    if data[:4] == b"PK\x03\x04":
        raise TorchFileError(f"{path}: a zip-format torch file; this reader reads the legacy format only")
    stream = io.BytesIO(data)
    try:
        return _read(stream, path)
    except TorchFileError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, struct.error, IndexError, KeyError,
            AttributeError, OverflowError) as error:
        raise TorchFileError(f"{path}: not a readable legacy torch file ({type(error).__name__}: "
                             f"{str(error).splitlines()[0] if str(error) else ''})") from None


def _read(stream, path) -> dict:
    header = [_Unpickler(stream, path).load() for _ in range(3)]
    magic, protocol, info = header
    if magic != MAGIC_NUMBER or protocol != PROTOCOL_VERSION or not isinstance(info, dict):
        raise TorchFileError(f"{path}: not a legacy torch file (magic number or protocol version differ)")
    little = info.get("little_endian", True)
    unpickler = _Unpickler(stream, path, storages=True)
    obj = unpickler.load()
    keys = _Unpickler(stream, path).load()
    storages = unpickler._storages
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(storages):
        raise TorchFileError(f"{path}: the storage key list does not match the storages the tensors use")
    arrays = {}
    for key in keys:
        storage = storages[key]
        (count,) = struct.unpack("<q" if little else ">q", stream.read(8))
        dtype = storage.kind.dtype if little else storage.kind.dtype.newbyteorder(">")
        raw = stream.read(count * dtype.itemsize)
        if count != storage.numel or len(raw) != count * dtype.itemsize:
            raise TorchFileError(f"{path}: storage {key} holds {len(raw) // dtype.itemsize} of its "
                                 f"{storage.numel} elements (truncated or inconsistent file)")
        arrays[key] = np.frombuffer(raw, dtype).astype(dtype.newbyteorder("="))
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, _Tensor) for k, v in obj.items()):
        raise TorchFileError(f"{path}: holds no {{name: tensor}} state dict")
    return {name: _view(arrays[tensor.storage.key], tensor, name, path) for name, tensor in obj.items()}


def _view(storage: np.ndarray, tensor: _Tensor, name: str, path) -> np.ndarray:
    """The tensor as a C-contiguous copy of its strided view of ``storage``, bounds checked."""
    size, stride, offset = tensor.size, tensor.stride, tensor.offset
    if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)
            and all(map(_is_count, size + stride)) and _is_count(offset)):
        raise TorchFileError(f"{path}: tensor {name!r} has a malformed size, stride or offset")
    if 0 in size:
        return np.zeros(size, storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise TorchFileError(f"{path}: tensor {name!r} reads element {last} of a storage of {storage.size}")
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                           strides=[s * storage.itemsize for s in stride], writeable=False)
    return np.array(view, order="C")  # a copy (np.ascontiguousarray would make 0-d arrays 1-d)
