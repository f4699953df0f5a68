"""Zonings: recognisers, the territory against BV 2022 / ZE 2020 / AAV 2020 / FRR, the ZONAGES_COUPES alert, bad input, display.

Expected figures come from the raw CSVs read with plain pandas (``zone_of_2026`` below), never from ptce_geo.
"""

from __future__ import annotations

import folium
import pandas as pd
import pytest
import shapely
import streamlit as st
from streamlit.testing.v1 import AppTest

from ptce_geo.cache import read_manifest
from ptce_geo.diagnostic import diagnose
from ptce_geo.errors import SourceFileError
from ptce_geo.export import sources_text, tables
from ptce_geo.mapping import ZONING_STYLES, zoning_layer
from ptce_geo.reference import load_reference
from ptce_geo.sources.local import import_directory
from ptce_geo.sources.tables import read_table
from ptce_geo.sources.zoning_files import FRR_CLASSES, recognise_zonings
from ptce_geo.territory import TerritoryDefinition, build_territory
from ptce_geo.zonings import COLUMNS, ZoningParams, Zonings, outside_share, zone_outlines, zoning_alerts
from tests.conftest import SHARED, needs_shared
from tests.source_files import AMIENS, cog_2026
from tests.test_pages import TERRITOIRE, diagnostic_section

VAL_DE_SOMME, CRAON = "248000499", "200048551"  # CC du Val de Somme (next to Amiens), CC du Pays de Craon (Mayenne)
ZONAGES = SHARED / "insee_zonages"
FRR_CSV = SHARED / "anct_france_ruralites_revitalisation_2025" / "liste-communes-FRR-juillet2025.csv"


# --- independent oracle: raw CSVs, plain pandas -------------------------------------------------------------------

def zone_of_2026(values: pd.Series) -> pd.Series:
    """Zone of each COG 2026 commune from a per-commune series of an older geography (passage table for merged codes)."""
    passage = pd.read_csv(SHARED / "decoupage_administratif" / "passage_codes_anciens_vers_2026.csv", dtype=str)
    cog = cog_2026()
    via = passage.assign(zone=passage["code_ancien"].map(values)).dropna(subset=["zone"]).drop_duplicates("code_2026")
    return values.reindex(cog.index).fillna(via.set_index("code_2026")["zone"].reindex(cog.index))


def appartenance(column: str) -> pd.Series:
    table = pd.read_csv(ZONAGES / "table_appartenance_communes_2024.csv", dtype=str)
    return zone_of_2026(table.set_index("CODGEO")[column])


def oracle(members: pd.Index, zone: pd.Series) -> pd.DataFrame:
    pop = cog_2026()["population"]
    inside = pop[members].groupby(zone[members]).sum()
    whole = pop.groupby(zone).sum()
    return pd.DataFrame({"part_du_territoire": inside / inside.sum(), "part_de_la_zone": inside / whole[inside.index]})


def oracle_outside(expected: pd.DataFrame, inside_min: float = 0.5) -> float:
    others = expected.drop(expected["part_du_territoire"].idxmax())
    return float(others.loc[others["part_de_la_zone"] < inside_min, "part_du_territoire"].sum())


def territory_of(ref, epci: list[str]):
    return build_territory(ref, TerritoryDefinition(epci=epci))


# --- recognisers on the raw files ------------------------------------------------------------------------------------

@needs_shared
def test_the_table_d_appartenance_gives_one_dataset_per_zoning():
    (name, frame), = read_table(ZONAGES / "table_appartenance_communes_2024.csv")
    found = {ds.id: ds for ds in recognise_zonings(frame, name)}
    assert set(found) == {"zonage_bv2022", "zonage_ze2020", "zonage_aav2020"}
    raw = pd.read_csv(ZONAGES / "table_appartenance_communes_2024.csv", dtype=str)
    ze = found["zonage_ze2020"].table.set_index("code_commune")["code_zone"]
    assert len(ze) == len(raw) and ze.to_dict() == raw.set_index("CODGEO")["ZE2020"].to_dict()
    assert found["zonage_bv2022"].vintage == "géographie 2024"
    (name, frame), = read_table(ZONAGES / "table_appartenance_communes_2022.csv")  # BV2012 only: no bassins de vie 2022
    assert {ds.id for ds in recognise_zonings(frame, name)} == {"zonage_ze2020", "zonage_aav2020"}


