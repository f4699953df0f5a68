"""The PTCE's economic model: funding lines, the share of own resources, the coordination post's funding, end-of-funding alerts.

The guide of the Institut Godin (2025, « Modèle économique ») calls the economic model the most questioning subject for PTCE:
funding the coordination post, then keeping it funded, while most dynamics live from one call for projects to the next.
So the app follows each line's period and deadline and warns ahead of time.

Rules of this app (not of the guide), in named constants:
- a line ending within ``END_ALERT_MONTHS`` months of the given day (its last day included) raises an alert, an
  « alerte » when it funds the coordination post, a « vigilance » otherwise;
- a deadline (échéance: renewal request, report…) within ``DEADLINE_ALERT_DAYS`` days raises a « vigilance »;
- the share of own resources is computed over the lines running on the given day, each amount spread evenly over its
  period (amount ÷ days of the period × 365), so that a three-year grant weighs one year's worth.
The day is always passed in (``on``): no rule reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from dateutil.relativedelta import relativedelta

from ..errors import CollectiveError
from ..fr_format import count, fr_number, fr_percent
from ._records import ALERT_COLUMNS, alert, append_checked, as_date, fr_date, iso, nonnegative, text, without_ids
from .tables import Field, Table, check_rows, read_table, register

__all__ = ["LAYER", "NATURES", "OWN_RESOURCES", "END_ALERT_MONTHS", "DEADLINE_ALERT_DAYS", "DAYS_PER_YEAR", "SPEC", "GUIDE",
           "OwnShare", "CoordinationFunding", "empty", "read", "add", "remove", "own_share", "coordination_funding", "alerts"]

OWN_RESOURCES = "ressources propres (ventes, prestations, cotisations)"
NATURES = ("subvention publique", "appel à projets ou à manifestation d'intérêt", OWN_RESOURCES, "mécénat ou fondation",
           "mise à disposition valorisée", "autre")
END_ALERT_MONTHS = 6
DEADLINE_ALERT_DAYS = 60
DAYS_PER_YEAR = 365
LAYER = "financements"  # the layer of the project GeoPackage and the CSV of ``project export``
GUIDE = "guide de l'Institut Godin (2025), chapitre « Modèle économique »"
SPEC = register(Table(LAYER, "Financements", (
    Field("source", "Source", required=True),
    Field("nature", "Nature", choices=NATURES),
    Field("montant", "Montant (€)", kind="float", minimum=0, total=True),
    Field("debut", "Début", kind="date"),
    Field("fin", "Fin", kind="date"),
    Field("echeance", "Échéance", kind="date"),
    Field("poste_coordination", "Finance le poste de coordination", kind="bool"),
    Field("note", "Remarque"),
), date_order=(("debut", "fin"),),
    doc="Financements du PTCE : source, nature, montant, période, échéance (renouvellement, bilan) et financement du poste de "
        "coordination (vide : sans réponse)."))


@dataclass(frozen=True)
class OwnShare:
    """Own resources over the lines running on a day, per year; ``share`` None when no line can be counted."""

    share: float | None
    own_per_year: float
    total_per_year: float
    counted: int
    left_out: int  # running lines without an amount, a nature or both dates


@dataclass(frozen=True)
class CoordinationFunding:
    """The lines funding the coordination post: how many, the amount per year running on the day, when the last one ends."""

    lines: int
    running: int
    per_year: float
    ends: date | None  # the latest end among the lines not ended yet (None: none, or no end recorded)
    open_ended: bool  # a running line without an end date


def empty() -> pd.DataFrame:
    return SPEC.empty()


def read(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The table as stored in a project (``Project.tables``), with every column and its type."""
    return SPEC.empty() if frame is None else read_table(SPEC, frame)


def add(table: pd.DataFrame, source: str, montant: object = None, debut: object = None, fin: object = None, echeance: object = None,
        nature: str | None = None, poste_coordination: bool | None = None, note: str = "") -> pd.DataFrame:
    """``table`` with one more funding line; a negative amount or a period ending before it starts is refused."""
    name = text(source)
    if not name:
        raise CollectiveError("Indiquez la source du financement (financeur ou dispositif).")
    if nature is not None and text(nature) and nature not in NATURES:
        raise CollectiveError(f"Nature de financement inconnue : « {nature} » (attendu : {', '.join(NATURES)}).")
    amount = nonnegative(montant, "Montant", " €")
    start, end, due = as_date(debut, "Date de début"), as_date(fin, "Date de fin"), as_date(echeance, "Échéance")
    if start and end and end < start:
        raise CollectiveError(f"Période dans le mauvais ordre : fin le {fr_date(end)}, avant le début le {fr_date(start)}.")
    row = {"source": name, "nature": text(nature), "montant": amount, "debut": iso(start), "fin": iso(end), "echeance": iso(due),
           "poste_coordination": poste_coordination, "note": text(note)}
    return append_checked(SPEC, table, row, lambda rows: check_rows(SPEC, rows, {}))


def remove(table: pd.DataFrame, ids) -> pd.DataFrame:
    return without_ids(table, ids)


def _dates(table: pd.DataFrame, column: str) -> list[date | None]:
    return [as_date(v, column) for v in table[column]]


