"""Resume and key freshness (issue 12): a finished grading is skipped only for the very same notebooks and
keys, and a key is rebuilt whenever its source notebook changes; both are decided without running anything."""
import json

import pytest

from autograde import grade, intake, keys


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A course folder with two source notebooks and a prepared data cache."""
    monkeypatch.setenv("AUTOGRADE_DATA", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    src = tmp_path / "course" / "source" / "hw"
    src.mkdir(parents=True)
    (src / "a.ipynb").write_text('{"cells": [1]}')
    (src / "b.ipynb").write_text('{"cells": [2]}')
    return tmp_path / "course"


def write_key(root, name, source_text=None):
    source = root / "source" / "hw" / name
    path = keys.key_path(root, "hw", name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = keys._digest(source) if source_text is None else __import__("hashlib").sha256(source_text.encode()).hexdigest()
    path.write_text(json.dumps({"source_sha256": digest, "cells": {"ex1": [{"name": "x"}]}}))
    return path


# --- keys: where, fresh or stale, rebuilt when stale ---------------------------------------------------------

def test_key_path_and_digest(root):
    assert keys.key_path(root, "hw", "a.ipynb") == root / "keys" / "hw" / "a.json"
    assert keys.key_path(root, "hw", "sub/b.ipynb") == root / "keys" / "hw" / "b.json"
    assert keys._digest(root / "source" / "hw" / "a.ipynb") == __import__("hashlib").sha256(b'{"cells": [1]}').hexdigest()


def test_keys_are_current_only_when_every_notebook_has_a_key_of_its_present_content(root):
    assert not keys.current(root, "hw")                      # no key at all
    write_key(root, "a.ipynb")
    assert not keys.current(root, "hw")                      # b has none
    write_key(root, "b.ipynb")
    assert keys.current(root, "hw")
    (root / "source" / "hw" / "b.ipynb").write_text('{"cells": [3]}')
    assert not keys.current(root, "hw")                      # b changed after its key was built
    write_key(root, "b.ipynb")
    assert keys.current(root, "hw")


def test_a_key_for_other_content_is_stale(root):
    write_key(root, "a.ipynb")
    write_key(root, "b.ipynb", source_text='{"cells": [99]}')
    assert not keys.current(root, "hw")
    path = write_key(root, "b.ipynb")
    path.write_text(json.dumps({"cells": {}}))               # no digest recorded: stale, never trusted
    assert not keys.current(root, "hw")


def test_keys_are_not_current_without_the_data_cache(root, tmp_path, monkeypatch):
    write_key(root, "a.ipynb")
    write_key(root, "b.ipynb")
    assert keys.current(root, "hw")
    monkeypatch.setenv("AUTOGRADE_DATA", str(tmp_path / "missing"))
    assert not keys.current(root, "hw")


def test_ensure_rebuilds_stale_keys_and_only_stale_ones(root, monkeypatch):
    built = []
    monkeypatch.setattr(keys, "build", lambda r, a: built.append((r, a)) or [])
    keys.ensure(root, "hw")
    assert built == [(root, "hw")]
    write_key(root, "a.ipynb")
    write_key(root, "b.ipynb")
    keys.ensure(root, "hw")
    assert built == [(root, "hw")]                           # fresh: nothing rebuilt
    (root / "source" / "hw" / "a.ipynb").write_text('{"cells": [5]}')
    keys.ensure(root, "hw")
    assert built == [(root, "hw")] * 2


def test_ensure_all_builds_only_stale_keys_and_several_at_once(root, monkeypatch):
    import threading

    src = root / "source"
    for name in ("hw2", "hw3"):
        (src / name).mkdir()
        (src / name / "c.ipynb").write_text('{"cells": [3]}')
    write_key(root, "a.ipynb")
    write_key(root, "b.ipynb")                              # hw is current, hw2 and hw3 are not
    both_running = threading.Barrier(2, timeout=10)
    built, notes = [], []

    def build(r, a):
        both_running.wait()                                 # breaks (and fails the test) unless two run at once
        built.append(a)
        return []

    monkeypatch.setattr(keys, "build", build)
    keys.ensure_all(root, ["hw", "hw2", "hw3"], parallel=2, note=notes.append)
    assert sorted(built) == ["hw2", "hw3"]
    assert notes == ["building the keys of hw2, hw3 (each solution notebook runs once)"]


def test_ensure_all_raises_a_failed_build_and_says_nothing_when_all_are_current(root, monkeypatch):
    (root / "source" / "hw2").mkdir()
    (root / "source" / "hw2" / "c.ipynb").write_text('{"cells": [3]}')

    def build(r, a):
        if a == "hw2":
            raise keys.course.CourseError("hw2/c.ipynb: the solution fails its own checks")
        return []

    monkeypatch.setattr(keys, "build", build)
    with pytest.raises(keys.course.CourseError, match="hw2/c.ipynb"):
        keys.ensure_all(root, ["hw", "hw2"], parallel=2)
    write_key(root, "a.ipynb")
    write_key(root, "b.ipynb")
    notes = []
    keys.ensure_all(root, ["hw"], parallel=2, note=notes.append)
    assert notes == []


def test_load_reads_the_cells_or_nothing(root):
    write_key(root, "a.ipynb")
    assert keys.load(root / "keys", "hw", "a.ipynb") == {"ex1": [{"name": "x"}]}
    assert keys.load(root / "keys", "hw", "b.ipynb") == {}


# --- resume: the fingerprint of what was graded ---------------------------------------------------------------

@pytest.fixture
def staged(tmp_path):
    folder = tmp_path / "staged"
    folder.mkdir()
    (folder / "hw.ipynb").write_text("submission")
    return folder


def test_the_fingerprint_covers_every_submitted_notebook_and_key(root, staged):
    write_key(root, "a.ipynb")
    stamp = grade._fingerprint(root, staged, "hw")
    assert stamp == grade._fingerprint(root, staged, "hw") and len(stamp) == 64
    (staged / "notes.txt").write_text("not a notebook")
    assert grade._fingerprint(root, staged, "hw") == stamp   # only notebooks and keys count
    changes = [
        lambda: (staged / "hw.ipynb").write_text("submission, edited"),
        lambda: (staged / "extra.ipynb").write_text(""),
        lambda: write_key(root, "a.ipynb", source_text="rebuilt"),
        lambda: write_key(root, "b.ipynb"),
        lambda: (staged / "extra.ipynb").rename(staged / "other.ipynb"),
    ]
    seen = {stamp}
    for change in changes:
        change()
        now = grade._fingerprint(root, staged, "hw")
        assert now not in seen
        seen.add(now)


def test_names_and_contents_cannot_trade_places_in_the_fingerprint(root, staged, tmp_path):
    (staged / "hw.ipynb").write_text("ab")
    other = tmp_path / "other"
    other.mkdir()
    (other / "hw.ipynb").write_text("a")
    (other / "b.ipynb").write_text("b")                      # same bytes in sequence, split differently
    assert grade._fingerprint(root, staged, "hw") != grade._fingerprint(root, other, "hw")
    (other / "b.ipynb").unlink()
    (other / "hw.ipynbab").write_text("")
    assert grade._fingerprint(root, staged, "hw") != grade._fingerprint(root, other, "hw")


def test_resume_skips_only_a_submission_marked_done_with_the_same_fingerprint(root):
    marker = intake.clear_links(root, "graded", "alice", "hw") / grade.DONE_MARKER
    assert not grade._done(root, "alice", "hw", "abc")       # never graded
    intake.write_private(marker, "abc")
    assert grade._done(root, "alice", "hw", "abc")
    assert not grade._done(root, "alice", "hw", "abd")       # other notebooks or keys: grade again
    assert not grade._done(root, "alice", "hw", "ab")
    assert not grade._done(root, "bob", "hw", "abc")
    assert not grade._done(root, "alice", "other", "abc")


def test_a_planted_marker_link_is_never_followed(root, tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("abc")
    folder = intake.clear_links(root, "graded", "alice", "hw")
    (folder / grade.DONE_MARKER).symlink_to(target)
    assert not grade._done(root, "alice", "hw", "abc")


def test_a_marker_that_is_not_text_means_grade_again(root):
    marker = intake.clear_links(root, "graded", "alice", "hw") / grade.DONE_MARKER
    marker.write_bytes(b"\xff\xfeabc")                       # a damaged or planted marker: no crash, no skip
    assert not grade._done(root, "alice", "hw", "abc")
