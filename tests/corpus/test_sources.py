"""The real-photo source table: pinned, licensed, kinds from the vocabulary, enough sources and photos, and the
same allow-list for every fetch."""

import collections

import pytest

from upconv_tf.corpus import sources
from upconv_tf.corpus.debian import CORPUS_PACKAGES


def test_every_source_is_pinned_licensed_and_uses_known_kinds():
    names = [source.name for source in sources.SOURCES]
    assert len(names) == len(set(names))
    for source in sources.SOURCES:
        assert source.version and source.licence and source.photos, source.name
        assert set(source.photos) <= set(sources.KINDS)
        paths = [path for kind in source.photos.values() for path in kind]
        assert len(paths) == len(set(paths)), f"{source.name}: a file listed twice"
        assert not set(paths) & set(source.excluded), f"{source.name}: a file both kept and excluded"


def test_the_table_spans_registries_sources_and_kinds():
    by_registry = collections.Counter(source.registry for source in sources.SOURCES)
    assert set(by_registry) == set(sources.REGISTRIES) and len(sources.SOURCES) >= 10
    assert len({source.name for source in sources.SOURCES}) >= 40
    kinds = collections.Counter(kind for source in sources.SOURCES for kind in source.kinds().values())
    assert sum(kinds.values()) >= 500
    assert all(kinds[kind] >= 10 for kind in sources.KINDS)
    # People and faces, the most common content of real uploads, are not a token few.
    assert kinds["people"] + kinds["faces"] >= 60


def test_photos_extracted_from_documents_come_from_listed_containers():
    for source in sources.SOURCES:
        extracted = [path for path in source.kinds() if ".d/" in path and not source.qt_resources]
        assert {path.rsplit(".d/", 1)[0] for path in extracted} <= set(source.embedded), source.name
        assert all(path.rsplit("/", 1)[1].removesuffix(".jpg").isdigit() for path in extracted), source.name


def test_the_allow_list_is_the_table_the_wheel_and_the_benchmark_packages():
    allowed = sources.allowed()
    assert {(s.registry, s.package) for s in sources.SOURCES} <= allowed
    assert ("pypi", "comfyui-workflow-templates-media-image") in allowed
    assert {("debian", p) for p in CORPUS_PACKAGES} <= allowed
    assert len(allowed) == len({(s.registry, s.package) for s in sources.SOURCES} | {
        ("pypi", "comfyui-workflow-templates-media-image")} | {("debian", p) for p in CORPUS_PACKAGES})
    with pytest.raises(ValueError, match="allow-list"):
        sources.check_allowed("npm", "some-other-package")
    with pytest.raises(ValueError, match="source"):
        sources.source("nothing")
