"""The data parquet's columns: arrow types for each feature, as LeRobot (HF ``datasets``) writes.

=====================  ==============================  ===============================
feature                arrow type                      HF ``datasets`` feature
=====================  ==============================  ===============================
shape (1,) numeric     scalar (float32, int64...)      ``Value(dtype)``
shape (n,) numeric     ``fixed_size_list<dtype>[n]``   ``List(Value(dtype), length=n)``
image                  ``struct<bytes, path>``         ``Image()`` (PNG bytes)
string                 ``string``                      ``Value("string")``
video                  (not in the parquet)
=====================  ==============================  ===============================

The parquet schema carries the ``huggingface`` metadata key so that ``datasets`` (and so
LeRobot) reads the columns back with the same features.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from lr_core.features import FeatureSpec


def parquet_columns(features: Mapping[str, FeatureSpec]) -> list[str]:
    """The features stored in the data parquet (all but videos), in order."""
    return [k for k, f in features.items() if f.dtype not in ("video", "language")]


def arrow_type(spec: FeatureSpec) -> Any:
    """The arrow type of one feature's column."""
    import pyarrow as pa

    if spec.dtype == "image":
        return pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    if spec.dtype == "string":
        return pa.string()
    value = pa.from_numpy_dtype(np.dtype(spec.dtype))
    if tuple(spec.shape) == (1,):
        return value
    return pa.list_(value, int(spec.shape[0]))


def hf_feature(spec: FeatureSpec) -> dict[str, Any]:
    """The HF ``datasets`` feature JSON of one column."""
    if spec.dtype == "image":
        return {"_type": "Image"}
    if spec.dtype == "string":
        return {"dtype": "string", "_type": "Value"}
    value = {"dtype": spec.dtype, "_type": "Value"}
    if tuple(spec.shape) == (1,):
        return value
    return {"feature": value, "length": int(spec.shape[0]), "_type": "List"}


def schema(features: Mapping[str, FeatureSpec]) -> Any:
    """The data parquet schema, with the ``huggingface`` metadata."""
    import pyarrow as pa

    keys = parquet_columns(features)
    hf = {"info": {"features": {k: hf_feature(features[k]) for k in keys}}}
    return pa.schema(
        [pa.field(k, arrow_type(features[k])) for k in keys],
        metadata={b"huggingface": json.dumps(hf).encode()},
    )


def column_array(spec: FeatureSpec, values: list[Any]) -> Any:
    """One episode's values of a feature as an arrow array of :func:`arrow_type`."""
    import pyarrow as pa

    kind = arrow_type(spec)
    if spec.dtype == "image":
        return pa.array([{"bytes": b, "path": None} for b in values], type=kind)
    if spec.dtype == "string":
        return pa.array(values, type=kind)
    stacked = np.asarray(values, dtype=np.dtype(spec.dtype))
    if tuple(spec.shape) == (1,):
        return pa.array(stacked.reshape(-1), type=kind)
    flat = pa.array(stacked.reshape(-1), type=kind.value_type)
    return pa.FixedSizeListArray.from_arrays(flat, int(spec.shape[0]))


def column_to_numpy(column: Any, spec: FeatureSpec) -> np.ndarray:
    """A numeric column (arrow array or chunked array) as numpy: ``(rows,)`` for scalars and
    shape-(1,) lists, ``(rows, *spec.shape)`` for vectors."""
    import pyarrow.types as pat

    combined = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if pat.is_list(combined.type) or pat.is_fixed_size_list(combined.type):
        arr = combined.flatten().to_numpy(zero_copy_only=False)
        arr = arr.reshape(len(combined), *spec.shape)
        if tuple(spec.shape) == (1,):
            arr = arr.reshape(len(combined))
        return arr
    return combined.to_numpy(zero_copy_only=False)


def column_values(table: Any, key: str) -> np.ndarray:
    """A numeric column of an arrow table as numpy: ``(n,)`` for a scalar column, ``(n, d)``
    for a (fixed-size) list column."""
    import pyarrow.types as pat

    column = table.column(key).combine_chunks()
    if pat.is_list(column.type) or pat.is_fixed_size_list(column.type):
        return column.flatten().to_numpy(zero_copy_only=False).reshape(len(column), -1)
    return column.to_numpy(zero_copy_only=False)


def encode_png(image_hwc: np.ndarray, compress_level: int = 6) -> bytes:
    """PNG bytes of a uint8 ``(H, W, C)`` image (Pillow, LeRobot's compression level 6)."""
    from PIL import Image

    buffer = io.BytesIO()
    arr = image_hwc[..., 0] if image_hwc.shape[-1] == 1 else image_hwc
    Image.fromarray(arr).save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """uint8 ``(H, W, C)`` array of PNG (or any Pillow-readable) bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        arr = np.asarray(image)
    return arr[..., None] if arr.ndim == 2 else arr
