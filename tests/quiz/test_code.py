import json

import pytest

from autograde import sandbox
from autograde.quiz import codecheck, runner, score_answer
from autograde.quiz.cli import add_parser, run
from autograde.quiz.rubric import CodeCheck, load
from autograde.quiz.runner import run_code, run_many
from autograde.quiz.split import split_answer



@pytest.fixture(autouse=True)
def _isolation_or_explicitly_none(monkeypatch):
    """Without bubblewrap the runner refuses to run code; these benign answers then run unsandboxed."""
    if not sandbox.available()[0]:
        monkeypatch.setenv(runner.SANDBOX_ENV, "off")


STUDENT_FORMS = [
    "```python\n[2*x for x in a if x % 2 == 1]\n```",
    "Here it is:\n```\n[2*x for x in a if x % 2 == 1]\n```\nIt doubles the odd ones.",
    "~~~python\n[2*x for x in a if x % 2 == 1]\n~~~",
    ">>> a = [1, 2, 3]\n>>> [2*x for x in a if x % 2 == 1]\n[2, 6]",
    "I would write `[2*x for x in a if x % 2 == 1]` for it.",
    "In [1]: [2*x for x in a if x % 2 == 1]\nOut[1]: [2, 6]",
]
# Every answer these tests check, run once in ONE sandbox batch (the way a questionnaire is graded).
ANSWERS = [
    ("04", 9, "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]])\nt2 = t*2\nt2[1:,1:]"),
    ("04", 9, "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]])*2\nt[:2,:2]"),
    ("04", 9, "torch.tensor([[10,12],[16,18]])"),
    ("04", 9, "2 * torch.arange(1, 10).reshape(3, 3)[1:, 1:]"),
    ("04", 9, "2 * torch.arange(1, 10).reshape(3, 3)[:2, :2]"),
    ("04", 4, "[x*2 for x in a if x % 2]"),
    ("04", 4, "[2*x for x in a if x % 2 == 0]"),
    ("04", 4, "letters = [c for c in 'abc']\n[2*x for x in a if x % 2 == 1]"),
    ("04", 4, "letters = [c for c in 'abc']"),
    ("04", 34, "x = torch.linspace(-2, 2, 50)\nplt.plot(x, F.relu(x))"),
    ("04", 34, "x = torch.linspace(-2, 2, 50)\nplt.plot(x, torch.sigmoid(x))"),
    ("04", 26, "def f(a, b):\n    return zip(a, b)"),
    ("05", 4, "L(range(10)).filter(lambda x: x % 2 == 0).map(lambda x: x**2)"),
    # run like notebook cells: a failing line (an undefined name, a Colab path) does not hide the rest
    ("04", 26, "def pairs(a, b):\n    return list(zip(a, b))\n\nL(zip(a, b))"),
    ("04", 26, "def pairs(a, b):\n    return list(zip(a, c))\n\npairs([1], 'a')"),
    ("04", 4, "[2*x for x in lst if x % 2 == 1]"),
    # names a book notebook has from `from fastai.vision.all import *`
    ("04", 9, "data = [[1,2,3],[4,5,6],[7,8,9]]\nt = tensor(array(data)) * 2\nt[1:,1:]"),
    # a script on its own example inputs is checked as a function of those inputs
    ("08", 7, "x = [2, 5, 7]\ny = [3, 9, 4]\nres = 0\nfor i in range(len(x)):\n    res += x[i] * y[i]\nres"),
    ("08", 7, "x = [2, 5, 7]\ny = [3, 9, 4]\nsum(x) + sum(y)"),
    ("08", 5, "pd.crosstab(ratings['user'], ratings['movie'], values=ratings['rating'], aggfunc='sum')"),
    # where the book leaves a signature open, the function may take its arguments in another arrangement
    ("06", 15, "def sigmoid_range(x, hi, lo):\n    return torch.sigmoid(x) * (hi - lo) + lo"),
    ("06", 15, "def sigmoid_range(x, range=(0, 1)):\n    return (range[1] - range[0]) * torch.sigmoid(x) + range[0]"),
    ("06", 15, "def sigmoid_range(x, lo, hi):\n    return torch.clamp(x * (hi - lo) + lo, -9, 9)"),
    ("06", 15, "def sigmoid_range(x, lo, hi):\n    return torch.sigmoid(x) * (hi - lo) + lo\n\n"
               "def show(x, y):\n    return None"),
    ("06", 15, "def sigmoid_range(x, lo, hi):\n    return torch.sigmoid(x) * (hi - lo) + lo if lo == 0 else x"),
] + [("04", 4, text) for text in STUDENT_FORMS]
_REPORTS: dict = {}


