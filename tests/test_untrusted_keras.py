"""Untrusted .keras files: loading never runs code from the file (safe_mode); a damaged file is one clear
error. Each payload would leave a marker file if any of its code ran; each test checks the marker is absent.
"""

import json
import os
import zipfile

import keras
import pytest

from upconv_tf.models import load_generator_model

from untrusted import one_line  # noqa: E402

SIZE = 32


def lambda_generator(path, marker):
    """A generator-shaped model whose Lambda layer writes ``marker`` when it runs."""
    latent = keras.Input((8,))
    x = keras.layers.Reshape((SIZE, SIZE, 3))(keras.layers.Dense(SIZE * SIZE * 3)(latent))
    target = str(marker)
    x = keras.layers.Lambda(lambda t: (open(target, "a").write("ran"), t)[1])(x)  # noqa: SIM115
    keras.Model(latent, x).save(path)
    marker.unlink()  # building the model ran it once, legitimately


def test_keras_file_with_a_lambda_is_refused(tmp_path, marker):
    path = tmp_path / "generator.keras"
    lambda_generator(path, marker)
    for target in (path, tmp_path):  # the file, and the folder `upconv-tf train gan` would write
        with pytest.raises(ValueError, match="Lambda") as info:
            load_generator_model(target)
        assert "safe_mode" in one_line(info.value) and str(target) in str(info.value)


@pytest.mark.parametrize("payload", [
    {"module": "os", "class_name": "system", "config": "touch {marker}"},
    {"module": "builtins", "class_name": "exec", "config": "open('{marker}', 'w')"},
    {"module": "subprocess", "class_name": "Popen", "config": {"args": ["touch", "{marker}"]}},
    {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "exec"},
], ids=["os.system", "exec", "Popen", "function"])
def test_keras_config_naming_arbitrary_callables_is_refused(tmp_path, marker, payload):
    lambda_generator(tmp_path / "base.keras", marker)
    crafted = tmp_path / "crafted.keras"
    payload = json.loads(json.dumps(payload).replace("{marker}", str(marker)))
    with zipfile.ZipFile(tmp_path / "base.keras") as source, zipfile.ZipFile(crafted, "w") as target:
        for name in source.namelist():
            target.writestr(name, json.dumps(payload) if name == "config.json" else source.read(name))
    with pytest.raises(ValueError) as info:
        load_generator_model(crafted)
    assert str(crafted) in one_line(info.value)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really a zip", os.urandom(2048)],
                         ids=["empty", "bad-zip", "random"])
def test_damaged_keras_file_is_one_clear_error(tmp_path, content):
    path = tmp_path / "generator.keras"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        load_generator_model(path)
    assert str(path) in one_line(info.value)
