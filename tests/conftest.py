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


@pytest.fixture(scope="session")
def write_crop_folders():
    """The function below, for module fixtures that lay out image folders."""
    return _write_crop_folders


def _write_crop_folders(root, size, count, seeds, fake_folder="fake"):
    """``root/real/`` bundled crops and ``root/FAKE_FOLDER/`` transposed-convolution fakes of other crops, PNG files
    named ``SOURCE_INDEX.png`` (so ``--group-by prefix`` groups them by photo); ``seeds``: (real, other) crop seeds."""
    from upconv_tf.datasets import bundled_crops, save_png
    from upconv_tf.fakes import make_fakes

    real, other = bundled_crops(size, count, seed=seeds[0]), bundled_crops(size, count, seed=seeds[1])
    for crops, images, folder in ((real, real.images, "real"), (other, make_fakes(other.images, "transconv"), fake_folder)):
        for i, image in enumerate(images):
            save_png(image, root / folder / f"{crops.sources[crops.groups[i]]}_{i:04d}.png")
    return root


def pytest_collection_modifyitems(config, items):
    """Run the longest test modules first, so that with ``-n auto --dist loadfile`` (``make test``) no worker is
    left with a long module at the end: the TFX pipeline run (minutes of setup), then the modules marked slow as a
    whole, then those with some slow tests, then the rest, each group in collection order (a module's own order
    is kept)."""
    modules = {}
    for item in items:
        modules.setdefault(str(item.fspath), []).append(item)

    def rank(path):
        members = modules[path]
        marks = getattr(members[0].module, "pytestmark", [])
        slow_module = any(mark.name == "slow" for mark in (marks if isinstance(marks, list) else [marks]))
        if slow_module and os.sep + "pipeline" + os.sep in path:
            return 0
        if slow_module:
            return 1
        return 2 if any(item.get_closest_marker("slow") for item in members) else 3

    items[:] = [item for path in sorted(modules, key=rank) for item in modules[path]]
