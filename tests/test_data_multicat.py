"""The chapter 6 data helpers: PASCAL_2007 and BIWI head pose layouts, real data detection, stand-ins."""
import hashlib
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from autograde import data_multicat as dm
from autograde.data import _fastai_data_dir


@pytest.fixture(scope="module")
def standins(tmp_path_factory):
    """Both stand-ins, built by the helpers offline into a fresh cache (no fastai data there)."""
    root = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("AUTOGRADE_OFFLINE", "1")
    mp.setenv("AUTOGRADE_DATA", str(root / "autograde"))
    mp.setenv("FASTAI_HOME", str(root / "fastai_home"))
    try:
        yield dm.pascal_2007(verbose=False), dm.biwi_sample(verbose=False)
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def pascal(standins):
    return standins[0]


@pytest.fixture(scope="module")
def biwi(standins):
    return standins[1]


# ---------------------------------------------------------------- PASCAL_2007

def test_pascal_standin_is_marked_and_cached_where_asked(pascal):
    assert dm.is_standin(pascal) and pascal.name == dm.PASCAL_STANDIN
    assert pascal.parent.name == "autograde"


def test_pascal_csv_schema(pascal):
    df = pd.read_csv(pascal / "train.csv")
    assert list(df.columns) == ["fname", "labels", "is_valid"]
    assert len(df) == dm.PASCAL_N
    assert df["is_valid"].dtype == bool and 0 < df["is_valid"].sum() < len(df)
    assert all(re.fullmatch(r"\d{6}\.jpg", f) for f in df["fname"])
    assert df["fname"].is_unique and list(df["fname"]) == sorted(df["fname"])
    for labels in df["labels"]:
        words = labels.split(" ")
        assert 1 <= len(words) <= 3 and len(set(words)) == len(words)
        assert set(words) <= set(dm.PASCAL_CLASSES)
    counts = df["labels"].str.split(" ").explode().value_counts()
    assert set(counts.index) == set(dm.PASCAL_CLASSES) and counts.min() >= 30
    assert (df["labels"].str.count(" ") > 0).mean() > 0.3  # really multi-label


def test_pascal_files_match_the_csv(pascal):
    df = pd.read_csv(pascal / "train.csv")
    assert sorted(p.name for p in (pascal / "train").iterdir()) == sorted(df["fname"])
    sizes = set()
    for fname in df["fname"][:40]:
        with Image.open(pascal / "train" / fname) as im:
            assert im.mode == "RGB" and im.format == "JPEG"
            sizes.add(im.size)
    assert len(sizes) > 1  # varied sizes, as in the real data: a Resize is needed


def _has_colour(arr, colour, tol=60, min_pixels=25):
    dist = np.abs(arr.astype(np.int32) - np.asarray(colour)).sum(-1)
    return int((dist < tol).sum()) >= min_pixels


def test_pascal_labels_are_the_shapes_drawn(pascal):
    df = pd.read_csv(pascal / "train.csv")
    for fname, labels in zip(df["fname"], df["labels"]):
        arr = np.asarray(Image.open(pascal / "train" / fname).convert("RGB"))
        present = {cls for cls in dm.PASCAL_CLASSES if _has_colour(arr, dm.PASCAL_LOOK[cls][0])}
        assert present == set(labels.split(" ")), fname


def test_pascal_standin_is_deterministic(tmp_path):
    a = dm.build_pascal_standin(tmp_path / "a", n=12)
    b = dm.build_pascal_standin(tmp_path / "b", n=12)
    assert (a / "train.csv").read_text() == (b / "train.csv").read_text()
    for f in sorted((a / "train").iterdir()):
        assert f.read_bytes() == (b / "train" / f.name).read_bytes()
    c = dm.build_pascal_standin(tmp_path / "c", n=12, seed=7)
    assert (c / "train.csv").read_text() != (a / "train.csv").read_text()


# ---------------------------------------------------------------- BIWI

def _book_get_ctr(path, f):
    """Chapter 6's code, verbatim apart from the names."""
    cal = np.genfromtxt(path / "01" / "rgb.cal", skip_footer=6)
    ctr = np.genfromtxt(f"{str(f)[:-7]}pose.txt", skip_header=3)
    c1 = ctr[0] * cal[0][0] / ctr[2] + cal[0][2]
    c2 = ctr[1] * cal[1][1] / ctr[2] + cal[1][2]
    return np.array([c1, c2])


