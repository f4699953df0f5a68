"""Check a workbook or an archive before any parser opens it: one rule for the CLI and the app.

python-calamine sizes its cell grid from a sheet's declared dimension (``<dimension ref="A1:XFD1048576"/>``)
and from the cell references it meets: a 5 KB file can make it allocate hundreds of GB, and the Rust
panic aborts the whole process (every Streamlit session with it). A 1.4 MB workbook expanding to
490 MB of XML takes 6 GB. So, with ``zipfile`` only (streamed, nothing parsed as XML):

- an archive (xlsx, zipped CSV, zipped shapefile) is refused beyond ``MAX_MEMBERS`` members,
  ``MAX_UNCOMPRESSED_BYTES`` uncompressed in total, a member of more than 1 MB expanding more than
  ``MAX_RATIO`` times (zip bomb), or a member path leaving the archive (``../``, absolute);
- a gzip file is read no further than ``MAX_UNCOMPRESSED_BYTES``;
- a workbook is refused when a sheet's XML exceeds ``MAX_SHEET_XML_BYTES``, or when its declared
  dimension or any cell reference it holds goes beyond ``MAX_ROWS`` rows, ``MAX_COLUMNS`` columns or
  ``MAX_CELLS`` cells (rows × columns of the sheet's extent).

The limits leave room for INSEE's largest workbooks (Filosofi 2019: 34,927 rows × 29 columns,
43 MB of sheet XML, ratio 10; LibreOffice exports declare 1,024 columns ``AMJ``).
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from pathlib import PurePosixPath

from ..errors import PtceGeoError

__all__ = [
    "MAX_MEMBERS",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_RATIO",
    "MAX_SHEET_XML_BYTES",
    "MAX_ROWS",
    "MAX_COLUMNS",
    "MAX_CELLS",
    "check_archive",
    "check_workbook",
    "read_member",
    "gunzip",
]

MAX_MEMBERS = 1_000
MAX_UNCOMPRESSED_BYTES = 500_000_000
MAX_RATIO = 100  # uncompressed / compressed size of one member, checked above _RATIO_FLOOR bytes
_RATIO_FLOOR = 1_000_000
MAX_SHEET_XML_BYTES = 120_000_000
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_COLUMNS = 2_048
MAX_CELLS = 5_000_000
_CHUNK = 1 << 20
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([^"]*)"')
# a literal prefix lets ``re`` skip ahead fast; other blanks before ``r=`` are turned into spaces first
_COLUMN_REF = re.compile(rb' r="\$?([A-Za-z]{1,4})\$?\d')  # a cell's column, whatever the attribute order
_ROW_REF = re.compile(rb' r="\$?[A-Za-z]{0,4}\$?(\d{1,9})"')  # a cell's or a row's number
_OTHER_BLANKS = (b'\tr="', b'\nr="', b'\rr="')
_BLANK_R = re.compile(rb'[\t\r\n]r="')
_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,9})$")


def _mb(size: int) -> str:
    return f"{size / 1e6:,.0f} Mo".replace(",", " ")


def _open(data: bytes, name: str, error: type[PtceGeoError]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise error(f"{name} : archive zip tronquée ou corrompue ({exc}).") from exc


def check_archive(data: bytes, name: str, error: type[PtceGeoError]) -> zipfile.ZipFile:
    """The open archive when its declared members are sane; ``error`` (French) otherwise."""
    archive = _open(data, name, error)
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise error(f"{name} : archive de {len(members)} éléments refusée ({MAX_MEMBERS} au plus).")
    total = 0
    for info in members:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", info.filename):
            raise error(f"{name} : l'élément « {info.filename[:80]} » sort de l'archive (chemin refusé).")
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise error(f"{name} : l'élément « {info.filename[:80]} » se décompresse {info.file_size // max(info.compress_size, 1)} fois "
                        f"(jusqu'à {_mb(info.file_size)}) : archive piégée refusée ({MAX_RATIO} fois au plus).")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise error(f"{name} : archive de {_mb(total)} une fois décompressée, refusée ({_mb(MAX_UNCOMPRESSED_BYTES)} au plus).")
    return archive


def read_member(archive: zipfile.ZipFile, member: str, name: str, error: type[PtceGeoError]) -> bytes:
    """One member's bytes, never more than its declared size allows (a header may lie)."""
    info = archive.getinfo(member)
    with archive.open(info) as handle:
        data = handle.read(min(info.file_size, MAX_UNCOMPRESSED_BYTES) + 1)
    if len(data) > min(info.file_size, MAX_UNCOMPRESSED_BYTES):
        raise error(f"{name} : l'élément « {member[:80]} » est plus grand que déclaré : archive refusée.")
    return data