def _key(chapter, q, answer):
    return chapter, q, answer


def _run_batch():
    items = [(split_answer(answer)[0] or answer, load(ch).questions[q].probe) for ch, q, answer in ANSWERS]
    for (ch, q, answer), rep in zip(ANSWERS, run_many(items)):
        _REPORTS[_key(ch, q, answer)] = rep


def passed(chapter, q, answer) -> set:
    """Ids of the hidden code checks an answer passes (decided in this process from the sandbox's report)."""
    qu = load(chapter).questions[q]
    if not _REPORTS:
        _run_batch()  # first use: every answer of ANSWERS in one sandbox
    rep = _REPORTS[_key(chapter, q, answer)]
    return {c.id for c, ok, _ in codecheck.evaluate_all(qu.checks, rep) if ok}


def test_bottom_right_means_rows_and_columns_from_one():
    assert passed("04", 9, "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]])\nt2 = t*2\nt2[1:,1:]") == {"base", "doubled", "bottom_right"}
    assert passed("04", 9, "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]])*2\nt[:2,:2]") == {"base", "doubled"}
    assert passed("04", 9, "torch.tensor([[10,12],[16,18]])") == set()  # typed in, not indexed
    # doubling after selecting is the same steps in another order; a wrong selection doubled is not
    assert passed("04", 9, "2 * torch.arange(1, 10).reshape(3, 3)[1:, 1:]") == {"base", "doubled", "bottom_right"}
    assert passed("04", 9, "2 * torch.arange(1, 10).reshape(3, 3)[:2, :2]") == {"base"}
    probe = load("04").questions[9].probe
    assert runner.facts("t = torch.ones(3, 3)\nb = t[1:, 1:]\nb", probe)["final_has_subscript"] is True
    assert runner.facts("b = t[1:, 1:]\nb = torch.ones(2, 2)\nb", probe)["final_has_subscript"] is False


def test_list_comprehension_behaviour():
    assert passed("04", 4, "[x*2 for x in a if x % 2]") == {"uses_listcomp", "odd_doubled"}
    assert passed("04", 4, "[2*x for x in a if x % 2 == 0]") == {"uses_listcomp"}


def test_a_failing_line_costs_only_what_depends_on_it():
    assert passed("04", 26, "def pairs(a, b):\n    return list(zip(a, b))\n\nL(zip(a, b))") == {"pairs", "tuples", "general"}
    assert passed("04", 26, "def pairs(a, b):\n    return list(zip(a, c))\n\npairs([1], 'a')") == set()
    assert passed("04", 4, "[2*x for x in lst if x % 2 == 1]") == {"uses_listcomp", "odd_doubled"}
    rep = _REPORTS[_key("04", 26, "def pairs(a, b):\n    return list(zip(a, b))\n\nL(zip(a, b))")]
    assert rep["ok"] is False and rep["ran"] is True and rep["error"].startswith("NameError")


def test_the_book_notebook_names_are_there():
    assert passed("04", 9, "data = [[1,2,3],[4,5,6],[7,8,9]]\nt = tensor(array(data)) * 2\nt[1:,1:]") == {
        "base", "doubled", "bottom_right"}


def test_a_script_on_its_own_inputs_is_checked_as_a_function_of_them():
    loop = "x = [2, 5, 7]\ny = [3, 9, 4]\nres = 0\nfor i in range(len(x)):\n    res += x[i] * y[i]\nres"
    assert passed("08", 7, loop) == {"integers", "floats", "plain_python"}
    assert passed("08", 7, "x = [2, 5, 7]\ny = [3, 9, 4]\nsum(x) + sum(y)") == {"plain_python"}
    crosstab = "pd.crosstab(ratings['user'], ratings['movie'], values=ratings['rating'], aggfunc='sum')"
    assert passed("08", 5, crosstab) == {"ratings_in_cells", "users_rows"}
    assert runner.facts(loop, load("08").questions[7].probe)["script_function"] is True
    assert runner.facts("def f(a, b):\n    return 1", load("08").questions[7].probe)["script_function"] is False


