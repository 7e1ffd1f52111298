"""The one atomic writer (:mod:`upconv_tf._atomic`): all or nothing, hidden temporaries, umask modes (a model
server rarely runs as the trainer's user), and one-line refusals (a JSON path that is a folder)."""

import json
import os
import stat

import pytest

from upconv_tf import _atomic


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Run under a given umask, restored afterwards."""
    previous = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(previous)


def visible(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_files_and_folders_follow_the_umask(tmp_path, umask, mask):
    umask(mask)
    assert _atomic.current_umask() == mask
    _atomic.write_json({"a": 1}, tmp_path / "x.json")
    _atomic.write_bytes(b"abc", tmp_path / "y.bin")
    with _atomic.atomic_folder(tmp_path / "folder") as folder:
        with open(os.path.join(folder, "inside.txt"), "w") as handle:
            handle.write("x")
    assert mode(tmp_path / "x.json") == mode(tmp_path / "y.bin") == 0o666 & ~mask
    assert mode(tmp_path / "folder") == 0o777 & ~mask
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": 1}
    assert sorted(os.listdir(tmp_path)) == ["folder", "x.json", "y.bin"]  # no temporary left


def test_a_failure_leaves_the_previous_content_and_no_temporary(tmp_path):
    target = tmp_path / "state.json"
    _atomic.write_json({"step": 1}, target)
    with pytest.raises(TypeError):
        _atomic.write_json({"step": object()}, target)
    with pytest.raises(RuntimeError):
        with _atomic.atomic_file(target) as temporary:
            assert os.path.basename(temporary).startswith(".state.json.tmp-")
            with open(temporary, "w") as handle:
                handle.write("half")
            raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"step": 1}
    assert os.listdir(tmp_path) == ["state.json"]


def test_folder_replacement_and_staging_roll_back_together(tmp_path, monkeypatch):
    old = tmp_path / "model"
    old.mkdir()
    (old / "v").write_text("old")
    (tmp_path / "meta.json").write_text("old")
    with pytest.raises(RuntimeError):
        with _atomic.Staging() as staging:
            (open(os.path.join(staging.folder(old), "v"), "w")).write("new")
            with open(staging.file(tmp_path / "meta.json"), "w") as handle:
                handle.write("new")
            with open(staging.file(tmp_path / "third"), "w") as handle:
                handle.write("new")
            rename, calls = os.rename, []

            def fail_third(source, target):
                calls.append(target)
                if len(calls) == 3:
                    raise RuntimeError("injected failure of the third move")
                rename(source, target)

            monkeypatch.setattr(_atomic.os, "rename", fail_third)
            staging.commit()  # the third move fails: the first two are undone
    monkeypatch.undo()
    assert (old / "v").read_text() == "old" and (tmp_path / "meta.json").read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["meta.json", "model"]
    with _atomic.atomic_folder(old) as folder:
        (open(os.path.join(folder, "v"), "w")).write("new")
    assert (old / "v").read_text() == "new" and sorted(os.listdir(tmp_path)) == ["meta.json", "model"]


def test_json_to_a_folder_is_refused_and_leaves_nothing(tmp_path):
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        _atomic.write_json({"a": 1}, tmp_path)
    assert os.listdir(tmp_path) == []
