from autograde.quiz.match import Doc
from autograde.quiz.text import language_guess, stem, term_matches, tokens


def test_stem_is_consistent_across_inflections():
    assert stem("computed") == stem("computing") == stem("computes") == stem("compute")
    assert stem("batches") == stem("batch")
    assert stem("initialise") == stem("initialize")


def test_typos_and_prefixes_match_but_short_words_do_not():
    assert term_matches("gradeint", "gradient")
    assert term_matches("derivitive", "derivativ*")
    assert not term_matches("rand", "rank")
    assert not term_matches("anything", "*") and term_matches("*", "*")


def test_tokens_keep_code_operators_and_minus():
    t = tokens("w -= lr * w.grad; new = w - lr*g")
    assert "-=" in t and "*" in t and "minus" in t


def test_phrase_slots_unordered_within_window():
    d = Doc("How the loss changes is what the derivative tells us.")
    assert d.find("derivativ* @loss", (("loss", ("loss", "cost")),)) is not None
    assert Doc("the loss " + "word " * 30 + "derivative").find("derivativ* loss") is None


def test_negation_blocks_credit_but_not_across_clauses():
    assert Doc("the gradient is not zero").find("gradient zero").negated
    assert not Doc("No, PyTorch computes them automatically").find("comput* automat*").negated


def test_language_guess():
    assert language_guess("La perte mesure à quel point les prédictions du modèle sont mauvaises") == "other"
    assert language_guess("The loss measures how wrong the predictions of the model are") == "en"
    assert language_guess("ok") == "unknown"