@needs_shared
def test_zone_names_and_frr_classes_are_read_from_their_files():
    (name, frame), = read_table(ZONAGES / "zones_supra_communales_2024.csv")
    names = {ds.id: ds.table for ds in recognise_zonings(frame, name)}
    raw = pd.read_csv(ZONAGES / "zones_supra_communales_2024.csv", dtype=str)
    assert {k: len(v) for k, v in names.items()} == {f"noms_{z.lower()}": int((raw["NIVGEO"] == z).sum())
                                                     for z in ("BV2022", "ZE2020", "AAV2020")}
    assert names["noms_bv2022"].set_index("code").at["80021", "nom"] == "Amiens"
    (name, frame), = read_table(FRR_CSV)
    frr, frr_names = recognise_zonings(frame, name)
    counts = pd.read_csv(FRR_CSV, sep=";", dtype=str).iloc[:, 3].value_counts()
    assert frr.table["code_zone"].value_counts().to_dict() == {FRR_CLASSES[k]: v for k, v in counts.items()}
    assert frr.vintage == "classement au 10 juillet 2025" and set(frr_names.table["nom"]) == set(FRR_CLASSES)


def test_an_frr_list_with_unknown_classes_is_refused_naming_the_file():
    frame = pd.DataFrame({"Code_insee": [f"01{i:03d}" for i in range(1, 31)], "Classement FRR et FRR+ au 10 juillet 2025": "Zone rouge"})
    with pytest.raises(SourceFileError, match=r"frr\.csv : 30 classements FRR inconnus"):
        recognise_zonings(frame, "frr.csv")


# --- the territory against each zoning, on real data -------------------------------------------------------------------

@pytest.fixture(scope="module")
def amiens(shared):
    return diagnose(shared, territory_of(shared, [AMIENS, VAL_DE_SOMME]))


@needs_shared
@pytest.mark.parametrize(("zoning", "column"), [("ze2020", "ZE2020"), ("bv2022", "BV2022"), ("aav2020", "AAV2020")])
def test_population_shares_per_zone_match_plain_pandas(amiens, zoning, column):
    cog = cog_2026()
    members = cog.index[cog["epci_siren"].isin([AMIENS, VAL_DE_SOMME])]
    expected = oracle(members, appartenance(column))
    expected.loc[expected.index == "000", "part_de_la_zone"] = float("nan")  # « hors attraction des villes »: a class, not a place
    got = amiens.zonings.of(zoning).set_index("code")
    assert set(got.index) == set(expected.index)
    for col in ("part_du_territoire", "part_de_la_zone"):
        pd.testing.assert_series_equal(got[col].sort_index(), expected[col].sort_index(), check_names=False, rtol=1e-9)
    assert got["coupee"].to_dict() == (expected["part_de_la_zone"] < 1).to_dict()


@needs_shared
def test_frr_shares_match_the_dgcl_list(amiens):
    cog = cog_2026()
    members = cog.index[cog["epci_siren"].isin([AMIENS, VAL_DE_SOMME])]
    raw = pd.read_csv(FRR_CSV, sep=";", dtype=str).set_index("Code_insee").iloc[:, 2].map(FRR_CLASSES)
    pop = cog["population"][members]
    expected = pop.groupby(zone_of_2026(raw)[members]).sum() / pop.sum()
    got = amiens.zonings.of("frr").set_index("code")["part_du_territoire"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, rtol=1e-9)
    assert amiens.zonings.of("frr")["part_de_la_zone"].isna().all()  # a national class, not a place


@needs_shared
def test_zone_names_come_from_the_supra_file(amiens):
    names = amiens.zonings.of("ze2020").set_index("code")["nom"]
    assert names["3202"] == "Amiens"
    assert amiens.zonings.sources["bv2022"][1] == "géographie 2024"


@needs_shared
def test_a_territory_cutting_bassins_and_zones_d_emploi_raises_the_alert_with_the_oracle_figures(shared):
    diag = diagnose(shared, territory_of(shared, [CRAON]))
    cog = cog_2026()
    members = cog.index[cog["epci_siren"] == CRAON]
    bv, ze = (oracle_outside(oracle(members, appartenance(c))) for c in ("BV2022", "ZE2020"))
    alert, = [a for a in diag.alerts if a.code == "ZONAGES_COUPES"]
    assert alert.figures["bv2022"]["part_population_zones_surtout_hors"] == pytest.approx(bv, abs=1e-4)
    assert alert.figures["ze2020"]["part_population_zones_surtout_hors"] == pytest.approx(ze, abs=1e-4)
    assert alert.level == ("alerte" if max(bv, ze) >= 0.5 else "vigilance")
    assert "zones d'emploi surtout hors du territoire" in alert.message and "bassins de vie surtout hors du territoire" in alert.message
    amiens = diagnose(shared, territory_of(shared, [AMIENS, VAL_DE_SOMME]))
    assert "ZONAGES_COUPES" not in {a.code for a in amiens.alerts}


