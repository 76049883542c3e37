"""Example submissions built from the release: complete, untouched, partial, tampered, infinite loop."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import notebooks, regions

EXAMPLES_DIR = Path("examples") / "submitted"


@dataclass(frozen=True)
class Answer:
    """Replace the student's answer in solution cell `grade_id` with `source` (None: leave the stub)."""

    grade_id: str
    source: str | None = None


@dataclass(frozen=True)
class Patch:
    """In the solution of answer cell `grade_id`, replace the text `old` by `new` (a one-line slip)."""

    grade_id: str
    old: str
    new: str


@dataclass(frozen=True)
class EditTest:
    """Overwrite grade cell `grade_id` with `source`, or delete it when `source` is None."""

    grade_id: str
    source: str | None = None


_CH4_BATCH_ACCURACY_OFF_BY_ONE = """def batch_accuracy(xb, yb):
    preds = xb.sigmoid()
    correct = (preds >= 0.5) == yb   # an output of exactly 0 counts as a 3
    return correct.float().mean()

def validate_epoch(model, valid_dl=valid_dl):
    accs = [batch_accuracy(model(xb), yb) for xb, yb in valid_dl]
    return round(torch.stack(accs).mean().item(), 4)"""

_CH4_WRONG_SIGN = """def quad_deriv(x):
    return 2*x + 4   # sign slip

def descend_by_hand(x, lr=0.1, steps=50):
    for _ in range(steps):
        x = x - lr*quad_deriv(x)
    return x"""

# Loops forever when the margin (28 - size) is odd: it only ever shrinks both sides together.
_CH4_CROP_HANGS_ON_ODD_MARGIN = """im3_patch = im3_t[4:10, 4:22]

def center_crop(img, size):
    top, h = 0, img.shape[-2]
    while h - 2*top != size:
        top += 1
    left, w = 0, img.shape[-1]
    while w - 2*left != size:
        left += 1
    return img[..., top:top+size, left:left+size]"""

_FAKE_PASS = """print("All checks passed")
from IPython.display import display
display({"application/vnd.autograde.result+json": {"fraction": 1.0, "checks": []}, "text/plain": "1.0"}, raw=True)"""

_CH5_UNESCAPED_DOT = """pat = r'(.+)_\\d+.jpg$'   # the dot is not escaped

def pet_label(fname):
    return re.findall(pat, Path(fname).name)[0]"""

_CH5_NAIVE_LOG_SOFTMAX = """def log_softmax(x):
    return (x.exp() / x.exp().sum(dim=-1, keepdim=True)).log()   # straight from the formula: overflows

def softmax(x):
    return log_softmax(x).exp()"""

# Hangs on a repeated learning rate: `continue` never moves i on.
_CH5_STEEPEST_HANGS_ON_REPEAT = """def lr_minimum(lrs, losses):
    lrs, losses = [float(v) for v in lrs], [float(v) for v in losses]
    return lrs[losses.index(min(losses))]/10

def lr_steepest(lrs, losses):
    lrs, losses = [float(v) for v in lrs], [float(v) for v in losses]
    best, best_slope = 0, float('inf')
    i = 0
    while i < len(lrs) - 1:
        if lrs[i+1] == lrs[i]:
            continue
        slope = (losses[i+1] - losses[i]) / (np.log(lrs[i+1]) - np.log(lrs[i]))
        if slope < best_slope:
            best, best_slope = i, slope
        i += 1
    return lrs[best]"""

_CH6_COUNT_WITHOUT_SPLIT = """def count_labels(df):
    return df['labels'].value_counts().to_dict()"""

_CH6_RMS_NOT_MEAN = """def pixel_error(preds, targs, width, height):
    diff = (preds.view(-1, 2) - targs.view(-1, 2)) * tensor([width / 2, height / 2])
    return (diff**2).sum(1).mean().sqrt()"""

# Strips characters until the name ends in '_': loops forever on a name without one.
_CH6_POSE_HANGS_WITHOUT_UNDERSCORE = """def img2pose(x):
    s = str(x)
    while not s.endswith('_'):
        s = s[:-1]
    return Path(s + 'pose.txt')

def get_ctr(f):
    ctr = np.genfromtxt(img2pose(f), skip_header=3)
    c1 = ctr[0] * cal[0][0]/ctr[2] + cal[0][2]
    c2 = ctr[1] * cal[1][1]/ctr[2] + cal[1][2]
    return tensor([c1, c2])"""

_CH8_EXTREME_UNSORTED = """def extreme_titles(bias, titles, n, highest=False):
    idxs = bias.argsort()[-n:] if highest else bias.argsort()[:n]
    return [titles[i] for i in idxs]"""

# Loops forever when n exceeds the number of distinct values.
_CH8_MOST_RATED_HANGS_WHEN_N_TOO_BIG = """def most_rated(ratings, col, n):
    counts = ratings[col].value_counts()
    result, k = [], counts.max()
    while len(result) < n:
        result += sorted(counts[counts == k].index.tolist())
        k -= 1
    return result[:n]"""

