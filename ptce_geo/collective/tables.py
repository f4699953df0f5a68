"""The collective's tables kept in a project file, declared once: layer, columns, types, French labels, references.

Each domain module (``groups``, ``activities``, ``meetings``…) declares its tables with ``register``;
``project.py`` writes and reads every registered table the same way, the export writes each as CSV, and
snapshots count their rows. A table is an attribute layer of the project GeoPackage, one row per
record, with an integer ``id``. In memory every table is a ``DataFrame`` whose columns are typed by
``kind``: ``text``, ``date`` (ISO ``AAAA-MM-JJ``) and ``list`` (items joined by ``"; "``) are ``str``
(empty = unanswered), ``float`` is ``float64`` (NaN = unanswered), ``int`` is ``Int64``, ``bool`` is
``boolean``. Actors are referred to by their name (``nom``), the one identifier a coordinator sees and
that survives a new import of the inventory; findings and other tables by their ``id``.

Rows are checked here, not in the pages: ``check_rows`` collects every problem of a table in French
(required value missing, value outside its list, negative number, unknown actor, end before start),
``dangling`` lists references to actors or findings that no longer exist (the rows are kept: nothing
saved is lost, the coordinator decides).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..errors import CollectiveError
from ..fr_format import fr_number

__all__ = ["Field", "Table", "register", "registered", "table", "empty_tables", "read_table", "to_storage", "check_rows",
           "add_row", "replace_rows", "delete_rows", "dangling", "snapshot_summary", "split_items", "join_items",
           "ACTORS", "FINDINGS", "CORE_LAYERS", "DECLARING_MODULES", "KINDS", "LIST_SEPARATOR"]

ACTORS = "acteurs"  # ``refers`` value: names of actors of the inventory
FINDINGS = "constats"  # ``refers`` value: ids of the project's shared findings
# layers the project file already uses for its own content: a registered table cannot take these names
CORE_LAYERS = frozenset({"ptce_meta", "territoires", "definitions", "communes", "acteurs", "constats", "profil", "instantanes"})
KINDS = ("text", "date", "list", "int", "float", "bool")
LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Field:
    """One column: code name, French label, kind, and its rule (required, vocabulary, bounds, what it refers to)."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()  # closed vocabulary (each item for a list)
    minimum: float | None = None
    maximum: float | None = None
    refers: str = ""  # ACTORS, FINDINGS or a registered layer: every value (item) must exist there
    total: bool = False  # snapshots keep the column's sum (amounts, jobs, FTE)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} not in {KINDS}")


@dataclass(frozen=True)
class Table:
    """A registered table: layer name in the GeoPackage (also the CSV name), French title, fields, date pairs in order."""

    layer: str
    label: str
    fields: tuple[Field, ...]
    date_order: tuple[tuple[str, str], ...] = ()  # (start, end): end may not precede start
    any_of: tuple[str, ...] = ()  # at least one of these fields is answered
    doc: str = ""  # one French sentence for the export's sources.md
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def columns(self) -> list[str]:
        return ["id", *self.by_name]

    def empty(self) -> pd.DataFrame:
        return read_table(self, pd.DataFrame(columns=self.columns))


_TABLES: dict[str, Table] = {}


def register(spec: Table) -> Table:
    """Declare a table (once per layer; a core layer name or an unknown reference kind is a programming error)."""
    if spec.layer in CORE_LAYERS or spec.layer in _TABLES and _TABLES[spec.layer] != spec:
        raise ValueError(f"layer {spec.layer!r} already used")
    if "id" in spec.by_name:
        raise ValueError("'id' is added by the registry")
    _TABLES[spec.layer] = spec
    return spec


# the modules declaring tables, in the order of the export (each calls ``register`` on import)
DECLARING_MODULES = ("groups", "activities", "meetings", "functions", "funding")


def registered() -> dict[str, Table]:
    """Every registered table, in declaration order (importing the modules that declare them)."""
    for module in DECLARING_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    return dict(_TABLES)


