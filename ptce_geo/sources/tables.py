"""Read tabular files the way INSEE, Etalab and users publish them.

INSEE CSVs are ``;``-separated with a decimal comma and secret cells ``s``; copies circulate
as ``,``/``.`` CSV, gzip, zip archives and xlsx with a few title rows above the header.
Everything is read as text first, so codes keep their leading zeros.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
from charset_normalizer import from_bytes

from ..errors import SourceFileError
from .safe_files import check_archive, check_workbook, gunzip, read_member

__all__ = ["read_table", "to_number", "SECRET_MARKERS", "TABLE_SUFFIXES"]

SECRET_MARKERS = ("s", "nd", "n.d.", "ns", "")
TABLE_SUFFIXES = (".csv", ".txt", ".csv.gz", ".xlsx", ".zip")
_MAX_HEADER_SCAN = 15


def _decode(raw: bytes, name: str) -> str:
    if not raw.strip():
        raise SourceFileError(f"{name} : le fichier est vide.")
    if raw[:64].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        raise SourceFileError(f"{name} : page HTML reçue à la place d'un fichier de données.")
    for encoding in ("utf-8-sig",):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    best = from_bytes(raw[:200_000]).best()
    encoding = best.encoding if best is not None else "cp1252"
    if encoding.lower() in ("ascii", "utf_8"):
        encoding = "cp1252"
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceFileError(f"{name} : encodage illisible ({exc}).") from exc


def _sniff_separator(text: str) -> str:
    head = "\n".join(text.splitlines()[:5])
    try:
        return csv.Sniffer().sniff(head, delimiters=";,\t|").delimiter
    except csv.Error:
        return ";" if head.count(";") >= head.count(",") else ","


def _read_csv_text(text: str, name: str) -> pd.DataFrame:
    sep = _sniff_separator(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[])
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceFileError(f"{name} : CSV illisible ({exc}).") from exc
    frame.attrs["decimal"] = "," if sep == ";" else "."
    frame.attrs["first_line"] = 2  # file line of the first data row (the header is line 1)
    return frame


def _header_row(raw: pd.DataFrame, expected: tuple[str, ...]) -> int:
    """First row naming an expected column among at least two filled cells (a title cell « EPCI » alone is not a header)."""
    for i in range(min(_MAX_HEADER_SCAN, len(raw))):
        values = [str(v).strip() for v in raw.iloc[i].tolist() if pd.notna(v) and str(v).strip()]
        cells = {v.upper() for v in values}
        if len(values) >= 2 and any(e.upper() in cells for e in expected):
            return i
    return 0


def _read_xlsx(data: bytes, name: str, expected: tuple[str, ...]) -> list[tuple[str, pd.DataFrame]]:
    """Every sheet whose header (found within the first rows) names one of ``expected``."""
    check_workbook(data, name, SourceFileError)
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=str, engine="calamine")
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise SourceFileError(f"{name} : classeur xlsx illisible ({exc}).") from exc
    found = []
    for sheet, raw in sheets.items():
        if raw.empty:
            continue
        row = _header_row(raw, expected)
        cells = [str(v).strip() for v in raw.iloc[row].tolist()]
        if {e.upper() for e in expected} & {c.upper() for c in cells}:
            frame = raw.iloc[row + 1:].copy()
            frame.columns = cells
            frame = frame.fillna("").reset_index(drop=True)
            frame.attrs["decimal"] = "."
            frame.attrs["first_line"] = row + 2  # sheet line of the first data row, to name a bad cell's line
            found.append((f"{name}[{sheet}]", frame))
    if not found:
        raise SourceFileError(f"{name} : aucune feuille ne contient les colonnes attendues ({', '.join(expected)}).")
    return found


def _from_bytes(data: bytes, name: str, expected: tuple[str, ...]) -> list[tuple[str, pd.DataFrame]]:
    lower = name.lower()
    if lower.endswith(".zip"):
        archive = check_archive(data, name, SourceFileError)
        try:
            members = [m for m in archive.namelist() if m.lower().endswith((".csv", ".txt", ".xlsx")) and not m.startswith("__MACOSX")]
            return [t for m in members for t in _from_bytes(read_member(archive, m, name, SourceFileError), f"{name}/{m}", expected)]
        except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
            raise SourceFileError(f"{name} : archive zip corrompue ou tronquée ({exc}).") from exc
    if lower.endswith(".gz"):
        return _from_bytes(gunzip(data, name, SourceFileError), name[:-3], expected)
    if lower.endswith(".xlsx"):
        return _read_xlsx(data, name, expected)
    return [(name, _read_csv_text(_decode(data, name), name))]


def read_table(path: Path | str, expected: tuple[str, ...] = ("CODGEO",)) -> list[tuple[str, pd.DataFrame]]:
    """Every table in ``path`` (a CSV, gzip CSV, xlsx, or a zip of those) as text columns.

    Returns ``(name, frame)`` pairs; ``frame.attrs['decimal']`` tells the decimal mark.
    ``expected`` helps find the header row of xlsx files with title rows.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"{path} : lecture impossible ({exc.strerror}).") from exc
    return _from_bytes(data, str(path), expected)


def to_number(column: pd.Series, decimal: str = ".") -> pd.Series:
    """Numbers from text cells; secret markers (``s``, ``nd``) and blanks become NaN."""
    text = column.astype("string").str.strip()
    text = text.mask(text.str.lower().isin(SECRET_MARKERS))
    if decimal == ",":
        text = text.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")
