"""The inventory being worked on: every row of the file as editable text, validated again after each edit.

An import keeps every row, refused ones included, so that they can be fixed in a table editor;
``revalidate`` checks the edited table again (changed rows only are placed again: an address
geocoded once is not sent twice). ``from_stored`` rebuilds one from the actors a project holds, so
that reopening a project gives back an inventory that can be edited like an imported one.
The Acteurs page and the command line go through here; nothing here knows about Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from ..reference import Reference
from ..sources.sirene import SireneStore
from .actor_schema import INPUT_COLUMNS, PERSONAL_COLUMNS, fold, match_column
from .actors import Geocoder, place_actors, read_actors, validate_actors
from .inventory import Inventory

__all__ = [
    "EditableInventory",
    "REPORT_COLUMNS",
    "table_from_validation",
    "changed_lines",
    "import_inventory",
    "revalidate",
    "append_actor",
    "empty_inventory",
    "from_stored",
]

PERSONAL_NAMES = tuple(c.name for c in PERSONAL_COLUMNS)
REPORT_COLUMNS = ["ligne", "nom", "statut", "messages"]
LATER_COLUMNS = ("siret",)  # actor columns added after project files were first written (no schema change: a layer's columns are free)
FIRST_LINE = 2  # line 1 of a file is its header
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class EditableInventory:
    """One inventory being worked on: the editable table, the placed and judged inventory, where it came from."""

    table: pd.DataFrame  # index ``ligne`` (line in the file; new rows numbered after the last), text cells
    inventory: Inventory
    name: str = "inventaire"
    notes: tuple[str, ...] = ()  # what was detected when reading the file (encoding, separator, sheet…)
    keep_personal: bool = False
    overflow: dict[int, int] = field(default_factory=dict)  # line -> cells, rows longer than the header in the file
    width: int = 0
    revision: int = 0  # bumped on every edit (a table editor's key can follow it)
    sheets: tuple[str, ...] = ()  # a workbook's sheets holding actors, the one read first (empty for a CSV)


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return "oui" if value else "non"
    if isinstance(value, float | np.floating):
        return f"{float(value):.6f}".rstrip("0").rstrip(".")
    text = str(value)
    return text if text.strip() else None


def _edit_columns(keep_personal: bool, present: list[str]) -> list[str]:
    return list(INPUT_COLUMNS) + ([c for c in PERSONAL_NAMES if c in present] if keep_personal else [])


def _raw_mapping(raw: pd.DataFrame) -> dict[str, str]:
    """Canonical column -> header of the file (a header spelled as the canonical name wins), as ``validate_actors`` reads it."""
    found: dict[str, list[str]] = {}
    for header in raw.columns:
        canon = match_column(str(header))
        if canon is not None:
            found.setdefault(canon, []).append(header)
    return {canon: sorted(heads, key=lambda h: fold(h) != fold(canon))[0] for canon, heads in found.items()}


def table_from_validation(raw: pd.DataFrame, actors: pd.DataFrame, report: pd.DataFrame, keep_personal: bool = False) -> pd.DataFrame:
    """Every row of the file as editable text: accepted and fixed rows with their validated values
    (canonical kind, level, commune and code, corrected coordinates), refused rows as written in the file."""
    mapping = _raw_mapping(raw)
    columns = _edit_columns(keep_personal, [*mapping, *actors.columns])
    lines = report["ligne"].astype("int64").tolist()
    index = pd.Index(lines, name="ligne", dtype="int64")
    kept = actors.loc[index[index.isin(actors.index)]]
    refused = raw.loc[index[~index.isin(actors.index) & index.isin(raw.index)]]
    refused = refused[[mapping[c] for c in columns if c in mapping]].set_axis([c for c in columns if c in mapping], axis=1)
    return pd.concat([_cells(kept, columns), _cells(refused, columns)]).reindex(index)


def _column_text(values: pd.Series) -> pd.Series:
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # the usual case, vectorised
        text = values.astype("str")
        return text.mask(text.str.strip().eq("").fillna(True))
    return values.astype(object).map(_text).astype("str")  # numbers, booleans, mixed cells from the editor


def _cells(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Text cells (missing for blanks) whatever the editor gave back: numbers, booleans, all-empty float columns."""
    return pd.DataFrame({c: _column_text(table[c]) if c in table else pd.Series(None, index=table.index, dtype="str")
                         for c in columns}, index=table.index)


