"""The chapter 8 data helper: the MovieLens 100k stand-in's format and contents, how the helper picks its
data, and (with the real MovieLens 100k from ../shared/data) the book's dot-product model reaching the
book's validation loss through the notebook's own code."""
import re
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell

from autograde import data_collab
from tests.grading import run_for_report
from tests.paths import REPO

NOTEBOOK = REPO / "source" / "08_collab" / "08_collab.ipynb"
TITLE = re.compile(r"^\S.* \((19[3-9]\d)\)$")


def _read(folder: Path):
    ratings = pd.read_csv(folder / "u.data", delimiter="\t", header=None, names=["user", "movie", "rating", "timestamp"])
    movies = pd.read_csv(folder / "u.item", delimiter="|", encoding="latin-1", header=None)
    return ratings, movies


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    return data_collab.build_movielens_standin(tmp_path_factory.mktemp("collab") / "ml-100k")


def test_standin_has_movielens_layout(standin):
    first = (standin / "u.data").read_text().splitlines()[0].split("\t")
    assert len(first) == 4 and all(part.isdigit() for part in first)  # no header line
    ratings, movies = _read(standin)
    assert list(ratings.dtypes.map(str)) == ["int64"] * 4
    assert movies.shape[1] == 24  # id, title, release date, video date, URL, 19 genre flags
    assert movies[0].tolist() == list(range(1, len(movies) + 1))
    assert set(ratings.movie) <= set(movies[0]) and ratings.user.min() == 1
    assert 15_000 <= len(ratings) <= 35_000


def test_standin_values_are_in_range(standin):
    ratings, _ = _read(standin)
    assert ratings.rating.between(1, 5).all() and set(ratings.rating) == {1, 2, 3, 4, 5}
    assert not ratings.duplicated(["user", "movie"]).any()
    assert ratings.groupby("user").size().min() >= data_collab.MIN_PER_USER
    assert ratings.user.nunique() == data_collab.N_USERS
    assert ratings.timestamp.between(874_724_710, 893_286_638).all()
    assert 3.2 < ratings.rating.mean() < 3.9  # MovieLens 100k: 3.53


def test_standin_titles_are_latin1_with_years(standin):
    raw = (standin / "u.item").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # accented titles are latin-1 bytes, as in MovieLens
    _, movies = _read(standin)
    titles = movies[1]
    assert titles.is_unique and titles.map(lambda t: bool(TITLE.match(t))).all()
    assert titles.str.contains("[éñë]").any()


def test_standin_is_deterministic(standin, tmp_path):
    again = data_collab.build_movielens_standin(tmp_path / "again")
    for name in ("u.data", "u.item"):
        assert (again / name).read_bytes() == (standin / name).read_bytes()


def test_standin_has_structure_that_a_model_can_learn(standin):
    """User and movie biases alone, fitted on 80% of the ratings, explain much of the variance on the
    other 20%; the factor models of the notebook then do better still (checked in the notebook)."""
    ratings, _ = _read(standin)
    rng = np.random.default_rng(0)
    valid = rng.random(len(ratings)) < 0.2
    train, test = ratings[~valid], ratings[valid]
    mu = train.rating.mean()
    bu = pd.Series(0.0, index=ratings.user.unique())
    bm = pd.Series(0.0, index=ratings.movie.unique())
    for _ in range(10):  # alternating least squares with a little shrinkage
        r = train.rating - mu - bm.reindex(train.movie).values
        bu = r.groupby(train.user).sum() / (r.groupby(train.user).size() + 5)
        r = train.rating - mu - bu.reindex(train.user).values
        bm = r.groupby(train.movie).sum() / (r.groupby(train.movie).size() + 5)
    pred = mu + bu.reindex(test.user).fillna(0).values + bm.reindex(test.movie).fillna(0).values
    mse = float(((test.rating - pred) ** 2).mean())
    baseline = float(((test.rating - mu) ** 2).mean())
    assert mse < 0.85 * baseline


def _fresh_cfg(monkeypatch, home: Path):
    from fastai.data.external import fastai_cfg

    monkeypatch.setenv("FASTAI_HOME", str(home))
    fastai_cfg.cache_clear()


@pytest.fixture
def clean_cfg():
    from fastai.data.external import fastai_cfg

    fastai_cfg.cache_clear()
    yield
    fastai_cfg.cache_clear()  # the next user reads FASTAI_HOME afresh


def test_helper_uses_the_standin_offline_and_caches_it(monkeypatch, tmp_path, capsys, clean_cfg):
    _fresh_cfg(monkeypatch, tmp_path / "fastai_home")
    monkeypatch.setenv("AUTOGRADE_OFFLINE", "1")
    monkeypatch.setenv("AUTOGRADE_DATA", str(tmp_path / "cache"))
    path = data_collab.movielens_100k()
    assert path == tmp_path / "cache" / data_collab.STANDIN_NAME
    assert (path / "u.data").is_file() and (path / "u.item").is_file()
    assert "OFFLINE STAND-IN for MovieLens 100k" in capsys.readouterr().out
    stamp = (path / "u.data").stat().st_mtime_ns
    assert data_collab.movielens_100k(verbose=False) == path
    assert (path / "u.data").stat().st_mtime_ns == stamp  # built once, then reused
    assert capsys.readouterr().out == ""


