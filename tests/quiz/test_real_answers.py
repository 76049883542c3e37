"""Grouped-CV figures on the real labelled answers (../shared/quiz-dev), when that set is present."""
import json
from pathlib import Path

import pytest

from autograde.quiz import combiner, semantic

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "quiz-dev"

# floors a little below what leave-one-learner-out CV reaches (see bench/quiz_bench.py)
FLOOR = {"accuracy": 0.85, "qwk": 0.57, "review_max": 0.15, "incorrect_as_correct_max": 10}


def test_calibration_holds_no_answer_text():
    def strict(constant):
        raise AssertionError(f"calibration.json holds {constant}, which strict JSON readers refuse")
    data = json.loads(combiner.CALIBRATION.read_text(encoding="utf-8"), parse_constant=strict)
    assert set(data["models"]) >= {"full", "lexical", "multilingual"}
    for m in data["models"].values():
        assert len(m["coef"]) == 3 and all(len(c) == len(m["features"]) for c in m["coef"])
        assert all(isinstance(v, (int, float)) for st in m["qstats"].values() for v in st.values())
    if (SHARED / "answers.jsonl").exists():
        text = combiner.CALIBRATION.read_text(encoding="utf-8")
        for line in (SHARED / "answers.jsonl").read_text(encoding="utf-8").splitlines()[::7]:
            ans = json.loads(line)["answer"].strip()
            if len(ans) > 25:
                assert ans[:25] not in text


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "answers.jsonl").exists(), reason="no ../shared/quiz-dev")
def test_grouped_cv_figures_stay_above_floor(tmp_path, monkeypatch):
    from autograde.quiz import calibrate as cal
    monkeypatch.setenv(semantic.ENV, "1")  # the quiz tests switch the model off by default; these figures need it
    semantic.reset()
    if not semantic.available():
        pytest.skip("sentence model not installed")
    data = cal.load_shared(SHARED)
    real, trans = data["answers"], data["translated"]
    rf = cal.extract(real, cal.cache_path())
    tf = cal.extract(trans, cal.cache_path())
    ds = cal.Dataset(real, rf, [], [], trans, tf)
    preds = cal.cross_validate(ds, real, rf)
    m = cal.metrics(real, preds)
    assert m["accuracy"] >= FLOOR["accuracy"], m
    assert m["qwk"] >= FLOOR["qwk"], m
    assert m["review"] <= FLOOR["review_max"], m
    assert m["incorrect_as_correct"] <= FLOOR["incorrect_as_correct_max"], m
    # learner groups never mix: every evaluated learner is absent from its training fold
    assert len({cal.learner(r["source"]) for r in real}) == 13
    tp = cal.cross_validate(ds, trans, tf)
    tm = cal.metrics(trans, tp)
    # Thai / Chinese: graded or sent to review, never a silent blanket zero
    assert sum(p[0] == "incorrect" for p in tp) < len(trans) / 2, tm
    monkeypatch.undo()
    semantic.reset()


def test_learner_is_owner_or_host():
    from autograde.quiz.calibrate import learner
    assert learner("github:someone/repo@abc123:path/file.md") == "someone"
    assert learner("https://example.org/page") == "example.org"
    assert learner("translation made for this dev set; original: github:other/x@1:y") == "other"
