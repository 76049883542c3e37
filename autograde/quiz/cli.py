"""CLI glue: `autograde quiz score --in answers.jsonl --out scored.jsonl`."""
from __future__ import annotations

import argparse
import json
import sys


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `quiz` command (with its `score` subcommand) to an argparse subparsers object."""
    quiz = subparsers.add_parser("quiz", help="grade questionnaire answers")
    quiz.set_defaults(func=run, quiz_cmd=None)
    sub = quiz.add_subparsers(dest="quiz_cmd")
    sc = sub.add_parser("score", help="score a JSONL file of answers")
    sc.add_argument("--in", dest="inp", required=True, help="answers.jsonl: {chapter, q, answer} per line ('-' for stdin)")
    sc.add_argument("--out", dest="out", required=True, help="scored.jsonl ('-' for stdout)")
    sc.add_argument("--no-code", action="store_true", help="skip running code answers (their checks fail)")
    sc.set_defaults(func=run, quiz_cmd="score")
    return quiz


def run(args) -> int:
    """Execute the parsed `quiz` command; returns an exit code."""
    if getattr(args, "quiz_cmd", None) != "score":
        print("usage: autograde quiz score --in answers.jsonl --out scored.jsonl", file=sys.stderr)
        return 2
    from .scorer import batch, score_answer
    src = sys.stdin if args.inp == "-" else open(args.inp, encoding="utf-8")
    try:
        lines = list(enumerate(src, 1))
    finally:
        if src is not sys.stdin:
            src.close()
    recs, bad = [], 0
    for n, line in lines:
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            recs.append((n, rec, (str(rec["chapter"]), int(rec["q"]), rec.get("answer", ""))))
        except (ValueError, KeyError, TypeError) as e:
            print(f"line {n}: {e}", file=sys.stderr)
            bad += 1
    run_code = not getattr(args, "no_code", False)
    dst = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    try:
        # the whole file at once: code answers run together in one sandbox, texts embedded in one pass
        with batch([item for _, _, item in recs], run_code_checks=run_code):
            for n, rec, (ch, q, answer) in recs:
                try:
                    res = score_answer(ch, q, answer, run_code_checks=run_code)
                except (ValueError, KeyError, TypeError) as e:
                    print(f"line {n}: {e}", file=sys.stderr)
                    bad += 1
                    continue
                rec.update(score=res["score"], verdict=res["verdict"], feedback=res["feedback"],
                           points=res["points"], max=res["max"])
                dst.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        if dst is not sys.stdout:
            dst.close()
    return 1 if bad else 0


def main(argv=None) -> int:
    """Stand-alone entry: python -m autograde.quiz.cli score --in ... --out ..."""
    p = argparse.ArgumentParser(prog="autograde")
    add_parser(p.add_subparsers(dest="command"))
    args = p.parse_args(["quiz", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