def test_helper_prefers_fastais_cached_copy(monkeypatch, tmp_path, capsys, clean_cfg):
    home = tmp_path / "fastai_home"
    real = home / "data" / "ml-100k"
    real.mkdir(parents=True)
    (real / "u.data").write_text("1\t1\t5\t881250949\n")
    (real / "u.item").write_bytes("1|Café (1990)|\n".encode("latin-1"))
    _fresh_cfg(monkeypatch, home)
    monkeypatch.setenv("AUTOGRADE_OFFLINE", "1")
    monkeypatch.setenv("AUTOGRADE_DATA", str(tmp_path / "cache"))
    assert data_collab.movielens_100k() == real
    assert "fastai's MovieLens 100k" in capsys.readouterr().out
    assert not (tmp_path / "cache").exists()


def test_kit_table_is_what_load_ratings_returns(monkeypatch, tmp_path, clean_cfg):
    """The given cells build the data loaders from `movielens_ratings()`: the table the book's
    `load_ratings` gives (same rows, order, columns and dtypes), so the key and every student see one split."""
    _fresh_cfg(monkeypatch, tmp_path / "fastai_home")
    monkeypatch.setenv("AUTOGRADE_OFFLINE", "1")
    monkeypatch.setenv("AUTOGRADE_DATA", str(tmp_path / "cache"))
    path = data_collab.movielens_100k(verbose=False)
    ratings = pd.read_csv(path / "u.data", delimiter="\t", header=None, names=["user", "movie", "rating", "timestamp"])
    movies = pd.read_csv(path / "u.item", delimiter="|", encoding="latin-1", usecols=(0, 1), names=("movie", "title"), header=None)
    pd.testing.assert_frame_equal(data_collab.movielens_ratings(), ratings.merge(movies))


# ----------------------------------------------------------------------------------------------------
# Fidelity on the real MovieLens 100k: the notebook's own cells (data loading, DataLoaders, DotProductBias)
# train the book's model, and the validation MSE lands near the book's 0.82.

REPORT = """import json as _json, time as _time
set_seed(42, reproducible=True)
_t0 = _time.time()
learn_fid = Learner(dls, DotProductBias(n_users, n_movies, 50), loss_func=MSELossFlat())
with learn_fid.no_bar(), learn_fid.no_logging():
    learn_fid.fit_one_cycle(5, 5e-3, wd=0.1)
print('FIDELITY' + _json.dumps({'valid_mse': [float(v[1]) for v in learn_fid.recorder.values],
                                'train_seconds': _time.time() - _t0, 'n_ratings': len(ratings),
                                'n_users': n_users, 'n_movies': n_movies, 'data': str(path)}))"""
CELLS = ("setup", "ex1_load", "load_data", "make_dls", "ex3_bias")


@pytest.fixture(scope="module")
def fidelity(shared_data, tmp_path_factory):
    folder = shared_data / "ml-100k"
    if not (folder / "u.data").is_file():
        pytest.skip(f"{folder} is absent")
    home = tmp_path_factory.mktemp("fastai_home")
    (home / "data").mkdir()
    (home / "data" / "ml-100k").symlink_to(folder)  # where untar_data(URLs.ML_100k) would extract it
    source = nbformat.read(str(NOTEBOOK), as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in source.cells}
    nb = nbformat.v4.new_notebook(metadata=source.metadata)
    nb.cells = [new_code_cell(by_id[g].source) for g in CELLS] + [new_code_cell(REPORT)]
    start = time.time()
    figures = run_for_report(nb, home, {"FASTAI_HOME": str(home), "AUTOGRADE_OFFLINE": "1"})
    figures["total_seconds"] = time.time() - start
    print(f"\nMovieLens 100k fidelity: {figures}")
    return figures


def test_the_real_movielens_is_used(fidelity):
    assert fidelity["n_ratings"] == 100_000 and fidelity["data"].endswith("ml-100k")
    assert fidelity["n_users"] == 944  # 943 users and '#na#'
    assert fidelity["n_movies"] == 1665  # 1664 distinct titles and '#na#'


def test_dot_product_bias_with_weight_decay_matches_the_book(fidelity):
    # The book: fit_one_cycle(5, 5e-3, wd=0.1) ends with a validation loss (MSE) of about 0.82.
    assert 0.78 <= fidelity["valid_mse"][-1] <= 0.90
    assert fidelity["valid_mse"][-1] < fidelity["valid_mse"][0]
