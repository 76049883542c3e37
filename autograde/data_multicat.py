"""Datasets for chapter 6: PASCAL 2007 (multi-label) and BIWI head pose (key-point regression).

Each helper returns fastai's real data when it is cached in fastai's data folder or downloadable, else an
offline stand-in with the same layout and file-name conventions, generated deterministically:

* `pascal_2007()`: `train.csv` (`fname,labels,is_valid`; `fname` like `000005.jpg`, labels separated by
  spaces, `is_valid` True/False) and `train/<fname>`. The stand-in's images (of a few different sizes)
  hold one to three coloured shapes; each shape's class (`car`, `cat`, `chair`, `dog`, `person`) is a label.
* `biwi_sample()`: the layout the book's chapter 6 uses (fastai's `URLs.BIWI_HEAD_POSE`; the smaller
  `URLs.BIWI_SAMPLE` archive holds `images/` and `centers.pkl` instead, without the pose and calibration
  files the book reads): one folder per person `01`, `02`, ... holding `frame_XXXXX_rgb.jpg`, the matching
  `frame_XXXXX_pose.txt` (a 3x3 rotation, a blank line, the head centre `x y z` in millimetres) and
  `rgb.cal` (intrinsics first; `np.genfromtxt(cal, skip_footer=6)` gives the 3x3 camera matrix), plus
  `NN.obj` files at the top. In the stand-in every frame shows a bright head-like blob centred exactly on
  the pixel that the book's `get_ctr` computes from the pose and calibration files. Person `13` exists,
  so the book's `FuncSplitter(lambda o: o.parent.name == '13')` holds one person out.
"""
from __future__ import annotations

import os
from pathlib import Path

from autograde.data import locate, publish

MARKER = "STANDIN.txt"

PASCAL_STANDIN = "pascal_2007_standin_v1"
PASCAL_CLASSES = ("car", "cat", "chair", "dog", "person")
PASCAL_N = 240
PASCAL_SIZES = ((96, 72), (80, 80), (72, 96), (96, 64))  # (width, height)
# class: (colour, shape)
PASCAL_LOOK = {
    "person": ((215, 40, 40), "tall"),
    "car": ((40, 80, 225), "wide"),
    "dog": ((225, 150, 20), "disc"),
    "cat": ((30, 170, 60), "triangle"),
    "chair": ((150, 40, 190), "cross"),
}

BIWI_STANDIN = "biwi_head_pose_standin_v1"
BIWI_PERSONS = 14
BIWI_FRAMES = 20
BIWI_SIZE = (128, 96)  # (width, height): the real 640x480 scaled by 1/5
BIWI_FOCAL = 517.679 / 5
BIWI_CENTRE = (320 / 5, 240.5 / 5)
HEAD_RADIUS_MM = 120.0


def is_standin(path) -> bool:
    """True when `path` is one of the offline stand-ins rather than fastai's real data."""
    return (Path(path) / MARKER).exists()


def _noisy_background(w, h, rng, base, spread=18):
    import numpy as np

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    grad = rng.uniform(-25, 25) * (xx / w - 0.5) + rng.uniform(-25, 25) * (yy / h - 0.5)
    pixels = np.asarray(base, dtype=np.float32)[None, None, :] + grad[..., None]
    return pixels + rng.normal(0, spread, (h, w, 3))


# ---------------------------------------------------------------- PASCAL 2007 stand-in

def _draw_pascal_shape(draw, cls, box, rng):
    colour, shape = PASCAL_LOOK[cls]
    colour = tuple(int(min(255, max(0, c + rng.normal(0, 12)))) for c in colour)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if shape == "tall":
        draw.rectangle([cx - w * 0.22, y0, cx + w * 0.22, y1], fill=colour)
    elif shape == "wide":
        draw.rectangle([x0, cy - h * 0.22, x1, cy + h * 0.22], fill=colour)
    elif shape == "disc":
        draw.ellipse([x0, y0, x1, y1], fill=colour)
    elif shape == "triangle":
        draw.polygon([(x0, y1), (x1, y1), (cx, y0)], fill=colour)
    else:  # cross
        draw.rectangle([cx - w * 0.15, y0, cx + w * 0.15, y1], fill=colour)
        draw.rectangle([x0, cy - h * 0.15, x1, cy + h * 0.15], fill=colour)