# Every example starts from the complete (correct) submission unless it is "untouched" (None).
PLANS = {
    "04_mnist_basics": {
        "example-complete": [],
        "example-untouched": None,
        "example-partial": [
            Answer("ex0_by_hand", _CH4_WRONG_SIGN),
            Answer("ex6_acc", _CH4_BATCH_ACCURACY_OFF_BY_ONE),
            Answer("ex8_by_hand"),
        ],
        "example-tampered-tests": [
            Answer("ex1_rank"),
            EditTest("test_ex1_rank", _FAKE_PASS),
            EditTest("test_ex3_poly"),
        ],
        "example-infinite-loop": [Answer("ex1_slice", _CH4_CROP_HANGS_ON_ODD_MARGIN)],
    },
    "05_pet_breeds": {
        "example-complete": [],
        "example-untouched": None,
        "example-partial": [
            Answer("ex1_label", _CH5_UNESCAPED_DOT),
            Answer("ex2_log_softmax", _CH5_NAIVE_LOG_SOFTMAX),
            Answer("ex3_fine_tune"),
        ],
        "example-infinite-loop": [Answer("ex3_lr", _CH5_STEEPEST_HANGS_ON_REPEAT)],
    },
    "06_multicat": {
        "example-complete": [],
        "example-untouched": None,
        "example-partial": [
            Answer("ex1_count", _CH6_COUNT_WITHOUT_SPLIT),
            Answer("ex4_pixel_error", _CH6_RMS_NOT_MEAN),
            Answer("ex3_best"),
        ],
        "example-infinite-loop": [Answer("ex4_ctr", _CH6_POSE_HANGS_WITHOUT_UNDERSCORE)],
    },
    "08_collab": {
        "example-complete": [],
        "example-untouched": None,
        "example-partial": [
            Patch("ex3_bias", "return sigmoid_range(res, *self.y_range)", "return sigmoid_range(res, 0, 5.5)"),
            Patch("ex4_penalty", "grad + 2 * wd * p", "grad + wd * p"),
            Answer("ex6_extreme", _CH8_EXTREME_UNSORTED),
        ],
        "example-infinite-loop": [Answer("ex1_most", _CH8_MOST_RATED_HANGS_WHEN_N_TOO_BIG)],
    },
    **{f"{ch}_questionnaire": {"example-complete": [], "example-untouched": None} for ch in ("05", "06", "08")},
    "04_questionnaire": {
        "example-complete": [],
        "example-untouched": None,
        # Real-looking answers of varied quality: paraphrase, partial, wrong, wrong code, key-word list,
        # another language (sent to review), and an infinite loop in a code answer.
        "example-mixed": [
            Answer("q04_01", "as arrays of pixel values. a black and white picture has a single channel with "
                             "brightness from 0-255; a colour picture stores three channels, RGB."),
            Answer("q04_03", "It compares the image to the average 3 and 7."),
            Answer("q04_07", "RMSE is the average of the errors and L1 norm is the biggest error."),
            Answer("q04_09", "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]]) * 2\nt[:2, :2]"),
            Answer("q04_20", "gradient, accuracy, zero, loss"),
            Answer("q04_22", "La perte sert à entraîner le modèle avec ses gradients, la métrique sert aux humains "
                             "pour juger la qualité du modèle."),
            Answer("q04_26", "def pair_up(a, b):\n    while True:\n        pass\npair_up([1, 2, 3, 4], 'abcd')"),
        ],
    },
}


def _complete(release_nb, source_nb):
    answers = {notebooks.grade_id(c): c.source for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = notebooks.nbformat.from_dict(release_nb)
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = regions.unwrap(answers[gid], "solution", where=f"source cell {gid}")
    return nb


def _apply(nb, release_nb, edits):
    stubs = {notebooks.grade_id(c): c.source for c in release_nb.cells}
    for edit in edits:
        index = next((i for i, c in enumerate(nb.cells) if notebooks.grade_id(c) == edit.grade_id), None)
        if index is None:
            raise KeyError(f"example edit names grade_id {edit.grade_id!r}, which the notebook lacks")
        if isinstance(edit, Answer):
            nb.cells[index].source = stubs[edit.grade_id] if edit.source is None else edit.source
        elif isinstance(edit, Patch):
            if edit.old not in nb.cells[index].source:
                raise KeyError(f"example patch of {edit.grade_id!r}: {edit.old!r} is not in its solution")
            nb.cells[index].source = nb.cells[index].source.replace(edit.old, edit.new)
        elif edit.source is None:
            del nb.cells[index]
        else:
            nb.cells[index].source = edit.source
    return nb


def build(root: Path, assignment: str, dest: Path | None = None) -> list[Path]:
    """Write the example submissions of `assignment` under dest/<student>/<assignment>/; returns paths."""
    dest = dest or root / EXAMPLES_DIR
    written = []
    for path in sorted((root / "release" / assignment).glob("*.ipynb")):
        release_nb = notebooks.read(path)
        source_nb = notebooks.read(root / "source" / assignment / path.name)
        for student, edits in PLANS.get(assignment, {}).items():
            nb = notebooks.nbformat.from_dict(release_nb) if edits is None else _apply(_complete(release_nb, source_nb), release_nb, edits)
            out = dest / student / assignment / path.name
            notebooks.write(nb, out)
            written.append(out)
    return written
