"""ESS weight of a territory, its EPCI parts and comparators, from Sirene tables (hand-made, so the oracle is plain arithmetic)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ptce_geo.ess import commune_counts, ess_weight
from ptce_geo.sources.sirene import SireneStore


@pytest.fixture(scope="module")
def store() -> SireneStore:
    totals = pd.DataFrame({"code_commune": ["80021", "80021", "80001", "75101", "75056", "13055", "80021"],
                           "section": ["Q", "G", "Q", "Q", "S", "Q", "?"], "n": [100, 300, 10, 40, 60, 500, 5]})
    ess = pd.DataFrame({"code_commune": ["80021", "80021", "80001", "75101", "13055"],
                        "famille": ["associations", "cooperatives", "associations", "mutuelles", "associations"],
                        "employeur": ["oui", "non", "oui", "oui", "non"], "tranche": ["1-9", "0", "10-49", "250+", "0"],
                        "section": ["Q", "G", "Q", "Q", "Q"], "n": [30, 3, 4, 8, 50]})
    return SireneStore(totals, ess, pd.DataFrame(), {"date": "2026-11-27"})


def test_counts_by_commune_follow_the_passage(store, embedded):
    counts = commune_counts(store, embedded)
    assert counts.loc["75056", "actifs"] == 100 and counts.loc["75056", "ess"] == 8  # 75101 (1er arrondissement) is Paris
    assert counts.loc["80021", "actifs|section|Q"] == 100 and counts.loc["80021", "ess|famille|cooperatives"] == 3
    assert counts["actifs"].sum() == store.totals["n"].sum()


def test_weight_of_territory_epci_parts_and_comparators(store, embedded):
    counts = commune_counts(store, embedded)
    amiens_epci = embedded.communes.loc["80021", "code_epci"]
    members = pd.Index(["80021", "80001", "75056"])
    weight = ess_weight(counts, embedded, members)
    overview = weight.overview().set_index("niveau", append=True)
    territory = weight.overview().loc["Territoire"]
    assert (territory["actifs"], territory["ess"]) == (100 + 300 + 5 + 10 + 40 + 60, 30 + 3 + 4 + 8)
    assert territory["part_ess"] == pytest.approx(45 / 515)
    france = weight.overview().loc["France"]
    assert (france["actifs"], france["ess"]) == (1015, 95)
    epci_rows = weight.overview()[weight.overview()["niveau"] == "epci"]
    assert set(epci_rows["code"]) == {amiens_epci, embedded.communes.loc["80001", "code_epci"], embedded.communes.loc["75056", "code_epci"]}
    assert {"departement", "region", "france"} <= set(overview.index.get_level_values("niveau"))
    somme = weight.overview()[weight.overview()["code"] == "80"].iloc[0]
    assert (somme["actifs"], somme["ess"]) == (415, 37)
    by_section = weight.by("section").set_index(["niveau", "categorie"])
    assert by_section.loc[("Territoire", "Q"), "part"] == pytest.approx(42 / 150)  # ESS in Q over all active in Q
    by_family = weight.by("famille").set_index(["niveau", "categorie"])
    assert by_family.loc[("Territoire", "associations"), "part"] == pytest.approx(34 / 515)
    assert by_family.loc[("Territoire", "associations"), "libelle"] == "Associations"
    employer = weight.by("employeur").set_index(["niveau", "categorie"])
    assert employer.loc[("France", "non"), "ess"] == 53


def test_no_sirene_data_gives_none(embedded):
    assert ess_weight(None, embedded, pd.Index(["80021"])) is None
    empty = SireneStore(pd.DataFrame({"code_commune": ["80021"], "section": ["Q"], "n": [0]}),
                        pd.DataFrame({"code_commune": [], "famille": [], "employeur": [], "tranche": [], "section": [], "n": []}),
                        pd.DataFrame(), {})
    row = ess_weight(commune_counts(empty, embedded), embedded, pd.Index(["80021"])).overview().loc["Territoire"]
    assert row["ess"] == 0 and math.isnan(row["part_ess"])
