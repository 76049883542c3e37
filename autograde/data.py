"""Datasets for the notebooks: fastai's real data when cached or downloadable, else an offline stand-in."""
from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

OFFLINE_ENV = "AUTOGRADE_OFFLINE"
CACHE_ENV = "AUTOGRADE_DATA"
PROBE_SECONDS = 3.0


def _fastai_data_dir() -> Path:
    """fastai's data folder (honours FASTAI_HOME and ~/.fastai/config.ini)."""
    from fastai.data.external import fastai_cfg

    return Path(fastai_cfg().path("data"))


def _reachable(url: str, seconds: float = PROBE_SECONDS) -> bool:
    """True when the URL's host answers a TCP connection within `seconds` (DNS included)."""
    host = urlparse(url).hostname
    ok = []

    def probe():
        try:
            socket.create_connection((host, 443), timeout=seconds).close()
            ok.append(True)
        except OSError:
            pass

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(seconds)
    return bool(ok)


def _standin_root() -> Path:
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "autograde"))


def _digits_to_28(images):
    """Scale 8x8 digits (0..16) into a 20x20 box centred in 28x28 uint8, as MNIST does."""
    import numpy as np
    from PIL import Image

    out = np.zeros((len(images), 28, 28), dtype=np.uint8)
    for i, img in enumerate(images):
        small = Image.fromarray((img * (255 / 16)).astype(np.uint8))
        out[i, 4:24, 4:24] = np.asarray(small.resize((20, 20), Image.BILINEAR))
    return out


def build_mnist_standin(dest: Path) -> Path:
    """Write MNIST_SAMPLE's layout (train|valid/3|7/*.png, labels.csv) from scikit-learn's digits."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(42)
    rows = ["name,label"]
    tmp = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
    for digit, label in ((3, 0), (7, 1)):
        images = _digits_to_28(digits.images[digits.target == digit])
        order = rng.permutation(len(images))
        n_valid = len(images) // 5
        for split, idx in (("valid", order[:n_valid]), ("train", order[n_valid:])):
            folder = tmp / split / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            for i in sorted(idx):
                Image.fromarray(images[i]).save(folder / f"{i}.png")
                rows.append(f"{split}/{digit}/{i}.png,{label}")
    (tmp / "labels.csv").write_text("\n".join(rows) + "\n")
    return publish(tmp, dest)


def publish(tmp: Path, dest: Path) -> Path:
    """Move a finished stand-in folder into place (another process may have finished first)."""
    try:
        tmp.rename(dest)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def locate(name: str, url: str, folder: str, present, standin: str, build, notice: str, verbose: bool = True) -> Path:
    """fastai's `name` data (fastai's data folder/`folder`) when `present` there or downloadable, else a stand-in.

    `present(path)` tells whether a folder holds the data; `build(dest)` writes the stand-in at dest.
    Prints which data is in use.
    """
    from fastai.data.external import untar_data

    real = _fastai_data_dir() / folder
    path = source = None
    if present(real):
        path, source = real, f"fastai's {name} (cached at {real})"
    elif os.environ.get(OFFLINE_ENV) != "1" and _reachable(url):
        try:
            path, source = untar_data(url), f"fastai's {name} (downloaded)"
        except Exception as exc:  # a broken download falls back to the stand-in
            if verbose:
                print(f"Download of {name} failed ({exc}); using the offline stand-in.")
    if source is None:
        path = _standin_root() / standin
        if not present(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            build(path)
        source = f"OFFLINE STAND-IN for {name}: {notice}"
    if verbose:
        print(f"Data: {source}")
    return Path(path)


def mnist_sample(verbose: bool = True) -> Path:
    """Path to MNIST_SAMPLE: fastai's real data if cached or downloadable, else the offline stand-in."""
    from fastai.data.external import URLs

    return locate("MNIST_SAMPLE", URLs.MNIST_SAMPLE, "mnist_sample", lambda p: (p / "labels.csv").exists(),
                  "mnist_sample_standin", build_mnist_standin,
                  "scikit-learn's 8x8 digits (3s and 7s) scaled to 28x28; accuracies differ from the book", verbose)