def gunzip(data: bytes, name: str, error: type[PtceGeoError]) -> bytes:
    """A gzip file's content, refused beyond ``MAX_UNCOMPRESSED_BYTES`` (a gzip bomb is read no further)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(MAX_UNCOMPRESSED_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise error(f"{name} : fichier gzip corrompu ou tronqué ({exc}).") from exc
    if len(out) > MAX_UNCOMPRESSED_BYTES:
        raise error(f"{name} : plus de {_mb(MAX_UNCOMPRESSED_BYTES)} une fois décompressé : fichier refusé.")
    return out


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _extent(ref: str) -> tuple[int, int]:
    """(rows, columns) reached by a reference such as ``A1:XFD1048576`` (0 when unreadable)."""
    rows = cols = 0
    for part in ref.split(":"):
        match = _REF.match(part.strip())
        if match:
            cols, rows = max(cols, _column_number(match[1])), max(rows, int(match[2]))
    return rows, cols


def _refuse_extent(rows: int, cols: int, where: str, name: str, error: type[PtceGeoError]) -> None:
    if rows > MAX_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_CELLS:
        raise error(f"{name} : la feuille « {where} » s'étend sur {rows:,} lignes × {cols:,} colonnes ({rows * cols:,} cellules) ; "
                    f"classeur refusé (au plus {MAX_ROWS:,} lignes, {MAX_COLUMNS:,} colonnes et {MAX_CELLS:,} cellules). "
                    "Enregistrez seulement la zone utile, ou exportez en CSV.".replace(",", " "))


def _scan_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, error: type[PtceGeoError]) -> None:
    """Stream one sheet's XML: its size, declared dimension and the farthest cell it names."""
    where = PurePosixPath(info.filename).stem
    rows = cols = read = 0
    tail = b""
    with archive.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            read += len(chunk)
            if read > MAX_SHEET_XML_BYTES:
                raise error(f"{name} : la feuille « {where} » dépasse {_mb(MAX_SHEET_XML_BYTES)} une fois décompressée ; "
                            "classeur refusé (exportez la zone utile en CSV).")
            text = tail + chunk
            for match in _DIMENSION.finditer(text):
                r, c = _extent(match[1].decode("ascii", "replace"))
                rows, cols = max(rows, r), max(cols, c)
            if any(blank in text for blank in _OTHER_BLANKS):
                text = _BLANK_R.sub(b' r="', text)
            letters, numbers = set(_COLUMN_REF.findall(text)), set(_ROW_REF.findall(text))  # distinct values: C speed
            cols = max([cols, *(_column_number(c.decode("ascii")) for c in letters)])
            rows = max([rows, *(int(n) for n in numbers)])
            _refuse_extent(rows, cols, where, name, error)
            tail = text[-256:]


def check_workbook(data: bytes, name: str, error: type[PtceGeoError]) -> None:
    """Refuse (``error``, in French) an xlsx whose archive or sheets would exhaust memory; old .xls pass through."""
    if not data.startswith(b"PK\x03\x04"):
        return  # not a zip (xls, or not a workbook at all): the reader says what is wrong
    archive = check_archive(data, name, error)
    for info in archive.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            _scan_sheet(archive, info, name, error)