def test_an_open_signature_is_read_one_way_for_all_its_calls():
    both = {"range_0_5_5", "other_range"}
    assert passed("06", 15, "def sigmoid_range(x, hi, lo):\n    return torch.sigmoid(x) * (hi - lo) + lo") == both
    assert passed("06", 15, "def sigmoid_range(x, range=(0, 1)):\n    return (range[1] - range[0]) * torch.sigmoid(x) + range[0]") == both
    assert passed("06", 15, "def sigmoid_range(x, lo, hi):\n    return torch.clamp(x * (hi - lo) + lo, -9, 9)") == set()  # wrong whichever way
    # a two-argument helper defined after it does not hide the function the question's own arrangement calls
    assert passed("06", 15, "def sigmoid_range(x, lo, hi):\n    return torch.sigmoid(x) * (hi - lo) + lo\n\n"
                            "def show(x, y):\n    return None") == both
    # right only for lo == 0 (the first call): no arrangement makes the second call right as well
    assert passed("06", 15, "def sigmoid_range(x, lo, hi):\n    return torch.sigmoid(x) * (hi - lo) + lo if lo == 0 else x") == {"range_0_5_5"}
    # a check never takes one call from one arrangement and another call from another
    qu = load("06").questions[15]
    good0, good1 = ({"ok": True, "v": {"t": "list", "items": [{"t": "float", "v": v} for v in c.args["expected"]]}}
                    for c in qu.checks)
    bad = {"ok": False, "error": "TypeError: no"}
    rep = {"ok": True, "has_function": True, "calls": [bad, good1], "calls_arranged": [[good0, bad], "forged"]}
    assert {c.id for c, ok, _ in codecheck.evaluate_all(qu.checks, rep) if ok} == {"range_0_5_5"}


def test_a_method_python_calls_for_you_counts_as_calling_it():
    probe = load("08").questions[13].probe
    cls = "class Bag:\n    def __init__(self, items):\n        self.items = items\n"
    uses = {
        "    def __iter__(self):\n        return iter(self.items)\nb = Bag([1])\nfor x in b:\n    print(x)": True,
        "    def __len__(self):\n        return len(self.items)\nb = Bag([1])\nlen(b)": True,
        "    def __call__(self):\n        return self.items\nb = Bag([1])\nb()": True,
        "    def size(self):\n        return len(self.items)\nb = Bag([1])\nb.size()": True,
        # an instance made and never used through its methods; a loop over a class without __iter__
        "    def size(self):\n        return len(self.items)\nb = Bag([1])\nlen(b.items)": False,
        "    def size(self):\n        return len(self.items)\nb = Bag([1])\nfor x in b:\n    pass": False,
    }
    for body, called in uses.items():
        assert runner.facts(cls + body, probe)["method_called"] is called, body


def test_plots_are_checked_through_line_data():
    assert passed("04", 34, "x = torch.linspace(-2, 2, 50)\nplt.plot(x, F.relu(x))") == {"relu_line", "range"}
    assert passed("04", 34, "x = torch.linspace(-2, 2, 50)\nplt.plot(x, torch.sigmoid(x))") == set()


def test_an_iterator_is_not_a_list_of_tuples_and_L_is_recognised():
    assert passed("04", 26, "def f(a, b):\n    return zip(a, b)") == {"pairs", "general"}
    assert passed("05", 4, "L(range(10)).filter(lambda x: x % 2 == 0).map(lambda x: x**2)") == {"values", "is_L", "L_methods"}


@pytest.mark.slow
def test_code_plus_prose_scores_both_parts():
    r = score_answer("04", 21, "x = torch.linspace(-5,5,100)\nplt.plot(x, torch.sigmoid(x))\n"
                               "It is a smooth S-shaped curve that stays between 0 and 1.")
    code_only = score_answer("04", 21, "x = torch.linspace(-5,5,100)\nplt.plot(x, torch.sigmoid(x))")
    assert "sigmoid_line" in r["credited"] and "sigmoid_line" in code_only["credited"]
    assert r["score"] >= code_only["score"]