@needs_shared
def test_zone_outlines_are_the_dissolved_member_communes(shared, amiens):
    codes = tuple(amiens.zonings.of("bv2022")["code"])
    outlines = zone_outlines(shared, "bv2022", codes)
    raw = pd.read_csv(ZONAGES / "table_appartenance_communes_2024.csv", dtype=str).set_index("CODGEO")["BV2022"]
    zone = zone_of_2026(raw)
    for code in codes:
        union = shared.communes.geometry[zone.reindex(shared.communes.index) == code].union_all()
        assert shapely.area(shapely.symmetric_difference(outlines[code], union)) < 0.01 * union.area
    assert zone_outlines(shared, "bv2022", codes)[codes[0]] is outlines[codes[0]]  # dissolved once, then kept


@needs_shared
def test_the_export_has_zonages_csv_and_its_sources(amiens):
    table = tables(amiens)["zonages"]
    assert list(table.columns) == COLUMNS and set(table["zonage"]) == {"bv2022", "ze2020", "aav2020", "frr"}
    text = sources_text(amiens)
    assert "## Zonages" in text and "géographie 2024" in text and "ZONAGES_COUPES" in text


# --- embedded default: no zoning data ------------------------------------------------------------------------------------

def test_without_zoning_data_the_diagnostic_says_so_with_the_command(embedded):
    diag = diagnose(embedded, territory_of(embedded, [AMIENS]))
    assert not diag.zonings.available and diag.zonings.table.empty
    assert "python -m ptce_geo data import" in diag.zonings.notes[0]
    assert "ZONAGES_COUPES" not in {a.code for a in diag.alerts}
    assert list(tables(diag)["zonages"].columns) == COLUMNS and tables(diag)["zonages"].empty
    assert "Zonages absents : `python -m ptce_geo data import" in sources_text(diag)


# --- the alert at its boundaries (hand-made tables) -----------------------------------------------------------------------

def zonings(*rows: tuple[str, str, float, float]) -> Zonings:
    """Rows (zoning, code, share of the territory, share of the zone inside)."""
    table = pd.DataFrame([{c: None for c in COLUMNS} | {"zonage": z, "code": c, "nom": f"Zone {c}", "part_du_territoire": t,
                                                         "part_de_la_zone": p} for z, c, t, p in rows], columns=COLUMNS)
    table[["part_du_territoire", "part_de_la_zone"]] = table[["part_du_territoire", "part_de_la_zone"]].astype("float64")
    return Zonings(table, ["bv2022", "ze2020"])


def levels(z: Zonings, params: ZoningParams | None = None) -> list[str]:
    return [a.level for a in zoning_alerts(z, params)]


@pytest.mark.parametrize(("share", "expected"), [(0.33, ["vigilance"]), (0.3299, []), (0.5, ["alerte"]), (0.4999, ["vigilance"])])
def test_the_alert_starts_at_a_third_and_turns_red_at_half_of_the_population(share, expected):
    z = zonings(("bv2022", "main", 1 - share, 0.9), ("bv2022", "out", share, 0.2))
    assert levels(z) == expected


@pytest.mark.parametrize(("inside", "expected"), [(0.5, []), (0.4999, ["vigilance"])])
def test_a_zone_is_mostly_outside_below_half_of_its_population_inside(inside, expected):
    assert levels(zonings(("ze2020", "main", 0.6, 0.9), ("ze2020", "edge", 0.4, inside))) == expected


def test_the_main_zone_is_left_aside_and_the_other_zonings_do_not_count():
    assert levels(zonings(("ze2020", "main", 1.0, 0.05))) == []  # a territory inside one zone d'emploi: normal
    assert levels(zonings(("ze2020", "main", 0.5, 0.05), ("ze2020", "b", 0.3, 0.05), ("ze2020", "c", 0.2, 0.05))) == ["alerte"]
    table = zonings(("aav2020", "main", 0.5, 0.9), ("aav2020", "out", 0.5, 0.1)).table
    assert zoning_alerts(Zonings(table, ["aav2020"])) == []  # AAV are shown, not alerted on (default zonings: BV, ZE)


def test_thresholds_are_parameters_named_in_the_figures():
    z = zonings(("bv2022", "main", 0.8, 0.9), ("bv2022", "out", 0.2, 0.3))
    assert levels(z) == [] and levels(z, ZoningParams(vigilance_share=0.2)) == ["vigilance"]
    alert, = zoning_alerts(z, ZoningParams(vigilance_share=0.2, alert_share=0.2))
    assert alert.level == "alerte" and alert.figures["seuil_vigilance"] == 0.2 and alert.figures["seuil_part_de_la_zone"] == 0.5
    assert alert.figures["bv2022"]["zones"] == [{"code": "out", "nom": "Zone out", "part_du_territoire": 0.2, "part_de_la_zone": 0.3}]
    assert outside_share(z.table, "bv2022", ZoningParams())[0] == 0.2


@pytest.mark.parametrize("kwargs", [{"vigilance_share": 0}, {"alert_share": 1.5}, {"vigilance_share": 0.6, "alert_share": 0.5},
                                    {"zonings": ("frr",)}, {"zone_inside_min": True}])
