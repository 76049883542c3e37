"""`autograde report ASSIGNMENT`: the class view of one assignment, from the gradebook and the graded notebooks.

An HTML page with the distribution of totals (a matplotlib histogram, embedded as PNG) and an item analysis
per graded cell (question): mean score, share with full marks, share timed out / in error / for review, and
discrimination (the corrected item-total correlation: the cell's score against the rest of the total, which
is the point-biserial correlation for a cell scored all or nothing). `--csv` writes one row per student for an
LMS: total, status, reason, timestamp, then score, status and message of every cell; a student on the roster
without a submission has empty scores and status "missing", never 0.
"""
from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import math
from pathlib import Path

from . import course, notebooks

FLAGS = ("timeout", "error", "review")


def _cells(root: Path, assignment: str, gb) -> list[dict]:
    """Every grade cell of the assignment in notebook order: grade_id, notebook, title, max points."""
    from .nbsteps import cell_titles

    cells, seen = [], set()
    for nb in sorted(gb.find_assignment(assignment).notebooks, key=lambda n: n.name):
        points = {cell.name: float(cell.max_score) for cell in nb.grade_cells}
        released = Path(root) / "release" / assignment / f"{nb.name}.ipynb"
        order, titles = [], {}
        if released.is_file():
            shown = notebooks.read(released)
            titles = cell_titles(shown)
            order = [notebooks.grade_id(c) for c in shown.cells if notebooks.grade_id(c) in points]
        for gid in order + sorted(set(points) - set(order)):
            if gid not in seen:
                seen.add(gid)
                cells.append({"id": gid, "notebook": nb.name, "title": titles.get(gid, gid), "max": points[gid]})
    return cells