@pytest.mark.slow
def test_every_chapter_model_answer_passes_its_checks_in_one_batch():
    items, expected = [], []
    for ch in ("04", "05", "06", "08"):
        for qu in load(ch).questions.values():
            if qu.checks:
                items.append((split_answer(qu.model_answer)[0], qu.probe))
                expected.append((ch, qu.q, qu.checks))
    reps = run_many(items)
    for (ch, q, checks), rep in zip(expected, reps):
        assert rep["ok"], (ch, q, rep.get("error"))
        assert [c.id for c in checks if not codecheck.evaluate(c, rep)[0]] == [], (ch, q)


def test_infinite_loop_times_out_as_incorrect(monkeypatch):
    rep = run_code("while True:\n    pass", {"type": "values"}, timeout=2)
    assert rep["ok"] is False and rep["timeout"] and "within 2 s" in rep["error"]
    monkeypatch.setenv(runner.CODE_TIMEOUT_ENV, "2")
    r = score_answer("04", 4, "while True:\n    pass")
    assert r["verdict"] in ("incorrect", "review") and "odd_doubled" in r["missing"]


def test_report_holds_encoded_values_and_source_facts_not_verdicts():
    rep = run_code("def f(a, b):\n    return list(zip(a, b))", {"type": "function", "args": [[[1, 2], "ab"]]}, timeout=20)
    json.dumps(rep)
    call = rep["calls"][0]
    assert call["type"] == "list" and call["v"]["t"] == "list"
    assert codecheck.value(call["v"]) == [(1, "a"), (2, "b")]
    assert rep["has_function"] is True and "zip" in rep["names"]


def test_student_print_cannot_forge_report():
    rep = run_code('print(\'{"ok": true, "comprehensions": []}\')\n[x for x in a]',
                   {"type": "listcomp", "var": "a", "inputs": [[1]]}, 20)
    assert rep["ok"] and [[codecheck.value(v) for v in p] for p in rep["comprehensions"][0]] == [[[1], [1]]]


def test_code_timeout_is_its_own_cpu_time_setting(monkeypatch):
    monkeypatch.setenv(runner.TIMEOUT_ENV, "0.5")  # what grade.py copies --check-timeout into: ignored
    monkeypatch.delenv(runner.CODE_TIMEOUT_ENV, raising=False)
    assert runner.default_timeout() == runner.DEFAULT_TIMEOUT == 20.0
    monkeypatch.setenv(runner.CODE_TIMEOUT_ENV, "7")
    assert runner.default_timeout() == 7.0


def test_a_spinning_answer_stops_at_its_cpu_limit_and_a_waiting_one_at_four_times_that_in_wall_time():
    spin, wait, quick = runner.run_many([("while True:\n    pass", {}), ("import time\ntime.sleep(60)", {}),
                                         ("x = sum(range(10))", {})], timeout=1.0)
    for report in (spin, wait):
        assert report.get("timeout") and "did not finish within 1 s of CPU time (4 s of wall time)" in report["error"]
    assert runner.last_run["seconds"][1] < 4 + 2          # the wall backstop, not the sandbox's own limit
    assert quick.get("ok") and not quick.get("timeout")


@pytest.mark.slow
def test_a_batch_runs_each_answer_in_a_fresh_process_and_keeps_the_order():
    items = [("import os\nos.environ['LEAK'] = '1'\nx = [os.getpid()]\nx", {"type": "values"}),
             ("import os\nx = [os.environ.get('LEAK', '0'), os.getpid()]\nx", {"type": "values"}),
             ("import random\nx = [random.random()]\nx", {"type": "values"}),
             ("import random\nx = [random.random()]\nx", {"type": "values"}),
             ("syntax error here", {"type": "values"}),
             ("raise SystemExit(3)", {"type": "values"})]
    reps = run_many(items, timeout=30)
    first, second = codecheck.value(reps[0]["final"]), codecheck.value(reps[1]["final"])
    assert second[0] == "0" and second[1] != first[0]            # nothing carried between answers
    assert codecheck.value(reps[2]["final"]) == codecheck.value(reps[3]["final"])  # reseeded per answer
    assert reps[4]["ok"] is False and reps[4]["error"].startswith("SyntaxError")
    assert reps[5]["ok"] is False and "SystemExit" in reps[5]["error"]