def _as_text(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return _cells(table, columns).fillna("")


def changed_lines(old: pd.DataFrame, new: pd.DataFrame) -> set[int]:
    """Lines of ``new`` that are new or differ from ``old`` in any cell (blank and missing are the same)."""
    columns = list(dict.fromkeys([*old.columns, *new.columns]))
    common = new.index.intersection(old.index)
    a, b = _as_text(old.loc[common], columns), _as_text(new.loc[common], columns)
    differ = (a != b).any(axis=1)
    return set(new.index.difference(old.index).tolist()) | set(differ[differ].index.tolist())


def _numbered(table: pd.DataFrame) -> pd.DataFrame:
    """Integer line numbers for every row (rows added in the editor get the next free numbers)."""
    index = pd.to_numeric(pd.Series(table.index, dtype="object"), errors="coerce")
    missing = index.isna() | index.duplicated()
    if missing.any():
        start = int(index.max()) + 1 if index.notna().any() else FIRST_LINE
        index[missing] = range(start, start + int(missing.sum()))
    out = table.copy()
    out.index = pd.Index(index.astype("int64").to_numpy(), name="ligne")
    return out


def _validate(ref: Reference, table: pd.DataFrame, editable: EditableInventory, unchanged: set[int], sirene: SireneStore | None):
    raw = table.copy()
    if editable.overflow:  # a row longer than its header in the file stays refused until edited
        raw.attrs["cellules_en_trop"] = {line: n for line, n in editable.overflow.items() if line in unchanged}
        raw.attrs["largeur"] = editable.width
    return validate_actors(raw, ref.communes, departements=ref.departements, keep_personal=editable.keep_personal, sirene=sirene)


def import_inventory(ref: Reference, data: bytes, name: str, keep_personal: bool = False, geocoder: Geocoder | None = None,
                     progress: Progress | None = None, sheet: str | None = None, sirene: SireneStore | None = None) -> EditableInventory:
    """Read, validate and place an inventory file (``ActorError`` with a French message when it cannot be read at all);
    ``sheet``: the workbook's sheet to read (default: the one revealing the most inventory columns); ``sirene``: the
    cache's Sirene tables, which fill what a SIRET tells (``None``: absent, the report says so)."""
    if progress:
        progress(0.05, f"Lecture de {name}…")
    raw = read_actors(data, name, sheet=sheet)
    if progress:
        progress(0.25, f"Vérification de {len(raw)} ligne(s)…")
    actors, report = validate_actors(raw, ref.communes, departements=ref.departements, keep_personal=keep_personal, sirene=sirene)
    if progress:
        progress(0.6, f"Placement de {len(actors)} acteur(s)…")
    placed = place_actors(actors, ref.communes, geocoder=geocoder, progress=progress)
    table = table_from_validation(raw, actors, report, keep_personal)
    return EditableInventory(table, Inventory(placed, report), name, tuple(report.attrs.get("notes", [])), keep_personal,
                             dict(raw.attrs.get("cellules_en_trop", {})), int(raw.attrs.get("largeur", 0)),
                             sheets=tuple(raw.attrs.get("feuilles", ())))


def _merge_reports(old: pd.DataFrame, new: pd.DataFrame, changed: set[int]) -> pd.DataFrame:
    """The new report, where an unchanged row keeps its first messages (« latitude et longitude inversées »…)
    unless its fate changed (refused now and not before, or the reverse: a duplicate whose twin was deleted)."""
    before = old.set_index("ligne")
    after = new.set_index("ligne")
    same = after.index.isin(before.index) & ~after.index.isin(list(changed))
    refused_before = before["statut"].reindex(after.index).eq("refusé").to_numpy()
    keep = same & (after["statut"].eq("refusé").to_numpy() == refused_before)
    merged = after.copy()
    merged.loc[keep, ["nom", "statut", "messages"]] = before.loc[after.index[keep], ["nom", "statut", "messages"]].to_numpy()
    merged = merged.reset_index()
    merged.attrs["notes"] = new.attrs.get("notes", [])
    return merged


def revalidate(ref: Reference, state: EditableInventory, table: pd.DataFrame, geocoder: Geocoder | None = None,
               progress: Progress | None = None, sirene: SireneStore | None = None) -> EditableInventory:
    """``state`` after the table was edited: every row validated again, changed rows placed again.

    Unchanged accepted rows keep their placement (an address geocoded once is not sent again) and
    their first report messages; deleted rows leave the inventory.
    """
    table = _numbered(table)
    table = _cells(table, [c for c in table.columns if c in state.table.columns or c in INPUT_COLUMNS])
    changed = changed_lines(state.table, table)
    unchanged = set(table.index) - changed
    if progress:
        progress(0.1, f"Vérification de {len(table)} ligne(s)…")
    actors, report = _validate(ref, table, state, unchanged, sirene)
    old = state.inventory.actors
    reuse = actors.index[actors.index.isin(list(unchanged)) & actors.index.isin(old.index)]
    fresh = actors.loc[~actors.index.isin(reuse)]
    if progress:
        progress(0.6, f"Placement de {len(fresh)} acteur(s) nouveau(x) ou modifié(s)…")
    parts = [old.loc[reuse]] if len(reuse) else []
    if len(fresh) or not parts:
        parts.append(place_actors(fresh, ref.communes, geocoder=geocoder, progress=progress))
    placed = pd.concat(parts) if len(parts) > 1 else parts[0]
    placed = placed.loc[actors.index, [c for c in placed.columns if c in actors.columns or c == "geometry"]]
    report = _merge_reports(state.inventory.report, report, changed)
    inventory = Inventory(placed, report)
    return replace(state, table=table, inventory=inventory, revision=state.revision + 1)


def append_actor(table: pd.DataFrame, fields: dict[str, object]) -> pd.DataFrame:
    """``table`` with one more row (the next line number); unknown fields are ignored, lists joined with « ; »."""
    line = int(table.index.max()) + 1 if len(table) else FIRST_LINE
    row = {c: _text("; ".join(v) if isinstance(v, list | tuple) else v) for c, v in fields.items() if c in table.columns}
    new = pd.DataFrame([row], index=pd.Index([line], name="ligne", dtype="int64"), columns=table.columns).astype("str")
    return pd.concat([table, new]) if len(table) else new


def empty_inventory(ref: Reference) -> EditableInventory:
    """An inventory with no actor yet (to start from the map); same shape as an imported one."""
    raw = pd.DataFrame({c: pd.Series(dtype="str") for c in INPUT_COLUMNS}, index=pd.Index([], name="ligne", dtype="int64"))
    actors, report = validate_actors(raw, ref.communes, departements=ref.departements)
    return EditableInventory(table_from_validation(raw, actors, report), Inventory(place_actors(actors, ref.communes), report),
                             "nouvel inventaire")


def from_stored(actors: gpd.GeoDataFrame, name: str) -> EditableInventory:
    """The inventory a project holds (placed actors, already validated), editable again.

    A project file keeps the actors, not the file they came from: rows are numbered from line 2 in
    their stored order, each is « accepté » with no message, and their placement is kept as stored.
    """
    placed = actors.copy()
    placed.index = pd.Index(range(FIRST_LINE, FIRST_LINE + len(placed)), name="ligne", dtype="int64")
    for column in LATER_COLUMNS:  # a file written before the column existed: the column, empty
        if column not in placed.columns:
            placed.insert(min(1, len(placed.columns)), column, pd.Series(pd.NA, index=placed.index, dtype="str"))
    keep_personal = any(c in placed.columns for c in PERSONAL_NAMES)
    table = _cells(placed, _edit_columns(keep_personal, list(placed.columns)))
    names = placed["nom"] if "nom" in placed.columns else pd.Series("", index=placed.index)
    report = pd.DataFrame({"ligne": placed.index.to_numpy(), "nom": names.fillna("").astype("str").to_numpy(), "statut": "accepté",
                           "messages": ""}, columns=REPORT_COLUMNS)
    report["ligne"] = report["ligne"].astype("int64")
    note = f"Inventaire repris du projet « {name} » : {len(placed)} acteur(s), lignes numérotées à partir de {FIRST_LINE}."
    return EditableInventory(table, Inventory(placed, report), name, (note,), keep_personal)