def test_biwi_layout(biwi):
    assert dm.is_standin(biwi) and biwi.name == dm.BIWI_STANDIN
    persons = sorted(p.name for p in biwi.iterdir() if p.is_dir())
    assert persons == [f"{i:02d}" for i in range(1, dm.BIWI_PERSONS + 1)] and "13" in persons
    for p in persons:
        assert (biwi / f"{p}.obj").is_file() and (biwi / p / "rgb.cal").is_file()
        images = sorted((biwi / p).glob("*_rgb.jpg"))
        poses = sorted((biwi / p).glob("*_pose.txt"))
        assert len(images) == len(poses) == dm.BIWI_FRAMES
        assert all(re.fullmatch(r"frame_\d{5}_rgb\.jpg", f.name) for f in images)
        assert [f.name.replace("rgb.jpg", "pose.txt") for f in images] == [f.name for f in poses]


def test_biwi_calibration_reads_as_the_book_reads_it(biwi):
    cal = np.genfromtxt(biwi / "01" / "rgb.cal", skip_footer=6)
    assert cal.shape == (3, 3)
    np.testing.assert_allclose(cal, [[dm.BIWI_FOCAL, 0, dm.BIWI_CENTRE[0]], [0, dm.BIWI_FOCAL, dm.BIWI_CENTRE[1]], [0, 0, 1]], atol=1e-5)
    pose = np.genfromtxt(next((biwi / "05").glob("*_pose.txt")), skip_header=3)
    assert pose.shape == (3,) and 800 < pose[2] < 1200
    rot = np.genfromtxt(next((biwi / "05").glob("*_pose.txt")), skip_footer=1)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-4)


def _blob_centre(f):
    """Centroid of the brightest pixels: the head drawn around the true centre."""
    arr = np.asarray(Image.open(f).convert("L")).astype(np.float64)
    mask = arr > arr.max() - 25
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


def test_book_get_ctr_lands_on_the_blob(biwi):
    files = sorted(biwi.glob("*/*_rgb.jpg"))
    assert len(files) == dm.BIWI_PERSONS * dm.BIWI_FRAMES
    errors = []
    for f in files:
        with Image.open(f) as im:
            assert im.size == dm.BIWI_SIZE
        ctr = _book_get_ctr(biwi, f)
        assert 0 < ctr[0] < dm.BIWI_SIZE[0] and 0 < ctr[1] < dm.BIWI_SIZE[1]
        errors.append(np.abs(_blob_centre(f) - ctr).max())
    assert max(errors) < 1.5 and np.mean(errors) < 0.6


def test_biwi_standin_is_deterministic(tmp_path):
    digest = lambda root: {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
                           for f in sorted(root.rglob("*")) if f.is_file()}
    a = dm.build_biwi_standin(tmp_path / "a", persons=2, frames=3)
    b = dm.build_biwi_standin(tmp_path / "b", persons=2, frames=3)
    assert digest(a) == digest(b) and len(digest(a)) == 2 * (2 * 3 + 3) + 1


# ---------------------------------------------------------------- which data is used

def test_offline_stand_ins_say_so(standins, monkeypatch, capsys):
    pascal, biwi = standins
    monkeypatch.setenv("AUTOGRADE_OFFLINE", "1")
    monkeypatch.setenv("AUTOGRADE_DATA", str(pascal.parent))
    monkeypatch.setenv("FASTAI_HOME", str(pascal.parent.parent / "fastai_home"))
    assert dm.pascal_2007() == pascal and dm.biwi_sample() == biwi  # cached stand-ins are reused
    out = capsys.readouterr().out
    assert "Data: OFFLINE STAND-IN for PASCAL_2007" in out and "Data: OFFLINE STAND-IN for BIWI" in out


def test_notices_and_cached_real_data(monkeypatch, tmp_path, capsys):
    home = tmp_path / "fastai_home"
    monkeypatch.setenv("AUTOGRADE_OFFLINE", "1")
    monkeypatch.setenv("AUTOGRADE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("FASTAI_HOME", str(home))
    data_dir = _fastai_data_dir()
    # fake real data in fastai's data folder: the helpers must prefer it to a stand-in
    (data_dir / "pascal_2007" / "train").mkdir(parents=True)
    (data_dir / "pascal_2007" / "train.csv").write_text("fname,labels,is_valid\n000005.jpg,chair,True\n")
    (data_dir / "biwi_head_pose" / "01").mkdir(parents=True)
    (data_dir / "biwi_head_pose" / "01" / "rgb.cal").write_text(dm.calibration_text(517.679, 320, 240.5, 640, 480))
    assert dm.pascal_2007() == data_dir / "pascal_2007"
    assert dm.biwi_sample() == data_dir / "biwi_head_pose"
    out = capsys.readouterr().out
    assert "fastai's PASCAL_2007 (cached" in out and "fastai's BIWI_HEAD_POSE (cached" in out
    assert not (tmp_path / "cache").exists()