def test_a_comprehension_over_a_string_before_the_answer_costs_nothing():
    answer = "letters = [c for c in 'abc']\n[2*x for x in a if x % 2 == 1]"
    assert passed("04", 4, answer) == {"uses_listcomp", "odd_doubled"}
    assert passed("04", 4, "letters = [c for c in 'abc']") == {"uses_listcomp"}


def test_no_check_ever_raises_on_odd_reports():
    qu = load("04").questions[4]
    odd = [{"ok": True, "comprehensions": [[[{"t": "str", "v": "ab"}, {"t": "list", "items": []}]]]},
           {"ok": True, "comprehensions": "nonsense", "values": [{"t": "array", "dtype": "object", "shape": [1], "data": [1]}]},
           {"ok": True, "calls": [{"ok": True, "v": {"t": "array", "dtype": "float64", "shape": [3], "data": [1]}}]},
           {"ok": True, "lines": [{"x": {"t": "float", "v": 1.0}}], "params": {"w": {"t": "list", "items": 3}}}]
    checks = [c for q in load("04").questions.values() for c in q.checks] + [c for q in load("08").questions.values() for c in q.checks]
    checks.append(CodeCheck("bogus", "no-such-kind", 1, ""))
    for rep in odd:
        for c in checks:
            ok, _ = codecheck.evaluate(c, rep)
            assert ok is False or c.kind == "uses", (c, rep)
    assert qu.checks


@pytest.mark.parametrize("text", STUDENT_FORMS)
def test_code_as_students_write_it_is_found_and_run(text):
    assert passed("04", 4, text) == {"uses_listcomp", "odd_doubled"}


@pytest.mark.slow
def test_fenced_code_reaches_the_runner_through_the_scorer():
    text = STUDENT_FORMS[1]
    assert {"uses_listcomp", "odd_doubled"} <= set(score_answer("04", 4, text)["credited"])


def test_split_answer():
    code, prose = split_answer("x = torch.linspace(-5,5,100)\nplt.plot(x, torch.sigmoid(x))\nIt is S shaped.")
    assert "plt.plot" in code and prose == "It is S shaped."
    assert split_answer("```python\nx = 1\n```\nDone.") == ("x = 1", "Done.")
    assert split_answer("```py\nx = 1\nx + 1") == ("x = 1\nx + 1", "")           # unclosed fence
    assert split_answer("~~~\ny = 2\n~~~") == ("y = 2", "")
    assert split_answer(">>> def f(x):\n...     return x*2\n...\n>>> f(2)\n4") == ("def f(x):\n    return x*2\nf(2)", "")
    assert split_answer("t = tensor([1, 2])\n>> tensor([1, 2])\nt2 = t*2\n>> tensor([2, 4])")[0] == "t = tensor([1, 2])\nt2 = t*2"
    assert split_answer("```python\nt = tensor([[1, 2],\n               [3, 4]])\nprint(t)\n>> tensor([[1, 2],\n\t\t[3, 4]])\n"
                        "t[1:]\n>> tensor([[3, 4]])\n```") == ("t = tensor([[1, 2],\n               [3, 4]])\nprint(t)\nt[1:]", "")
    assert split_answer("In [3]: t*2\nOut[3]: tensor([2, 4])") == ("t*2", "")
    assert split_answer("Use `torch.sigmoid` here.") == ("", "Use torch.sigmoid here.")
    assert split_answer("Write `y = f(x)` then.") == ("y = f(x)", "Write y = f(x) then.")
    assert split_answer("```text\nsome output\n```\n```python\nz = 3\n```") == ("z = 3", "some output")
    assert split_answer("") == ("", "")


