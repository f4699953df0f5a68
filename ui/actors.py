"""The actor inventory of the session: import a file, edit rows, add an actor, summarise for the territory.

Session keys (the Export and Projet pages read ``actors_inventory``: keep the names):

``actors_inventory``  the ``Inventory``: placed actors, row-by-row report, and the summary for the
                      current territory once the Acteurs page has computed it
``actors_table``      every row of the inventory as text, refused rows included so they can be fixed:
                      what ``st.data_editor`` edits and ``validate_actors`` validates again
``actors_state``      the ``ActorState`` holding both, with the file's name and reading notes

The first half is pure (tested without Streamlit); the second only moves data in and out of the session.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import streamlit as st

from ptce_geo.actor_schema import INPUT_COLUMNS, PERSONAL_COLUMNS, fold, match_column
from ptce_geo.actors import Geocoder, place_actors, read_actors, validate_actors
from ptce_geo.inventory import Inventory, summarise_inventory
from ptce_geo.reference import Reference

__all__ = [
    "INVENTORY_KEY",
    "TABLE_KEY",
    "STATE_KEY",
    "EDITOR_PREFIX",
    "MAX_UPLOAD_MB",
    "ActorState",
    "table_from_validation",
    "changed_lines",
    "import_inventory",
    "revalidate",
    "append_actor",
    "with_summary",
    "md",
    "empty_state",
    "stored",
    "store",
    "forget",
]

INVENTORY_KEY, TABLE_KEY, STATE_KEY = "actors_inventory", "actors_table", "actors_state"
EDITOR_PREFIX = "act_editeur_"  # + revision: the key of the table editor
MAX_UPLOAD_MB = 20  # ~250,000 rows of a typical inventory; the page says so next to the uploader
PERSONAL_NAMES = tuple(c.name for c in PERSONAL_COLUMNS)
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ActorState:
    """One inventory being worked on: the editable table, the placed and judged inventory, where it came from."""

    table: pd.DataFrame  # index ``ligne`` (line in the file; new rows numbered after the last), text cells
    inventory: Inventory
    name: str = "inventaire"
    notes: tuple[str, ...] = ()  # what was detected when reading the file (encoding, separator, sheet…)
    keep_personal: bool = False
    overflow: dict[int, int] = field(default_factory=dict)  # line -> cells, rows longer than the header in the file
    width: int = 0
    revision: int = 0  # bumped on every edit (the table editor's key follows it)


# --- pure half ------------------------------------------------------------------------------------

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
        start = int(index.max()) + 1 if index.notna().any() else 2
        index[missing] = range(start, start + int(missing.sum()))
    out = table.copy()
    out.index = pd.Index(index.astype("int64").to_numpy(), name="ligne")
    return out


def _validate(ref: Reference, table: pd.DataFrame, state: ActorState | None, keep_personal: bool, unchanged: set[int]):
    raw = table.copy()
    if state is not None and state.overflow:  # a row longer than its header in the file stays refused until edited
        raw.attrs["cellules_en_trop"] = {line: n for line, n in state.overflow.items() if line in unchanged}
        raw.attrs["largeur"] = state.width
    return validate_actors(raw, ref.communes, departements=ref.departements, keep_personal=keep_personal)


def import_inventory(ref: Reference, data: bytes, name: str, keep_personal: bool = False, geocoder: Geocoder | None = None,
                     progress: Progress | None = None) -> ActorState:
    """Read, validate and place an inventory file (``ActorError`` with a French message when it cannot be read at all)."""
    if progress:
        progress(0.05, f"Lecture de {name}…")
    raw = read_actors(data, name)
    if progress:
        progress(0.25, f"Vérification de {len(raw)} ligne(s)…")
    actors, report = validate_actors(raw, ref.communes, departements=ref.departements, keep_personal=keep_personal)
    if progress:
        progress(0.6, f"Placement de {len(actors)} acteur(s)…")
    placed = place_actors(actors, ref.communes, geocoder=geocoder, progress=progress)
    table = table_from_validation(raw, actors, report, keep_personal)
    return ActorState(table, Inventory(placed, report), name, tuple(report.attrs.get("notes", [])), keep_personal,
                      dict(raw.attrs.get("cellules_en_trop", {})), int(raw.attrs.get("largeur", 0)))


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


def revalidate(ref: Reference, state: ActorState, table: pd.DataFrame, geocoder: Geocoder | None = None,
               progress: Progress | None = None) -> ActorState:
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
    actors, report = _validate(ref, table, state, state.keep_personal, unchanged)
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
    line = int(table.index.max()) + 1 if len(table) else 2
    row = {c: _text("; ".join(v) if isinstance(v, list | tuple) else v) for c, v in fields.items() if c in table.columns}
    new = pd.DataFrame([row], index=pd.Index([line], name="ligne", dtype="int64"), columns=table.columns).astype("str")
    return pd.concat([table, new]) if len(table) else new


def with_summary(inventory: Inventory, ref: Reference, territory_communes: list[str]) -> Inventory:
    """The inventory summarised for a territory (counts, plurality, blind spots, alerts)."""
    return summarise_inventory(inventory, ref, territory_communes)


def md(text: object) -> str:
    """User text shown as Markdown: HTML escaped, Markdown syntax inert (a name never formats the page)."""
    return html.escape(str(text), quote=False).translate({ord(c): f"\\{c}" for c in "*_`[]#|~$"})


def empty_state(ref: Reference) -> ActorState:
    """An inventory with no actor yet (to start from the map); same shape as an imported one."""
    raw = pd.DataFrame({c: pd.Series(dtype="str") for c in INPUT_COLUMNS}, index=pd.Index([], name="ligne", dtype="int64"))
    actors, report = validate_actors(raw, ref.communes, departements=ref.departements)
    return ActorState(table_from_validation(raw, actors, report), Inventory(place_actors(actors, ref.communes), report),
                      "nouvel inventaire")


# --- Streamlit half -------------------------------------------------------------------------------

def stored() -> ActorState | None:
    """This session's inventory, ``None`` before any import."""
    return st.session_state.get(STATE_KEY)


def store(state: ActorState) -> None:
    """Keep ``state`` and mirror its inventory and table under the keys other pages read.

    A new table drops the edits pending in any table editor: they were made on the previous table
    (an import starts again at revision 0, and the editor's key follows the revision).
    """
    old = st.session_state.get(STATE_KEY)
    if old is None or old.table is not state.table:
        for key in [k for k in st.session_state if str(k).startswith(EDITOR_PREFIX)]:
            del st.session_state[key]
    st.session_state[STATE_KEY] = state
    st.session_state[INVENTORY_KEY] = state.inventory
    st.session_state[TABLE_KEY] = state.table


def forget() -> None:
    """Drop the inventory from the session (the other pages then see none)."""
    for key in (STATE_KEY, INVENTORY_KEY, TABLE_KEY):
        st.session_state.pop(key, None)
