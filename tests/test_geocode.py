"""BAN CSV batch client against a real HTTP server on 127.0.0.1 (no mocking of requests).

The server implements the part of ``/search/csv/`` the client uses: a multipart POST with the CSV in
``data``, the address column(s) in ``columns``, a ``citycode`` filter column, and an answer that is the
input CSV plus ``latitude, longitude, result_label, result_score, result_type, result_citycode``.
It can also fail (503 with Retry-After), stall, answer HTML, and it records every batch it received.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from ptce_geo.collective.actor_schema import fold
from ptce_geo.collective.actors import place_actors, read_actors, validate_actors
from ptce_geo.errors import DownloadError
from ptce_geo.geocode import BanGeocoder

# folded address -> latitude, longitude, score, citycode, label, type
KNOWN = {
    "1 place de la mairie": (47.9731, 2.7706, 0.91, "45004", "1 Place de la Mairie 45200 Amilly", "housenumber"),
    "12 rue des lilas": (47.9990, 2.7300, 0.32, "45208", "Rue des Lilas 45200 Montargis", "street"),
    "2 rue de la republique 45200 montargis": (47.9978, 2.7329, 0.88, "45208", "2 Rue de la République 45200 Montargis", "housenumber"),
    "5 rue de l eglise": (45.0190, 5.2920, 0.95, "26307", "5 Rue de l'Église 26190 Saint-Jean-en-Royans", "housenumber"),
}
RESULT = ["latitude", "longitude", "result_label", "result_score", "result_type", "result_citycode", "result_status"]


@dataclass
class State:
    fail: int = 0  # answer 503 this many times
    delay: float = 0.0
    html: bool = False
    batches: list[list[dict]] = field(default_factory=list)
    fields: list[dict] = field(default_factory=list)
    requests: int = 0


class BanHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/csv; charset=utf-8", headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802 - http.server naming
        state: State = self.server.state
        state.requests += 1
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path != "/search/csv/":
            return self._send(404, b"not found", "text/plain")
        if state.fail:
            state.fail -= 1
            return self._send(503, b"busy", "text/plain", {"Retry-After": "0"})
        if state.delay:
            time.sleep(state.delay)
        if state.html:
            return self._send(200, b"<!DOCTYPE html><html><body>Portail captif</body></html>", "text/html")
        message = BytesParser(policy=policy.default).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        fields: dict[str, list] = {}
        for part in message.iter_parts():
            fields.setdefault(part.get_param("name", header="content-disposition"), []).append(part.get_payload(decode=True))
        rows = list(csv.DictReader(io.StringIO(fields["data"][0].decode("utf-8"))))
        state.batches.append(rows)
        state.fields.append({k: [v.decode() for v in vals] for k, vals in fields.items() if k != "data"})
        columns = [c.decode() for c in fields["columns"]]
        city_col = fields["citycode"][0].decode() if "citycode" in fields else None
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) + RESULT if rows else RESULT)
        writer.writeheader()
        for row in rows:
            hit = KNOWN.get(fold(" ".join(row[c] for c in columns)))
            if hit and city_col and row[city_col] and row[city_col] != hit[3]:
                hit = None
            result = dict.fromkeys(RESULT, "")
            if hit:
                result.update(latitude=hit[0], longitude=hit[1], result_score=hit[2], result_citycode=hit[3], result_label=hit[4],
                              result_type=hit[5], result_status="ok")
            else:
                result["result_status"] = "not-found"
            writer.writerow({**row, **result})
        return self._send(200, out.getvalue().encode("utf-8"))


@pytest.fixture()
def ban():
    server = ThreadingHTTPServer(("127.0.0.1", 0), BanHandler)
    server.state = State()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.state
    server.shutdown()
    server.server_close()


def addresses(*items: tuple[str | None, str | None]) -> pd.DataFrame:
    return pd.DataFrame({"adresse": [a for a, _ in items], "code_commune": [c for _, c in items]},
                        index=pd.Index(range(10, 10 + len(items)), name="ligne"))


def test_batches_results_filters_and_progress(ban):
    url, state = ban
    query = addresses(("1 place de la Mairie", "45004"), ("5 rue de l'Église", "26307"), ("3 rue Inconnue", "45208"),
                      (None, "45208"), ("1 place de la Mairie", "45208"))
    progress = []
    out = BanGeocoder(base_url=url, batch_size=2).geocode(query, progress=lambda f, t: progress.append((f, t)))
    assert [len(b) for b in state.batches] == [2, 2]  # the row without address is not sent
    assert state.fields[0]["columns"] == ["adresse"] and state.fields[0]["citycode"] == ["citycode"]
    assert {"latitude", "longitude", "result_score", "result_citycode"} <= set(state.fields[0]["result_columns"])
    assert out.index.tolist() == query.index.tolist()
    assert out.loc[10, ["latitude", "longitude", "score"]].tolist() == pytest.approx([47.9731, 2.7706, 0.91])
    assert out.loc[11, "label"] == "5 Rue de l'Église 26190 Saint-Jean-en-Royans"  # UTF-8 both ways
    assert out.loc[[12, 13, 14], "latitude"].isna().all()  # unknown; no address; filtered out by citycode
    assert [f for f, _ in progress] == [0.5, 1.0] and "4 / 4" in progress[-1][1]


def test_retries_after_503_then_succeeds(ban):
    url, state = ban
    state.fail = 2
    out = BanGeocoder(base_url=url, backoff=0.01).geocode(addresses(("1 place de la Mairie", "45004")))
    assert state.requests == 3 and out["score"].iloc[0] == pytest.approx(0.91)


def test_gives_up_after_retries_with_partial_results(ban):
    url, state = ban
    state.fail = 100
    with pytest.raises(DownloadError, match="injoignable.*HTTP 503") as info:
        BanGeocoder(base_url=url, retries=2, backoff=0.01).geocode(addresses(("1 place de la Mairie", "45004")))
    assert state.requests == 3 and isinstance(info.value.partial, pd.DataFrame)


def test_timeout_is_retried_then_reported(ban):
    url, state = ban
    state.delay = 1.0
    start = time.perf_counter()
    with pytest.raises(DownloadError, match="ReadTimeout"):
        BanGeocoder(base_url=url, timeout=(1.0, 0.2), retries=1, backoff=0.01).geocode(addresses(("1 place de la Mairie", None)))
    assert time.perf_counter() - start < 5


def test_client_error_is_not_retried(ban):
    url, state = ban
    with pytest.raises(DownloadError, match="HTTP 404"):
        BanGeocoder(base_url=url + "/ailleurs", backoff=0.01).geocode(addresses(("1 place de la Mairie", None)))
    assert state.requests == 1


def test_html_answer_is_an_error(ban):
    url, state = ban
    state.html = True
    with pytest.raises(DownloadError, match="HTML"):
        BanGeocoder(base_url=url).geocode(addresses(("1 place de la Mairie", None)))


def test_connection_refused():
    server = ThreadingHTTPServer(("127.0.0.1", 0), BanHandler)
    port = server.server_address[1]
    server.server_close()  # nothing listens on this port any more
    with pytest.raises(DownloadError, match="ConnectionError"):
        BanGeocoder(base_url=f"http://127.0.0.1:{port}", retries=1, backoff=0.01).geocode(addresses(("x", None)))


def test_base_url_from_environment(monkeypatch):
    monkeypatch.setenv("PTCE_GEO_BAN_URL", "https://data.geopf.fr/geocodage/")
    assert BanGeocoder().endpoint == "https://data.geopf.fr/geocodage/search/csv/"


INVENTORY = (
    "nom;commune;adresse;latitude;longitude\n"
    "Avec coordonnées;45208;1 place de la Mairie;47.9975;2.7335\n"
    "Mairie d'Amilly;45004;1 place de la Mairie;;\n"
    "Score faible;45208;12 rue des Lilas;;\n"
    "Introuvable;45208;3 rue Inconnue;;\n"
    "Sans commune;;2 rue de la République 45200 Montargis;;\n"
    "Église;Saint-Jean-en-Royans;5 rue de l'Église;;\n"
)


@pytest.fixture(scope="module")
def inventory(embedded):
    actors, report = validate_actors(read_actors(INVENTORY.encode(), "acteurs.csv"), embedded.communes)
    assert len(actors) == 6
    return actors


def test_place_actors_through_ban(ban, embedded, inventory):
    url, state = ban
    progress = []
    placed = place_actors(inventory, embedded.communes, BanGeocoder(base_url=url), progress=lambda f, t: progress.append(f))
    by_name = placed.set_index("nom")
    assert by_name["placement"].to_dict() == {
        "Avec coordonnées": "coordonnées", "Mairie d'Amilly": "adresse (BAN)", "Score faible": "commune", "Introuvable": "commune",
        "Sans commune": "adresse (BAN)", "Église": "adresse (BAN)"}
    assert sum(len(b) for b in state.batches) == 5  # the actor with coordinates is not geocoded
    assert "score trop faible (0.32)" in by_name.loc["Score faible", "placement_note"]
    assert "non trouvée" in by_name.loc["Introuvable", "placement_note"]
    assert by_name.loc["Sans commune", ["code_commune", "commune", "code_epci"]].tolist() == ["45208", "Montargis", "244500203"]
    assert by_name.loc["Mairie d'Amilly", "placement_note"].startswith("score 0.91 — 1 Place de la Mairie")
    assert by_name.loc["Mairie d'Amilly", "geometry"].coords[0] == pytest.approx((2.7706, 47.9731))
    assert progress[-1] == 1.0


def test_place_actors_falls_back_to_communes_when_ban_is_down(ban, embedded, inventory):
    url, state = ban
    state.fail = 100
    placed = place_actors(inventory, embedded.communes, BanGeocoder(base_url=url, retries=1, backoff=0.01))
    by_name = placed.set_index("nom")
    assert by_name["placement"].value_counts().to_dict() == {"commune": 4, "coordonnées": 1, "non placé": 1}
    assert "géocodage interrompu" in by_name.loc["Mairie d'Amilly", "placement_note"]
    assert by_name.loc["Sans commune", "placement"] == "non placé"