def _pascal_image(labels, rng):
    import numpy as np
    from PIL import Image, ImageDraw

    w, h = PASCAL_SIZES[int(rng.integers(len(PASCAL_SIZES)))]
    pixels = _noisy_background(w, h, rng, rng.uniform(150, 215, 3))
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    # one shape per slot: three columns in a landscape image, three rows in a portrait one
    slots = rng.permutation(3)[: len(labels)]
    for cls, slot in zip(labels, slots):
        if w >= h:
            sx0, sy0, sw, sh = slot * w / 3, 0, w / 3, h
        else:
            sx0, sy0, sw, sh = 0, slot * h / 3, w, h / 3
        side = min(sw, sh) * rng.uniform(0.6, 0.9)
        bx = sx0 + rng.uniform(0, sw - side)
        by = sy0 + rng.uniform(0, sh - side)
        _draw_pascal_shape(draw, cls, (bx, by, bx + side, by + side), rng)
    arr = np.asarray(img).astype(np.float32) + rng.normal(0, 8, (h, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def build_pascal_standin(dest: Path, n: int = PASCAL_N, seed: int = 42) -> Path:
    """Write PASCAL_2007's layout (train.csv, train/<fname>) with `n` synthetic images into `dest`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tmp = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
    (tmp / "train").mkdir(parents=True, exist_ok=True)
    ids = np.sort(rng.choice(np.arange(5, 10 * n), n, replace=False))
    rows = ["fname,labels,is_valid"]
    for i, num in enumerate(ids):
        k = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2]))
        labels = [PASCAL_CLASSES[j] for j in rng.permutation(len(PASCAL_CLASSES))[:k]]
        fname = f"{int(num):06d}.jpg"
        _pascal_image(labels, rng).save(tmp / "train" / fname, quality=92)
        rows.append(f"{fname},{' '.join(labels)},{i % 3 == 2}")
    (tmp / "train.csv").write_text("\n".join(rows) + "\n")
    (tmp / MARKER).write_text(f"Offline stand-in for fastai's PASCAL_2007: {n} synthetic images, seed {seed}.\n")
    return publish(tmp, dest)


def pascal_2007(verbose: bool = True) -> Path:
    """Path to PASCAL_2007 (train.csv, train/): fastai's real data if cached or downloadable, else the stand-in."""
    from fastai.data.external import URLs

    return locate("PASCAL_2007", URLs.PASCAL_2007, "pascal_2007", lambda p: (p / "train.csv").exists() and (p / "train").is_dir(),
                  PASCAL_STANDIN, build_pascal_standin,
                  f"{PASCAL_N} small synthetic images with 1-3 coloured shapes ({', '.join(PASCAL_CLASSES)}); same layout, "
                  "metrics differ from the book", verbose)


# ---------------------------------------------------------------- BIWI head pose stand-in

def calibration_text(focal: float, cx: float, cy: float, width: int, height: int) -> str:
    """An `rgb.cal` in BIWI's format: intrinsics, distortion, rotation, translation, image size."""
    return (f"{focal:.6f} 0 {cx:.6f}\n0 {focal:.6f} {cy:.6f}\n0 0 1\n\n0 0 0 0\n\n"
            "1 0 0\n0 1 0\n0 0 1\n\n0 0 0\n\n"
            f"{width} {height}\n")


def _rotation(rng, max_deg=25):
    import numpy as np

    a, b, c = np.radians(rng.uniform(-max_deg, max_deg, 3))
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


def pose_text(rotation, centre_mm) -> str:
    """A `frame_XXXXX_pose.txt`: 3 rows of rotation, a blank line, the head centre in millimetres."""
    rows = ["".join(f"{v:.6f} " for v in row) for row in rotation]
    return "\n".join(rows) + "\n\n" + "".join(f"{v:.6f} " for v in centre_mm) + "\n"


def _biwi_image(u, v, z, background, rng):
    import numpy as np
    from PIL import Image

    w, h = BIWI_SIZE
    pixels = _noisy_background(w, h, rng, background, spread=10)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = BIWI_FOCAL * HEAD_RADIUS_MM / z
    # an upright elliptical head, brightest at its centre (u, v)
    d2 = ((xx - u) / r) ** 2 + ((yy - v) / (1.25 * r)) ** 2
    head = np.exp(-1.2 * d2)[..., None]
    skin = np.asarray((255, 225, 195), dtype=np.float32)
    pixels = pixels * (1 - head) + skin[None, None, :] * head
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def build_biwi_standin(dest: Path, persons: int = BIWI_PERSONS, frames: int = BIWI_FRAMES, seed: int = 42) -> Path:
    """Write the book's BIWI layout (NN/frame_XXXXX_rgb.jpg, _pose.txt, rgb.cal; NN.obj) into `dest`."""
    import numpy as np

    w, h = BIWI_SIZE
    cx, cy = BIWI_CENTRE
    tmp = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for p in range(1, persons + 1):
        rng = np.random.default_rng(seed * 1000 + p)
        folder = tmp / f"{p:02d}"
        folder.mkdir()
        (tmp / f"{p:02d}.obj").write_text(f"# stand-in head mesh placeholder for person {p:02d}\nv 0 0 0\n")
        (folder / "rgb.cal").write_text(calibration_text(BIWI_FOCAL, cx, cy, w, h))
        (folder / "depth.cal").write_text(calibration_text(BIWI_FOCAL * 1.1, cx, cy, w, h))
        background = rng.uniform(30, 120, 3)
        home = np.array([rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h])
        frame = int(rng.integers(2, 6))
        for _ in range(frames):
            u = float(np.clip(home[0] + rng.normal(0, 0.15 * w), 0.15 * w, 0.85 * w))
            v = float(np.clip(home[1] + rng.normal(0, 0.15 * h), 0.15 * h, 0.85 * h))
            z = float(rng.uniform(850, 1150))
            centre = ((u - cx) * z / BIWI_FOCAL, (v - cy) * z / BIWI_FOCAL, z)
            (folder / f"frame_{frame:05d}_pose.txt").write_text(pose_text(_rotation(rng), centre))
            _biwi_image(u, v, z, background, rng).save(folder / f"frame_{frame:05d}_rgb.jpg", quality=92)
            frame += int(rng.integers(1, 4))
    (tmp / MARKER).write_text(
        f"Offline stand-in for the book's BIWI head pose data: {persons} persons x {frames} frames, seed {seed}.\n")
    return publish(tmp, dest)


def biwi_sample(verbose: bool = True) -> Path:
    """Path to the book's BIWI head-pose data: fastai's real data if cached or downloadable, else the stand-in."""
    from fastai.data.external import URLs

    return locate("BIWI_HEAD_POSE", URLs.BIWI_HEAD_POSE, "biwi_head_pose", lambda p: (p / "01" / "rgb.cal").exists(),
                  BIWI_STANDIN, build_biwi_standin,
                  f"{BIWI_PERSONS} persons x {BIWI_FRAMES} synthetic {BIWI_SIZE[0]}x{BIWI_SIZE[1]} frames with a bright head "
                  "at the pose's centre; same layout, errors differ from the book", verbose)
