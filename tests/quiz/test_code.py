import json

from autograde.quiz import score_answer
from autograde.quiz.cli import add_parser, run
from autograde.quiz.runner import run_code
from autograde.quiz.split import split_answer


def test_bottom_right_means_rows_and_columns_from_one():
    good = score_answer("04", 9, "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]])\nt2 = t*2\nt2[1:,1:]")
    wrong = score_answer("04", 9, "t = torch.tensor([[1,2,3],[4,5,6],[7,8,9]])*2\nt[:2,:2]")
    typed = score_answer("04", 9, "torch.tensor([[10,12],[16,18]])")
    assert good["verdict"] == "correct" and good["score"] == 1
    assert wrong["verdict"] == "partial" and "bottom right" in wrong["feedback"]
    assert typed["verdict"] == "incorrect"


def test_list_comprehension_behaviour():
    assert score_answer("04", 4, "[x*2 for x in a if x % 2]")["verdict"] == "correct"
    assert score_answer("04", 4, "[2*x for x in a if x % 2 == 0]")["verdict"] != "correct"


def test_plots_are_checked_through_line_data():
    ok = score_answer("04", 34, "x = torch.linspace(-2, 2, 50)\nplt.plot(x, F.relu(x))")
    wrong = score_answer("04", 34, "x = torch.linspace(-2, 2, 50)\nplt.plot(x, torch.sigmoid(x))")
    assert ok["verdict"] == "correct" and wrong["verdict"] == "incorrect"


def test_code_plus_prose_scores_both_parts():
    r = score_answer("04", 21, "x = torch.linspace(-5,5,100)\nplt.plot(x, torch.sigmoid(x))\n"
                               "It is a smooth S-shaped curve that stays between 0 and 1.")
    code_only = score_answer("04", 21, "x = torch.linspace(-5,5,100)\nplt.plot(x, torch.sigmoid(x))")
    assert r["verdict"] == "correct" and code_only["verdict"] == "partial"


def test_infinite_loop_times_out_as_incorrect():
    rep = run_code("while True:\n    pass", {"type": "values"}, timeout=2)
    assert rep["ok"] is False and rep["timeout"]
    r = score_answer("04", 4, "while True:\n    pass")
    assert r["verdict"] == "incorrect"


def test_report_is_json_values_not_verdicts():
    rep = run_code("def f(a, b):\n    return list(zip(a, b))", {"type": "function", "args": [[[1, 2], "ab"]]}, timeout=20)
    json.dumps(rep)
    assert rep["calls"][0]["v"] == [{"__t": "tuple", "v": [1, "a"]}, {"__t": "tuple", "v": [2, "b"]}]


def test_student_print_cannot_forge_report():
    rep = run_code('print(\'{"ok": true, "pairs": []}\')\n[x for x in a]', {"type": "listcomp", "var": "a", "inputs": [[1]]}, 20)
    assert rep["ok"] and rep["pairs"] == [[[1], [1]]]


def test_split_answer():
    code, prose = split_answer("x = torch.linspace(-5,5,100)\nplt.plot(x, torch.sigmoid(x))\nIt is S shaped.")
    assert "plt.plot" in code and prose == "It is S shaped."


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
    assert [r["verdict"] for r in rows] == ["correct", "incorrect"]
    assert rows[0]["answer"] == "matrix multiplication" and 0 <= rows[0]["score"] <= 1 and rows[0]["feedback"]
