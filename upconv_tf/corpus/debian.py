"""The benchmark corpus: real photographs from Debian wallpaper and documentation packages (SPEC s. 5).

``build_corpus`` runs ``apt-get download`` and ``dpkg -x`` into a cache folder (:mod:`upconv_tf.corpus.fetch`):
nothing is installed system-wide. It writes ``manifest.json`` listing every file used (package, path, size), so
results can name their inputs. Some files are renders or charts rather than photographs; the manifest keeps them
apart with ``kind`` when the package is known to mix them (opencv-doc).
"""

from __future__ import annotations

import glob
import json
import os

from PIL import Image

from upconv_tf.corpus import fetch
from upconv_tf.datasets.folder import IMAGE_EXTENSIONS
from upconv_tf.errors import ArgumentError

# Downloaded archives, shared by both corpora: <cache>/downloads/<registry>/.
DOWNLOADS = "downloads"
# package -> folders inside the package holding the images.
CORPUS_PACKAGES = {
    "mate-backgrounds": ["usr/share/backgrounds/mate/nature"],
    "plasma-workspace-wallpapers": ["usr/share/wallpapers"],
    "lomiri-wallpapers-16.04": ["usr/share/backgrounds"],
    "lomiri-wallpapers-20.04": ["usr/share/backgrounds"],
    "opencv-doc": ["usr/share/doc/opencv-doc/examples/data"],
}
MIN_SIDE = 256


def _download(package, destination):
    return fetch.apt_download(package, None, destination)


def _images_in(root, folders, package):
    files = []
    for folder in folders:
        base = os.path.join(root, folder)
        for path in sorted(glob.glob(os.path.join(base, "**", "*"), recursive=True)):
            if path.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(path):
                files.append(path)
    if package == "plasma-workspace-wallpapers":
        # Each wallpaper ships at several resolutions: keep the largest file of each.
        largest = {}
        for path in files:
            key = path.split("/contents/images/")[0]
            if key not in largest or os.path.getsize(path) > os.path.getsize(largest[key]):
                largest[key] = path
        files = sorted(largest.values())
    return files


def _describe(path, package, root):
    try:
        with Image.open(path) as image:
            width, height = image.size
    except Exception:  # noqa: BLE001 - an unreadable file is left out of the manifest
        return None
    if min(width, height) < MIN_SIDE:
        return None
    return {
        "path": os.path.relpath(path, root),
        "package": package,
        "width": width,
        "height": height,
        "kind": "mixed (photos, renders, charts)" if package == "opencv-doc" else "photo",
    }


def build_corpus(cache_dir, packages=None, update: bool = False, log=print) -> dict:
    """Fetch and unpack the corpus packages into ``cache_dir``; return (and write) the manifest.

    Args:
        cache_dir: destination; each package goes to ``cache_dir/<package>/``.
        packages: package names (default: all of ``CORPUS_PACKAGES``).
        update: run ``apt-get update`` first (needs root) when the package lists are missing.
        log: where progress lines go.

    Returns:
        ``{"files": [...], "failed": {package: reason}}``; also written to ``cache_dir/manifest.json``.
    """
    cache_dir = os.path.abspath(os.fspath(cache_dir))
    os.makedirs(cache_dir, exist_ok=True)
    packages = list(packages or CORPUS_PACKAGES)
    unknown = [p for p in packages if p not in CORPUS_PACKAGES]
    if unknown:
        raise ArgumentError("packages", f"holds unknown names {unknown}; known: {sorted(CORPUS_PACKAGES)}")
    if update:
        fetch.run(["apt-get", "update", "-qq"], cache_dir)
    manifest = {"files": [], "failed": {}}
    for package in packages:
        target = os.path.join(cache_dir, package)
        try:
            if not os.path.isdir(target):
                fetch.unpack(_download(package, os.path.join(cache_dir, DOWNLOADS, "debian")), target)
            entries = [_describe(p, package, cache_dir)
                       for p in _images_in(target, CORPUS_PACKAGES[package], package)]
            entries = [e for e in entries if e]
            manifest["files"].extend(entries)
            log(f"{package}: {len(entries)} images")
        except fetch.CorpusError as error:
            manifest["failed"][package] = str(error)
            log(f"{package}: skipped ({error})")
    from upconv_tf._atomic import write_json

    write_json(manifest, os.path.join(cache_dir, "manifest.json"))
    return manifest


def corpus_files(cache_dir, kind: str | None = "photo") -> list:
    """Absolute paths listed in ``cache_dir/manifest.json`` (only photographs by default)."""
    path = os.path.join(os.fspath(cache_dir), "manifest.json")
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no manifest; run `upconv-tf corpus build --cache {cache_dir}` first")
    with open(path) as handle:
        files = json.load(handle)["files"]
    return [os.path.join(cache_dir, f["path"]) for f in files if kind is None or f["kind"] == kind]
