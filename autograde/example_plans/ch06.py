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

# ---- typical wrong answers; each example keeps an exercise right when it feeds a wrong one, or the
# reverse, so that a test can tell that every mistake costs points in its own cell only.

# A label repeated within a row counts twice.
_CH6_COUNT_DUPLICATES = """def count_labels(df):
    counts = {}
    for labels in df['labels']:
        for label in labels.split(' '):
            counts[label] = counts.get(label, 0) + 1
    return counts"""

# get_y returns the string of labels, not a list (the DataBlock then sees single characters).
_CH6_GET_Y_STRING = """def get_x(r):
    return path/'train'/r['fname']

def get_y(r):
    return r['labels']"""

# The sigmoid is applied whatever `sigmoid` says.
_CH6_ACC_ALWAYS_SIGMOID = """def accuracy_multi(inp, targ, thresh=0.5, sigmoid=True):
    return ((inp.sigmoid() > thresh) == targ.bool()).float().mean()"""

# The optical centre's coordinates swapped.
_CH6_CTR_SWAPPED_CENTRE = """def img2pose(x):
    return Path(f'{str(x)[:-7]}pose.txt')

def get_ctr(f):
    ctr = np.genfromtxt(img2pose(f), skip_header=3)
    c1 = ctr[0] * cal[0][0]/ctr[2] + cal[1][2]
    c2 = ctr[1] * cal[1][1]/ctr[2] + cal[0][2]
    return tensor([c1, c2])"""

# Shifted but not stretched to (lo, hi).
_CH6_RANGE_NOT_STRETCHED = """def sigmoid_range(x, lo, hi):
    return torch.sigmoid(x) + lo"""

# The mean squared distance: no square root.
_CH6_PIXEL_NO_SQRT = """def pixel_error(preds, targs, width, height):
    diff = (preds.view(-1, 2) - targs.view(-1, 2)) * tensor([width / 2, height / 2])
    return (diff**2).sum(1).mean()"""

# Validation rows first.
_CH6_SPLITTER_SWAPPED = """def splitter(df):
    train = df.index[~df['is_valid']].tolist()
    valid = df.index[df['is_valid']].tolist()
    return valid, train"""

# Indexing the vocabulary with a tensor: works for fastai's CategoryMap, not for a Python list.
_CH6_DECODE_TENSOR_INDEX = """def decode_onehot(onehot, vocab):
    return vocab[torch.where(onehot == 1)[0]]"""

# No sigmoid: log of negative activations.
_CH6_BCE_NO_SIGMOID = """def binary_cross_entropy(inputs, targets):
    return -torch.where(targets == 1, inputs, 1 - inputs).log().mean()"""

_CH6_PARTIAL_FORGETS_SIGMOID_FALSE = """acc_02 = partial(accuracy_multi, thresh=0.2)
acc_probs_07 = partial(accuracy_multi, thresh=0.7)"""

# The book's fine-tuning of a pretrained model, and its threshold.
_CH6_LEARN_BOOK_FINE_TUNE = """learn = Learner(dls, tiny_classifier(dls.c), metrics=partial(accuracy_multi, thresh=0.2))
learn.fine_tune(3, base_lr=3e-3, freeze_epochs=4)"""

# `>=` keeps the last of tied thresholds.
_CH6_BEST_LAST_TIE = """def best_threshold(preds, targs, thresholds):
    best_t, best_acc = None, None
    for t in thresholds:
        acc = accuracy_multi(preds, targs, thresh=t, sigmoid=False)
        if best_acc is None or acc >= best_acc:
            best_t, best_acc = float(t), acc
    return best_t"""

# A random split: frames of person 13 end up in training.
_CH6_BIWI_RANDOM_SPLIT = """biwi = DataBlock(
    blocks=(ImageBlock, PointBlock),
    get_items=get_image_files,
    get_y=get_ctr,
    splitter=RandomSplitter(seed=42),
    item_tfms=Resize((48, 64)))
biwi_dls = biwi.dataloaders(path, bs=32, num_workers=0)"""

# The book's item transform and fastai's default batch size.
_CH6_DBLOCK_BOOK_CROP = """dblock = DataBlock(blocks=(ImageBlock, MultiCategoryBlock),
                   splitter=splitter,
                   get_x=get_x,
                   get_y=get_y,
                   item_tfms=RandomResizedCrop(128, min_scale=0.35))
dsets = dblock.datasets(df)
dls = dblock.dataloaders(df, num_workers=0)"""

_CH6_ACC_GREATER_EQUAL = """def accuracy_multi(inp, targ, thresh=0.5, sigmoid=True):
    if sigmoid: inp = inp.sigmoid()
    return ((inp >= thresh) == targ.bool()).float().mean()"""

_CH6_PIXEL_SWAPPED_SIZE = """def pixel_error(preds, targs, width, height):
    diff = (preds.view(-1, 2) - targs.view(-1, 2)) * tensor([height / 2, width / 2])
    return (diff**2).sum(1).sqrt().mean()"""

# A tensor where a Python float is asked for.
_CH6_BEST_RETURNS_TENSOR = """def best_threshold(preds, targs, thresholds):
    accs = torch.stack([accuracy_multi(preds, targs, thresh=t, sigmoid=False) for t in thresholds])
    return torch.as_tensor(thresholds)[accs.argmax()]"""

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
    # mistakes in exercises that later ones use (1.2, 2.2, 4.1, 4.3): the later ones keep full marks
    "example-wrong-upstream": [
        Answer("ex1_count", _CH6_COUNT_DUPLICATES),
        Answer("ex1_getxy", _CH6_GET_Y_STRING),
        Answer("ex2_acc_multi", _CH6_ACC_ALWAYS_SIGMOID),
        Answer("ex4_ctr", _CH6_CTR_SWAPPED_CENTRE),
        Answer("ex4_sigmoid_range", _CH6_RANGE_NOT_STRETCHED),
        Answer("ex4_pixel_error", _CH6_PIXEL_NO_SQRT),
    ],
    "example-wrong-middle": [
        Answer("ex1_splitter", _CH6_SPLITTER_SWAPPED),
        Answer("ex1_decode", _CH6_DECODE_TENSOR_INDEX),
        Answer("ex2_bce", _CH6_BCE_NO_SIGMOID),
        Answer("ex2_partial", _CH6_PARTIAL_FORGETS_SIGMOID_FALSE),
        Patch("ex3_learn", "learn = Learner(dls, tiny_classifier(dls.c), loss_func=BCEWithLogitsLossFlat(),\n"
                           "                metrics=partial(accuracy_multi, thresh=0.5))\nlearn.fit_one_cycle(12, 3e-2)",
              _CH6_LEARN_BOOK_FINE_TUNE),
        Answer("ex3_best", _CH6_BEST_LAST_TIE),
        Answer("ex4_dblock", _CH6_BIWI_RANDOM_SPLIT),
    ],
    "example-wrong-downstream": [
        Answer("ex1_dblock", _CH6_DBLOCK_BOOK_CROP),
        Answer("ex2_acc_multi", _CH6_ACC_GREATER_EQUAL),
        Answer("ex3_best", _CH6_BEST_RETURNS_TENSOR),
        Patch("ex4_learn", "learn_biwi = Learner(biwi_dls, tiny_regressor(2, y_range=(-1, 1)), loss_func=MSELossFlat())",
              "learn_biwi = Learner(biwi_dls, tiny_regressor(2, y_range=(-1, 1)), loss_func=L1LossFlat())"),
        Answer("ex4_pixel_error", _CH6_PIXEL_SWAPPED_SIZE),
    ],
}
