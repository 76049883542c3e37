"""`autograde report`: item analysis, distribution plot, and the LMS CSV where a missing submission is not a zero."""
import argparse
import base64
import csv
import json
import re
import shutil

import numpy as np
import pytest

from autograde import classreport
from autograde.cli import main
from tests.toy_course import ASSIGNMENT, REPO, make_course, submission


def _student(status, cells, total=None, timestamp="2026-01-01T10:00:00", reason=""):
    scored = {gid: {"score": s, "max": m, "status": st, "message": msg} for gid, (s, m, st, msg) in cells.items()}
    if total is None and status != "missing":
        total = sum(c["score"] for c in scored.values())
    return {"status": status, "total": total, "max": 3.0, "timestamp": timestamp, "reason": reason, "cells": scored}


@pytest.fixture
def data():
    cells = [{"id": "c1", "notebook": "nb", "title": "Exercise 1", "max": 2.0},
             {"id": "c2", "notebook": "nb", "title": "Question 04-02: what?", "max": 1.0}]
    students = {
        "ann": _student("graded", {"c1": (2.0, 2.0, "passed", ""), "c2": (1.0, 1.0, "passed", "")}),
        "ben": _student("graded", {"c1": (1.0, 2.0, "partial", "a: got 1; b: got 2"), "c2": (0.0, 1.0, "timeout", "hung")}),
        "cat": _student("graded", {"c1": (0.0, 2.0, "error", "NameError: x"), "c2": (0.0, 1.0, "review", "unsure")}),
        "dan": _student("graded", {"c1": (2.0, 2.0, "passed", ""), "c2": (0.0, 1.0, "failed", "")}),
        "<eve>": _student("missing", {"c1": (None, 2.0, "missing", ""), "c2": (None, 1.0, "missing", "")},
                          timestamp="", reason="no submission"),
    }
    return {"assignment": "demo", "cells": cells, "students": students}


def test_item_analysis_over_submitted_work_only(data):
    rows = {r["id"]: r for r in classreport.item_analysis(data)}
    c1, c2 = rows["c1"], rows["c2"]
    assert c1["n"] == c2["n"] == 4  # the missing submission is left out, not counted as zero
    assert c1["mean"] == pytest.approx(1.25) and c1["mean_fraction"] == pytest.approx(0.625)
    assert c1["full"] == pytest.approx(0.5) and c1["error"] == pytest.approx(0.25) and c1["timeout"] == 0
    assert c2["timeout"] == pytest.approx(0.25) and c2["review"] == pytest.approx(0.25)
    scores, rest = [2, 1, 0, 2], [1, 0, 0, 0]  # c1 against the rest of each total
    assert c1["discrimination"] == pytest.approx(np.corrcoef(scores, rest)[0, 1])


def test_discrimination_is_undefined_when_nobody_differs(data):
    for s in data["students"].values():
        if s["status"] != "missing":
            s["cells"]["c2"]["score"] = 1.0
            s["total"] = s["cells"]["c1"]["score"] + 1.0
    assert {r["id"]: r["discrimination"] for r in classreport.item_analysis(data)}["c2"] is None


