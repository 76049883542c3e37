"""MovieLens 100k for chapter 8: fastai's real data when cached or downloadable, else an offline stand-in.

The stand-in has MovieLens' layout (`u.data`: tab-separated user, movie, rating, timestamp without a
header; `u.item`: `|`-separated, latin-1, movie id and title first) and is generated deterministically
from a latent-factor model, so that the chapter's models have something real to learn.
"""
from __future__ import annotations

import os
from pathlib import Path

from autograde.data import locate, publish

STANDIN_NAME = "ml-100k_standin_v1"
N_USERS, N_MOVIES, N_FACTORS = 300, 400, 3
MIN_PER_USER = 20
SEED = 8

_FIRST = ["Moon", "Silent", "Crimson", "Golden", "Last", "Broken", "Hidden", "Iron", "Velvet", "Wild",
          "Midnight", "Paper", "Northern", "Glass", "Lonely", "Electric", "Frozen", "Secret", "Burning",
          "Distant", "Little", "Savage", "Quiet", "Winter", "Summer", "Crooked", "Lucky", "Dark", "Café",
          "Señor", "Noël", "Déjà"]
_SECOND = ["Harbor", "Garden", "Empire", "Road", "River", "Kingdom", "Letters", "Station", "Highway",
           "Island", "Machine", "Orchard", "Frontier", "Echoes", "Mirror", "Storm", "Circus", "Witness",
           "Horizon", "Detective", "Planet", "Ballroom", "Alibi", "Canyon", "Lighthouse", "Rebels",
           "Serenade", "Voyage", "Protocol", "Shadows"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_GENRES = 19  # u.item has 19 genre flags after the URL, as in MovieLens

NOTICE = (f"{N_USERS} invented users rating {N_MOVIES} invented movies, generated from a latent-factor model; "
          "losses and titles differ from the book")

def _titles(rng, years):
    """Unique invented titles such as 'Moon Harbor (1994)'; some begin with 'The' moved to the end."""
    pairs = [(a, b) for a in _FIRST for b in _SECOND]
    order = rng.permutation(len(pairs))[: len(years)]
    titles = []
    for k, (i, year) in enumerate(zip(order, years)):
        first, second = pairs[i]
        name = f"{first} {second}"
        if k % 7 == 3:
            name = f"{name}, The"
        titles.append(f"{name} ({year})")
    return titles


def generate_ratings(seed: int = SEED):
    """(ratings rows, movie rows) of the stand-in: users and movies with hidden factors and biases."""
    import numpy as np

    rng = np.random.default_rng(seed)
    years = np.where(rng.random(N_MOVIES) < 0.7, rng.integers(1990, 1999, N_MOVIES), rng.integers(1935, 1990, N_MOVIES))
    # hidden tastes: factor 0 is "classic vs recent", the others are free genre-like axes
    movie_f = rng.normal(0, 1, (N_MOVIES, N_FACTORS))
    movie_f[:, 0] = 0.6 * movie_f[:, 0] + 0.8 * (1990 - years.clip(1935, 1998)) / 20
    user_f = rng.normal(0, 1, (N_USERS, N_FACTORS))
    movie_b = rng.normal(0, 0.45, N_MOVIES)
    user_b = rng.normal(0, 0.35, N_USERS)
    # popular movies tend to be better liked, as in the real data
    popularity = np.exp(1.1 * rng.normal(0, 1, N_MOVIES) + 1.2 * movie_b)
    p_movie = popularity / popularity.sum()
    counts = np.clip(np.round(np.exp(rng.normal(4.1, 0.75, N_USERS))), MIN_PER_USER, 3 * N_MOVIES // 4).astype(int)
    rows = []
    t0, t1 = 874724710, 893286638
    for u in range(N_USERS):
        movies = rng.choice(N_MOVIES, size=counts[u], replace=False, p=p_movie)
        score = 3.55 + user_b[u] + movie_b[movies] + 0.45 * (movie_f[movies] @ user_f[u]) + rng.normal(0, 0.6, len(movies))
        stars = np.clip(np.round(score), 1, 5).astype(int)
        start = rng.integers(t0, t1 - 10_000_000)
        times = np.sort(start + rng.integers(0, 10_000_000, len(movies)))
        rows += [(u + 1, int(m) + 1, int(r), int(t)) for m, r, t in zip(movies, stars, times)]
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    titles = _titles(rng, years)
    genres = (movie_f[:, 1:, None] > np.linspace(-1, 1, 10)[None, None, :]).reshape(N_MOVIES, -1)[:, :_GENRES]
    movies_rows = []
    for m in range(N_MOVIES):
        day, month = int(rng.integers(1, 29)), _MONTHS[int(rng.integers(0, 12))]
        flags = "|".join(str(int(g)) for g in genres[m])
        movies_rows.append(f"{m + 1}|{titles[m]}|{day:02d}-{month}-{years[m]}||http://example.invalid/movie/{m + 1}|{flags}")
    return rows, movies_rows


def build_movielens_standin(dest: Path) -> Path:
    """Write `u.data`, `u.item` and a README in MovieLens 100k's format into `dest`."""
    rows, movie_rows = generate_ratings()
    tmp = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "u.data").write_text("".join(f"{u}\t{m}\t{r}\t{t}\n" for u, m, r, t in rows), encoding="ascii")
    (tmp / "u.item").write_bytes("".join(line + "\n" for line in movie_rows).encode("latin-1"))
    (tmp / "README").write_text(
        "Offline stand-in for MovieLens 100k made by autograde.data_collab: invented users, movies and\n"
        f"ratings from a latent-factor model ({N_USERS} users, {N_MOVIES} movies, {len(rows)} ratings).\n")
    return publish(tmp, dest)


def movielens_100k(verbose: bool = True) -> Path:
    """Folder with MovieLens 100k's `u.data` and `u.item`: fastai's real data if cached or downloadable,
    else the offline stand-in."""
    from fastai.data.external import URLs

    return locate("MovieLens 100k (ML_100k)", URLs.ML_100k, "ml-100k", lambda p: (p / "u.data").exists() and (p / "u.item").exists(),
                  STANDIN_NAME, build_movielens_standin, NOTICE, verbose)


def movielens_ratings() -> "pd.DataFrame":
    """The ratings of `movielens_100k()` with their titles (user, movie, rating, timestamp, title), one row per rating.

    The notebook's given cells build the data loaders from this table, so that the sections after
    exercise 1.1 work (and are graded) whatever a student's `load_ratings` does.
    """
    import pandas as pd

    folder = movielens_100k(verbose=False)
    titles = {}
    for line in (folder / "u.item").read_bytes().decode("latin-1").splitlines():
        fields = line.split("|")
        if len(fields) > 1 and fields[0].strip().isdigit():
            titles[int(fields[0])] = fields[1]
    rows = []
    for line in (folder / "u.data").read_text(encoding="ascii").splitlines():
        if line.strip():
            user, movie, rating, stamp = (int(x) for x in line.split("\t"))
            if movie in titles:
                rows.append((user, movie, rating, stamp, titles[movie]))
    return pd.DataFrame(rows, columns=["user", "movie", "rating", "timestamp", "title"])
