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

# ---- typical wrong answers (the mistakes real learners make). The two examples alternate, so every
# wrong answer sits between right ones: a test checks that each costs points in its own cell only.

# One step short.
_CH4_DESCEND_OFF_BY_ONE = """def quad_deriv(x):
    return 2*x - 4

def descend_by_hand(x, lr=0.1, steps=50):
    for _ in range(steps - 1):
        x = x - lr*quad_deriv(x)
    return x"""

# Works on the caller's tensor: a second call adds to the first gradient.
_CH4_AUTOGRAD_MUTATES = """def autograd_deriv(x):
    x.requires_grad_()
    quad(x).sum().backward()
    return x.grad

def descend_autograd(x0, lr=0.1, steps=50):
    x = torch.tensor(float(x0), requires_grad=True)
    for _ in range(steps):
        quad(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad.zero_()
    return x.item()"""

# Gradients never zeroed.
_CH4_SGD_NO_ZERO_GRAD = """def train_sgd(x, y, lr=0.1, momentum=0.9, steps=100):
    params = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([params], lr=lr, momentum=momentum)
    for _ in range(steps):
        loss = ((params[0]*x + params[1] - y)**2).mean()
        loss.backward()
        opt.step()
    return params.detach()"""

# Pixels left as 0..255.
_CH4_STACK_NOT_SCALED = """three_tensors = [tensor(Image.open(o)) for o in threes]
seven_tensors = [tensor(Image.open(o)) for o in sevens]
stacked_threes = torch.stack(three_tensors).float()
stacked_sevens = torch.stack(seven_tensors).float()"""

# len() of a tensor is the length of its first axis (and fails on a scalar).
_CH4_RANK_WITH_LEN = """def rank_and_shape(t):
    return len(t), tuple(t.shape)"""

# The end of a Python slice is exclusive: one row and one column short.
_CH4_PATCH_INCLUSIVE_END = """im3_patch = im3_t[4:9, 4:21]

def center_crop(img, size):
    h, w = img.shape[-2:]
    top, left = (h - size)//2, (w - size)//2
    return img[..., top:top+size, left:left+size]"""

# The mean squared error, no square root.
_CH4_RMSE_NO_SQRT = """def l1_dist(a, b):
    return (a - b).abs().mean()

def rmse_dist(a, b):
    return ((a - b)**2).mean()"""

# Axes 1 and 2: only right for a batch of images.
_CH4_DISTANCE_AXES_12 = """def mnist_distance(a, b):
    return (a - b).abs().mean((1, 2))"""

# The comparison the wrong way round.
_CH4_IS3_REVERSED = """def is_3(x):
    return mnist_distance(x, mean3) > mnist_distance(x, mean7)"""

# The fraction of 7s called a 3, not of those that are not.
_CH4_ACC7_NOT_INVERTED = """accuracy_3s = is_3(valid_3_tens).float().mean()
accuracy_7s = is_3(valid_7_tens).float().mean()"""

# A tensor where a float is asked.
_CH4_POLY_TENSOR = """def poly_grad_at(x0):
    x = tensor(float(x0)).requires_grad_()
    poly(x).backward()
    return x.grad"""

# Works on the caller's tensor.
_CH4_GRAD_OF_MUTATES = """def grad_of(fn, x):
    x.requires_grad_()
    fn(x).backward()
    return x.grad"""

# A square root in the mean squared error.
_CH4_MSE_SQRT = """def f(t, params):
    a, b, c = params
    return a*(t**2) + (b*t) + c

def mse(preds, targets):
    return ((preds - targets)**2).mean().sqrt()"""

# The gradient is never reset: the second step uses the sum of both gradients.
_CH4_STEP_NO_RESET = """def apply_step(params, prn=True, lr=1e-5, t=time, y=speed):
    preds = f(t, params)
    loss = mse(preds, y)
    loss.backward()
    params.data -= lr * params.grad.data
    if prn: print(loss.item())
    return preds"""

# Tensors where floats are asked.
_CH4_LOSSES_TENSORS = """def train_quadratic(params, steps=10, lr=1e-5, t=time, y=speed):
    losses = []
    for _ in range(steps):
        preds = apply_step(params, prn=False, lr=lr, t=t, y=y)
        losses.append(mse(preds, y).detach())
    return losses"""

# Labels as a vector, not a column.
_CH4_LABELS_VECTOR = """train_x = torch.cat([stacked_threes, stacked_sevens]).view(-1, 28*28).to(dev)
train_y = tensor([1]*len(threes) + [0]*len(sevens)).to(dev)
valid_x = torch.cat([valid_3_tens, valid_7_tens]).view(-1, 28*28).to(dev)
valid_y = tensor([1]*len(valid_3_tens) + [0]*len(valid_7_tens)).unsqueeze(1).to(dev)
dset = list(zip(train_x, train_y))
valid_dset = list(zip(valid_x, valid_y))"""

# A uniform init (rand, not randn).
_CH4_INIT_UNIFORM = """def init_params(size, std=1.0):
    return (torch.rand(size)*std).to(dev).requires_grad_()

def linear1(xb):
    return xb@weights + bias"""

# No sigmoid.
_CH4_LOSS_NO_SIGMOID = """def mnist_loss(predictions, targets):
    return torch.where(targets == 1, 1 - predictions, predictions).mean()"""

# A comparison: no gradient can flow (backward raises).
_CH4_STEP_ACCURACY_COMPARISON = """def step_accuracy(preds, targets):
    return ((preds > 0).float() == targets).float().mean()

def accuracy_grad(w, b, xb, yb):
    step_accuracy(xb@w + b, yb).backward()
    return w.grad

def loss_grad(w, b, xb, yb):
    mnist_loss(xb@w + b, yb).backward()
    return w.grad"""

