import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from upconv_tf.corpus import debian as corpus
from upconv_tf.corpus.fetch import CorpusError

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb not available (not Debian)")


def _fake_deb(tmp_path, package):
    """A real .deb holding one large and one too-small image under the package's image folder."""
    root = tmp_path / "debroot"
    folder = root / corpus.CORPUS_PACKAGES[package][0]
    folder.mkdir(parents=True)
    Image.fromarray(np.full((300, 400, 3), 90, np.uint8)).save(folder / "big.jpg")
    Image.fromarray(np.full((100, 100, 3), 90, np.uint8)).save(folder / "small.png")
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\nDescription: test\n")
    deb = tmp_path / f"{package}_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


@needs_dpkg
def test_build_unpacks_without_installing_and_writes_manifest(tmp_path, monkeypatch):
    package = "mate-backgrounds"
    deb = _fake_deb(tmp_path, package)

    def fake_download(name, destination):
        os.makedirs(destination, exist_ok=True)
        target = os.path.join(destination, deb.name)
        shutil.copy(deb, target)
        return target

    monkeypatch.setattr(corpus, "_download", fake_download)
    cache = tmp_path / "cache"
    manifest = corpus.build_corpus(cache, [package], log=lambda *_: None)
    assert [f["path"] for f in manifest["files"]] == [f"{package}/usr/share/backgrounds/mate/nature/big.jpg"]
    assert manifest["files"][0]["width"] == 400 and manifest["failed"] == {}
    assert json.loads((cache / "manifest.json").read_text()) == manifest
    assert corpus.corpus_files(cache) == [str(cache / manifest["files"][0]["path"])]
    assert not os.path.exists("/usr/share/backgrounds/mate/nature/big.jpg")


def test_failed_package_is_reported_not_raised(tmp_path, monkeypatch):
    def failing(name, destination):
        raise CorpusError(f"apt-get download {name} failed: E: Unable to locate package")

    monkeypatch.setattr(corpus, "_download", failing)
    manifest = corpus.build_corpus(tmp_path, ["opencv-doc"], log=lambda *_: None)
    assert manifest["files"] == [] and "Unable to locate" in manifest["failed"]["opencv-doc"]


def test_unknown_package_and_missing_manifest(tmp_path):
    with pytest.raises(ValueError, match="unknown"):
        corpus.build_corpus(tmp_path, ["firefox"])
    with pytest.raises(ValueError, match="manifest"):
        corpus.corpus_files(tmp_path)


def test_old_import_path_still_works_with_a_deprecation_warning():
    from upconv_tf.datasets import corpus as old

    with pytest.warns(DeprecationWarning, match="upconv_tf.corpus.debian.build_corpus"):
        assert old.build_corpus is corpus.build_corpus
    with pytest.warns(DeprecationWarning):
        assert old.wild_files.__module__ == "upconv_tf.corpus.wild"
    with pytest.raises(AttributeError):
        old.no_such_name


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="apt-get not available")
def test_real_package_from_the_debian_archive(tmp_path):
    """The smallest corpus package (about 11 MB), fetched with apt-get download for real."""
    manifest = corpus.build_corpus(tmp_path, ["lomiri-wallpapers-20.04"], log=lambda *_: None)
    if manifest["failed"]:
        pytest.skip(f"Debian archive not reachable here: {manifest['failed']}")
    assert len(manifest["files"]) >= 3
    assert all(min(f["width"], f["height"]) >= corpus.MIN_SIDE for f in manifest["files"])
