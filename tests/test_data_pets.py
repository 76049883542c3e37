"""The chapter 5 data helper: stand-in layout, names and labels, determinism; the labeller on real PETS files."""
import csv
import hashlib
import re

import pytest

from autograde import data_pets
from autograde.data import _fastai_data_dir
from tests.paths import SHARED_DATA  # noqa: F401  (the `shared_data` fixture points there)

BOOK_PAT = r'(.+)_\d+.jpg$'
NOTEBOOK_PAT = r'^(.+)_\d+\.jpg$'


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    return data_pets.build_pets_standin(tmp_path_factory.mktemp("pets") / data_pets.STANDIN_NAME)


def _digests(root):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "images").iterdir())}


def test_standin_has_the_real_layout_and_names(standin):
    names = sorted(p.name for p in (standin / "images").iterdir())
    jpgs = [n for n in names if n.endswith(".jpg")]
    assert len(jpgs) == len(data_pets.BREEDS) * data_pets.PER_BREED
    assert [n for n in names if not n.endswith(".jpg")] == ["Abyssinian_100.mat"]
    assert all(re.fullmatch(r"[A-Za-z_]+_\d+\.jpg", n) for n in jpgs)
    assert data_pets.is_standin(standin)


def test_labels_parse_with_the_books_regex(standin):
    labels = {re.findall(BOOK_PAT, p.name)[0] for p in (standin / "images").glob("*.jpg")}
    assert labels == set(data_pets.BREEDS)
    assert {b for b in labels if b[0].isupper()} and {b for b in labels if b[0].islower()}  # cats and dogs
    assert any(b.count("_") >= 2 for b in labels)  # names with several underscores
    assert all(re.search(NOTEBOOK_PAT, n) is None for n in ["Abyssinian_100.mat"])


def test_images_are_rgb_of_varied_sizes(standin):
    from PIL import Image

    sizes = set()
    for p in sorted((standin / "images").glob("*.jpg"))[::10]:
        with Image.open(p) as im:
            assert im.mode == "RGB"
            sizes.add(im.size)
            assert data_pets.SIZES[0] <= min(im.size) and max(im.size) <= data_pets.SIZES[1]
    assert len(sizes) > 5


def test_standin_is_deterministic(standin, tmp_path):
    again = data_pets.build_pets_standin(tmp_path / "again")
    assert _digests(again) == _digests(standin)


def test_breeds_carry_a_learnable_signal(standin):
    """Mean colours separate the breeds well above chance (nearest class mean, leave-one-out)."""
    import numpy as np
    from PIL import Image

    feats, labels = [], []
    for p in sorted((standin / "images").glob("*.jpg")):
        with Image.open(p) as im:
            a = np.asarray(im.resize((32, 32)), dtype=np.float32) / 255
        feats.append(np.concatenate([a.mean((0, 1)), a.std((0, 1))]))
        labels.append(p.name.rsplit("_", 1)[0])
    feats, labels = np.stack(feats), np.array(labels)
    classes = sorted(set(labels))
    hits = 0
    for i in range(len(feats)):
        mask = np.arange(len(feats)) != i
        means = np.stack([feats[mask & (labels == c)].mean(0) for c in classes])
        hits += classes[int(np.argmin(((means - feats[i]) ** 2).sum(1)))] == labels[i]
    assert hits / len(feats) > 3 / len(classes)


def test_pets_uses_the_standin_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADE_OFFLINE", "1")
    monkeypatch.setenv("AUTOGRADE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("FASTAI_HOME", str(tmp_path / "fastai_home"))
    path = data_pets.pets(verbose=False)
    assert path == tmp_path / "cache" / data_pets.STANDIN_NAME and data_pets.is_standin(path)


def test_pets_prefers_cached_real_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUTOGRADE_OFFLINE", "1")
    monkeypatch.setenv("FASTAI_HOME", str(tmp_path / "fastai_home"))
    images = _fastai_data_dir() / "oxford-iiit-pet" / "images"
    images.mkdir(parents=True)
    (images / "Bengal_1.jpg").write_bytes(b"")
    path = data_pets.pets()
    assert path == images.parent and not data_pets.is_standin(path)
    assert "fastai's PETS (cached" in capsys.readouterr().out


def test_notebook_labeller_gives_the_manifest_breeds_on_real_files(shared_data):
    """The notebook's DataBlock labeller on the 111 real PETS files: exactly the breeds MANIFEST.csv lists."""
    from fastai.vision.all import CategoryBlock, DataBlock, ImageBlock, RandomSplitter, RegexLabeller, get_image_files, using_attr

    sample = shared_data / "oxford-iiit-pet-sample"
    with open(sample / "MANIFEST.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    manifest = {row["file"]: row["breed"] for row in rows}
    files = get_image_files(sample / "images")
    assert len(files) == len(manifest) == 111
    block = DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, splitter=RandomSplitter(seed=42),
                      get_y=using_attr(RegexLabeller(NOTEBOOK_PAT), 'name'))
    assert {f.name: block.get_y(f) for f in files} == manifest
    dsets = block.datasets(sample / "images")
    assert len(set(manifest.values())) == 37
    assert list(dsets.vocab) == sorted({manifest[f.name] for f in dsets.train.items})  # the vocab comes from the training split
    assert {f.name: re.findall(BOOK_PAT, f.name)[0] for f in files} == manifest
    assert {f.name for f in files if f.name[0].isupper()} == {row["file"] for row in rows if row["species"] == "cat"}
