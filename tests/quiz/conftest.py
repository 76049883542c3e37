import pytest

from autograde.quiz import semantic


@pytest.fixture(autouse=True)
def _model_off(monkeypatch):
    """The quiz unit tests never depend on the optional sentence model; tests that need it switch it on."""
    monkeypatch.setenv(semantic.ENV, "0")
    semantic.reset()
    yield
    monkeypatch.undo()
    semantic.reset()
