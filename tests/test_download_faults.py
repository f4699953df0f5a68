"""``data update`` and ``data import`` faults of issue 10 (part 5), against a real HTTP server on 127.0.0.1.

A server trickling a byte every half second never trips the per-block timeout: the per-file deadline
must stop it. A downloaded file whose datasets the cache does not keep is reported as not used.
``data import`` exits non-zero when a file failed.
"""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

import pytest
import requests

from ptce_geo.cli import main
from ptce_geo.errors import DownloadError
from ptce_geo.sources.download import Fetched, _unused, fetch
from ptce_geo.sources.local import scan
from ptce_geo.sources.official import CATALOGUE, url_of
from tests.official_site import QuietHandler, serve

COMPARATEUR = next(f for f in CATALOGUE if f.name == "comparateur")
SMALL_COMPARATEUR = "CODGEO;P22_POP;SUPERF;MED21\n01001;860;15,95;25820\n01002;s;9,15;s\n"


class TrickleHandler(QuietHandler):
    """Announces 1,000 bytes of zip, then sends one byte every half second."""

    stop = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"P")
                self.wfile.flush()
                if self.stop.wait(0.5):
                    return
        except OSError:
            pass


def test_a_trickling_server_fails_by_the_deadline(tmp_path):
    TrickleHandler.stop.clear()
    try:
        with serve(tmp_path, TrickleHandler) as base, requests.Session() as session:
            url = url_of(COMPARATEUR, base)
            started = time.monotonic()
            with pytest.raises(DownloadError, match=r"délai total dépassé \(2 s pour ce fichier") as info:
                fetch(session, COMPARATEUR, url, tmp_path / "c.zip", timeout=1.0, retries=2, backoff=0.01, progress=False,
                      deadline=2.0)
            elapsed = time.monotonic() - started
    finally:
        TrickleHandler.stop.set()
    assert 2.0 <= elapsed < 3.5 and url in str(info.value)  # the per-block timeout (1 s) never fired: a byte every 0.5 s


def test_the_deadline_covers_retries_and_their_waits(tmp_path):
    """A refused connection retried with long waits stops at the deadline, not after every wait."""
    with requests.Session() as session:
        started = time.monotonic()
        with pytest.raises(DownloadError, match="connexion impossible"):
            fetch(session, COMPARATEUR, "http://127.0.0.1:9/x.zip", tmp_path / "c.zip", timeout=1.0, retries=5, backoff=2.0,
                  progress=False, deadline=1.0)
    assert time.monotonic() - started < 2.5  # without the deadline: 2 + 4 + 8 + 16 + 30 s of waits


@pytest.mark.parametrize("deadline", [0, -1, float("nan")])
def test_a_meaningless_deadline_is_refused(tmp_path, deadline):
    with requests.Session() as session, pytest.raises(DownloadError, match="deadline"):
        fetch(session, COMPARATEUR, "http://127.0.0.1:9/x.zip", tmp_path / "c.zip", deadline=deadline, progress=False)


def test_a_fast_file_passes_well_within_the_deadline(tmp_path):
    from tests.official_site import zip_bytes

    data = zip_bytes({"base_cc_comparateur.CSV": SMALL_COMPARATEUR})
    site = tmp_path / "site" / COMPARATEUR.path
    site.parent.mkdir(parents=True)
    site.write_bytes(data)
    with serve(tmp_path / "site") as base, requests.Session() as session:
        assert fetch(session, COMPARATEUR, url_of(COMPARATEUR, base), tmp_path / "c.zip", progress=False, deadline=5.0) == len(data)


def _fetched(tmp_path: Path, url: str) -> Fetched:
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "base_cc_comparateur.csv").write_text(SMALL_COMPARATEUR, encoding="utf-8")
    found = scan(folder).found
    assert [ds.id or ds.kind for ds, _ in found]  # a real dataset, recognised by the real reader
    return Fetched(COMPARATEUR, url, 10, found)


def test_a_downloaded_dataset_the_cache_did_not_keep_is_reported_as_not_used(tmp_path):
    fetched = _fetched(tmp_path, "http://miroir/base.zip")
    ds, rec = fetched.found[0]
    key = ds.id or ds.kind
    kept = {"jeux": [{"id": key, "url": fetched.url, "sha256": rec.sha256}]}
    assert _unused(fetched, kept) == []
    other = {"jeux": [{"id": key, "url": "", "fichier": "import.csv", "sha256": "x", "libelle": "Comparateur", "millesime": "2023",
                       "origine": "importé"}]}
    assert _unused(fetched, other) == [f"{key} : le cache garde Comparateur 2023 (importé, import.csv)"]
    assert _unused(fetched, {"jeux": []}) == [f"{key} : non retenu dans le cache"]


def test_data_import_exits_non_zero_when_a_file_failed(tmp_path, capsys):
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "base_cc_comparateur.csv").write_text(SMALL_COMPARATEUR, encoding="utf-8")
    (folder / "casse.csv.gz").write_bytes(gzip.compress(b"CODGEO;P22_POP\n01001;1\n")[:15])
    assert main(["data", "import", str(folder), "--data-dir", str(tmp_path / "cache")]) == 1
    captured = capsys.readouterr()
    assert "casse.csv.gz" in captured.err and "1 erreurs" in captured.out
    (folder / "casse.csv.gz").unlink()
    assert main(["data", "import", str(folder), "--data-dir", str(tmp_path / "cache")]) == 0


def test_update_reports_a_file_the_cache_did_not_use(tmp_path, capsys):
    """The cache holds the 2023 comparateur (imported); the server offers the 2022 one: checked, but not used."""
    from tests.official_site import zip_bytes

    imported = tmp_path / "import"
    imported.mkdir()
    (imported / "base_cc_comparateur.csv").write_text("CODGEO;P23_POP;SUPERF;MED22\n01001;870;15,95;25900\n", encoding="utf-8")
    assert main(["data", "import", str(imported), "--data-dir", str(tmp_path / "cache")]) == 0
    site = tmp_path / "site" / COMPARATEUR.path
    site.parent.mkdir(parents=True)
    site.write_bytes(zip_bytes({"base_cc_comparateur.CSV": SMALL_COMPARATEUR}))
    capsys.readouterr()
    with serve(tmp_path / "site") as base:
        assert main(["data", "update", "--only", "comparateur", "--base-url", base, "--data-dir", str(tmp_path / "cache"),
                     "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    assert "NON UTILISÉ — insee_comparateur : le cache garde" in out and "RP 2023 (importé" in out
    assert "1 fichiers téléchargés et vérifiés : 0 utilisés, 1 non utilisés" in out
