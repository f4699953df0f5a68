"""Reading an actor inventory file into raw text rows (plumbing of ``actors.read_actors``).

The separator, the header row and the sheet are chosen by how many inventory columns they reveal,
not by guessing from the file name: a ``;`` file read as ``,`` shows one unknown column, a workbook's
notes sheet shows none, a title row or a merged group header above the real header is skipped.

Hostile or damaged files are refused in French without echoing their bytes: binary content, a field
longer than ``MAX_FIELD_CHARS`` (Python's csv limit), a quote opened and never closed (which would merge
the rest of the file into one actor: the line is named), a workbook too large to open (``safe_files``).
UTF-16 without a BOM is recognised from its zero bytes. A workbook holding several sheets of actors is
read one sheet at a time: the best one, or the one named, and the notes list the other actor sheets.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io

import pandas as pd
from charset_normalizer import from_bytes

from ..csvsafe import excel_text
from ..errors import ActorError
from ..fr_format import count
from ..sources.safe_files import check_workbook
from .actor_schema import INPUT_COLUMNS, match_column

__all__ = ["decode", "csv_rows", "workbook_rows", "table_from_rows", "HEADER_SCAN", "MAX_FIELD_CHARS"]

HEADER_SCAN = 15
MAX_FIELD_CHARS = csv.field_size_limit()  # 131,072: a longer cell is a broken quote or a pasted file, not an actor
_CONTROL_SHARE = 0.01  # more control characters than this (outside tab and line breaks): binary content
_SEPARATORS = (";", ",", "\t", "|")
_XLSX_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Text and encoding name. UTF-8 (with or without BOM) and UTF-16 first, then cp1252 — what a French
    Excel writes — before asking charset-normalizer, which confuses cp1252 with cp1250 on short French text."""
    text, encoding = _decode(data, name)
    controls = sum(1 for c in text[:100_000] if c < " " and c not in "\t\r\n")
    if controls > _CONTROL_SHARE * min(len(text), 100_000):
        raise ActorError(f"{name} : contenu binaire (ni texte CSV ni classeur XLSX) : fichier refusé. "
                         "Enregistrez l'inventaire en CSV (UTF-8) ou en XLSX depuis le tableur.")
    return text, encoding


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when zero bytes fill one byte position of mostly-ASCII text, ``None`` otherwise."""
    sample = data[:20_000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0) / len(sample[0::2]), sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.5 and even < 0.05:
        return "utf-16-le"
    if even > 0.5 and odd < 0.05:
        return "utf-16-be"
    return None


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), "utf-16"
    if (utf16 := _utf16_without_bom(data)) is not None:
        try:
            return data.decode(utf16), f"{utf16} (sans BOM)"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            pass
    best = from_bytes(data[:200_000]).best()
    encoding = best.encoding if best is not None else "latin-1"
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        raise ActorError(f"{name} : encodage illisible (ni UTF-8, ni UTF-16, ni Windows-1252) : fichier refusé.") from None


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


def csv_rows(text: str, name: str = "fichier") -> tuple[list[list[str]], list[int], str]:
    """Rows, the file line where each row starts, and the separator that reveals the most columns."""
    if text[:64].lstrip().lower().startswith(("<!doctype html", "<html")):
        raise ActorError(f"{name} : page HTML reçue à la place d'un fichier d'acteurs.")
    head = "\n".join(text.splitlines()[: HEADER_SCAN + 5])
    scores = {sep: _head_score(head, sep) for sep in _SEPARATORS}
    sep = max(_SEPARATORS, key=lambda s: scores[s])  # ties keep the order: « ; » first (French Excel)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows, lines, previous = [], [], 0
    try:
        for row in reader:
            rows.append([excel_text(cell) for cell in row])  # an Excel-FR export read back: ="01001" -> 01001
            lines.append(previous + 1)
            previous = reader.line_num
    except csv.Error:
        limit = f"{MAX_FIELD_CHARS:,}".replace(",", " ")
        raise ActorError(f"{name}, ligne {previous + 1} : une cellule dépasse {limit} caractères ; guillemet non fermé ou "
                         "texte collé par erreur ? Corrigez cette ligne.") from None
    _refuse_open_quote(rows, lines, sep, reader.line_num, name)
    return rows, lines, sep


def _head_score(head: str, sep: str) -> tuple[bool, int]:
    try:
        return _best_header(list(csv.reader(io.StringIO(head), delimiter=sep)))[1]
    except csv.Error:  # a cell over the limit with this separator: not the right one
        return False, 0


def _refuse_open_quote(rows: list[list[str]], lines: list[int], sep: str, last_line: int, name: str) -> None:
    """A quote opened and never closed swallows the following lines into one cell: name the line.

    Seen as a cell spanning several lines of which one, after the first, holds as many separators
    as a whole row of the header (a legitimate multi-line text rarely does).
    """
    at, _ = _best_header(rows)
    width = len(rows[at]) if rows else 0
    for i, row in enumerate(rows):
        for cell in row:
            inner = cell.split("\n")[1:]
            if any(part.count(sep) >= max(1, width - 1) for part in inner):
                end = lines[i + 1] - 1 if i + 1 < len(lines) else last_line
                raise ActorError(f"{name}, ligne {lines[i]} : guillemet ouvert et jamais fermé : les lignes {lines[i]} à {end} "
                                 "seraient lues comme un seul acteur. Fermez ou retirez ce guillemet.")


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


def workbook_rows(data: bytes, name: str, sheet: str | None = None
                  ) -> tuple[list[list[str]], list[int], str, list[str], list[tuple[str, int]]]:
    """Rows of ``sheet`` (default: the sheet revealing the most inventory columns), their sheet row numbers,
    its name, the other sheets, and those of them that hold actors too (a name column and at least one row),
    as (name, rows), in the workbook's order."""
    from python_calamine import CalamineWorkbook

    check_workbook(data, name, ActorError)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = {s: book.get_sheet_by_name(s).to_python(skip_empty_area=False) for s in book.sheet_names}
    except Exception as exc:  # calamine raises its own types for corrupt or password-protected files
        raise ActorError(f"{name} : classeur illisible ({str(exc)[:200]}).") from exc
    if not sheets:
        raise ActorError(f"{name} : le classeur ne contient aucune feuille.")
    if sheet is not None and sheet not in sheets:
        raise ActorError(f"{name} : pas de feuille « {sheet} » (feuilles : {', '.join(sheets)}).")
    scored = {s: _best_header([[_cell(v) for v in r] for r in rows[:HEADER_SCAN]]) for s, rows in sheets.items()}
    chosen = sheet if sheet is not None else max(sheets, key=lambda s: scored[s][1])
    rows = [[_cell(v) for v in r] for r in sheets[chosen]]
    others, with_actors = [], []
    for other, (at, (has_name, found)) in scored.items():
        if other == chosen:
            continue
        others.append(other)
        filled = sum(1 for r in sheets[other][at + 1:] if any(_cell(v).strip() for v in r))
        if has_name and found >= 2 and filled:
            with_actors.append((other, filled))
    return rows, list(range(1, len(rows) + 1)), chosen, others, with_actors


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
        read = "".join(c if c.isprintable() else " " for c in ", ".join(c for c in first if c.strip())[:300])
        raise ActorError(f"{name} : colonne du nom introuvable. Colonnes lues : {read or 'aucune'}. "
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
        notes.append(f"{count(blank, 'ligne vide ignorée', 'lignes vides ignorées')}")
    frame = pd.DataFrame(body, columns=header, index=pd.Index(index, name="ligne"), dtype="str") if body else \
        pd.DataFrame({c: pd.Series(dtype="str") for c in header}, index=pd.Index([], name="ligne", dtype="int64"))
    frame.attrs["notes"] = notes
    frame.attrs["cellules_en_trop"] = extra
    frame.attrs["largeur"] = width
    return frame
