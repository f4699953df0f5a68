"""Cost of checking a workbook before parsing it, against parsing it, on INSEE's largest known workbook.

The check (``ptce_geo.sources.safe_files.check_workbook``) streams the sheet XML once for its size,
declared dimension and farthest cell reference. Run from the repository root:
``python bench/bench_safe_files.py [WORKBOOK.xlsx or ZIP holding one]`` (default: Filosofi 2019 of ../shared/data).
"""

from __future__ import annotations

import io
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as ``python bench/…`` from the root

import pandas as pd  # noqa: E402

from ptce_geo.errors import SourceFileError  # noqa: E402
from ptce_geo.sources.safe_files import check_workbook  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "insee_filosofi_2019_tous_niveaux" / "base-cc-filosofi-2019_XLSX.zip"


def _workbook(path: Path) -> bytes:
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            member = next(m for m in archive.namelist() if m.lower().endswith(".xlsx"))
            return archive.read(member)
    return path.read_bytes()


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        sys.exit(f"{path} absent : donnez un classeur en argument.")
    data = _workbook(path)
    started = time.perf_counter()
    check_workbook(data, path.name, SourceFileError)
    check = time.perf_counter() - started
    started = time.perf_counter()
    pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=str, engine="calamine")
    parse = time.perf_counter() - started
    print(f"{path.name}: {len(data) / 1e6:.1f} MB; check {check:.2f} s, calamine parse {parse:.2f} s, ratio {check / parse:.2f}")


if __name__ == "__main__":
    main()
