"""Values as plain JSON data (never pickle): what student code produced, and what the key expects."""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np

FULL_DATA_LIMIT = 20_000  # arrays larger than this travel as a digest
MAX_ITEMS = 1_000
MAX_DEPTH = 5


@dataclass(frozen=True)
class Sample:
    """A large array summarised: shape, dtype, its sum, and the values at fixed pseudo-random positions."""

    shape: tuple
    dtype: str
    sum: float
    abssum: float
    values: np.ndarray


def sample_positions(size: int) -> np.ndarray:
    """The same positions for any two arrays of this size (so two samples compare element by element)."""
    return np.sort(np.random.default_rng(1234).choice(size, FULL_DATA_LIMIT, replace=False))


def _sample(arr: np.ndarray, lib: str) -> dict:
    flat = arr.ravel()
    picked = flat[sample_positions(flat.size)]
    if arr.dtype.kind in "biufc":
        wide = flat.astype(np.float64)
        total, abstotal = float(wide.sum()), float(np.abs(wide).sum())
    else:  # strings (no sum): a digest of every value (not of the bytes: '<U5' and '<U9' may hold the same) stands
        digest = hashlib.sha256(json.dumps(flat.tolist(), default=str).encode()).digest()  # in for both sums
        total = abstotal = float(int.from_bytes(digest[:6], "big"))
    return {"t": "sample", "lib": lib, "dtype": str(arr.dtype), "shape": list(arr.shape), "sum": _float(total),
            "abssum": _float(abstotal), "data": [_float(float(x)) if arr.dtype.kind == "f" else x for x in picked.tolist()]}


def _float(x: float):
    return x if math.isfinite(x) else repr(x)


def _array(value) -> np.ndarray | None:
    """A numpy copy of a torch tensor or numpy value, else None."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if type(value).__module__.startswith(("torch", "fastai")) and hasattr(value, "detach"):
        tensor = value.detach().cpu()
        if str(tensor.dtype) in ("torch.bfloat16", "torch.float16"):
            tensor = tensor.float()
        return np.asarray(tensor.numpy())
    return None


def encode(value, depth: int = 0) -> dict:
    """Plain JSON for a value: numbers, strings, tuples/lists, arrays (full or sampled); other objects by type name."""
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int) and type(value) is int:
        return {"t": "int", "v": value}
    if isinstance(value, float) and type(value) is float:
        return {"t": "float", "v": _float(value)}
    if isinstance(value, str) and type(value) is str:
        return {"t": "str", "v": value[:10_000]}
    if type(value).__name__ == "Size" and type(value).__module__.startswith("torch"):
        return {"t": "tuple", "items": [{"t": "int", "v": int(x)} for x in value]}
    arr = _array(value)
    if arr is not None:
        if arr.dtype == object:
            return {"t": "other", "type": "object array"}
        lib = "numpy" if isinstance(value, (np.ndarray, np.generic)) else "torch"
        if arr.size > FULL_DATA_LIMIT:
            return _sample(arr, lib)
        data = [_float(float(x)) if arr.dtype.kind == "f" else x for x in arr.ravel().tolist()]
        return {"t": "array", "lib": lib, "dtype": str(arr.dtype), "shape": list(arr.shape), "data": data}
    if isinstance(value, (tuple, list)) and type(value) in (tuple, list) and depth < MAX_DEPTH:
        return {"t": type(value).__name__, "items": [encode(x, depth + 1) for x in value[:MAX_ITEMS]]}
    return {"t": "other", "type": type(value).__name__}


def family(data) -> str:
    """The kind of value an encoding describes: number, bool, str, none, sequence, tensor, ndarray, shape or other."""
    kind = data.get("t") if isinstance(data, dict) else None
    if kind in ("int", "float"):
        return "number"
    if kind in ("tuple", "list"):
        return "sequence"
    if kind in ("array", "sample"):
        lib = data.get("lib", "array")
        if lib == "numpy" and not data.get("shape"):
            return "number"  # a numpy scalar (np.float64 is a float)
        return {"torch": "tensor", "numpy": "ndarray"}.get(lib, "array")
    return kind if kind in ("none", "bool", "str", "shape") else "other"


def _num(x):
    return float(x) if isinstance(x, str) else x


def decode(data):
    """The value encode() described; large arrays become Sample, unknown objects stay as their dict."""
    kind = data.get("t") if isinstance(data, dict) else None
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        return data["v"]
    if kind == "float":
        return float(_num(data["v"]))
    if kind in ("tuple", "list"):
        items = [decode(x) for x in data["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "array":
        dtype = np.dtype(data["dtype"])
        values = [_num(x) for x in data["data"]] if dtype.kind in "fc" else data["data"]
        return np.array(values, dtype=dtype).reshape(data["shape"])
    if kind == "sample":
        dtype = np.dtype(data["dtype"])
        values = np.array([_num(x) for x in data["data"]] if dtype.kind in "fc" else data["data"], dtype=dtype)
        return Sample(tuple(data["shape"]), data["dtype"], float(data["sum"]), float(data["abssum"]), values)
    if kind == "shape":
        return tuple(data["v"])
    return data
