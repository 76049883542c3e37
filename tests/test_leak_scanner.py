"""The leak scanner itself: it must find what is there, refuse to prove anything from nothing, and read
the rubric's phrasing syntax instead of skipping it (issue 12)."""
import json

import nbformat
import pytest

from autograde import leaks, notebooks
from tests.paths import REPO

HIDDEN = "### BEGIN HIDDEN TESTS\n{body}\n### END HIDDEN TESTS"
SOLUTION = "### BEGIN SOLUTION\n{body}\n### END SOLUTION"


def make_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, str(path))
    return path


# --- find_leaks ---------------------------------------------------------------------------------------

def test_a_scan_over_no_file_or_no_secret_raises(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("anything at all")
    with pytest.raises(ValueError, match="no file to scan"):
        leaks.find_leaks([], {"a secret line"})
    with pytest.raises(ValueError, match="no file to scan"):
        leaks.find_leaks(iter([]), {"a secret line"})
    with pytest.raises(ValueError, match="empty secret set"):
        leaks.find_leaks([page], set())
    with pytest.raises(ValueError, match="empty secret set"):
        leaks.find_leaks([page], set(), loose=True)


def test_a_missing_file_is_an_error_not_a_clean_scan(tmp_path):
    with pytest.raises(FileNotFoundError):
        leaks.find_leaks([tmp_path / "feedback.html"], {"a secret line"})


def test_every_secret_in_every_file_is_reported_in_order(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("zeta secret line\nalpha secret line\n")
    second.write_text("nothing here\nalpha secret line")
    secrets = {"alpha secret line", "zeta secret line", "never written anywhere"}
    assert leaks.find_leaks([first, second], secrets) == [
        f"{first}: alpha secret line", f"{first}: zeta secret line", f"{second}: alpha secret line"]


def test_html_is_read_as_shown_tags_dropped_and_entities_decoded(tmp_path):
    page = tmp_path / "feedback.html"
    page.write_text('<pre><span class="n">assert</span> <span>x</span> &lt; <span>y</span> &amp;&amp; "z"</pre>')
    assert leaks.find_leaks([page], {'assert x < y && "z"'}) == [f"{page}: assert x < y && \"z\""]
    assert leaks.find_leaks([page], {"span class"}) == []


def test_notebook_text_is_read_with_newlines_and_quotes_unescaped(tmp_path):
    nb = make_notebook(tmp_path / "nb.ipynb", 'print("a quoted secret")\nsecond = "line"')
    assert leaks.find_leaks([nb], {'print("a quoted secret")'}) == [f'{nb}: print("a quoted secret")']
    assert leaks.find_leaks([nb], {'second = "line"'}) == [f'{nb}: second = "line"']
    assert '\\"' in nb.read_text()  # the raw file has JSON escapes the scanner must see through
    backslash = make_notebook(tmp_path / "b.ipynb", 'path = "C:\\\\temp\\\\keys"', 'x = 1')
    assert leaks.find_leaks([backslash], {'path = "C:\\\\temp\\\\keys"'}) != []


def test_exact_scan_is_case_and_space_sensitive_loose_scan_is_not(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("The Learning\n   Rate is tuned")
    assert leaks.find_leaks([page], {"learning rate is"}) == []
    assert leaks.find_leaks([page], {"learning rate is"}, loose=True) == [f"{page}: learning rate is"]
    assert leaks.find_leaks([page], {"LEARNING   RATE"}, loose=True) == [f"{page}: LEARNING   RATE"]
    assert leaks.find_leaks([page], {"rate was tuned"}, loose=True) == []


# --- secret lines of a source notebook -------------------------------------------------------------

def test_secret_lines_are_the_distinctive_lines_of_a_region_not_shown_elsewhere(tmp_path):
    source = make_notebook(
        tmp_path / "src.ipynb",
        "x = 1\nshown_anyway(value)\n" + SOLUTION.format(body="    answer = compute(x)\nshown_anyway(value)\nshort = 1"),
        HIDDEN.format(body="grade(close('v', lambda: f(3)))\n123456789\n1234567890"),
    )
    assert leaks.secret_lines(source, "solution") == {"answer = compute(x)"}  # stripped; 9 chars and visible lines left out
    assert leaks.secret_lines(source, "hidden") == {"grade(close('v', lambda: f(3)))", "1234567890"}


def test_visible_text_drops_both_kinds_of_region(tmp_path):
    nb = notebooks.read(make_notebook(tmp_path / "src.ipynb", "top\n" + SOLUTION.format(body="sol_line"),
                                      "mid\n" + HIDDEN.format(body="hidden_line") + "\nend"))
    text = leaks.visible_text(nb)
    assert "top" in text and "mid" in text and "end" in text
    assert "sol_line" not in text and "hidden_line" not in text and "###" not in text


def test_secret_lines_of_a_real_chapter_are_found_and_a_planted_copy_is_caught(tmp_path):
    source = REPO / "source" / "05_pet_breeds" / "05_pet_breeds.ipynb"
    hidden = leaks.secret_lines(source, "hidden")
    assert len(hidden) >= 10
    released = json.loads((REPO / "release" / "05_pet_breeds" / "05_pet_breeds.ipynb").read_text())
    secret = sorted(hidden)[len(hidden) // 2]
    released["cells"][-1]["source"] = ["# a stray line\n", f"    {secret}\n"]
    planted = tmp_path / "05_pet_breeds.ipynb"
    planted.write_text(json.dumps(released, indent=1))
    assert leaks.find_leaks([planted], hidden) == [f"{planted}: {secret}"]


# --- the rubric's phrasing syntax --------------------------------------------------------------------

@pytest.mark.parametrize("phrase, synonyms, expected", [
    ("grad*|derivative @loss", {"loss": ["loss", "cost"]}, {"grad loss", "grad cost", "derivative loss", "derivative cost"}),
    ("learning_rate too_high", {}, {"learning rate too high"}),
    ("mini-batch* size*", {}, {"mini batch size"}),
    ("x *= 2", {}, {"x *= 2"}),
    ("a||b c", {}, {"a c", "b c"}),
    ("@unknown word", {}, {"@unknown word"}),
    ("", {}, set()),
    ("* | _", {}, {"*"}),
])
def test_a_phrasing_expands_into_the_word_sequences_it_accepts(phrase, synonyms, expected):
    assert leaks.expand_phrasing(phrase, synonyms) == expected


def test_an_explosive_phrasing_is_refused_not_skipped():
    ten = "|".join(f"w{i}" for i in range(10))
    assert len(leaks.expand_phrasing(" ".join([ten] * 4))) == leaks.MAX_EXPANSIONS
    with pytest.raises(ValueError, match="split it"):
        leaks.expand_phrasing(" ".join([ten] * 4 + ["a|b"]))


def test_rubric_expansions_cover_every_phrasing_with_two_words_or_more():
    expanded = leaks.rubric_expansions("04")
    assert {"red green blue", "pixel value", "learning rate"} <= expanded  # 'red green blue', 'pixel* value*', '@lr'
    assert all(" " in s and len(s) >= leaks.MIN_LENGTH for s in expanded)
    assert not any(ch in s for s in expanded for ch in "|_@")
    assert not any("*" in word for s in expanded for word in s.split() if word not in ("*", "*="))  # only the operator


def test_rubric_expansions_leave_out_what_students_are_shown_anyway():
    everything = leaks.rubric_expansions("04")
    shown = "Which RED\nGreen blue values ..."
    assert leaks.rubric_expansions("04", shown) == everything - {"red green blue"}


def test_rubric_phrasings_are_the_raw_syntax_and_secrets_add_model_answers():
    phrasings = leaks.rubric_phrasings("04")
    assert "pixel* grid|array*|matri*|tensor*" in phrasings
    assert all(len(s) >= leaks.MIN_LENGTH and any(m in s for m in "|*_@^") for s in phrasings)
    secrets = leaks.rubric_secrets("04")
    answer = "An image is stored as a grid (array) of numbers, one per pixel. In a grayscale image each pixel is a single number, usually from 0 (black) to 255 (white), so the image is a 2-D matrix. A colour image has three numbers per pixel, for the red, green and blue channels, so it is a rank-3 array (height x width x 3)."
    assert phrasings < secrets and answer in secrets
    assert answer not in leaks.rubric_secrets("04", shown=f"intro\n{answer}\noutro")


def test_a_rubric_phrasing_written_out_in_a_release_is_caught(tmp_path):
    name = "04_questionnaire"
    released = json.loads((REPO / "release" / name / f"{name}.ipynb").read_text())
    released["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["Tip: think of the Red\n", "green   BLUE values"]})
    planted = tmp_path / f"{name}.ipynb"
    planted.write_text(json.dumps(released))
    shown = leaks.visible_text(notebooks.read(REPO / "source" / name / f"{name}.ipynb"))
    found = leaks.find_leaks([planted], leaks.rubric_expansions("04", shown), loose=True)
    assert f"{planted}: red green blue" in found
    assert leaks.find_leaks([REPO / "release" / name / f"{name}.ipynb"], leaks.rubric_expansions("04", shown), loose=True) == []


def test_phrasings_of_exactly_the_minimum_length_count():
    assert len("memory|ram") == leaks.MIN_LENGTH and "memory|ram" in leaks.rubric_phrasings("04")
    assert len("3 7 folder") == leaks.MIN_LENGTH and "3 7 folder" in leaks.rubric_expansions("04")
    assert not any(len(s) < leaks.MIN_LENGTH for s in leaks.rubric_phrasings("08") | leaks.rubric_expansions("08"))


def test_a_file_with_broken_bytes_is_still_scanned(tmp_path):
    page = tmp_path / "feedback.html"
    page.write_bytes(b"<p>\xff\xfe garbage</p><pre>a secret line here</pre> caf\xc3\xa9")
    assert leaks.find_leaks([page], {"a secret line here", "café"}) == [f"{page}: a secret line here", f"{page}: café"]
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps({"cells": [{"source": ["naïve = ", "secret_call()"]}], "metadata": {"k": None, "n": 3}}))
    assert leaks.find_leaks([notebook], {"naïve = secret_call()"}) == [f"{notebook}: naïve = secret_call()"]


def test_a_notebook_is_read_as_every_key_string_and_number_it_holds(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps({"cells": [{"source": ["a\n", "b"], "outputs": [{"data": {"text/plain": "out"}}]}],
                                    "metadata": {"secret_key": None, "count": 31337, "flag": True, "empty": []}}))
    words = leaks.readable_text(notebook).split("\n")
    assert {"a", "b", "out", "secret_key", "31337", "True", "text/plain"} <= set(words)
    assert "None" not in words
