"""Group counts and sums with numpy: pandas' groupby costs milliseconds per call on small tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["tally", "tally_arrays"]


def tally(key: pd.Series, **sums: pd.Series | np.ndarray) -> pd.DataFrame:
    """Per distinct ``key`` (sorted, missing keys dropped): ``communes`` (row count) and the sum of each named array."""
    groups, out = tally_arrays(key, **sums)
    return pd.DataFrame(out, index=pd.Index(groups, name=key.name))


def tally_arrays(key: pd.Series, **sums: pd.Series | np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``tally`` as plain arrays: the sorted distinct keys (objects) and each column, for callers that loop over them."""
    codes, groups = pd.factorize(key.to_numpy(dtype=object), sort=True)  # object array: 10x faster than Arrow strings
    ok = codes >= 0
    out = {"communes": np.bincount(codes[ok], minlength=len(groups))}
    for name, values in sums.items():
        values = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0)
        out[name] = np.bincount(codes[ok], weights=values[ok], minlength=len(groups))
    return groups, out