# The validation loader shuffled too.
_CH4_VALID_SHUFFLED = """dl = DataLoader(dset, batch_size=256, shuffle=True)
valid_dl = DataLoader(valid_dset, batch_size=256, shuffle=True)"""

# Ignores its model argument: always the global linear1.
_CH4_CALC_GRAD_IGNORES_MODEL = """def calc_grad(xb, yb, model):
    preds = linear1(xb)
    loss = mnist_loss(preds, yb)
    loss.backward()"""

# Zeroes the parameters instead of their gradients.
_CH4_EPOCH_ZEROES_WEIGHTS = """def train_epoch(model, lr, params, dl=dl):
    for xb, yb in dl:
        calc_grad(xb, yb, model)
        for p in params:
            p.data -= p.grad*lr
            p.data.zero_()"""

# Validates on the training loader.
_CH4_VALIDATE_ON_TRAINING = """def batch_accuracy(xb, yb):
    preds = xb.sigmoid()
    correct = (preds > 0.5) == yb
    return correct.float().mean()

def validate_epoch(model, valid_dl=valid_dl):
    accs = [batch_accuracy(model(xb), yb) for xb, yb in dl]
    return round(torch.stack(accs).mean().item(), 4)"""

# Keeps the generator, which the second step finds empty.
_CH4_OPTIM_KEEPS_GENERATOR = """class BasicOptim:
    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self, *args, **kwargs):
        for p in self.params: p.data -= p.grad.data * self.lr

    def zero_grad(self, *args, **kwargs):
        for p in self.params: p.grad = None"""

# Prints the accuracies instead of returning them.
_CH4_TRAIN_MODEL_PRINTS = """def train_epoch_opt(model, opt, dl=dl):
    for xb, yb in dl:
        calc_grad(xb, yb, model)
        opt.step()
        opt.zero_grad()

def train_model(model, opt, epochs):
    for i in range(epochs):
        train_epoch_opt(model, opt)
        print(validate_epoch(model), end=' ')"""

# Twice the epochs asked for.
_CH4_LEARNER_20_EPOCHS = """dls = DataLoaders(dl, valid_dl)
learn = Learner(dls, nn.Linear(28*28, 1).to(dev), opt_func=SGD, loss_func=mnist_loss, metrics=batch_accuracy)
learn.fit(20, lr=lr)"""

# No ReLU between the layers.
_CH4_NET_NO_RELU = """def simple_net_by_hand(xb, w1, b1, w2, b2):
    res = xb@w1 + b1
    res = res@w2 + b2
    return res"""

# Half the epochs of the book's settings.
_CH4_MLP_20_EPOCHS = """simple_net = nn.Sequential(
    nn.Linear(28*28, 30),
    nn.ReLU(),
    nn.Linear(30, 1)
).to(dev)
learn_mlp = Learner(dls, simple_net, opt_func=SGD, loss_func=mnist_loss, metrics=batch_accuracy)
learn_mlp.fit(20, 0.1)"""

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
    "example-wrong-odd": [
        Answer("ex0_by_hand", _CH4_DESCEND_OFF_BY_ONE),
        Answer("ex0_optim", _CH4_SGD_NO_ZERO_GRAD),
        Answer("ex1_rank", _CH4_RANK_WITH_LEN),
        Answer("ex1_slice", _CH4_PATCH_INCLUSIVE_END),
        Answer("ex2_mnist_distance", _CH4_DISTANCE_AXES_12),
        Answer("ex2_acc", _CH4_ACC7_NOT_INVERTED),
        Answer("ex3_grad_of", _CH4_GRAD_OF_MUTATES),
        Answer("ex4_step", _CH4_STEP_NO_RESET),
        Answer("ex5_data", _CH4_LABELS_VECTOR),
        Answer("ex5_loss", _CH4_LOSS_NO_SIGMOID),
        Answer("ex6_dl", _CH4_VALID_SHUFFLED),
        Answer("ex6_epoch", _CH4_EPOCH_ZEROES_WEIGHTS),
        Answer("ex7_optim", _CH4_OPTIM_KEEPS_GENERATOR),
        Answer("ex7_learner", _CH4_LEARNER_20_EPOCHS),
        Answer("ex8_seq", _CH4_MLP_20_EPOCHS),
    ],
    "example-wrong-even": [
        Answer("ex0_autograd", _CH4_AUTOGRAD_MUTATES),
        Answer("ex1_stack", _CH4_STACK_NOT_SCALED),
        Answer("ex2_dist", _CH4_RMSE_NO_SQRT),
        Answer("ex2_is3", _CH4_IS3_REVERSED),
        Answer("ex3_poly", _CH4_POLY_TENSOR),
        Answer("ex4_f", _CH4_MSE_SQRT),
        Answer("ex4_train", _CH4_LOSSES_TENSORS),
        Answer("ex5_params", _CH4_INIT_UNIFORM),
        Answer("ex5_acc", _CH4_STEP_ACCURACY_COMPARISON),
        Answer("ex6_grad", _CH4_CALC_GRAD_IGNORES_MODEL),
        Answer("ex6_acc", _CH4_VALIDATE_ON_TRAINING),
        Answer("ex7_train", _CH4_TRAIN_MODEL_PRINTS),
        Answer("ex8_by_hand", _CH4_NET_NO_RELU),
    ],
}

# The cells each wrong-answer example must lose points in (and only those).
WRONG_CELLS = {
    "example-wrong-odd": {f"test_{a.grade_id}" for a in PLAN["example-wrong-odd"]},
    "example-wrong-even": {f"test_{a.grade_id}" for a in PLAN["example-wrong-even"]},
}
