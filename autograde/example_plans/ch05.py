"""Example submissions of 05_pet_breeds: each wrong answer must lose points in its own cell only."""
from ..examples import Answer, EditTest, Patch  # noqa: F401

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

# Every example starts from the complete (correct) submission unless it is "untouched" (None).
PLAN = {
    "example-complete": [],
    "example-untouched": None,
    "example-partial": [
        Answer("ex1_label", _CH5_UNESCAPED_DOT),
        Answer("ex2_log_softmax", _CH5_NAIVE_LOG_SOFTMAX),
        Answer("ex3_fine_tune"),
    ],
    "example-infinite-loop": [Answer("ex3_lr", _CH5_STEEPEST_HANGS_ON_REPEAT)],
}