def test_cli_roundtrip(tmp_path):
    import argparse
    inp, out = tmp_path / "a.jsonl", tmp_path / "s.jsonl"
    inp.write_text(json.dumps({"chapter": "04", "q": 29, "answer": "matrix multiplication"}) + "\n"
                   + json.dumps({"chapter": "04", "q": 12, "answer": ""}) + "\n")
    p = argparse.ArgumentParser()
    add_parser(p.add_subparsers(dest="command"))
    args = p.parse_args(["quiz", "score", "--in", str(inp), "--out", str(out)])
    assert run(args) == 0
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert rows[0]["verdict"] in ("correct", "review") and rows[1]["verdict"] == "incorrect"
    assert rows[0]["answer"] == "matrix multiplication" and 0 <= rows[0]["score"] <= 1 and rows[0]["feedback"]


def test_without_bubblewrap_code_is_refused_unless_the_sandbox_is_off(monkeypatch, capfd):
    monkeypatch.setattr(sandbox, "available", lambda: (False, "bwrap is missing (test)"))
    monkeypatch.delenv(runner.SANDBOX_ENV, raising=False)
    with pytest.raises(sandbox.SandboxUnavailable):
        run_code("x = [1]\nx", {"type": "values"})
    monkeypatch.setenv(runner.SANDBOX_ENV, "off")
    ok, leaky = run_many([("x = [1, 2]\nx", {"type": "values"}), ("raise ValueError(open(__file__).read())", {"type": "values"})],
                         timeout=20)
    assert ok["ok"] and codecheck.value(ok["final"]) == [1, 2] and runner.last_run["sandboxed"] is False
    assert leaky["error"] == "NameError"  # outside the sandbox an error is reported by its type only
    assert "WITHOUT a sandbox" in capfd.readouterr().err


def test_malformed_values_from_the_sandbox_are_not_decoded():
    deep = {"t": "list", "items": []}
    for _ in range(12):
        deep = {"t": "list", "items": [deep]}
    bad = [{"t": "array", "dtype": "object", "shape": [1], "data": [1]},
           {"t": "array", "dtype": "float64", "shape": [2, 2], "data": [1.0]},
           {"t": "array", "dtype": "V999999999", "shape": [1], "data": [1]},
           {"t": "int", "v": 10 ** 100},
           deep,
           {"t": "sample", "dtype": "float64", "shape": [10 ** 15], "data": [1.0], "sum": "x", "abssum": 1},
           {"t": "str", "v": 3}, {"t": "pickle", "v": "..."}, "text", None]
    for e in bad:
        assert codecheck.value(e) is None, e
        assert runner._enc_or_other(e) == {"t": "other", "type": "unreadable"}


def test_score_many_runs_every_code_answer_in_one_sandbox_and_agrees_with_score_answer(monkeypatch):
    """A whole questionnaire: one sandbox start for its code answers, the same results as one by one."""
    from autograde.quiz import scorer
    calls = []
    real_run_many = runner.run_many
    monkeypatch.setattr(runner, "run_many", lambda items, **kw: calls.append(len(items)) or real_run_many(items, **kw))
    items = [("04", 4, "[x*2 for x in a if x % 2]"), ("04", 9, "```python\nt = torch.tensor([[1,2,3],[4,5,6],[7,8,9]])*2\nt[1:,1:]\n```"),
             ("04", 18, "The gradient tells how the loss changes when a weight changes."), ("04", 12, "")]
    many = scorer.score_many(items)
    assert calls == [2]  # the two code answers, together
    assert [r["verdict"] for r in many] == [r["verdict"] for r in (scorer.score_answer(*it) for it in items)]
    assert many[3]["verdict"] == "incorrect" and {"uses_listcomp", "odd_doubled"} <= set(many[0]["credited"])


def test_cli_scores_the_good_lines_and_names_the_bad_ones(tmp_path, capsys):
    import argparse
    inp, out = tmp_path / "a.jsonl", tmp_path / "s.jsonl"
    inp.write_text(json.dumps({"chapter": "04", "q": 29, "answer": "matrix multiplication"}) + "\nnot json\n"
                   + json.dumps({"chapter": "04", "q": 99, "answer": "x"}) + "\n")
    p = argparse.ArgumentParser()
    add_parser(p.add_subparsers(dest="command"))
    assert run(p.parse_args(["quiz", "score", "--in", str(inp), "--out", str(out)])) == 1
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["q"] == 29
    err = capsys.readouterr().err
    assert "line 2:" in err and "line 3:" in err and "no question 99" in err
