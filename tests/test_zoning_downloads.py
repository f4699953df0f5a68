"""``data update`` fetches the FRR workbook of the DGCL (and the QPV contours of the ANCT) from a real HTTP server on 127.0.0.1.

Expected values are read from the served files with plain pandas / json, never through the code under test.
"""

from __future__ import annotations

import pandas as pd

from ptce_geo.cli import main
from ptce_geo.reference import load_reference
from ptce_geo.sources.official import BASES, select, url_of
from tests.conftest import SHARED, needs_shared
from tests.official_site import frr_workbook, serve, site_path

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
