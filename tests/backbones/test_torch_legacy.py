"""The numpy reader of legacy torch files: tensors read exactly, nothing but tensor records unpickled, the pinned
SHA-256 checked before any byte is unpickled.

The test files are written here with the standard library's pickle, in the layout ``torch.save`` gives with
``_use_new_zipfile_serialization=False``: stand-in ``torch`` modules make pickle name the same globals.
"""

import collections
import hashlib
import io
import os
import struct
import sys
import types
import zipfile

import numpy as np
import pytest

from upconv_tf.backbones.efficientnet_lite import WEIGHTS_SHA256, weights_path
from upconv_tf.backbones.torch_legacy import (
    MAGIC_NUMBER,
    PROTOCOL_VERSION,
    TorchFileError,
    file_sha256,
    read_legacy_torch,
)

from untrusted import one_line

STORAGE_TYPES = {np.dtype("float32"): "FloatStorage", np.dtype("float64"): "DoubleStorage",
                 np.dtype("int64"): "LongStorage", np.dtype("uint8"): "ByteStorage"}


class Storage:
    """A storage to write: ``key`` and its 1-D data."""

    def __init__(self, key, data):
        self.key, self.data = key, np.asarray(data)


class Tensor:
    """A tensor to write: a strided view of a :class:`Storage`."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return sys.modules["torch._utils"]._rebuild_tensor_v2, self.args


@pytest.fixture
def fake_torch(monkeypatch):
    """``torch`` and ``torch._utils`` stand-ins, so that pickle writes the globals torch writes."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called when writing")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    for name in set(STORAGE_TYPES.values()):
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


def legacy_bytes(obj, storages, little=True, header=None, keys=None):
    """The legacy format (module docstring of upconv_tf.backbones.torch_legacy) of ``obj`` and its storages."""
    import pickle

    torch = sys.modules["torch"]
    out = io.BytesIO()
    for value in header or (MAGIC_NUMBER, PROTOCOL_VERSION, {"protocol_version": PROTOCOL_VERSION,
                                                              "little_endian": little,
                                                              "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(value, out, protocol=2)
    pickler = pickle.Pickler(out, protocol=2)

    def persistent_id(value):
        if isinstance(value, Storage):
            kind = getattr(torch, STORAGE_TYPES[value.data.dtype])
            return ("storage", kind, value.key, "cpu", int(value.data.size), None)
        return None

    pickler.persistent_id = persistent_id
    pickler.dump(obj)
    ordered = sorted(storages, key=lambda s: s.key)
    pickle.dump(keys if keys is not None else [s.key for s in ordered], out, protocol=2)
    order = "<" if little else ">"
    for storage in ordered:
        out.write(struct.pack(f"{order}q", storage.data.size))
        out.write(storage.data.astype(storage.data.dtype.newbyteorder(order)).tobytes())
    return out.getvalue()


def write(path, data: bytes) -> str:
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def sample(rng):
    """``(state dict to write, its storages, the arrays torch.load would give)``."""
    weights = Storage("140001", rng.standard_normal(24).astype(np.float32))
    shared = Storage("140002", rng.standard_normal(10))
    counter = Storage("140003", np.array([7], np.int64))
    mask = Storage("140004", np.array([0, 1, 255, 3], np.uint8))
    state = collections.OrderedDict([
        ("conv.weight", Tensor(weights, 0, (2, 3, 4), (12, 4, 1))),
        # The file's own layout: a permuted, non-contiguous view (strides of a (4, 3, 2) array, transposed).
        ("conv.weight_t", Tensor(weights, 0, (2, 3, 4), (1, 2, 6))),
        ("head", Tensor(shared, 2, (2, 3), (3, 1))),  # an offset into a storage that another tensor shares
        ("tail", Tensor(shared, 8, (2,), (1,))),
        ("bn.num_batches_tracked", Tensor(counter, 0, (), ())),
        ("mask", Tensor(mask, 1, (3,), (1,))),
        ("empty", Tensor(shared, 0, (0, 5), (5, 1))),
    ])
    w, s = weights.data, shared.data
    expected = {
        "conv.weight": w.reshape(2, 3, 4),
        "conv.weight_t": np.lib.stride_tricks.as_strided(w, (2, 3, 4), (4, 8, 24)),
        "head": s[2:8].reshape(2, 3),
        "tail": s[8:10],
        "bn.num_batches_tracked": np.array(7, np.int64),
        "mask": np.array([1, 255, 3], np.uint8),
        "empty": np.zeros((0, 5)),
    }
    return state, [weights, shared, counter, mask], expected


@pytest.mark.parametrize("little", [True, False], ids=["little-endian", "big-endian"])
def test_reads_every_tensor_exactly(tmp_path, fake_torch, rng, little):
    state, storages, expected = sample(rng)
    sha = write(tmp_path / "w.pth", legacy_bytes(state, storages, little=little))
    tensors = read_legacy_torch(tmp_path / "w.pth", sha256=sha)
    assert list(tensors) == list(expected)
    for name, array in expected.items():
        assert tensors[name].dtype == array.dtype and tensors[name].shape == array.shape, name
        assert np.array_equal(tensors[name], array), name
        assert tensors[name].flags.c_contiguous and tensors[name].dtype.isnative
    assert tensors["conv.weight_t"][1, 2, 3] == storages[0].data[1 + 2 * 2 + 3 * 6]


def test_a_wrong_sha256_is_refused_before_unpickling(tmp_path, fake_torch, rng, marker):
    state, storages, _ = sample(rng)
    data = legacy_bytes(state, storages)
    sha = write(tmp_path / "w.pth", data)
    tampered = bytearray(data)
    tampered[-1] ^= 1  # one bit of the last storage
    (tmp_path / "tampered.pth").write_bytes(bytes(tampered))
    with pytest.raises(TorchFileError) as error:
        read_legacy_torch(tmp_path / "tampered.pth", sha256=sha)
    assert "tampered.pth" in one_line(error.value) and "SHA-256" in str(error.value) and sha in str(error.value)
    # A malicious file under a hash that is not its own is not even unpickled.
    (tmp_path / "evil.pth").write_bytes(evil_bytes(marker, "object"))
    with pytest.raises(TorchFileError, match="SHA-256"):
        read_legacy_torch(tmp_path / "evil.pth", sha256=sha)
    with pytest.raises(ValueError, match=r"`sha256` must be 64 lowercase hex digits. Received: sha256='abc'"):
        read_legacy_torch(tmp_path / "w.pth", sha256="abc")


class Evil:
    def __init__(self, marker):
        self.command = f"touch {marker}"

    def __reduce__(self):
        return os.system, (self.command,)


def evil_bytes(marker, where):
    """A legacy file whose ``where`` pickle runs ``os.system`` when unpickled without restriction."""
    import pickle

    header = [MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True}]
    obj, keys = {"w": 1}, []
    if where == "header":
        header[0] = Evil(marker)
    elif where == "object":
        obj = {"w": Evil(marker)}
    else:
        keys = [Evil(marker)]
    return b"".join(pickle.dumps(value, protocol=2) for value in header + [obj, keys])


@pytest.mark.parametrize("where", ["header", "object", "keys"])
def test_a_malicious_pickle_is_refused_even_with_its_own_hash(tmp_path, marker, where):
    data = evil_bytes(marker, where)
    sha = write(tmp_path / "evil.pth", data)
    with pytest.raises(TorchFileError) as error:
        read_legacy_torch(tmp_path / "evil.pth", sha256=sha)
    assert "evil.pth" in one_line(error.value) and "system" in str(error.value)
    # The file calls os.system (pickle's GLOBAL opcode "c posix system"): the standard unpickler would run the
    # command. The marker fixture checks that it never ran.
    assert b"cposix\nsystem\n" in data
    assert not marker.exists()


def test_only_storage_persistent_ids_are_accepted(tmp_path, fake_torch):
    import pickle

    out = io.BytesIO()
    for value in (MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True}):
        pickle.dump(value, out, protocol=2)
    pickler = pickle.Pickler(out, protocol=2)
    pickler.persistent_id = lambda value: ("module", "torch.nn.Linear", "linear.py", "source") \
        if isinstance(value, Storage) else None
    pickler.dump({"w": Storage("1", np.zeros(1, np.float32))})
    pickle.dump([], out, protocol=2)
    sha = write(tmp_path / "module.pth", out.getvalue())
    with pytest.raises(TorchFileError, match=r"module\.pth: refused the persistent id"):
        read_legacy_torch(tmp_path / "module.pth", sha256=sha)


