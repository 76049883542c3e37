import json

import pytest

from autograde.quiz.prose import score_prose
from autograde.quiz.rubric import RUBRIC_DIR, chapters, load

CODE_QS = {4, 9, 21, 25, 26, 33, 34}


def test_chapter4_has_37_questions_in_book_order():
    r = load("04")
    assert sorted(r.questions) == list(range(1, 38))
    assert load(4) is r


def test_every_question_is_complete():
    r = load("04")
    for q in r.questions.values():
        assert q.question and q.topic and q.model_answer and q.points > 0
        assert q.kind in ("prose", "code", "code+prose")
        for i in q.ideas:
            assert i.points > 0 and i.any and i.hint and i.label
        for m in q.misconceptions:
            assert m.penalty > 0 and m.any and m.hint
        if q.kind != "prose":
            assert q.q in CODE_QS
    assert {q.q for q in r.questions.values() if q.kind != "prose"} == CODE_QS


def test_hints_do_not_contain_accepted_phrasings():
    r = load("04")
    for q in r.questions.values():
        for i in q.ideas:
            for p in i.any:
                if len(p.split()) >= 2 and "|" not in p and "*" not in p:
                    assert p.replace("_", " ") not in i.hint.lower(), (q.q, i.id)


def test_rubric_file_is_plain_json():
    data = json.loads((RUBRIC_DIR / "04.json").read_text())
    assert data["chapter"] == "04" and len(data["questions"]) == 37


@pytest.mark.parametrize("chapter", chapters())
def test_a_hint_fed_as_an_answer_does_not_earn_its_idea(chapter):
    """A hint may not earn its own idea (issue 12): feedback never hands out the credit it asks for."""
    r = load(chapter)
    earned = [(q.q, i.id, i.hint) for q in r.questions.values() for i in q.ideas
              if i in score_prose(q, r, i.hint).credited]
    assert earned == [], "reword these hints in autograde/quiz/rubrics/%s.json so they ask, not tell" % chapter


def test_a_probe_arrangement_may_name_only_the_probes_arguments():
    from autograde.quiz.rubric import Question, _check_arrangements

    def question(ways):
        return Question(q=1, topic="t", question="q", kind="code", model_answer="",
                        probe={"type": "function", "args": [[1, 2, 3]], "arrangements": ways})

    _check_arrangements("06", question([[0, 1, 2], [0, 2, 1], [0, [1, 2]]]))
    for bad in ([[0, 1, 3]], [[0, [1, 5]]], [["x"]], [[]], [[True, 1, 2]]):
        with pytest.raises(ValueError, match="chapter 06 question 1: probe arrangement"):
            _check_arrangements("06", question(bad))
