"""An actor's SIRET: checked as INSEE builds it, then used to fill the type, legal form and ESS status left empty.

The column takes a SIRET (14 digits: an establishment) or a SIREN (9 digits: the legal unit, whose legal
category and ESS status are those of all its establishments). Spaces, non-breaking spaces, dots and hyphens
are formatting and removed. The check digit is INSEE's Luhn key, verified by python-stdnum, which also knows
La Poste's exception (SIREN 356 000 000: its establishments' SIRET have a digit sum that is a multiple of 5, the
head office 356 000 000 00048 follows Luhn). A malformed number refuses the row, with the reason, so that it is
fixed in the table rather than matched against Sirene or exported wrong.

With the Sirene tables of the cache (``data update --only sirene``), a SIRET among the active establishments of
ESS legal units fills only the cells the user left empty (``ess_actors.from_siret``), and the report names the
stock it came from; Sirene absent, or the SIRET not in its ESS list, the report says so and nothing is guessed.
"""

from __future__ import annotations

import re
from typing import Protocol

import pandas as pd
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from ..ess_actors import from_siret
from ..fr_format import count
from ..sources.sirene import SireneStore
from .actor_schema import parse_ess

__all__ = ["SIRENE_ABSENT", "Log", "read_siret", "sirene_vintage", "check_sirets"]

SIRENE_ABSENT = "SIRET conservé ; Sirene absent : type et forme juridique non remplis"
_FORMATTING = re.compile(r"[\s.\-\u00a0\u202f]")
_FILLED = (("type_structure", "type"), ("forme_juridique", "forme juridique"), ("ess", "ESS"))


class Log(Protocol):
    """What the checks write to (``actors._Log``)."""

    def fix(self, i: int, message: str) -> None: ...

    def warn(self, i: int, message: str) -> None: ...

    def refuse(self, i: int, message: str) -> None: ...


def read_siret(text: str) -> tuple[str | None, str | None]:
    """``(digits, None)`` for a valid SIRET or SIREN (formatting removed), else ``(None, French reason)``."""
    digits = _FORMATTING.sub("", text)
    if re.fullmatch(r"\d+(,\d+)?[eE]\+?\d+", digits):
        return None, (f"SIRET « {text} » écrit en notation scientifique par le tableur (chiffres perdus) : "
                      "saisissez-le comme texte, 14 chiffres")
    if not digits.isdigit():
        return None, f"SIRET « {text} » : seuls des chiffres sont attendus (14 pour un SIRET, 9 pour un SIREN)"
    if len(digits) not in (9, 14):
        hint = " ; un zéro initial perdu par le tableur ?" if len(digits) in (8, 13) else ""
        return None, f"SIRET « {text} » : {len(digits)} chiffres, 14 attendus (ou 9 pour un SIREN){hint}"
    try:
        (stdnum_siret if len(digits) == 14 else stdnum_siren).validate(digits)
    except ValidationError:  # digits and length are checked above: a key, of the number or of the SIREN inside a SIRET
        return None, f"{'SIRET' if len(digits) == 14 else 'SIREN'} « {text} » : clé de contrôle fausse (chiffre mal recopié ?)"
    return digits, None


def sirene_vintage(store: SireneStore) -> str:
    """« stock Sirene téléchargé le 2026-11-02 »: the provenance named next to every filled value."""
    return f"stock Sirene téléchargé le {str(store.meta.get('date', '?'))[:10]}"


def _candidates(listing: pd.DataFrame, numbers: list[str]) -> pd.DataFrame:
    """The listing rows of these SIRET and SIREN, found once (the national list holds millions of rows)."""
    sirets = [n for n in numbers if len(n) == 14]
    sirens = [n for n in numbers if len(n) == 9]
    return listing[listing["siret"].isin(sirets) | listing["siren"].isin(sirens)]


def _lookup(number: str, candidates: pd.DataFrame) -> dict | None:
    if len(number) == 9:  # a legal unit: any of its establishments carries its category and ESS status
        rows = candidates[candidates["siren"] == number]
        number = str(rows["siret"].iloc[0]) if len(rows) else ""
    return from_siret(number, candidates) if number else None


def check_sirets(v: dict, log: Log, sirene: SireneStore | None, lines: list[int], notes: list[str]) -> None:
    """Normalise ``v['siret']`` (malformed: row refused), then fill the empty type, legal form and ESS from Sirene."""
    numbers: list[str | None] = []
    first: dict[str, int] = {}
    for i, text in enumerate(v["siret"]):
        number, error = read_siret(text) if text else (None, None)
        if error:
            log.refuse(i, error)
        elif number in first:
            log.warn(i, f"même SIRET/SIREN que la ligne {lines[first[number]]}")
        elif number:
            first[number] = i
        numbers.append(number)
    v["siret"] = numbers  # digits only; a refused row stays in the editable table as typed (``editing.table_from_validation``)
    given = [n for n in numbers if n]
    if not given:
        return
    if sirene is None:
        notes.append("SIRET : tables Sirene absentes du cache (python -m ptce_geo data update --only sirene) : "
                     "type, forme juridique et ESS non remplis")
        for i, number in enumerate(numbers):
            if number and not (v["type_structure"][i] and v["forme_juridique"][i]):
                log.warn(i, SIRENE_ABSENT)
        return
    vintage = sirene_vintage(sirene)
    candidates = _candidates(sirene.listing, given)
    filled = sum(_fill(v, log, i, number, _lookup(number, candidates), vintage) for i, number in enumerate(numbers) if number)
    if filled:
        notes.append(f"SIRET : {count(filled, 'acteur complété', 'acteurs complétés')} depuis Sirene ({vintage}) "
                     "(type, forme juridique ou ESS laissés vides)")


def _fill(v: dict, log: Log, i: int, number: str, found: dict | None, vintage: str) -> bool:
    """Fill the empty cells of row ``i`` (``True`` if any); what the user typed stays, a contradiction on the ESS status is flagged."""
    if found is None:
        log.warn(i, f"{'SIRET' if len(number) == 14 else 'SIREN'} {number} absent des établissements actifs de l'ESS ({vintage}) : "
                    "structure hors ESS, fermée ou non diffusible ; type et forme juridique non remplis")
        return False
    filled = []
    for column, label in _FILLED:
        if not v[column][i]:
            v[column][i] = found[column]
            filled.append(f"{label} « {found[column]} »")
    if filled:
        log.fix(i, f"rempli depuis Sirene ({vintage}) : {', '.join(filled)}")
    if parse_ess(v["ess"][i]) is False:
        log.warn(i, f"Sirene classe cette structure dans l'ESS ({found['forme_juridique']}, {vintage}) : vérifier « ESS non »")
    return bool(filled)
