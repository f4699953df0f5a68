"""Reading an actor inventory file into raw text rows (plumbing of ``actors.read_actors``).

The separator, the header row and the sheet are chosen by how many inventory columns they reveal,
not by guessing from the file name: a ``;`` file read as ``,`` shows one unknown column, a workbook's
notes sheet shows none, a title row or a merged group header above the real header is skipped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io

import pandas as pd
from charset_normalizer import from_bytes

from .actor_schema import INPUT_COLUMNS, match_column
from .errors import ActorError
from .sources.safe_files import check_workbook

__all__ = ["decode", "csv_rows", "workbook_rows", "table_from_rows", "HEADER_SCAN"]

HEADER_SCAN = 15
_SEPARATORS = (";", ",", "\t", "|")
_XLSX_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Text and encoding name. UTF-8 (with or without BOM) and UTF-16 first, then cp1252 — what a French
    Excel writes — before asking charset-normalizer, which confuses cp1252 with cp1250 on short French text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            pass
    best = from_bytes(data[:200_000]).best()
    encoding = best.encoding if best is not None else "latin-1"
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise ActorError(f"{name} : encodage illisible ({exc}).") from exc


def is_workbook(data: bytes) -> bool:
    return data.startswith(_XLSX_MAGIC)


def _score(cells: list[str]) -> tuple[bool, int]:
    names = {match_column(c) for c in cells if c and c.strip()}
    names.discard(None)
    return "nom" in names, len(names)


def _best_header(rows: list[list[str]]) -> tuple[int, tuple[bool, int]]:
    """Row (within the first ``HEADER_SCAN``) naming the most columns, blanks read through merged cells above."""
    best, where = (False, 0), 0
    for i in range(min(HEADER_SCAN, len(rows))):
        score = _score(_filled(rows, i))
        if score > best:
            best, where = score, i
    return where, best


def _filled(rows: list[list[str]], at: int) -> list[str]:
    """Row ``at``, an empty cell taking the text above it when that names a column (vertically merged cells)."""
    header = [c.strip() for c in rows[at]]
    for j, cell in enumerate(header):
        if cell:
            continue
        for above in range(at - 1, -1, -1):
            text = rows[above][j].strip() if j < len(rows[above]) else ""
            if text:
                header[j] = text if match_column(text) else ""
                break
    return header


def csv_rows(text: str) -> tuple[list[list[str]], list[int], str]:
    """Rows, the file line where each row starts, and the separator that reveals the most columns."""
    if text[:64].lstrip().lower().startswith(("<!doctype html", "<html")):
        raise ActorError("page HTML reçue à la place d'un fichier d'acteurs.")
    head = "\n".join(text.splitlines()[: HEADER_SCAN + 5])
    scores = {sep: _best_header(list(csv.reader(io.StringIO(head), delimiter=sep)))[1] for sep in _SEPARATORS}
    sep = max(_SEPARATORS, key=lambda s: scores[s])  # ties keep the order: « ; » first (French Excel)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows, lines, previous = [], [], 0
    for row in reader:
        rows.append(row)
        lines.append(previous + 1)
        previous = reader.line_num
    return rows, lines, sep


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def workbook_rows(data: bytes, name: str) -> tuple[list[list[str]], list[int], str, list[str]]:
    """Rows of the sheet that reveals the most inventory columns, their sheet row numbers, its name, the others."""
    from python_calamine import CalamineWorkbook

    check_workbook(data, name, ActorError)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = {s: book.get_sheet_by_name(s).to_python(skip_empty_area=False) for s in book.sheet_names}
    except Exception as exc:  # calamine raises its own types for corrupt or password-protected files
        raise ActorError(f"{name} : classeur illisible ({exc}).") from exc
    if not sheets:
        raise ActorError(f"{name} : le classeur ne contient aucune feuille.")
    scored = {s: _best_header([[_cell(v) for v in r] for r in rows[:HEADER_SCAN]])[1] for s, rows in sheets.items()}
    chosen = max(sheets, key=lambda s: scored[s])
    rows = [[_cell(v) for v in r] for r in sheets[chosen]]
    return rows, list(range(1, len(rows) + 1)), chosen, [s for s in sheets if s != chosen]


def _header_cells(rows: list[list[str]], at: int, width: int) -> list[str]:
    """Unique header names of the ``width`` first columns (blank ones named by position)."""
    filled = _filled(rows, at)
    header = [filled[j] if j < len(filled) else "" for j in range(width)]
    seen: dict[str, int] = {}
    for j, cell in enumerate(header):
        name = cell or f"colonne {j + 1}"
        seen[name] = seen.get(name, 0) + 1
        header[j] = name if seen[name] == 1 else f"{name} ({seen[name]})"
    return header


def table_from_rows(rows: list[list[str]], lines: list[int], name: str, notes: list[str]) -> pd.DataFrame:
    """Raw text table indexed by file line (``ligne``); blank rows dropped and counted, overlong rows flagged."""
    at, (has_name, found) = _best_header(rows)
    if not has_name:
        first = next((r for r in rows if any(c.strip() for c in r)), [])
        raise ActorError(f"{name} : colonne du nom introuvable. Colonnes lues : {', '.join(c for c in first if c.strip())[:300] or 'aucune'}. "
                         f"Colonnes attendues : {', '.join(INPUT_COLUMNS)} (voir le modèle).")
    if at:
        notes.append(f"en-tête trouvé ligne {lines[at]} (lignes de titre au-dessus ignorées)")
    width = max(j + 1 for j, c in enumerate(_filled(rows, at)) if c)
    header = _header_cells(rows, at, width)
    body, index, extra, blank = [], [], {}, 0
    for row, line in zip(rows[at + 1:], lines[at + 1:], strict=True):
        if not any(c.strip() for c in row):
            blank += 1
            continue
        cells = row[:width] + [""] * (width - len(row))
        overflow = [c for c in row[width:] if c.strip()]
        if overflow:
            extra[line] = len(row)
        body.append(cells)
        index.append(line)
    if blank:
        notes.append(f"{blank} ligne(s) vide(s) ignorée(s)")
    frame = pd.DataFrame(body, columns=header, index=pd.Index(index, name="ligne"), dtype="str") if body else \
        pd.DataFrame({c: pd.Series(dtype="str") for c in header}, index=pd.Index([], name="ligne", dtype="int64"))
    frame.attrs["notes"] = notes
    frame.attrs["cellules_en_trop"] = extra
    frame.attrs["largeur"] = width
    return frame
