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
}