def test_bad_thresholds_are_refused(kwargs):
    with pytest.raises(ValueError, match="Paramètres de l'alerte sur les zonages invalides"):
        ZoningParams(**kwargs)


# --- bad input: a zoning file with unknown codes ----------------------------------------------------------------------

def test_unknown_codes_are_reported_naming_the_file_and_the_cache_stays_valid(embedded, tmp_path):
    known = list(embedded.communes.index[:20])
    rows = [f"{c};{'8405' if i % 2 else '8406'};01004" for i, c in enumerate(known)] + ["01999;8405;01004", "02999;8405;01004",
                                                                                         "03999;9999;01004"]
    folder = tmp_path / "zonages"
    folder.mkdir()
    path = folder / "appartenance_2024.csv"
    path.write_text("CODGEO;ZE2020;BV2022\n" + "\n".join(rows) + "\n", encoding="utf-8")
    root = tmp_path / "cache"
    manifest, _ = import_directory(folder, root)
    warnings = " | ".join(manifest["avertissements"])
    assert f"{path} : 3 codes commune inconnus de la géographie de référence ignorés pour le zonage ze2020" in warnings
    assert f"{path} : 2 codes de zone sans nom dans la liste des zones pour le zonage ze2020" in warnings
    ref = load_reference(root)
    assert ref.zonings["ze2020"].notna().sum() == 20 and ref.zonings.at[known[1], "ze2020"] == "8405"
    diag = diagnose(ref, build_territory(ref, TerritoryDefinition(communes=known[:2])))
    assert set(diag.zonings.of("ze2020")["nom"]) == {"Zone 8405", "Zone 8406"}
    broken = tmp_path / "casse"
    broken.mkdir()
    (broken / "zonage.csv").write_text("CODGEO;ZE2020\n" + "\n".join(f"X{i};8405" for i in range(30)) + "\n", encoding="utf-8")
    generation = read_manifest(root)["generation"]
    with pytest.raises(SourceFileError, match=r"zonage\.csv : 30 codes commune invalides"):
        import_directory(broken, root)
    assert read_manifest(root)["generation"] == generation and load_reference(root).zonings["ze2020"].notna().sum() == 20
    frr = tmp_path / "frr"
    frr.mkdir()
    (frr / "liste-communes-FRR.csv").write_text("Code_insee;Departement;Commune;Classement FRR et FRR+ au 10 juillet 2025;\n"
                                                 f"{known[0]};01;A;FRR+;\n{known[1]};01;B;Non classée;\n", encoding="utf-8")
    import_directory(frr, root)  # a later import adds its zoning and keeps the earlier ones
    again = load_reference(root)
    assert again.zonings["ze2020"].notna().sum() == 20 and again.zonings.at[known[0], "frr"] == "frr_plus"


# --- display ---------------------------------------------------------------------------------------------------------------

def test_the_map_layer_draws_each_zoning_in_its_own_style():
    square = shapely.box(2.0, 49.0, 2.1, 49.1)
    m = folium.Map()
    zoning_layer({"bv2022": pd.Series({"80021": square}), "ze2020": pd.Series(dtype=object)}).add_to(m)
    page = m.get_root().render()
    assert ZONING_STYLES["bv2022"]["color"] in page and ZONING_STYLES["ze2020"]["color"] not in page
    assert "interactive: false" in page


def test_the_diagnostic_page_says_when_zonings_are_absent(app_data):
    at = diagnostic_section(AMIENS, "Zonages")
    assert not at.exception and "Zonages absents : python -m ptce_geo data import" in " ".join(i.value for i in at.info)


@pytest.fixture
def shared_app(shared_root, monkeypatch):
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(shared_root))
    st.cache_resource.clear()
    yield shared_root
    st.cache_resource.clear()


@needs_shared
def test_the_diagnostic_page_lists_the_zones_touched(shared_app):
    at = diagnostic_section(f"{AMIENS},{VAL_DE_SOMME}", "Zonages")
    assert not at.exception
    zones = [df.value for df in at.dataframe if "Part de la zone dans le territoire" in df.value.columns]
    assert len(zones) == 3 and "Amiens" in set(zones[0]["Zone"])


@needs_shared
def test_the_territory_map_draws_the_zones_touched_when_asked(shared_app):
    at = AppTest.from_file(TERRITOIRE, default_timeout=90)
    at.query_params["epci"] = f"{AMIENS},{VAL_DE_SOMME}"
    at.run()
    box = at.checkbox(key="ter_zonages")
    assert not box.disabled and not box.value
    box.check().run()
    assert not at.exception
    assert any("Contours sur la carte" in c.value and "Bassins de vie 2022" in c.value for c in at.caption)
