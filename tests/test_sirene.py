"""Sirene stock files -> ESS tables: aggregation checked against plain pandas, download from a loopback server, bad files.

No real Sirene file is available here: files are generated in INSEE's official layout (tests/sirene_files.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from ptce_geo.cli import main
from ptce_geo.sources import sirene
from ptce_geo.sources.sirene import aggregate, family_of, read_sirene_store, section_of, size_band
from ptce_geo.sources.sirene_update import SIRENE_FILES
from tests.official_site import serve
from tests.sirene_files import ESTABLISHMENT_HEADER, UNIT_HEADER, establishments_frame, units_frame, write_parquet, write_zip

COMMUNES = ["80021", "80001", "75056", "97414", "2A004"]
# independent oracles for the values the generator uses
FAMILY = {"9220": "associations", "9230": "associations", "9300": "fondations", "8210": "mutuelles", "5458": "cooperatives",
          "6317": "cooperatives", "5710": "societes_ess", "5499": "societes_ess", "1000": "autres"}
SECTION = {"88": "Q", "94": "S", "85": "P", "56": "I", "47": "G", "01": "A", "43": "F", "62": "J", "86": "Q", "90": "R", "68": "L", "10": "C"}


@pytest.fixture(scope="module")
def frames():
    return units_frame(3_000), establishments_frame(20_000, 3_000, COMMUNES)


@pytest.fixture(scope="module")
def files(frames, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sirene")
    units, estabs = frames
    return (write_zip(folder / "StockUniteLegale_utf8.zip", "StockUniteLegale_utf8.csv", [units], UNIT_HEADER),
            write_zip(folder / "StockEtablissement_utf8.zip", "StockEtablissement_utf8.csv", [estabs[:7_000], estabs[7_000:]],
                      ESTABLISHMENT_HEADER))


def oracle(units: pd.DataFrame, estabs: pd.DataFrame) -> pd.DataFrame:
    active = estabs[estabs["etatAdministratifEtablissement"] == "A"]
    ess = units[units["economieSocialeSolidaireUniteLegale"] == "O"]
    merged = active.merge(ess[["siren", "categorieJuridiqueUniteLegale"]], on="siren")
    merged["famille"] = merged["categorieJuridiqueUniteLegale"].map(FAMILY)
    merged["section"] = np.where(merged["nomenclatureActivitePrincipaleEtablissement"] == "NAFRev2",
                                 merged["activitePrincipaleEtablissement"].str[:2].map(SECTION), "?")
    return merged


def test_boundaries_of_sections_bands_and_families():
    codes = pd.Series(["03.22Z", "05.10Z", "33.20A", "35.11Z", "39.00Z", "41.10A", "99.00Z", "", "XX"])
    assert section_of(codes, pd.Series(["NAFRev2"] * 9)).tolist() == ["A", "B", "C", "D", "E", "F", "U", "?", "?"]
    assert section_of(pd.Series(["88.99B"]), pd.Series(["NAFRev1"])).tolist() == ["?"]
    assert size_band(pd.Series(["NN", "00", "03", "11", "12", "21", "31", "32", "53", ""])).tolist() == \
        ["0", "0", "1-9", "10-49", "10-49", "50-249", "50-249", "250+", "250+", "0"]


# Expected families typed from INSEE's catégories juridiques (niveau III) as embedded in INSEE's repository InseeFr/ARC
# (arc-core/src/test/resources/BdDTest/script_test_fonctionnel_sirene.sql, table nmcl_cj_v001), label by label:
# each family at its boundaries, and the neighbouring codes that are not in it.
NOMENCLATURE_FAMILIES = {
    "9150": "autres",  # Association syndicale libre (91: not an association loi 1901)
    "9210": "associations", "9220": "associations", "9223": "associations", "9240": "associations", "9260": "associations",
    "9300": "fondations", "9900": "autres", "9970": "autres",
    "8190": "autres", "8210": "mutuelles", "8250": "mutuelles", "8290": "mutuelles", "8310": "autres", "8510": "autres",
    "6411": "mutuelles", "6511": "autres",
    "4160": "autres", "5191": "cooperatives", "5196": "cooperatives", "5202": "societes_ess", "5203": "cooperatives",
    "5306": "societes_ess", "5307": "cooperatives", "5308": "societes_ess", "5309": "cooperatives", "5370": "societes_ess",
    "5431": "societes_ess", "5432": "cooperatives", "5442": "societes_ess", "5443": "cooperatives", "5458": "cooperatives",
    "5460": "cooperatives", "5470": "societes_ess", "5499": "societes_ess",
    "5532": "cooperatives", "5542": "societes_ess", "5543": "cooperatives", "5546": "societes_ess", "5547": "cooperatives",
    "5548": "societes_ess", "5551": "cooperatives", "5555": "cooperatives", "5558": "cooperatives", "5560": "cooperatives",
    "5570": "societes_ess", "5632": "cooperatives", "5646": "societes_ess", "5647": "cooperatives", "5652": "cooperatives",
    "5660": "cooperatives", "5670": "societes_ess", "5710": "societes_ess", "5800": "societes_ess",
    "6100": "cooperatives", "6220": "autres", "6316": "cooperatives", "6318": "cooperatives",
    "6531": "autres", "6532": "cooperatives", "6542": "autres", "6543": "cooperatives", "6544": "autres",
    "6551": "cooperatives", "6554": "cooperatives", "6558": "cooperatives", "6560": "cooperatives", "6561": "autres",
    "6589": "autres", "6595": "cooperatives", "6596": "cooperatives", "6597": "autres", "1000": "autres",
}


def test_families_follow_insee_nomenclature_at_each_boundary():
    codes = pd.Series(list(NOMENCLATURE_FAMILIES))
    assert family_of(codes).tolist() == list(NOMENCLATURE_FAMILIES.values())
    # codes read as numbers or padded with spaces keep their family
    assert family_of(pd.Series([" 9220", "9300 ", None])).tolist() == ["associations", "fondations", "autres"]


def test_aggregation_matches_plain_pandas(frames, files, monkeypatch, tmp_path):
    monkeypatch.setattr(sirene, "CHUNK_ROWS", 1_500)  # many chunks: sums across chunks must add up
    seen = []
    tables = aggregate(*files, tmp_path, progress=lambda label, rows, fraction: seen.append((label, rows, fraction)))
    units, estabs = frames
    merged = oracle(units, estabs)
    active = estabs[estabs["etatAdministratifEtablissement"] == "A"]
    assert tables["etablissements_actifs"]["n"].sum() == len(active)
    by_commune = tables["etablissements_actifs"].groupby("code_commune")["n"].sum()
    assert by_commune.to_dict() == active["codeCommuneEtablissement"].value_counts().to_dict()
    ess = tables["ess"]
    assert ess["n"].sum() == len(merged)
    assert ess.groupby(["code_commune", "famille"])["n"].sum().to_dict() == merged.groupby(["codeCommuneEtablissement", "famille"]).size().to_dict()
    assert ess.groupby("section")["n"].sum().to_dict() == merged["section"].value_counts().to_dict()
    employer = merged["caractereEmployeurEtablissement"].map({"O": "oui", "N": "non"}).fillna("inconnu")
    assert ess.groupby("employeur")["n"].sum().to_dict() == employer.value_counts().to_dict()
    listing = pd.read_parquet(tables["ess_liste"])
    assert sorted(listing["siret"]) == sorted(merged["siret"])
    first = listing.set_index("siret").loc[merged["siret"].iloc[0]]
    assert first["x"] == float(merged["coordonneeLambertAbscisseEtablissement"].iloc[0])
    paris = listing[listing["code_commune"] == "75056"].iloc[0]  # Lambert-93 -> WGS84, checked with pyproj directly
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(paris["x"], paris["y"])
    assert (paris["lon"], paris["lat"]) == pytest.approx((lon, lat))
    reunion = listing[listing["code_commune"] == "97414"].iloc[0]  # La Réunion: RGR92 UTM 40S
    assert reunion["lon"] == pytest.approx(Transformer.from_crs(2975, 4326, always_xy=True).transform(reunion["x"], reunion["y"])[0])
    assert {label for label, _, _ in seen} == {"unités légales", "établissements"}
    assert seen[-1][1] == len(estabs) and 0.9 < seen[-1][2] <= 1.0


def test_parquet_layout_gives_the_same_tables(frames, files, tmp_path):
    units, estabs = frames
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_parquet = aggregate(write_parquet(tmp_path / "ul.parquet", units), write_parquet(tmp_path / "et.parquet", estabs), tmp_path / "a")
    from_zip = aggregate(*files, tmp_path / "b")
    for name in ("etablissements_actifs", "ess"):
        pd.testing.assert_frame_equal(from_parquet[name], from_zip[name])
    pd.testing.assert_frame_equal(pd.read_parquet(from_parquet["ess_liste"]), pd.read_parquet(from_zip["ess_liste"]))


def site(tmp_path: Path, units: bytes, estabs: bytes) -> Path:
    folder = tmp_path / "site"
    for file, data in zip(SIRENE_FILES, (units, estabs), strict=True):
        (folder / file.path).parent.mkdir(parents=True, exist_ok=True)
        (folder / file.path).write_bytes(data)
    return folder


def run(base: str, root: Path) -> int:
    return main(["data", "update", "--only", "sirene", "--base-url", base, "--data-dir", str(root), "--timeout", "10", "--retries", "0"])


def test_update_only_sirene_downloads_and_stores(frames, files, tmp_path, capsys):
    root = tmp_path / "cache"
    with serve(site(tmp_path, files[0].read_bytes(), files[1].read_bytes())) as base:
        assert run(base, root) == 0
    out = capsys.readouterr()
    units, estabs = frames
    merged = oracle(units, estabs)
    store = read_sirene_store(root)
    assert store is not None and store.ess["n"].sum() == len(merged)
    assert store.meta["fichiers"][0]["url"] == f"{base}/insee-sirene/StockUniteLegale_utf8.zip"
    assert f"dont {len(merged):,} d'unités".replace(",", "\u202f") in out.out and "Sirene, établissements" in out.err
    assert not list(root.glob(".telechargement-*")) and not list(root.glob(".sirene-*"))


def _bad(kind: str, files: tuple[Path, Path], frames, tmp_path: Path) -> tuple[bytes, bytes, str]:
    units, estabs = frames
    good_units, good_estabs = files[0].read_bytes(), files[1].read_bytes()
    if kind == "missing_column":
        header = [c for c in UNIT_HEADER if c != "economieSocialeSolidaireUniteLegale"]
        bad = write_zip(tmp_path / "ul.zip", "StockUniteLegale_utf8.csv", [units[header]], header).read_bytes()
        return bad, good_estabs, "colonnes manquantes pour unités légales : economieSocialeSolidaireUniteLegale"
    if kind == "truncated_parquet":
        data = write_parquet(tmp_path / "et.parquet", estabs).read_bytes()
        return good_units, data[: len(data) // 2], "fichier parquet illisible ou tronqué"
    return good_units, good_estabs[: len(good_estabs) // 2], "archive zip tronquée ou corrompue"


@pytest.mark.parametrize("kind", ["missing_column", "truncated_parquet", "truncated_zip"])
def test_a_bad_sirene_file_names_the_problem_and_the_previous_tables_stay(kind, frames, files, tmp_path, capsys):
    root = tmp_path / "cache"
    with serve(site(tmp_path / "good", files[0].read_bytes(), files[1].read_bytes())) as base:
        assert run(base, root) == 0
    before = json.loads((root / "sirene" / "sirene.json").read_text(encoding="utf-8"))
    units, estabs, message = _bad(kind, files, frames, tmp_path)
    capsys.readouterr()
    with serve(site(tmp_path / "bad", units, estabs)) as base:
        assert run(base, root) == 2
    err = capsys.readouterr().err
    assert message in err and "Stock" in err and "précédent reste en service" in err
    assert json.loads((root / "sirene" / "sirene.json").read_text(encoding="utf-8")) == before
    assert not list(root.glob(".telechargement-*"))
    shutil.rmtree(root)
