"""The reference tables on real data: the embedded default, and ../shared/data imported."""

import json

import numpy as np
import pandas as pd
import pytest

from ptce_geo.build import build_cache
from ptce_geo.cache import read_manifest
from ptce_geo.errors import SourceFileError
from ptce_geo.reference import load_reference
from tests.conftest import SHARED, needs_shared

ISLANDS = {"22016", "29083", "29155", "85113"}


def read_rp() -> pd.DataFrame:
    rp = pd.read_csv(SHARED / "rcarlier_communes_2024" / "communes_rcarlier_2024.csv", dtype=str).set_index("insee_com")
    for col in ["population_2021", "pop_15_64_chomage_2021", "pop_15_64_active_2021"]:
        rp[col] = pd.to_numeric(rp[col])
    return rp


def test_embedded_default_covers_all_france(embedded):
    communes, epci = embedded.communes, embedded.epci
    assert len(communes) == 34_875 and communes.index.is_unique
    assert len(epci) == 1_253
    assert set(communes.index[communes["code_epci"].isna()]) == ISLANDS
    assert {"75056", "69123", "13055", "2A004", "97411"} <= set(communes.index)
    assert communes.crs.to_epsg() == 4326
    assert embedded.vintages["population"]["annee"] == 2017


def test_epci_population_is_the_sum_of_its_communes(embedded):
    sums = embedded.communes.groupby("code_epci")["population"].sum()
    assert np.allclose(embedded.epci["population"].reindex(sums.index), sums)
    assert (embedded.epci["communes_total"] == embedded.communes.groupby("code_epci").size().reindex(embedded.epci.index)).all()


def test_areas_use_each_zone_projection(embedded):
    area = embedded.communes["surface_km2"]
    reunion = area[embedded.communes.index.str.startswith("974")].sum()
    assert 2_400 < reunion < 2_600  # Lambert-93 would give ~8,860 km²
    assert 100 < area["75056"] < 110  # Paris 105 km²
    assert 540_000 < area[~embedded.communes.index.str.startswith("97")].sum() < 555_000


def test_missing_indicators_are_listed_with_the_embedded_default(embedded):
    missing = {i.id for i in embedded.missing_indicators()}
    assert "taux_chomage" in missing and "population" not in missing


@needs_shared
def test_shared_import_gives_cog_2026_and_indicators(shared):
    assert len(shared.communes) == 34_875 and len(shared.epci) == 1_255
    assert shared.communes.loc["75056", "population"] == 2_103_778  # PL 2023 (decoupage 6.0.0)
    assert set(shared.communes.index[shared.communes["code_epci"].isna()]) == ISLANDS
    assert shared.missing_indicators() == []
    assert shared.geography_vintage == "COG 2026"


@needs_shared
def test_known_communes_match_the_source_files(shared):
    filo = pd.read_csv(SHARED / "insee_filosofi_2021" / "cc_filosofi_2021_COM.csv", dtype={"CODGEO": str}).set_index("CODGEO")
    grid = pd.read_csv(SHARED / "insee_grille_densite" / "grille_densite_7_niveaux_2024.csv", dtype={"CODGEO": str}).set_index("CODGEO")
    rp = read_rp()
    v = shared.variables
    for code in ["01001", "33063", "2A004", "97411"]:
        assert v.loc[code, "med_niveau_vie"] == filo.loc[code, "MED21"]
        assert v.loc[code, "densite_niveau"] == grid.loc[code, "DENS"]
        assert v.loc[code, "chomeurs_1564"] == rp.loc[code, "pop_15_64_chomage_2021"]
    paris = rp[rp["insee_parente"] == "75056"]["population_2021"].sum()
    assert v.loc["75056", "pop_rp"] == paris
    assert shared.vintages["pop_rp"]["annee"] == 2021 and shared.vintages["med_niveau_vie"]["annee"] == 2021


@needs_shared
def test_merged_communes_sum_their_former_parts(shared):
    """12218 (commune nouvelle of 2025) gets the sum of its former communes' 2021 census counts."""
    passage = pd.read_csv(SHARED / "decoupage_administratif" / "passage_codes_anciens_vers_2026.csv", dtype=str)
    rp = read_rp()
    parts = set(passage.loc[passage["code_2026"] == "12218", "code_ancien"]) | {"12218"}
    expected = rp.loc[rp.index.intersection(list(parts)), "pop_15_64_active_2021"].sum()
    assert expected > 0 and shared.variables.loc["12218", "actifs_1564"] == expected
    report = shared.manifest["passage"]["insee_rp_extrait"]
    assert report["codes_anciens_convertis"] > 0 and report["nb_codes_sans_correspondance"] == 0


@needs_shared
def test_comparisons_recompute_ratios_from_sums(shared):
    v, c = shared.variables, shared.communes
    dep = c["code_dep"] == "33"
    both = v["chomeurs_1564"].notna() & v["actifs_1564"].notna() & dep
    expected = v.loc[both, "chomeurs_1564"].sum() / v.loc[both, "actifs_1564"].sum() * 100
    assert shared.level("departement").loc["33", "taux_chomage"] == pytest.approx(expected)
    assert shared.level("france").loc["FR", "population"] == pytest.approx(c["population"].sum())


def test_a_failed_import_leaves_the_previous_cache_intact(embedded_root, tmp_path):
    before = read_manifest(embedded_root)
    bad = tmp_path / "incoming"
    bad.mkdir()
    (bad / "communes_2026.csv").write_text("code_insee,epci_siren,type\n01001,200069193,commune-actuelle\n")
    from ptce_geo.sources.local import import_directory

    with pytest.raises(SourceFileError):
        import_directory(bad, embedded_root)
    assert read_manifest(embedded_root) == before
    assert len(load_reference(embedded_root).communes) == 34_875


def test_an_interrupted_build_never_switches_the_cache(embedded_root, monkeypatch):
    """Kill the build while it writes files: the manifest still points to the intact old generation."""
    before = json.dumps(read_manifest(embedded_root), sort_keys=True)
    from ptce_geo import cache

    calls = {"n": 0}
    real = cache.Generation.write

    def crash(self, stem, frame, path=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, stem, frame, path)

    monkeypatch.setattr(cache.Generation, "write", crash)
    with pytest.raises(KeyboardInterrupt):
        build_cache([], embedded_root)
    monkeypatch.undo()
    assert json.dumps(read_manifest(embedded_root), sort_keys=True) == before
    ref = load_reference(embedded_root)
    assert len(ref.epci) == 1_253
    assert len(list((embedded_root / "epci").glob("v*"))) == 1