@pytest.mark.parametrize("case, message", [
    ("outside", r"tensor 'w' reads element 12 of a storage of 12"),
    ("truncated", r"storage 1 holds 11 of its 12 elements"),
    ("keys", r"storage key list does not match"),
    ("magic", r"not a legacy torch file"),
    ("zip", r"zip-format torch file"),
    ("not-a-dict", r"holds no \{name: tensor\} state dict"),
    ("garbage", r"not a readable legacy torch file"),
])
def test_malformed_files_get_one_line_errors(tmp_path, fake_torch, case, message):
    storage = Storage("1", np.arange(12, dtype=np.float32))
    size = (3, 5) if case == "outside" else (3, 4)
    obj = [Tensor(storage, 0, size, (4, 1))] if case == "not-a-dict" else {"w": Tensor(storage, 0, size, (4, 1))}
    data = legacy_bytes(obj, [storage], keys=["1", "2"] if case == "keys" else None,
                        header=(12345, PROTOCOL_VERSION, {}) if case == "magic" else None)
    if case == "truncated":
        data = data[:-4]
    elif case == "garbage":
        data = data[:40]
    elif case == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("archive/data.pkl", data)
        data = buffer.getvalue()
    sha = write(tmp_path / "bad.pth", data)
    with pytest.raises(TorchFileError, match=message) as error:
        read_legacy_torch(tmp_path / "bad.pth", sha256=sha)
    assert one_line(error.value).startswith(str(tmp_path / "bad.pth"))


def test_the_wheel_file_is_the_pinned_one_with_296_tensors():
    path = weights_path()
    # torch hub's convention: the file name carries the first 8 hex digits of its SHA-256.
    assert os.path.basename(path) == f"efficientnet-lite0-{WEIGHTS_SHA256[:8]}.pth"
    assert file_sha256(path) == WEIGHTS_SHA256
    tensors = read_legacy_torch(path, sha256=WEIGHTS_SHA256)
    assert len(tensors) == 296
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    parameters = sum(a.size for name, a in tensors.items() if not name.endswith(buffers))
    classifier = tensors["_fc.weight"].size + tensors["_fc.bias"].size
    assert round(parameters / 1e6, 2) == 4.65 and round((parameters - classifier) / 1e6, 2) == 3.37
    assert tensors["_conv_stem.weight"].shape == (32, 3, 3, 3) and tensors["_fc.weight"].shape == (1000, 1280)
    assert tensors["_bn0.num_batches_tracked"].shape == () and tensors["_bn0.num_batches_tracked"].dtype == np.int64
    variances = [a for name, a in tensors.items() if name.endswith("running_var")]
    assert len(variances) == 49 and all((v >= 0).all() for v in variances)  # variances (some channels are dead)