def table(layer: str) -> Table:
    try:
        return registered()[layer]
    except KeyError:
        raise CollectiveError(f"Table inconnue : « {layer} ».") from None


def empty_tables() -> dict[str, pd.DataFrame]:
    return {layer: spec.empty() for layer, spec in registered().items()}


# --- values ----------------------------------------------------------------------------------------

def split_items(value: object) -> list[str]:
    """Items of a ``list`` cell (``;``-separated: names may hold commas), stripped, empty ones dropped, order kept."""
    if not isinstance(value, str):
        return []
    return list(dict.fromkeys(item.strip() for item in value.split(";") if item.strip()))


def join_items(items: Iterable[object]) -> str:
    return LIST_SEPARATOR.join(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _column(spec: Field, series: pd.Series) -> pd.Series:
    if spec.kind in ("float", "int"):
        numbers = pd.to_numeric(series.replace("", None), errors="raise").astype("float64")
        return numbers.round().astype("Int64") if spec.kind == "int" else numbers
    if spec.kind == "bool":
        return series.map(lambda v: None if _blank(v) else v if isinstance(v, bool) else str(v).strip().lower() in ("1", "1.0", "true", "oui")
                          ).astype("boolean")
    text = series.map(lambda v: "" if _blank(v) else str(v).strip())
    return text.map(lambda v: join_items(split_items(v))) if spec.kind == "list" else text


def read_table(spec: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (read from a file or edited) with the table's columns and types; missing columns are added empty.

    Columns the registry does not know are kept after the declared ones (a newer version's column is not lost)."""
    frame = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore").reset_index(drop=True)
    extra = [c for c in frame.columns if c not in spec.columns]
    out = frame.reindex(columns=[*spec.columns, *extra])
    out["id"] = pd.to_numeric(out["id"], errors="raise").astype("Int64") if len(out) else pd.Series(dtype="Int64")
    for f in spec.fields:
        out[f.name] = _column(f, out[f.name]) if len(out) else _column(f, pd.Series(dtype="object"))
    for col in extra:
        out[col] = out[col].map(lambda v: "" if _blank(v) else str(v))
    if len(out) and out["id"].isna().any():
        out.loc[out["id"].isna(), "id"] = _next_ids(out["id"], int(out["id"].isna().sum()))
    return out


def _next_ids(ids: pd.Series, n: int) -> list[int]:
    start = int(ids.max()) + 1 if ids.notna().any() else 1
    return list(range(start, start + n))


def to_storage(spec: Table | None, frame: pd.DataFrame) -> pd.DataFrame:
    """What is written to the GeoPackage: ``id`` int64, numbers float64 (NULL when empty), booleans 0/1, the rest text."""
    out = pd.DataFrame(frame).copy()
    if "id" in out:
        out["id"] = pd.to_numeric(out["id"]).astype("int64")
    for col in out.columns:
        kind = spec.by_name[col].kind if spec is not None and col in spec.by_name else ("id" if col == "id" else "text")
        if kind in ("float", "int", "bool"):
            out[col] = pd.to_numeric(out[col].astype("object").where(out[col].notna(), None)).astype("float64")
        elif kind != "id":
            out[col] = out[col].map(lambda v: "" if _blank(v) else str(v)).astype("object")
    return out


# --- checks --------------------------------------------------------------------------------------

def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _exact(number: float) -> str:
    """A bound or a received value with the decimals it has, up to 6: « -0,1 », never a rounded « 0 »."""
    return fr_number(number, len(f"{number:.6f}".rstrip("0").partition(".")[2]))


def _value_problems(f: Field, value: object, known: Mapping[str, set]) -> list[str]:
    """What is wrong with one cell (``known``: reference kind -> existing names or ids)."""
    if _blank(value):
        return [f"« {f.label} » est obligatoire."] if f.required else []
    if f.kind in ("float", "int"):
        number = float(value)
        if f.minimum is not None and number < f.minimum:
            return [f"« {f.label} » ne peut pas être inférieur à {_exact(f.minimum)} (reçu : {_exact(number)})."]
        if f.maximum is not None and number > f.maximum:
            return [f"« {f.label} » ne peut pas dépasser {_exact(f.maximum)} (reçu : {_exact(number)})."]
        return []
    if f.kind == "date":
        return [] if _date(str(value)) else [f"« {f.label} » : date « {value} » illisible (attendu : AAAA-MM-JJ)."]
    items = split_items(value) if f.kind == "list" else [str(value)]
    problems = []
    if f.choices:
        wrong = [i for i in items if i not in f.choices]
        if wrong:
            problems.append(f"« {f.label} » : « {wrong[0]} » n'est pas une valeur possible (valeurs : {', '.join(f.choices)}).")
    if f.refers:
        existing = known.get(f.refers, set())
        unknown = [i for i in items if (i if f.refers == ACTORS else _as_id(i)) not in existing]
        if unknown:
            what = {ACTORS: "acteur absent de l'inventaire", FINDINGS: "constat inconnu"}.get(f.refers, f"élément inconnu de « {f.refers} »")
            problems.append(f"« {f.label} » : {what} : {', '.join(f'« {u} »' for u in unknown)}.")
    return problems


def _as_id(value: object) -> int | None:
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def _row_problems(spec: Table, row: Mapping[str, object], known: Mapping[str, set]) -> list[str]:
    problems = [p for f in spec.fields for p in _value_problems(f, row.get(f.name), known)]
    for start, end in spec.date_order:
        a, b = _date(str(row.get(start) or "")), _date(str(row.get(end) or ""))
        if a and b and b < a:
            problems.append(f"« {spec.by_name[end].label} » ({b.isoformat()}) précède « {spec.by_name[start].label} » ({a.isoformat()}).")
    if spec.any_of and all(_blank(row.get(name)) for name in spec.any_of):
        problems.append("renseignez au moins " + " ou ".join(f"« {spec.by_name[n].label} »" for n in spec.any_of) + ".")
    return problems


def _row_name(row: Mapping[str, object]) -> str:
    for key in ("nom", "titre", "acteur", "date"):
        if not _blank(row.get(key)):
            return f"« {row[key]} »"
    return f"n° {row.get('id')}"


def check_rows(spec: Table, frame: pd.DataFrame, known: Mapping[str, set]) -> list[str]:
    """Every problem of the rows of ``frame``, each naming its row (empty: all rows are valid)."""
    return [f"{spec.label}, {_row_name(row)} : {p}" for row in frame.to_dict("records") for p in _row_problems(spec, row, known)]


def _refuse(problems: list[str]) -> None:
    if problems:
        shown = problems[:8] + ([f"… et {len(problems) - 8} autre(s) problème(s)."] if len(problems) > 8 else [])
        raise CollectiveError("Rien n'a été enregistré : " + " ".join(shown))


def _known(tables: Mapping[str, pd.DataFrame], actors: Iterable[str], findings: Iterable[object]) -> dict[str, set]:
    known: dict[str, set] = {ACTORS: {str(a) for a in actors}, FINDINGS: {_as_id(f) for f in findings}}
    known.update({layer: {int(i) for i in frame["id"].dropna()} for layer, frame in tables.items() if "id" in frame})
    return known


def add_row(tables: Mapping[str, pd.DataFrame], layer: str, values: Mapping[str, object], actors: Iterable[str],
            findings: Iterable[object] = ()) -> dict[str, pd.DataFrame]:
    """``tables`` with one new row in ``layer`` (next id); ``CollectiveError`` listing every problem, ``tables`` unchanged."""
    spec = table(layer)
    unknown = [k for k in values if k not in spec.by_name]
    if unknown:
        raise CollectiveError(f"{spec.label} : colonne inconnue « {unknown[0]} ».")
    current = tables.get(layer, spec.empty())
    row = read_table(spec, pd.DataFrame([{**values, "id": _next_ids(current["id"], 1)[0]}]))
    _refuse(check_rows(spec, row, _known(tables, actors, findings)))
    return {**tables, layer: read_table(spec, pd.concat([current, row], ignore_index=True)) if len(current) else row}


def replace_rows(tables: Mapping[str, pd.DataFrame], layer: str, frame: pd.DataFrame, actors: Iterable[str],
                 findings: Iterable[object] = ()) -> dict[str, pd.DataFrame]:
    """``tables`` with ``layer`` replaced by ``frame`` (a table edited as a whole; new rows get ids), all rows checked first."""
    spec = table(layer)
    try:
        edited = read_table(spec, frame)
    except (TypeError, ValueError) as exc:
        raise CollectiveError(f"Rien n'a été enregistré : {spec.label} : nombre illisible ({str(exc)[:80]}).") from None
    if edited["id"].duplicated().any():
        raise CollectiveError(f"Rien n'a été enregistré : {spec.label} : identifiant en double.")
    removed = set(tables.get(layer, spec.empty())["id"].dropna()) - set(edited["id"].dropna())
    _refuse(check_rows(spec, edited, _known({**tables, layer: edited}, actors, findings)) + _uses(tables, layer, removed))
    return {**tables, layer: edited}


def _uses(tables: Mapping[str, pd.DataFrame], layer: str, ids: set) -> list[str]:
    """Rows of other tables still pointing at ``ids`` of ``layer``."""
    problems = []
    for other, spec in registered().items():
        frame = tables.get(other)
        for f in (f for f in spec.fields if f.refers == layer) if frame is not None else ():
            for row in frame.to_dict("records"):
                hit = sorted({_as_id(i) for i in split_items(str(row[f.name]))} & {int(i) for i in ids})
                if hit:
                    problems.append(f"{spec.label}, {_row_name(row)} : « {f.label} » cite encore l'élément n° {hit[0]} ; "
                                    "retirez-le d'abord.")
    return problems


def delete_rows(tables: Mapping[str, pd.DataFrame], layer: str, ids: Iterable[int]) -> dict[str, pd.DataFrame]:
    """``tables`` without rows ``ids`` of ``layer``; refused while another table still refers to one of them."""
    spec, ids = table(layer), {int(i) for i in ids}
    _refuse(_uses(tables, layer, ids))
    current = tables.get(layer, spec.empty())
    return {**tables, layer: current[~current["id"].isin(list(ids))].reset_index(drop=True)}


def dangling(tables: Mapping[str, pd.DataFrame], actors: Iterable[str], findings: Iterable[object] = ()) -> pd.DataFrame:
    """References to actors or findings that no longer exist (an actor deleted or renamed in the inventory): one row each.

    The rows stay as they are: the coordinator fixes or removes them."""
    known = _known(tables, actors, findings)
    rows = []
    for layer, spec in registered().items():
        frame = tables.get(layer)
        for f in (f for f in spec.fields if f.refers in (ACTORS, FINDINGS)) if frame is not None else ():
            for row in frame.to_dict("records"):
                for item in split_items(str(row[f.name])) if f.kind == "list" else [str(row[f.name])] if not _blank(row[f.name]) else []:
                    if (item if f.refers == ACTORS else _as_id(item)) not in known[f.refers]:
                        rows.append({"table": spec.label, "ligne": _row_name(row), "colonne": f.label, "valeur": item})
    return pd.DataFrame(rows, columns=["table", "ligne", "colonne", "valeur"])


def snapshot_summary(tables: Mapping[str, pd.DataFrame]) -> dict[str, dict]:
    """What a snapshot keeps of each table: its rows, the count of each value of its closed lists, the sum of its totals."""
    out: dict[str, dict] = {}
    for layer, spec in registered().items():
        frame = tables.get(layer, spec.empty())
        entry: dict[str, object] = {"lignes": len(frame)}
        for f in spec.fields:
            if f.choices and f.kind != "list":
                counts = frame[f.name].value_counts()
                entry.update({f"{f.name} : {c}": int(counts.get(c, 0)) for c in f.choices})
            if f.total:
                entry[f"{f.name} (total)"] = round(float(frame[f.name].sum()), 6) if len(frame) else 0.0
        out[layer] = entry
    return out
