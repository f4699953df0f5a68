"""Group counts and sums with numpy: pandas' groupby costs milliseconds per call on small tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["tally"]


def tally(key: pd.Series, **sums: pd.Series | np.ndarray) -> pd.DataFrame:
    """Per distinct ``key`` (sorted, missing keys dropped): ``communes`` (row count) and the sum of each named array."""
    codes, groups = pd.factorize(key.to_numpy(dtype=object), sort=True)  # object array: 10x faster than Arrow strings
    ok = codes >= 0
    out = {"communes": np.bincount(codes[ok], minlength=len(groups))}
    for name, values in sums.items():
        values = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0)
        out[name] = np.bincount(codes[ok], weights=values[ok], minlength=len(groups))
    return pd.DataFrame(out, index=pd.Index(groups, name=key.name))
