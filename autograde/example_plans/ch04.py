"""Example submissions of 04_mnist_basics: each wrong answer must lose points in its own cell only."""
from ..examples import Answer, EditTest, Patch  # noqa: F401

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

# Every example starts from the complete (correct) submission unless it is "untouched" (None).
PLAN = {
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
}
