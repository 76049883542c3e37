"""Example submissions of 06_multicat: each wrong answer must lose points in its own cell only."""
from ..examples import Answer, EditTest, Patch  # noqa: F401

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

# Every example starts from the complete (correct) submission unless it is "untouched" (None).
PLAN = {
    "example-complete": [],
    "example-untouched": None,
    "example-partial": [
        Answer("ex1_count", _CH6_COUNT_WITHOUT_SPLIT),
        Answer("ex4_pixel_error", _CH6_RMS_NOT_MEAN),
        Answer("ex3_best"),
    ],
    "example-infinite-loop": [Answer("ex4_ctr", _CH6_POSE_HANGS_WITHOUT_UNDERSCORE)],
}
