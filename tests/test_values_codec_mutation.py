"""The value codec where mutation testing found it unpinned (issue 12): large arrays of strings or integers,
fastai tensors, and the dtype a sample decodes to."""
import json

import numpy as np
import pytest
import torch

from autograde.compare import credit
from autograde.values import FULL_DATA_LIMIT, Sample, decode, encode, family, sample_positions


def wire(value):
    """What the grader reads back: the encoding through strict JSON."""
    return json.loads(json.dumps(encode(value), allow_nan=False))


LARGE = FULL_DATA_LIMIT + 5_000


def test_a_large_string_array_is_sampled_and_decodes_to_strings():
    labels = np.array([f"breed_{i % 37}" for i in range(LARGE)])
    data = wire(labels)
    assert data["t"] == "sample" and data["dtype"] == str(labels.dtype)
    assert data["data"] == labels[sample_positions(LARGE)].tolist()
    back = decode(data)
    assert isinstance(back, Sample) and back.values.dtype == labels.dtype
    assert back.values.tolist() == labels[sample_positions(LARGE)].tolist()


def test_large_string_arrays_are_equal_by_every_value_not_by_their_width():
    labels = np.array([f"breed_{i % 37}" for i in range(LARGE)])
    wider = labels.astype("<U40")
    off_sample = labels.copy()
    spot = next(i for i in range(LARGE) if i not in set(sample_positions(LARGE).tolist()))
    off_sample[spot] = "another"
    assert credit({"kind": "equal"}, wire(wider), wire(labels)) == (1.0, "")
    assert credit({"kind": "equal"}, wire(off_sample), wire(labels))[0] == 0.0  # caught by the digest, not the sample
    assert wire(labels)["sum"] == wire(labels)["abssum"] != wire(off_sample)["sum"]


def test_a_large_integer_array_keeps_integers_on_the_wire():
    data = wire(np.arange(LARGE, dtype=np.int64))
    assert all(type(x) is int for x in data["data"])
    assert data["sum"] == float(LARGE * (LARGE - 1) // 2)
    back = decode(data)
    assert back.values.dtype == np.int64 and back.values.tolist() == sample_positions(LARGE).tolist()


def test_a_large_bool_array_keeps_bools_and_counts_its_trues():
    mask = np.arange(LARGE) % 3 == 0
    data = wire(mask)
    assert all(type(x) is bool for x in data["data"]) and data["sum"] == float(mask.sum())
    assert decode(data).values.dtype == bool


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
def test_a_sample_decodes_to_the_recorded_dtype_with_its_non_finite_values(dtype):
    arr = np.linspace(-1, 1, LARGE).astype(dtype)
    picked = sample_positions(LARGE)
    arr[picked[:3]] = [np.nan, np.inf, -np.inf]
    back = decode(wire(arr))
    assert back.values.dtype == dtype and back.dtype == str(np.dtype(dtype))
    assert np.isnan(back.values[0]) and back.values[1] == np.inf and back.values[2] == -np.inf
    assert np.array_equal(back.values[3:], arr[picked[3:]])


def test_a_small_float_array_with_non_finite_values_decodes_to_its_dtype():
    arr = np.array([np.nan, np.inf, -np.inf, 0.5], dtype=np.float32)
    back = decode(wire(arr))
    assert back.dtype == np.float32 and np.isnan(back[0]) and back[1:].tolist() == [np.inf, -np.inf, 0.5]
    assert decode(wire(np.array(["nan", "inf"])))[0] == "nan"  # strings stay strings, never parsed as numbers


class FastaiLikeTensor(torch.Tensor):
    """A tensor subclass from fastai's namespace, as fastai's TensorBase / TensorCategory are."""


FastaiLikeTensor.__module__ = "fastai.torch_core"


def test_a_fastai_tensor_is_read_as_a_tensor():
    value = torch.tensor([1.5, 2.5]).as_subclass(FastaiLikeTensor)
    data = wire(value)
    assert data == {"t": "array", "lib": "torch", "dtype": "float32", "shape": [2], "data": [1.5, 2.5]}
    assert family(data) == "tensor"


def test_a_lookalike_with_detach_from_another_package_is_not_read():
    class Detachable:
        def detach(self):
            return torch.ones(2)

    Detachable.__module__ = "notfastai.core"
    assert wire(Detachable()) == {"t": "other", "type": "Detachable"}


def test_the_digest_of_a_large_array_reads_items_json_cannot_write():
    """Bytes or dates have no sum either: the digest still reads every item, so encode never raises on them."""
    stamps = np.arange(LARGE).astype("datetime64[s]")
    data, again = encode(stamps), encode(stamps.copy())
    assert data["t"] == "sample" and data["sum"] == again["sum"] == data["abssum"]
    moved = stamps.copy()
    moved[-1] += 1
    assert encode(moved)["sum"] != data["sum"]
    assert encode(np.array([b"ab", b"c"] * (LARGE // 2)))["t"] == "sample"
