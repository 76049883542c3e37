"""Oxford-IIIT Pets for chapter 5: fastai's real PETS when cached or downloadable, else an offline stand-in.

The stand-in has the real layout, `<root>/images/<breed>_<n>.jpg` (cat breeds capitalised, dog breeds in
lower case, breed names that contain underscores), plus one stray `.mat` file as the real folder has.
Its images are small synthetic pictures of varied sizes: each breed has its own colours and texture, each
species its own shape, with random placement, jitter and noise, so a small CNN can learn the breeds.
"""
from __future__ import annotations

import os
from pathlib import Path

from autograde.data import locate, publish

STANDIN_NAME = "oxford-iiit-pet_standin_v1"
MARKER = "STANDIN.txt"
PER_BREED = 25
SIZES = (56, 112)  # image sides are drawn from this range (inclusive)

# breed: (base colour, texture, texture colour, period in pixels)
BREEDS = {
    "Abyssinian": ((176, 120, 70), "plain", (120, 80, 40), 0),
    "Bengal": ((210, 150, 60), "spots", (70, 45, 20), 14),
    "British_Shorthair": ((125, 130, 140), "plain", (90, 95, 105), 0),
    "Siamese": ((225, 215, 190), "hstripes", (90, 70, 60), 18),
    "american_pit_bull_terrier": ((120, 110, 105), "dstripes", (200, 195, 190), 12),
    "basset_hound": ((150, 95, 50), "spots", (240, 235, 225), 22),
    "great_pyrenees": ((235, 232, 225), "plain", (200, 195, 185), 0),
    "pug": ((200, 170, 120), "checker", (60, 50, 45), 16),
}


def is_cat_breed(breed: str) -> bool:
    """Cat breeds are capitalised in the file names, dog breeds are not."""
    return breed[:1].isupper()


