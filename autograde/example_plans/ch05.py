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

# ---- typical wrong answers (from real learners' mistakes). The two examples alternate, so every wrong
# answer sits between right ones: a test checks that each costs points in its own cell only.

# re.findall's list instead of the breed.
_CH5_LABEL_LIST = """pat = r'^(.+)_\\d+\\.jpg$'

def pet_label(fname):
    return re.findall(pat, Path(fname).name)"""

# The first character of the whole path: always '/' for the data set's files.
_CH5_IS_CAT_WHOLE_PATH = """def is_cat(fname):
    return str(fname)[0].isupper()

n_cats = sum(is_cat(o) for o in files)"""

# No seed for the split, fastai's default batch size.
_CH5_BLOCK_NO_SEED_NO_BS = """pets_block = DataBlock(blocks=(ImageBlock, CategoryBlock),
                       get_items=get_image_files,
                       splitter=RandomSplitter(valid_pct=0.2),
                       get_y=using_attr(RegexLabeller(pat), 'name'),
                       item_tfms=Resize(64),
                       batch_tfms=aug_transforms(size=48, min_scale=0.75))
dls = pets_block.dataloaders(path/'images')"""

# Labels fixed, but the images keep their sizes: no batch can be collated.
_CH5_DEBUG_NO_RESIZE = """fixed_block = DataBlock(blocks=(ImageBlock, CategoryBlock),
                        get_items=get_image_files,
                        splitter=RandomSplitter(seed=42),
                        get_y=using_attr(RegexLabeller(pat), 'name'))"""

# Over axis 1 instead of the last one.
_CH5_LOG_SOFTMAX_DIM1 = """def log_softmax(x):
    m = x.max(dim=1, keepdim=True)[0]
    return x - m - (x - m).exp().sum(dim=1, keepdim=True).log()

def softmax(x):
    return log_softmax(x).exp()"""

# The book's six rows, hard-coded.
_CH5_PICK_RANGE6 = """def pick_targets(x, targs):
    idx = range(6)
    return x[idx, targs]"""

# `reduction` ignored: always the mean.
_CH5_NLL_IGNORES_REDUCTION = """def nll(log_probs, targs, reduction='mean'):
    return -pick_targets(log_probs, targs).mean()"""

# The log of a softmax: inf for large activations.
_CH5_CE_LOG_OF_SOFTMAX = """def cross_entropy(acts, targs, reduction='mean'):
    sm = acts.exp() / acts.exp().sum(dim=-1, keepdim=True)
    return nll(sm.log(), targs, reduction=reduction)"""

# A new, random body: the pretrained weights are never loaded.
_CH5_TRANSFER_NOT_LOADED = """def body_head_splitter(model):
    return [params(model[0][:2]), params(model[0][2:]), params(model[1])]

def transfer_learner(dls, body_state):
    model = nn.Sequential(tiny_body(), make_head(64, dls.c))
    return Learner(dls, model, loss_func=CrossEntropyLossFlat(), metrics=error_rate, splitter=body_head_splitter)"""

# Every parameter counted, trainable or not.
_CH5_TRAINABLE_IGNORES_GRAD = """def trainable_counts(learn):
    return [sum(p.numel() for p in g) for g in learn.splitter(learn.model)]"""

# A tensor where a float is asked (lr_minimum); lr_steepest right.
_CH5_LR_MINIMUM_TENSOR = """def lr_minimum(lrs, losses):
    lrs, losses = tensor(lrs).float(), tensor(losses).float()
    return lrs[losses.argmin()]/10

def lr_steepest(lrs, losses):
    lrs, losses = tensor(lrs).double(), tensor(losses).double()
    dlog = lrs[1:].log() - lrs[:-1].log()
    slopes = (losses[1:] - losses[:-1]) / dlog
    slopes[dlog == 0] = float('inf')
    return lrs[slopes.argmin()].item()"""

# Evenly spaced, not on a log scale.
_CH5_GROUP_LRS_LINEAR = """def group_lrs(lr, n_groups):
    if not isinstance(lr, slice): return [lr]*n_groups
    if lr.start is None: return [lr.stop/10]*(n_groups - 1) + [lr.stop]
    if n_groups == 1: return [lr.stop]
    return [float(v) for v in np.linspace(lr.start, lr.stop, n_groups)]"""

# base_lr is not halved before the unfrozen phase.
_CH5_FINE_TUNE_NOT_HALVED = """def fine_tune_by_hand(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100):
    learn.freeze()
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
    learn.unfreeze()
    learn.fit_one_cycle(epochs, slice(base_lr/lr_mult, base_lr), pct_start=0.3, div=5.0)"""

# The head phase without freeze(): the whole model trains from the start.
_CH5_TRAIN_NO_FREEZE = """set_seed(42, reproducible=True)
learn = transfer_learner(dls, pretrained_body)
if torch.cuda.is_available(): learn = learn.to_fp16()
learn.fit_one_cycle(2, 2e-2)
learn.unfreeze()
learn.fit_one_cycle(4, lr_max=slice(2e-3, 2e-2))"""

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
    "example-wrong-odd": [
        Answer("ex1_label", _CH5_LABEL_LIST),
        Answer("ex1_block", _CH5_BLOCK_NO_SEED_NO_BS),
        Answer("ex2_log_softmax", _CH5_LOG_SOFTMAX_DIM1),
        Answer("ex2_nll", _CH5_NLL_IGNORES_REDUCTION),
        Answer("ex3_transfer", _CH5_TRANSFER_NOT_LOADED),
        Answer("ex3_lr", _CH5_LR_MINIMUM_TENSOR),
        Answer("ex3_fine_tune", _CH5_FINE_TUNE_NOT_HALVED),
    ],
    "example-wrong-even": [
        Answer("ex1_is_cat", _CH5_IS_CAT_WHOLE_PATH),
        Answer("ex1_debug", _CH5_DEBUG_NO_RESIZE),
        Answer("ex2_pick", _CH5_PICK_RANGE6),
        Answer("ex2_ce", _CH5_CE_LOG_OF_SOFTMAX),
        Answer("ex3_trainable", _CH5_TRAINABLE_IGNORES_GRAD),
        Answer("ex3_group_lrs", _CH5_GROUP_LRS_LINEAR),
        Answer("ex3_train", _CH5_TRAIN_NO_FREEZE),
    ],
}
