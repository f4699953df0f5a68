"""``data update`` fetches the FRR workbook of the DGCL (and the QPV contours of the ANCT) from a real HTTP server on 127.0.0.1.

Expected values are read from the served files with plain pandas / json, never through the code under test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import shapely

from ptce_geo.cli import main
from ptce_geo.qpv import territory_qpv
from ptce_geo.reference import load_reference
from ptce_geo.sources.official import BASES, select, url_of
from ptce_geo.sources.qpv_files import read_qpv
from tests.conftest import SHARED, needs_shared
from tests.official_site import frr_workbook, qpv_geojson, qpv_zip, serve, site_path

FRR_CSV = SHARED / "anct_france_ruralites_revitalisation_2025" / "liste-communes-FRR-juillet2025.csv"


def test_frr_url_is_the_dgcl_workbook(monkeypatch):
    monkeypatch.delenv("PTCE_GEO_BASE_URL", raising=False)
    frr = select("frr")[0]
    assert url_of(frr) == (f"{BASES['dgcl']}/files/files/3.%20Animer%20les%20territoires/5.%20La%20coh%C3%A9sion%20territoriale"
                           "%20et%20l'am%C3%A9nagement%20du%20territoire/Liste%20communes%20FRR_juillet2025.xlsx")
    assert BASES["dgcl"] == "https://www.collectivites-locales.gouv.fr"
    assert frr.filename == "Liste communes FRR_juillet2025.xlsx"


@needs_shared
def test_update_only_frr_fills_the_frr_zoning(tmp_path, capsys):
    frr = select("frr")[0]
    site = tmp_path / "site"
    path = site_path(site, frr)
    path.parent.mkdir(parents=True)
    path.write_bytes(frr_workbook(SHARED))
    root = tmp_path / "cache"
    with serve(site) as base:
        assert main(["data", "update", "--only", "frr", "--base-url", base, "--data-dir", str(root), "--timeout", "10"]) == 0
    assert "1 fichiers téléchargés" in capsys.readouterr().out
    raw = pd.read_csv(FRR_CSV, sep=";", dtype=str, keep_default_na=False)
    expected = raw.set_index("Code_insee")["Classement FRR et FRR+ au 10 juillet 2025"]
    ref = load_reference(root)
    names = ref.zone_names[ref.zone_names["zonage"] == "frr"].set_index("code")["nom"]
    got = ref.zonings["frr"].dropna().map(names)
    common = got.index.intersection(expected.index)
    assert len(common) > 34_000
    assert (got[common] == expected[common]).all()
    assert got.value_counts()["FRR+"] == (expected[common] == "FRR+").sum()


# --- QPV (ANCT) ----------------------------------------------------------------------------------

def _serve_qpv(tmp_path: Path, data: bytes) -> Path:
    site = tmp_path / "site"
    path = site_path(site, select("qpv")[0])
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return site


def test_qpv_url_is_the_data_gouv_resource(monkeypatch):
    monkeypatch.delenv("PTCE_GEO_BASE_URL", raising=False)
    qpv = select("qpv")[0]
    assert url_of(qpv) == "https://www.data.gouv.fr/api/1/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
    assert qpv.filename.endswith(".zip")


def test_update_only_qpv_then_qpv_of_a_territory(embedded_root, tmp_path, capsys):
    root = tmp_path / "cache"
    shutil.copytree(embedded_root, root)
    site = _serve_qpv(tmp_path, qpv_zip())
    with serve(site) as base:
        assert main(["data", "update", "--only", "qpv", "--base-url", base, "--data-dir", str(root), "--timeout", "10"]) == 0
    capsys.readouterr()
    ref = load_reference(root)
    raw = json.loads(qpv_geojson())["features"]
    assert sorted(ref.qpv["code_qp"]) == sorted(f["properties"]["code_qp"] for f in raw)
    assert "LAMBERT-93 : ne pas lire" not in set(ref.qpv["nom"])  # the combined WGS84 file is the one read
    le_gol = ref.qpv.set_index("code_qp").loc["QN97414I"]
    expected = shapely.geometry.shape(next(f for f in raw if f["properties"]["code_qp"] == "QN97414I")["geometry"])
    assert le_gol.geometry.equals_exact(expected, 1e-9)
    amiens = ref.communes.index[ref.communes["code_epci"] == ref.communes.loc["80021", "code_epci"]]
    summary = territory_qpv(ref.qpv, amiens, ref.passage, "QPV 2024")
    assert list(summary.table["code_qp"]) == ["QN08001M", "QN08002M"] and summary.population is None
    paris = territory_qpv(ref.qpv, pd.Index(["75056"]), ref.passage)  # 75118, an arrondissement, belongs to Paris
    assert list(paris.table["code_qp"]) == ["QN07536M"] and paris.table["code_commune"].tolist() == ["75056"]
    assert territory_qpv(ref.qpv, pd.Index(["80001"]), ref.passage).count == 0
    assert territory_qpv(None, amiens, ref.passage) is None


def test_a_qpv_on_several_communes_is_cut_unless_all_are_members(embedded_root, tmp_path):
    ref = load_reference(embedded_root)
    rows = [("QN08003M", "À cheval", "80", "80021,80001", "Amiens", "32", "248000531", 2.30, 49.90),
            ("QN08001M", "Quartier Nord", "80", "80021", "Amiens", "32", "248000531", 2.2915, 49.9155),
            ("QN08004M", "Voisin", "80", "80001,80021", "Abbeville", "32", "200070979", 1.83, 50.10)]
    path = tmp_path / "QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson"
    path.write_text(qpv_geojson(rows), encoding="utf-8")
    qpv = read_qpv(path).table.assign(population=[1000.0, 200.0, 30.0])  # as if INSEE's population were joined
    amiens = territory_qpv(qpv, pd.Index(["80021"]), ref.passage)
    assert amiens.table.set_index("code_qp")["coupe"].to_dict() == {"QN08001M": False, "QN08003M": True, "QN08004M": True}
    assert amiens.cut == 2 and amiens.population == 200.0  # only the QPV wholly inside, the cut ones never split
    both = territory_qpv(qpv, pd.Index(["80021", "80001"]), ref.passage)
    assert not both.table["coupe"].any() and both.population == 1230.0
    assert territory_qpv(qpv, pd.Index(["80002"]), ref.passage).count == 0


def _manifest(root: Path) -> str:
    return (root / "manifest.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace('"code_qp": "QN08002M"', '"code_qp": "ZUS-80-2"'), "1 codes de QPV inconnus dans « code_qp »"),
    (lambda t: t.replace('"lib_qp"', '"libelle"'), "colonnes manquantes pour les QPV : lib_qp"),
    (lambda t: t.replace('"insee_com": "80021"', '"insee_com": "Amiens"'), "2 codes commune illisibles dans « insee_com »"),
])
def test_a_bad_qpv_file_is_refused_and_the_cache_stays(embedded_root, tmp_path, capsys, change, message):
    root = tmp_path / "cache"
    shutil.copytree(embedded_root, root)
    before = _manifest(root)
    site = _serve_qpv(tmp_path, qpv_zip(change(qpv_geojson())))
    with serve(site) as base:
        assert main(["data", "update", "--only", "qpv", "--base-url", base, "--data-dir", str(root), "--timeout", "10"]) == 2
    err = capsys.readouterr().err
    assert message in err and "QP2024_contours.zip" in err
    assert _manifest(root) == before


def test_qpv_of_unknown_communes_are_named_in_the_warnings(embedded_root, tmp_path, capsys):
    root = tmp_path / "cache"
    shutil.copytree(embedded_root, root)
    site = _serve_qpv(tmp_path, qpv_zip(qpv_geojson().replace('"insee_com": "97414"', '"insee_com": "99999"')))
    with serve(site) as base:
        assert main(["data", "update", "--only", "qpv", "--base-url", base, "--data-dir", str(root), "--timeout", "10"]) == 0
    capsys.readouterr()
    warnings = " ".join(load_reference(root).manifest["avertissements"])
    assert "1 QPV rattachés à des codes commune inconnus" in warnings and "99999" in warnings