def class_results(root: Path, assignment: str) -> dict:
    """{"cells": [...], "students": {id: {status, total, max, timestamp, reason, cells: {gid: {score, max, status,
    message}}}}}; a student without a submission has status 'missing' and scores None."""
    from nbgrader.api import Gradebook, MissingEntry

    from .grading.collect import read_graded

    course.check_assignment(root, assignment)
    db_url = course.load_config(root).CourseDirectory.db_url
    with Gradebook(db_url) as gb:
        try:
            cells = _cells(root, assignment, gb)
        except MissingEntry:
            raise course.CourseError(f"{assignment} is not in the gradebook yet; run `autograde grade {assignment}`") from None
        total_max = round(sum(c["max"] for c in cells), 4)
        students = {}
        for student in sorted(s.id for s in gb.students):
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                students[student] = {"status": "missing", "total": None, "max": total_max, "timestamp": "",
                                     "reason": "no submission",
                                     "cells": {c["id"]: {"score": None, "max": c["max"], "status": "missing", "message": ""}
                                               for c in cells}}
                continue
            graded_copy = read_graded(root, assignment, student)
            typed, reasons = graded_copy.verdicts, graded_copy.reasons
            graded = {}
            for nb in submission.notebooks:
                for grade in nb.grades:
                    verdict = typed.get(grade.name, {})
                    if grade.manual_score is not None:
                        status = "manual"
                    elif grade.needs_manual_grade and verdict.get("status") not in FLAGS:
                        status = "review"
                    else:
                        status = verdict.get("status") or ("passed" if grade.score == grade.max_score else "failed")
                    graded[grade.name] = {"score": float(grade.score or 0.0), "max": float(grade.max_score),
                                          "status": status, "message": verdict.get("message", "")}
            for c in cells:
                graded.setdefault(c["id"], {"score": 0.0, "max": c["max"], "status": "missing",
                                            "message": "no graded notebook holds this cell"})
            status = "graded" if typed else "ungraded"
            if reasons:
                status = "incomplete"
            students[student] = {
                "status": status, "total": round(sum(g["score"] for g in graded.values()), 4), "max": total_max,
                "timestamp": submission.timestamp.isoformat() if submission.timestamp else "",
                "reason": "; ".join(reasons), "cells": graded}
    return {"assignment": assignment, "cells": cells, "students": students}


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson correlation, None when either side does not vary (or fewer than 3 students)."""
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def item_analysis(data: dict) -> list[dict]:
    """Per cell, over submitted work (missing submissions left out): n, mean score, mean fraction, share with full
    marks, shares timed out / in error / for review, and discrimination (cell score vs the rest of the total)."""
    submitted = [s for s in data["students"].values() if s["status"] != "missing"]
    rows = []
    for cell in data["cells"]:
        scores = [s["cells"][cell["id"]]["score"] for s in submitted]
        statuses = [s["cells"][cell["id"]]["status"] for s in submitted]
        rest = [s["total"] - sc for s, sc in zip(submitted, scores)]
        n = len(scores)
        row = {"id": cell["id"], "title": cell["title"], "max": cell["max"], "n": n,
               "mean": sum(scores) / n if n else None,
               "mean_fraction": sum(scores) / n / cell["max"] if n and cell["max"] else None,
               "full": sum(sc >= cell["max"] - 1e-9 for sc in scores) / n if n else None,
               "discrimination": _correlation(scores, rest)}
        for flag in FLAGS:
            row[flag] = sum(st == flag for st in statuses) / n if n else None
        rows.append(row)
    return rows


def histogram_png(totals: list[float], most: float, title: str) -> str:
    """Base64 PNG of the distribution of totals (matplotlib's object API, Agg canvas: no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.5), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bins = max(5, min(20, int(most) or 5))
    ax.hist(totals, bins=bins, range=(0, most or 1), color="#4C72B0", edgecolor="white")
    ax.set_xlabel(f"total score (of {most:g})")
    ax.set_ylabel("students")
    ax.set_title(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _pct(x) -> str:
    return "" if x is None else f"{100 * x:.0f}%"


def _num(x, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def render_html(data: dict) -> str:
    """The class report as one self-contained HTML page (every name and message escaped)."""
    e = html.escape
    students = data["students"]
    submitted = {k: s for k, s in students.items() if s["status"] != "missing"}
    totals = [s["total"] for s in submitted.values()]
    most = sum(c["max"] for c in data["cells"])
    items = item_analysis(data)
    mean = sum(totals) / len(totals) if totals else None
    median = sorted(totals)[len(totals) // 2] if totals else None
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Class report: {e(data['assignment'])}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:75em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}"
        "td.l,th.l{text-align:left}td.msg{text-align:left;max-width:40em;white-space:pre-wrap}"
        ".low{background:#fde2e1}</style></head><body>",
        f"<h1>Class report: {e(data['assignment'])}</h1>",
        f"<p>{len(students)} students on the roster, {len(submitted)} submitted, "
        f"{len(students) - len(submitted)} missing. Mean total {_num(mean)} of {most:g}, median {_num(median)}.</p>",
    ]
    if totals:
        parts.append(f"<img alt='distribution of totals' src='data:image/png;base64,"
                     f"{histogram_png(totals, most, 'Distribution of totals (submitted work)')}'>")
    parts.append("<h2>Item analysis</h2><p>Over submitted work. Discrimination: correlation of the cell's score "
                 "with the rest of the total (point-biserial for all-or-nothing cells); below 0.2 is shaded: the cell "
                 "separates strong from weak work poorly, or the key may be wrong.</p>")
    parts.append("<table><tr><th class='l'>cell</th><th class='l'>title</th><th>points</th><th>n</th><th>mean</th>"
                 "<th>mean %</th><th>full marks</th><th>timeout</th><th>error</th><th>review</th>"
                 "<th>discrimination</th></tr>")
    for row in items:
        low = row["discrimination"] is not None and row["discrimination"] < 0.2
        parts.append(
            f"<tr><td class='l'><code>{e(row['id'])}</code></td><td class='l'>{e(row['title'])}</td>"
            f"<td>{row['max']:g}</td><td>{row['n']}</td><td>{_num(row['mean'])}</td><td>{_pct(row['mean_fraction'])}</td>"
            f"<td>{_pct(row['full'])}</td><td>{_pct(row['timeout'])}</td><td>{_pct(row['error'])}</td>"
            f"<td>{_pct(row['review'])}</td><td{' class=low' if low else ''}>{_num(row['discrimination'])}</td></tr>")
    parts.append("</table><h2>Students</h2><table><tr><th class='l'>student</th><th>total</th><th class='l'>status</th>"
                 "<th class='l'>submitted</th><th class='l'>cells that lost points</th></tr>")
    for student, s in students.items():
        lost = [f"{gid} {c['score']:g}/{c['max']:g} ({c['status']})" for gid, c in s["cells"].items()
                if c["score"] is not None and c["status"] != "passed" and c["score"] < c["max"] - 1e-9]
        total = "" if s["total"] is None else f"{s['total']:g} / {s['max']:g}"
        note = s["reason"] if s["status"] in ("missing", "incomplete") else "; ".join(lost)
        parts.append(f"<tr><td class='l'>{e(student)}</td><td>{total}</td><td class='l'>{e(s['status'])}</td>"
                     f"<td class='l'>{e(s['timestamp'])}</td><td class='msg'>{e(note)}</td></tr>")
    parts.append("</table></body></html>\n")
    return "".join(parts)


def csv_rows(data: dict) -> list[list[str]]:
    """Header and one row per student: student, status, total, max, timestamp, reason, then per cell its score,
    status and message. A missing submission leaves every score empty (not 0) with status 'missing'."""
    header = ["student", "status", "total", "max", "timestamp", "reason"]
    for cell in data["cells"]:
        header += [cell["id"], f"{cell['id']} status", f"{cell['id']} message"]
    rows = [header]
    for student, s in data["students"].items():
        row = [student, s["status"], "" if s["total"] is None else f"{s['total']:g}", f"{s['max']:g}", s["timestamp"],
               s["reason"]]
        for cell in data["cells"]:
            c = s["cells"][cell["id"]]
            row += ["" if c["score"] is None else f"{c['score']:g}", c["status"], " | ".join(c["message"].split("; "))]
        rows.append(row)
    return rows


def write_csv(data: dict, path: Path) -> None:
    """Write csv_rows to `path` (UTF-8; spreadsheet formulas neutralised: a leading = + - @ gets a quote)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in csv_rows(data):
            writer.writerow([("'" + v) if isinstance(v, str) and v[:1] in ("=", "+", "@") else v for v in row])


def _run(args, root) -> int:
    data = class_results(root, args.assignment)
    out = Path(args.out or f"{args.assignment}-report.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    print(f"wrote {out}")
    if args.csv:
        write_csv(data, Path(args.csv))
        print(f"wrote {args.csv}")
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the `report` command to the `autograde` subparsers."""
    parser = sub.add_parser("report", help="class report of an assignment: HTML (distribution, item analysis), --csv for an LMS")
    parser.add_argument("assignment")
    parser.add_argument("--out", default=None, help="HTML file to write (default: ASSIGNMENT-report.html)")
    parser.add_argument("--csv", default=None, help="also write one row per student, one column per cell, to this CSV file")
    parser.set_defaults(func=_run)
    return parser