def _texture(kind, period, h, w, rng):
    import numpy as np

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "plain" or period == 0:
        return np.zeros((h, w), dtype=bool)
    phase = rng.uniform(0, period)
    if kind == "hstripes":
        return ((yy + phase) % period) < period / 2
    if kind == "dstripes":
        return ((xx + yy + phase) % period) < period / 2
    if kind == "checker":
        return ((((xx + phase) // (period / 2)) + ((yy + phase) // (period / 2))) % 2) == 0
    # spots: a jittered grid of discs
    mask = np.zeros((h, w), dtype=bool)
    r = period / 4
    for cy in np.arange(rng.uniform(0, period), h, period):
        for cx in np.arange(rng.uniform(0, period), w, period):
            jy, jx = rng.normal(0, period / 8, 2)
            mask |= (yy - cy - jy) ** 2 + (xx - cx - jx) ** 2 < r * r
    return mask


def _draw_shape(img, cat, rng):
    """Cats get a head with two pointed ears, dogs a head with two hanging ears."""
    from PIL import ImageDraw

    w, h = img.size
    s = rng.uniform(0.25, 0.4) * min(w, h)
    cx, cy = rng.uniform(s, w - s), rng.uniform(s, h - s)
    dark = tuple(int(v) for v in rng.integers(20, 70, 3))
    draw = ImageDraw.Draw(img)
    draw.ellipse([cx - s * 0.7, cy - s * 0.6, cx + s * 0.7, cy + s * 0.7], fill=dark)
    if cat:
        for side in (-1, 1):
            x0 = cx + side * s * 0.55
            draw.polygon([(x0 - s * 0.25, cy - s * 0.3), (x0 + s * 0.25, cy - s * 0.3), (x0, cy - s * 1.0)], fill=dark)
    else:
        for side in (-1, 1):
            x0 = cx + side * s * 0.75
            draw.ellipse([x0 - s * 0.22, cy - s * 0.4, x0 + s * 0.22, cy + s * 0.55], fill=dark)


def _image(breed, rng):
    import numpy as np
    from PIL import Image

    base, kind, tex, period = BREEDS[breed]
    w, h = (int(v) for v in rng.integers(SIZES[0], SIZES[1] + 1, 2))
    jitter = rng.normal(0, 12, 3)
    pixels = np.empty((h, w, 3), dtype=np.float32)
    pixels[:] = np.asarray(base, dtype=np.float32) + jitter
    mask = _texture(kind, period, h, w, rng)
    pixels[mask] = np.asarray(tex, dtype=np.float32) + jitter
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    _draw_shape(img, is_cat_breed(breed), rng)
    arr = np.asarray(img).astype(np.float32) * rng.uniform(0.8, 1.15) + rng.normal(0, 18, (h, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def build_pets_standin(dest: Path, per_breed: int = PER_BREED, seed: int = 42) -> Path:
    """Write the stand-in (images/<breed>_<n>.jpg, one stray .mat file, a marker) into `dest`."""
    import numpy as np

    tmp = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
    images = tmp / "images"
    images.mkdir(parents=True, exist_ok=True)
    for b, breed in enumerate(BREEDS):
        rng = np.random.default_rng(seed * 1000 + b)
        numbers = sorted(int(n) for n in rng.choice(np.arange(1, 201), per_breed, replace=False))
        for n in numbers:
            _image(breed, rng).save(images / f"{breed}_{n}.jpg", quality=90)
    # The real folder holds a few MATLAB files beside the images; get_image_files must skip them.
    (images / "Abyssinian_100.mat").write_bytes(b"MATLAB 5.0 MAT-file (stand-in placeholder)\n")
    (tmp / MARKER).write_text(
        f"Offline stand-in for fastai's PETS: {len(BREEDS)} breeds x {per_breed} synthetic images, seed {seed}.\n")
    return publish(tmp, dest)


def is_standin(path) -> bool:
    """True when `path` is the offline stand-in rather than fastai's real PETS."""
    return (Path(path) / MARKER).exists()


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.jpg"))


def pets(verbose: bool = True) -> Path:
    """Path to PETS (holding `images/`): fastai's real data if cached or downloadable, else the stand-in."""
    from fastai.data.external import URLs

    return locate("PETS", URLs.PETS, "oxford-iiit-pet", lambda p: _has_images(p / "images"), STANDIN_NAME,
                  build_pets_standin, f"{len(BREEDS)} breeds x {PER_BREED} small synthetic images (same layout and "
                  "file names); error rates differ from the book", verbose)


PATTERN_KINDS = ("plain", "hstripes", "dstripes", "checker", "spots")


def pattern_images(n: int = 1000, size: int = 48, seed: int = 0):
    """A generic pretraining set (the kit's tiny stand-in for ImageNet), independent of PETS.

    Returns (x, y): float images (n, 3, size, size) in [0, 1] and labels (n,) in 0..19, the label being
    texture kind (plain, horizontal stripes, diagonal stripes, checker, spots) x 4 colour families.
    """
    import numpy as np
    import torch

    rng = np.random.default_rng(seed)
    families = np.array([[200, 60, 50], [60, 170, 70], [60, 80, 200], [200, 190, 180]], dtype=np.float32)
    xs = np.empty((n, size, size, 3), dtype=np.float32)
    ys = np.empty(n, dtype=np.int64)
    for i in range(n):
        kind, fam = int(rng.integers(len(PATTERN_KINDS))), int(rng.integers(len(families)))
        base = families[fam] + rng.normal(0, 25, 3)
        tex = np.clip(base * rng.uniform(0.2, 0.6) + rng.normal(0, 20, 3), 0, 255)
        img = np.empty((size, size, 3), dtype=np.float32)
        img[:] = base
        img[_texture(PATTERN_KINDS[kind], int(rng.integers(8, 20)), size, size, rng)] = tex
        xs[i] = np.clip(img * rng.uniform(0.8, 1.15) + rng.normal(0, 18, img.shape), 0, 255)
        ys[i] = kind * len(families) + fam
    return torch.from_numpy(xs / 255).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(ys)
