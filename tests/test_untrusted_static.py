"""No code path may run code hidden in a user-given file without an explicit, documented opt-in.

A static scan (AST, so comments and strings do not count) of the package and the TFX pipeline for the
calls that execute code from data: pickle-family loads, ``np.load(allow_pickle=True)``, Keras loading
with ``safe_mode`` off or unsafe deserialization enabled, ``yaml.load`` without a safe loader,
``eval``/``exec``/``marshal``/``shelve``. A call that is a documented opt-in must carry the comment
``# unsafe-opt-in: <where it is documented>`` on its line.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCANNED = ["upconv_tf", "tfx_pipeline"]
OPT_IN = "# unsafe-opt-in:"
PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "joblib", "dill", "cloudpickle", "shelve", "marshal", "torch"}
PICKLE_FUNCTIONS = {"load", "loads", "Unpickler", "open"}


def dotted(node) -> str:
    """``a.b.c`` for a Name/Attribute chain, else ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def keyword(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


def is_constant(node, value) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def unsafe_calls(source: str, filename="<string>"):
    """``[(line, reason)]`` for every call that can execute code from data."""
    tree = ast.parse(source, filename)
    aliases = {}  # local name -> module (import pickle as pk; from joblib import load)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found = []
    lines = source.splitlines()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        head, _, rest = name.partition(".")
        full = f"{aliases.get(head, head)}.{rest}" if rest else aliases.get(head, head)
        module, _, function = full.rpartition(".")
        reason = None
        if module.split(".")[0] in PICKLE_MODULES and function in PICKLE_FUNCTIONS:
            reason = f"{full}() unpickles"
        elif function == "load" and module.split(".")[0] in ("numpy", "np") and not (
                keyword(node, "allow_pickle") is None or is_constant(keyword(node, "allow_pickle"), False)):
            reason = "np.load(allow_pickle=...) not literally False"
        elif function == "load_model" and keyword(node, "safe_mode") is not None \
                and not is_constant(keyword(node, "safe_mode"), True):
            reason = "load_model(safe_mode=...) not literally True"
        elif function in ("enable_unsafe_deserialization", "unsafe_load", "full_load"):
            reason = f"{full}()"
        elif function == "load" and module.split(".")[0] == "yaml" and not any(
                "Safe" in dotted(k.value) for k in node.keywords if k.arg == "Loader"):
            reason = "yaml.load without SafeLoader"
        elif full in ("eval", "exec", "builtins.eval", "builtins.exec"):
            reason = f"{full}()"
        if reason and OPT_IN not in lines[node.lineno - 1]:
            found.append((node.lineno, reason))
    return found


def python_files():
    for folder in SCANNED:
        yield from sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else []


def test_the_scan_finds_what_it_must():
    planted = """
import pickle, joblib
import numpy as np
import pickle as pk
from joblib import load as jl
import keras, yaml
pickle.load(open("model.pkl", "rb"))
pk.loads(data)
joblib.load(path)
jl(path)
np.load(path, allow_pickle=True)
np.load(path, allow_pickle=flag)
keras.saving.load_model(path, safe_mode=False)
keras.models.load_model(path, safe_mode=user_choice)
keras.config.enable_unsafe_deserialization()
yaml.load(text)
eval(text)
"""
    assert len(unsafe_calls(planted)) == 11
    safe = """
import numpy as np, keras, yaml, json
np.load(path)
np.load(path, allow_pickle=False)
keras.saving.load_model(path, compile=False, safe_mode=True)
keras.saving.load_model(path)
yaml.load(text, Loader=yaml.SafeLoader)
json.load(handle)
pickle.load(handle)  # unsafe-opt-in: README "Reliability", --allow-pickle
# pickle.load(handle) in a comment
text = "joblib.load(path)"
"""
    assert unsafe_calls(safe) == []


@pytest.mark.parametrize("path", list(python_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_runs_code_from_data(path):
    found = unsafe_calls(path.read_text(encoding="utf-8"), str(path))
    assert not found, [f"{path.relative_to(ROOT)}:{line}: {reason}" for line, reason in found]


def test_the_scan_covers_the_package():
    names = {path.relative_to(ROOT).as_posix() for path in python_files()}
    assert {"upconv_tf/spectral.py", "upconv_tf/datasets/folder.py"} <= names