def _running(table: pd.DataFrame, on: date) -> pd.Series:
    """Lines whose period holds ``on`` (an unknown start: already started; an unknown end: not ended)."""
    starts, ends = _dates(table, "debut"), _dates(table, "fin")
    return pd.Series([(s is None or s <= on) and (e is None or on <= e) for s, e in zip(starts, ends, strict=True)], index=table.index,
                     dtype=bool)


def _per_year(row) -> float | None:
    start, end = as_date(row.debut, "debut"), as_date(row.fin, "fin")
    if start is None or end is None or pd.isna(row.montant):
        return None
    return float(row.montant) / ((end - start).days + 1) * DAYS_PER_YEAR


def own_share(table: pd.DataFrame, on: date) -> OwnShare:
    """Share of own resources in the yearly amount of the lines running on ``on`` (lines without a nature are left out)."""
    own = total = 0.0
    counted = left_out = 0
    for row in table[_running(table, on)].itertuples(index=False):
        yearly = _per_year(row)
        if yearly is None or not row.nature:
            left_out += 1
            continue
        counted += 1
        total += yearly
        own += yearly if row.nature == OWN_RESOURCES else 0.0
    return OwnShare(own / total if total > 0 else None, own, total, counted, left_out)


def coordination_funding(table: pd.DataFrame, on: date) -> CoordinationFunding:
    """The coordination post's funding seen on ``on``."""
    flagged = table[table["poste_coordination"].fillna(False).astype(bool)]
    running = flagged[_running(flagged, on)]
    per_year = sum(v for v in (_per_year(r) for r in running.itertuples(index=False)) if v is not None)
    ends = [e for e in _dates(flagged, "fin") if e is not None and e >= on]
    open_ended = any(e is None for e in _dates(running, "fin"))
    return CoordinationFunding(len(flagged), len(running), per_year, max(ends) if ends else None, open_ended)


def _money(value: float) -> str:
    return "montant non renseigné" if pd.isna(value) else f"{fr_number(value)}\u00a0€"


def _line_alerts(table: pd.DataFrame, on: date, post_end: date | None) -> list[dict]:
    """A line ending soon is an « alerte » when it is the last funding of the coordination post, a « vigilance » otherwise."""
    horizon, due_horizon = on + relativedelta(months=END_ALERT_MONTHS), on + timedelta(days=DEADLINE_ALERT_DAYS)
    out = []
    for row in table.itertuples(index=False):
        end, due = as_date(row.fin, "Date de fin"), as_date(row.echeance, "Échéance")
        post = bool(row.poste_coordination) if not pd.isna(row.poste_coordination) else False
        if end is not None and on <= end <= horizon:
            last = post and end == post_end
            what = "le financement du poste de coordination" if last else "un financement"
            out.append(alert("financement_fin_proche", "alerte" if last else "vigilance",
                             f"{row.source} : fin le {fr_date(end)}, dans {count((end - on).days, 'jour', 'jours')} ; {_money(row.montant)}",
                             f"{what.capitalize()} se termine dans moins de {END_ALERT_MONTHS} mois : préparez son renouvellement "
                             f"ou un relais (le {GUIDE} rappelle que la plupart des PTCE vivent d'un dispositif à l'autre)."))
        if due is not None and on <= due <= due_horizon:
            out.append(alert("financement_echeance_proche", "vigilance",
                             f"{row.source} : échéance le {fr_date(due)}, dans {count((due - on).days, 'jour', 'jours')}",
                             f"Une échéance de financement (demande de renouvellement, bilan…) tombe dans moins de {DEADLINE_ALERT_DAYS} jours."))
    return out


def _post_alert(table: pd.DataFrame, post: CoordinationFunding, on: date) -> list[dict]:
    if not post.lines or post.running:
        return []
    ends = [e for e in _dates(table[table["poste_coordination"].fillna(False).astype(bool)], "fin") if e and e < on]
    figures = (f"dernier financement terminé le {fr_date(max(ends))}" if ends and post.ends is None else
               f"{count(post.lines, 'ligne', 'lignes')} de financement du poste, aucune en cours le {fr_date(on)}")
    return [alert("coordination_sans_financement", "alerte", figures,
                  "Le poste de coordination n'a aucun financement en cours : le " + GUIDE + " en fait la première question "
                  "du modèle économique d'un PTCE.")]


def alerts(table: pd.DataFrame, on: date) -> pd.DataFrame:
    """``code, niveau, chiffres, message`` on ``on``: lines ending soon, deadlines soon, a coordination post without funding
    running, lines left out of the share of own resources."""
    try:
        post = coordination_funding(table, on)
        out = _line_alerts(table, on, post.ends) + _post_alert(table, post, on)
        share = own_share(table, on)
    except CollectiveError as exc:  # a file edited by hand: say it rather than fail
        return pd.DataFrame([alert("financement_illisible", "alerte", str(exc), "Un financement du projet porte une date illisible.")],
                            columns=list(ALERT_COLUMNS))
    if share.left_out:
        out.append(alert("financement_incomplet", "info", count(share.left_out, "ligne en cours", "lignes en cours"),
                         "Des financements en cours n'ont pas de montant, de nature ou de période complète : ils ne comptent pas dans "
                         f"la part des ressources propres ({fr_percent(share.share, 1)} sur les autres)."))
    return pd.DataFrame(out, columns=list(ALERT_COLUMNS))