def test_csv_has_a_column_per_cell_and_missing_is_empty_not_zero(data, tmp_path):
    out = tmp_path / "grades.csv"
    classreport.write_csv(data, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    by = {r["student"]: r for r in rows}
    assert list(rows[0])[:6] == ["student", "status", "total", "max", "timestamp", "reason"]
    assert {"c1", "c1 status", "c1 message", "c2", "c2 status", "c2 message"} <= set(rows[0])
    assert by["<eve>"]["status"] == "missing" and by["<eve>"]["total"] == "" and by["<eve>"]["c1"] == ""
    assert by["<eve>"]["c1 status"] == "missing"
    assert by["cat"]["c1"] == "0" and by["cat"]["c1 status"] == "error" and by["cat"]["total"] == "0"
    assert by["ben"]["c1 message"] == "a: got 1 | b: got 2" and by["ben"]["timestamp"] == "2026-01-01T10:00:00"


def test_csv_neutralises_spreadsheet_formulas(data, tmp_path):
    data["students"]["ann"]["cells"]["c1"]["message"] = "=HYPERLINK(\"http://x\")"
    out = tmp_path / "grades.csv"
    classreport.write_csv(data, out)
    assert {r["student"]: r for r in csv.DictReader(out.open())}["ann"]["c1 message"].startswith("'=")


def test_html_embeds_a_distribution_plot_and_escapes_names(data):
    page = classreport.render_html(data)
    png = re.search(r"src='data:image/png;base64,([^']+)'", page)
    assert png and base64.b64decode(png.group(1)).startswith(b"\x89PNG")
    assert "&lt;eve&gt;" in page and "<eve>" not in page
    assert "4 submitted, 1 missing" in page
    assert "Question 04-02: what?" in page and "discrimination" in page


@pytest.fixture(scope="module")
def toy_report(tmp_path_factory):
    """A toy course graded for three students, with a fourth on the roster who submitted nothing."""
    from nbgrader.api import Gradebook

    course = make_course(tmp_path_factory.mktemp("report"))
    found = REPO / "student" / "nbgrader_config.py"
    if found.is_file():
        (course / "student").mkdir(exist_ok=True)
        shutil.copy(found, course / "student" / found.name)
    mp = pytest.MonkeyPatch()
    mp.chdir(course)
    try:
        assert main(["release"]) == 0
        right = {"ex_double": "def double(x):\n    return x * 2", "ex_mean": "def mean_rows(t):\n    return t.mean(-1)"}
        submission(course, "alice", right)
        submission(course, "bob", {**right, "ex_double": "def double(x):\n    return x + x if isinstance(x, int) else 0"})
        submission(course, "frank", {})
        (course / "submitted" / "alice" / ASSIGNMENT / "timestamp.txt").write_text("2026-01-02 10:00:00.000000 UTC")
        assert main(["grade", ASSIGNMENT, "--json", "grades.json", "--check-timeout", "5", "--sandbox", "off", "--jobs", "1"]) == 0
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            gb.add_student("zed")
        parser = argparse.ArgumentParser()
        classreport.add_parser(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["report", ASSIGNMENT, "--out", "report.html", "--csv", "grades.csv"])
        assert args.func(args, course) == 0
    finally:
        mp.undo()
    return course, json.loads((course / "grades.json").read_text())


@pytest.mark.slow
def test_class_report_of_a_graded_course(toy_report):
    course, grades = toy_report
    rows = {r["student"]: r for r in csv.DictReader((course / "grades.csv").open(encoding="utf-8"))}
    assert set(rows) == {"alice", "bob", "frank", "zed"}
    for student in ("alice", "bob", "frank"):
        assert float(rows[student]["total"]) == grades[student]["total"]
        for gid, cell in grades[student]["cells"].items():
            assert float(rows[student][gid]) == cell["score"] and rows[student][f"{gid} status"] == cell["status"]
    assert rows["alice"]["timestamp"].startswith("2026-01-02T10:00:00") and rows["frank"]["timestamp"] == ""
    assert rows["zed"]["status"] == "missing" and rows["zed"]["total"] == "" and rows["zed"]["test_double"] == ""
    assert rows["bob"]["test_double status"] == "partial" and "double of a string" in rows["bob"]["test_double message"]
    page = (course / "report.html").read_text()
    assert "data:image/png;base64," in page and "3 submitted, 1 missing" in page
    double = re.search(r"<code>test_double</code>.*?</tr>", page).group(0)
    assert "33%" in double  # one of three has full marks


def test_cli_table_lists_only_cells_that_lost_points():
    from rich.console import Console

    from autograde import report

    results = {"ann": {"total": 6.0, "max": 8.0, "status": "graded", "cells": {
        "q04_01": {"score": 3.0, "max": 4.0, "status": "passed", "message": ""},
        "q04_02": {"score": 3.0, "max": 4.0, "status": "partial", "message": "x"},
        "q04_03": {"score": 0.0, "max": 0.0, "status": "passed", "message": ""}}}}
    console = Console(record=True, width=200)
    report.print_table("04_questionnaire", results, console)
    text = console.export_text()
    assert "q04_02 3/4 (partial)" in text and "q04_01" not in text
