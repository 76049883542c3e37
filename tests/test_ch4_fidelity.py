"""With fastai's real MNIST_SAMPLE (from ../shared/data), the chapter 4 notebook reproduces the book."""
import tarfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from tests.grading import run_for_report
from tests.paths import REPO

REPORT = """import json as _json
print('FIDELITY' + _json.dumps({
    'accuracy_3s': float(accuracy_3s), 'accuracy_7s': float(accuracy_7s),
    'l1_to_mean3': float(dist_3_abs), 'rmse_to_mean3': float(dist_3_sqr),
    'linear_20_epochs': float(linear_accs[-1]), 'simple_net_40_epochs': float(learn_mlp.recorder.values[-1][2]),
    'n_train': len(threes) + len(sevens), 'data': str(path)}))"""


@pytest.fixture(scope="module")
def figures(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("fastai_home")
    with tarfile.open(shared_data / "mnist_sample.tgz") as tar:
        tar.extractall(home / "data", filter="data")
    nb = nbformat.read(str(REPO / "solutions" / "04_mnist_basics" / "04_mnist_basics.ipynb"), as_version=4)
    nb.cells.append(new_code_cell(REPORT))
    return run_for_report(nb, home, {"FASTAI_HOME": str(home), "AUTOGRADE_OFFLINE": "1"})


def test_the_real_data_is_used(figures):
    assert figures["n_train"] == 12396 and figures["data"].endswith("mnist_sample")


def test_pixel_similarity_matches_the_book(figures):
    assert figures["accuracy_3s"] == pytest.approx(0.9168, abs=1e-4)
    assert figures["accuracy_7s"] == pytest.approx(0.9854, abs=1e-4)
    assert (figures["accuracy_3s"] + figures["accuracy_7s"]) / 2 == pytest.approx(0.9511, abs=1e-4)
    assert figures["l1_to_mean3"] == pytest.approx(0.1114, abs=1e-4)
    assert figures["rmse_to_mean3"] == pytest.approx(0.2021, abs=1e-4)


def test_trained_models_reach_the_book_accuracies(figures):
    assert figures["linear_20_epochs"] >= 0.97
    assert figures["simple_net_40_epochs"] >= 0.98
