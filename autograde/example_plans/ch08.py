"""Example submissions of 08_collab: each wrong answer must lose points in its own cell only."""
from ..examples import Answer, EditTest, Patch  # noqa: F401

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

# fastai's one_hot turns a whole index tensor into ONE multi-hot vector: the sum of the picked rows.
_CH8_LOOKUP_MULTI_HOT = """def lookup_by_matmul(factors, idxs):
    one_hot_3 = one_hot(idxs, factors.shape[0]).float()
    return factors.t() @ one_hot_3"""

# The book's arrays: right values, but a numpy array where a list is asked for.
_CH8_MOST_RATED_ARRAY = """def most_rated(ratings, col, n):
    counts = ratings.groupby(col).size()
    return counts.sort_values(ascending=False, kind='stable').index.values[:n]"""

# PyTorch's sigmoid_range by hand, scaled by `high` instead of `high - low`.
_CH8_SIGRANGE_SCALE = """def my_sigmoid_range(x, low, high):
    return torch.sigmoid(x) * high + low"""

# The most similar row, as a tensor instead of an int.
_CH8_SIMILAR_TENSOR = """def most_similar(factors, idx):
    sims = nn.CosineSimilarity(dim=1)(factors, factors[idx][None])
    sims[idx] = -2.
    return sims.argmax()"""

# Every example starts from the complete (correct) submission unless it is "untouched" (None).
PLAN = {
    "example-complete": [],
    "example-untouched": None,
    "example-partial": [
        Patch("ex3_bias", "return sigmoid_range(res, *self.y_range)", "return sigmoid_range(res, 0, 5.5)"),
        Patch("ex4_penalty", "grad + 2 * wd * p", "grad + wd * p"),
        Answer("ex6_extreme", _CH8_EXTREME_UNSORTED),
    ],
    "example-infinite-loop": [Answer("ex1_most", _CH8_MOST_RATED_HANGS_WHEN_N_TOO_BIG)],
    # Typical wrong answers of real learners, one per cell: each costs points in its own cell only.
    "example-typical-a": [
        Patch("ex1_load", "encoding='latin-1',\n", "\n"),                                  # titles not read as latin-1
        Answer("ex1_most", _CH8_MOST_RATED_ARRAY),                                          # an array, not a list
        Patch("ex1_crosstab", "return table.reindex(index=users, columns=titles)", "return table"),  # order and missing rows lost
        Answer("ex2_lookup", _CH8_LOOKUP_MULTI_HOT),
        Patch("ex2_dot", "return (users * movies).sum(dim=1)", "return sigmoid_range((users * movies).sum(dim=1), 0, 5.5)"),
        Answer("ex3_sigrange", _CH8_SIGRANGE_SCALE),
        Patch("ex3_train", "wd=0.)", ")"),                                                 # fastai's default weight decay
        Patch("ex4_train", "return float(sum((p.detach()**2).sum() for p in model.parameters()))",
              "return sum((p.detach()**2).sum() for p in model.parameters())"),            # a tensor, not a float
        Patch("ex5_params", "return nn.Parameter(torch.zeros(*size).normal_(0, 0.01))",
              "return nn.Parameter(torch.rand(*size) * 0.01)"),                           # uniform, not normal
        Answer("ex7_similar", _CH8_SIMILAR_TENSOR),
        Patch("ex7_nn_train", "wd=0.01)", "wd=0.1)"),
    ],
    "example-typical-b": [
        Patch("ex3_bias", "res = (users * movies).sum(dim=1, keepdim=True)", "res = (users * movies).sum(dim=1)"),  # (batch,) + (batch, 1)
        Patch("ex4_penalty", "return p - lr * (grad + 2 * wd * p)", "p -= lr * (grad + 2 * wd * p)\n    return p"),  # changes p
        Patch("ex4_train", "learn_wd.fit_one_cycle(5, 5e-3, wd=0.1)", "learn_wd.fit_one_cycle(3, 5e-3, wd=0.1)"),
        Patch("ex5_params", "res += self.user_bias[x[:, 0]] + self.movie_bias[x[:, 1]]", "pass"),  # biases left out
        Patch("ex7_learner", "learn_cl.fit_one_cycle(5, 5e-3, wd=0.1)", "learn_cl.fit_one_cycle(5, 5e-3)"),
        Patch("ex7_nn", "return sigmoid_range(x, *self.y_range)", "return x"),
    ],
}
