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


# MNIST_SAMPLE's layout and sizes: train/valid x 3/7 (fastai's tgz has exactly these counts).
MNIST_COUNTS = {("train", 3): 6131, ("train", 7): 6265, ("valid", 3): 1010, ("valid", 7): 1028}
MNIST_STANDIN = "mnist_sample_standin_v2"  # a new name: caches of the earlier, smaller stand-in are not reused


def _arc(cx, cy, rx, ry, t0, t1, k=8):
    import torch

    t = t0[:, None] + (t1 - t0)[:, None] * torch.linspace(0, 1, k)[None]
    return torch.stack([cx[:, None] + rx[:, None] * torch.cos(t), cy[:, None] + ry[:, None] * torch.sin(t)], -1)


def _digit_strokes(digit: int, n: int, gen):
    """(n, points, 2) pixel coordinates of a pen stroke drawing `digit` (3 or 7), each one different."""
    import math

    import torch

    def u(lo, hi):
        return lo + (hi - lo) * torch.rand(n, generator=gen)

    deg = math.pi / 180
    if digit == 3:  # two bowls open to the left, meeting in the middle
        upper = _arc(u(0.42, 0.56), u(0.2, 0.31), u(0.2, 0.33), u(0.15, 0.23), u(-180, -125) * deg, u(90, 130) * deg)
        lower = _arc(u(0.42, 0.58), u(0.64, 0.75), u(0.24, 0.37), u(0.19, 0.28), u(-130, -90) * deg, u(135, 190) * deg)
        pts = torch.cat([upper, lower], 1)
    else:  # a bar, then a stem down to the left; some have a hook at the start or a cross bar
        x0, y0, x1 = u(0.08, 0.32), u(0.05, 0.22), u(0.72, 0.93)
        y1 = y0 + u(-0.06, 0.06)
        xe, ye, bend = u(0.28, 0.6), u(0.86, 0.98), u(-0.1, 0.1)
        t = torch.linspace(0, 1, 8)[None]
        hook = (torch.rand(n, generator=gen) < 0.3).float() * u(0.05, 0.15)
        start = torch.stack([x0, y0 + hook], -1)[:, None]
        bar = torch.stack([x0[:, None] + (x1 - x0)[:, None] * t, y0[:, None] + (y1 - y0)[:, None] * t], -1)
        stem = torch.stack([x1[:, None] + (xe - x1)[:, None] * t + bend[:, None] * torch.sin(math.pi * t),
                            y1[:, None] + (ye - y1)[:, None] * t], -1)
        pts = torch.cat([start, bar, stem[:, 1:]], 1)
    pts = pts + 0.015 * torch.randn(pts.shape, generator=gen)
    slant, rot = u(-0.35, 0.25), u(-12, 12) * deg     # writing style: slant, rotation, width, size, position
    x, y = (pts[..., 0] - 0.5) * u(0.55, 1.0)[:, None], (pts[..., 1] - 0.5) * u(0.85, 1.05)[:, None]
    x = x - slant[:, None] * y
    c, s = torch.cos(rot)[:, None], torch.sin(rot)[:, None]
    x, y = c * x - s * y, s * x + c * y
    size = u(17, 21)[:, None]
    return torch.stack([13.5 + x * size + u(-1, 1)[:, None], 13.5 + y * size + u(-1, 1)[:, None]], -1)


def _ink(strokes, width):
    """28x28 uint8 images: ink where a pixel lies within `width` of the stroke (anti-aliased edge)."""
    import torch

    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    pix = torch.stack([xx.flatten(), yy.flatten()], -1)[None]          # (1, 784, 2)
    dist = torch.full((len(strokes), 784), float("inf"))
    for a, b in zip(strokes.unbind(1)[:-1], strokes.unbind(1)[1:]):     # one segment of every stroke at a time
        ab = (b - a)[:, None]
        ap = pix - a[:, None]
        t = ((ap * ab).sum(-1) / (ab * ab).sum(-1).clamp(min=1e-6)).clamp(0, 1)
        dist = torch.minimum(dist, (ap - t[..., None] * ab).norm(dim=-1))
    ink = (width[:, None] - dist + 0.5).clamp(0, 1)
    return (ink.view(-1, 28, 28) * 255).round().to(torch.uint8).numpy()


def build_mnist_standin(dest: Path) -> Path:
    """Write MNIST_SAMPLE's layout and sizes (train|valid/3|7/*.png, labels.csv): pen-drawn 3s and 7s.

    Every image is drawn from a seeded random pen stroke (shape, slant, rotation, size, position and
    stroke width vary), 28x28 grey-scale with white ink on black as in MNIST, in the real data set's
    counts (12,396 training and 2,038 validation images), so the book's code and settings behave as on
    the real data. Deterministic; takes seconds and is cached.
    """
    import torch
    from PIL import Image

    gen = torch.Generator().manual_seed(2020)
    rows = ["name,label"]
    tmp = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
    for split in ("train", "valid"):
        for digit, label in ((3, 0), (7, 1)):
            folder = tmp / split / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            count = MNIST_COUNTS[(split, digit)]
            for first in range(0, count, 2048):
                n = min(2048, count - first)
                images = _ink(_digit_strokes(digit, n, gen), 0.6 + 1.2 * torch.rand(n, generator=gen))
                for i, img in enumerate(images, first):
                    Image.fromarray(img).save(folder / f"{i}.png", compress_level=1)
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
                  MNIST_STANDIN, build_mnist_standin,
                  "pen-drawn 3s and 7s at MNIST_SAMPLE's size and layout; accuracies differ a little from the book", verbose)
