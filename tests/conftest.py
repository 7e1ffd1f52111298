import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def photos():
    from upconv_tf.datasets import bundled_photos

    return bundled_photos()


@pytest.fixture(scope="session")
def crops64():
    from upconv_tf.datasets import bundled_crops

    return bundled_crops(size=64, count=48, seed=1)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def marker(tmp_path):
    """A file that untrusted payloads would create if any of their code ran; must stay absent."""
    path = tmp_path / "code-ran"
    yield path
    assert not path.exists(), "code from an untrusted file was executed"
