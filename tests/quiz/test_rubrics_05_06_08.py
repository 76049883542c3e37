"""Chapters 5, 6 and 8 questionnaire rubrics: structure, model answers, code checks, dev-set accuracy."""
import json
from pathlib import Path

import pytest

from autograde.quiz import score_answer
from autograde.quiz.rubric import RUBRIC_DIR, load

HERE = Path(__file__).parent
COUNTS = {"05": 23, "06": 17, "08": 31}
CODE_QS = {"05": {2, 4, 5, 13}, "06": {15}, "08": {5, 7, 13, 15, 20}}
CHECKED = {"05": {2, 4, 5, 13}, "06": {15}, "08": {5, 7, 13, 15}}  # 08-20 may be a formula: read, not run


def dev_rows(ch):
    return [json.loads(l) for l in (HERE / f"dev_{ch}.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]


@pytest.mark.parametrize("ch", sorted(COUNTS))
def test_rubric_loads_with_book_numbering(ch):
    r = load(ch)
    assert r.chapter == ch and r.title
    assert sorted(r.questions) == list(range(1, COUNTS[ch] + 1))
    data = json.loads((RUBRIC_DIR / f"{ch}.json").read_text(encoding="utf-8"))
    assert data["chapter"] == ch and len(data["questions"]) == COUNTS[ch]


@pytest.mark.parametrize("ch", sorted(COUNTS))
def test_every_question_is_complete(ch):
    r = load(ch)
    for q in r.questions.values():
        assert q.question and q.topic and q.model_answer and q.points > 0, q.q
        assert q.kind in ("prose", "code", "code+prose")
        for i in q.ideas:
            assert i.points > 0 and i.any and i.hint and i.label, (q.q, i.id)
        for m in q.misconceptions:
            assert m.penalty > 0 and m.any and m.hint
        for c in q.checks:
            assert c.points > 0 and c.hint and c.kind
    assert {q.q for q in r.questions.values() if q.kind != "prose"} == CODE_QS[ch]
    assert {q.q for q in r.questions.values() if q.checks} == CHECKED[ch]


@pytest.mark.parametrize("ch", sorted(COUNTS))
def test_hints_do_not_contain_accepted_phrasings(ch):
    for q in load(ch).questions.values():
        for i in q.ideas:
            for p in i.any:
                if len(p.split()) >= 2 and "|" not in p and "*" not in p:
                    assert p.replace("_", " ") not in i.hint.lower(), (q.q, i.id)


@pytest.mark.parametrize("ch", sorted(COUNTS))
def test_model_answers_score_correct(ch):
    for q in load(ch).questions.values():
        res = score_answer(ch, q.q, q.model_answer)
        assert res["verdict"] in ("correct", "review") and res["score"] >= 0.5, (ch, q.q, res)


@pytest.mark.parametrize("ch,qn,answer", [
    ("05", 2, "r'([A-Za-z]+)_\\d+'"),                                   # stops at the first underscore
    ("05", 4, "[x**2 for x in range(10) if x % 2 == 0]"),               # right values, not an L
    ("05", 13, "t = torch.tensor([0.02, -2.49, 1.25])\nt.sigmoid()"),
    ("06", 15, "def sigmoid_range(x, lo, hi):\n    return torch.clamp(x, lo, hi)"),
    ("08", 5, "def crosstab(df):\n    return df.groupby('user').rating.mean()"),
    ("08", 7, "def dot(a, b):\n    return [x * y for x, y in zip(a, b)]"),
    ("08", 13, "def greet(name):\n    return 'Hello ' + name\n\ngreet('Bob')"),
    ("08", 15, "class DotProduct(nn.Module):\n    def __init__(self, n_users, n_movies, n_factors):\n        super().__init__()\n"
               "        self.u = nn.Embedding(n_users, n_factors)\n        self.m = nn.Embedding(n_movies, n_factors)\n"
               "    def forward(self, x):\n        return (self.u(x[:,0]) + self.m(x[:,1])).sum(dim=1)"),
])
def test_code_checks_run_and_reject_wrong_behaviour(ch, qn, answer):
    res = score_answer(ch, qn, answer)
    assert res["verdict"] != "correct" and res["score"] < 0.75, res
    assert "Code check" in res["feedback"]


def test_fastai_style_dot_product_module_is_accepted():
    ans = ("class DotProduct(Module):\n    def __init__(self, n_users, n_movies, n_factors, y_range=(0, 5.5)):\n"
           "        self.user_factors = Embedding(n_users, n_factors)\n        self.movie_factors = Embedding(n_movies, n_factors)\n"
           "        self.y_range = y_range\n    def forward(self, x):\n"
           "        res = (self.user_factors(x[:,0]) * self.movie_factors(x[:,1])).sum(dim=1)\n"
           "        return sigmoid_range(res, *self.y_range)")
    assert score_answer("08", 15, ans)["verdict"] == "correct"


def test_crosstab_accepts_pivot_and_crosstab():
    for ans in ("def f(df):\n    return df.pivot_table(index='user', columns='movie', values='rating')",
                "def f(df):\n    return pd.crosstab(df.user, df.movie, values=df.rating, aggfunc='sum').fillna(0)"):
        assert score_answer("08", 5, ans)["verdict"] == "correct", ans


@pytest.mark.parametrize("ch", sorted(COUNTS))
def test_robustness_forms_are_never_correct(ch):
    r = load(ch)
    other = {q.q: q.model_answer for q in r.questions.values() if q.kind == "prose"}
    for q in list(r.questions.values())[::3]:
        for ans in ("", q.question, "My favourite pizza topping is mushrooms with extra cheese."):
            assert score_answer(ch, q.q, ans, run_code_checks=False)["verdict"] != "correct", (q.q, ans[:30])


@pytest.mark.parametrize("ch", sorted(COUNTS))
def test_feedback_never_leaks_phrasings_or_model_answer(ch):
    for q in load(ch).questions.values():
        if q.kind != "prose":
            continue
        fb = score_answer(ch, q.q, "I am not sure about this one, maybe something with numbers.")["feedback"].lower()
        assert q.model_answer.lower()[:40] not in fb
        for i in q.ideas:
            for p in i.any:
                if "|" not in p and " " in p and "*" not in p:
                    assert p.replace("_", " ") not in fb


@pytest.mark.parametrize("ch", sorted(COUNTS))
def test_dev_set_has_required_categories_for_every_question(ch):
    rows = dev_rows(ch)
    per_q = {}
    for r in rows:
        assert r["chapter"] == ch
        per_q.setdefault(r["q"], set()).add(r["kind"])
        assert r["expected"] in ("correct", "partial", "incorrect", "review")
        assert 0 <= r["band"][0] <= r["band"][1] <= 1
    assert sorted(per_q) == list(range(1, COUNTS[ch] + 1))
    for q, kinds in per_q.items():
        assert {"correct", "paraphrase", "wrong", "empty", "copied", "offtopic", "other_q"} <= kinds, (ch, q)
        assert sum(1 for r in rows if r["q"] == q) >= 8, (ch, q)


@pytest.mark.parametrize("ch", sorted(COUNTS))
def test_dev_set_forms_never_pass(ch):
    """The kit's written dev set: adversarial forms never pass; right answers are rarely failed.
    (Agreement with a human is measured on real answers: tests/quiz/test_real_answers.py.)"""
    r = load(ch)
    rows = [x for x in dev_rows(ch) if r.questions[x["q"]].kind == "prose"]
    bad = [x for x in rows if x["kind"] in ("empty", "copied", "offtopic", "other_q", "terms")]
    passed = [x for x in bad if score_answer(ch, x["q"], x["answer"])["verdict"] == "correct"]
    assert len(passed) <= 0.02 * len(bad), [(x["q"], x["kind"]) for x in passed]
    good = [x for x in rows if x["expected"] == "correct"]
    failed = [x for x in good if score_answer(ch, x["q"], x["answer"])["verdict"] == "incorrect"]
    assert len(failed) <= 0.15 * len(good)
