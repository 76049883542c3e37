"""The kit's faster stand-ins for two stock steps decide and render as the stock ones do: the feedback page's HTML
export (no BeautifulSoup re-parse) and nbgrader's cell-metadata check (schema compiled once)."""
import base64
import copy

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbgrader.preprocessors import CheckCellMetadata

from autograde import nbsteps
from tests.paths import REPO

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfab"
    "d40000000049454e44ae426082")).decode()
RELEASED = REPO / "release" / "04_mnist_basics" / "04_mnist_basics.ipynb"


def _notebook():
    nb = nbformat.v4.new_notebook()
    plot = nbformat.v4.new_code_cell("plot()")
    plot.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    nb.cells = [nbformat.v4.new_markdown_cell('A drawing: <img src="x.png" alt="my own words"> and <IMG src="y.png">'),
                plot, nbformat.v4.new_code_cell("print(1 > 0)", outputs=[
                    nbformat.v4.new_output("stream", name="stdout", text="True <b>\n")])]
    return nb


def test_the_feedback_export_gives_every_image_alt_text_and_the_same_page_text_as_nbconvert():
    nb = _notebook()
    ours, _ = nbsteps.FeedbackExporter(template_name="classic").from_notebook_node(copy.deepcopy(nb))
    stock, _ = HTMLExporter(template_name="classic").from_notebook_node(copy.deepcopy(nb))
    page, reference = BeautifulSoup(ours, "html.parser"), BeautifulSoup(stock, "html.parser")
    alts = [img.get("alt") for img in page.find_all("img")]
    assert alts == [img.get("alt") for img in reference.find_all("img")]
    assert alts == ["my own words", "No description has been provided for this image",
                    "No description has been provided for this image"]
    assert page.get_text() == reference.get_text()


def test_the_metadata_check_passes_a_released_notebook_and_refuses_what_nbgrader_refuses():
    nb = nbformat.read(str(RELEASED), as_version=4)
    nbsteps.CheckMetadata().preprocess(copy.deepcopy(nb), {})
    graded = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    for broken in ({"points": "three"}, {"grade_id": None}, {"schema_version": 1}, {"surprise": True}):
        bad = copy.deepcopy(nb)
        cell = next(c for c in bad.cells if c.metadata.get("nbgrader", {}).get("grade_id") == graded.metadata.nbgrader.grade_id)
        cell.metadata.nbgrader.update(broken)
        with pytest.raises(Exception) as stock:
            CheckCellMetadata().preprocess(copy.deepcopy(bad), {})
        with pytest.raises(Exception) as ours:
            nbsteps.CheckMetadata().preprocess(bad, {})
        assert type(ours.value) is type(stock.value) and str(ours.value) == str(stock.value)


def test_compiled_feedback_templates_are_reused_until_a_template_changes():
    import jinja2

    def render(source):
        env = jinja2.Environment(loader=jinja2.DictLoader({"page.j2": source}), bytecode_cache=nbsteps._TEMPLATES)
        return env.get_template("page.j2").render(x=2)

    kept = len(nbsteps._TEMPLATES.compiled)
    assert render("first {{ x }}") == "first 2"
    assert len(nbsteps._TEMPLATES.compiled) == kept + 1
    assert render("first {{ x }}") == "first 2" and len(nbsteps._TEMPLATES.compiled) == kept + 1
    assert render("changed {{ x * 10 }}") == "changed 20"
