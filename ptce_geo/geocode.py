"""Addresses to points through the national address API (BAN), CSV batch endpoint.

One POST per batch of rows (``<base>/search/csv/``, multipart: the CSV in ``data``, the address column
in ``columns``, the INSEE code column as the ``citycode`` filter) instead of one request per address:
the service allows 50 requests/s per IP and answers a batch of hundreds of rows in one response.
Transient failures (connection, timeout, 429, 5xx) are retried with back-off; anything else raises
``DownloadError`` carrying what was already geocoded (``exc.partial``).

The base URL defaults to ``$PTCE_GEO_BAN_URL`` or ``https://api-adresse.data.gouv.fr``; the IGN
Géoplateforme serves the same API at ``https://data.geopf.fr/geocodage``.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import requests

from .errors import DownloadError

__all__ = ["BanGeocoder", "DEFAULT_BAN_URL", "RESULT_COLUMNS"]

DEFAULT_BAN_URL = "https://api-adresse.data.gouv.fr"
RESULT_COLUMNS = ("latitude", "longitude", "result_score", "result_label", "result_citycode", "result_type")
_RETRY_STATUS = {429, 500, 502, 503, 504}
_MAX_WAIT = 30.0


@dataclass
class BanGeocoder:
    """BAN CSV batch client; ``geocode(frame)`` returns ``latitude, longitude, score, citycode, label, type`` by row."""

    base_url: str = field(default_factory=lambda: os.environ.get("PTCE_GEO_BAN_URL", DEFAULT_BAN_URL))
    batch_size: int = 1000
    timeout: tuple[float, float] = (5.0, 120.0)  # connect, read: a 1,000-row batch takes a few seconds
    retries: int = 3
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    session: requests.Session | None = None
    user_agent: str = "ptce-geo (diagnostic territorial des PTCE)"

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/search/csv/"

    def geocode(self, addresses: pd.DataFrame, progress: Callable[[float, str], None] | None = None) -> pd.DataFrame:
        """Geocode ``addresses`` (columns ``adresse``, optional ``code_commune`` filter and ``code_postal``).

        Rows without an address are not sent; every input row gets an output row (NaN when not found).
        """
        if "adresse" not in addresses:
            raise DownloadError(f"colonne « adresse » attendue pour le géocodage, reçu : {', '.join(map(str, addresses.columns))}.")
        if self.batch_size < 1:
            raise DownloadError(f"taille de lot invalide : {self.batch_size}.")
        frame = _query_frame(addresses)
        out = pd.DataFrame({"latitude": float("nan"), "longitude": float("nan"), "score": float("nan")}, index=addresses.index)
        for col in ("citycode", "label", "type"):
            out[col] = pd.Series(pd.NA, index=addresses.index, dtype="str")
        total = len(frame)
        session = self.session or requests.Session()
        try:
            for start in range(0, total, self.batch_size):
                batch = frame.iloc[start:start + self.batch_size]
                try:
                    result = self._post(session, batch)
                except DownloadError as exc:
                    exc.partial = out
                    raise
                out.loc[result.index, result.columns] = result
                if progress is not None:
                    done = min(start + self.batch_size, total)
                    progress(done / total, f"Géocodage BAN : {done} / {total} adresses")
        finally:
            if self.session is None:
                session.close()
        return out

    def _post(self, session: requests.Session, batch: pd.DataFrame) -> pd.DataFrame:
        payload = batch.to_csv(index=False).encode("utf-8")
        fields = [("columns", "adresse"), *(("result_columns", c) for c in RESULT_COLUMNS)]
        if batch["citycode"].ne("").any():
            fields.append(("citycode", "citycode"))
        if batch["postcode"].ne("").any():
            fields.append(("postcode", "postcode"))
        last = ""
        for attempt in range(self.retries + 1):
            try:
                response = session.post(self.endpoint, files={"data": ("adresses.csv", payload, "text/csv")}, data=fields,
                                        timeout=self.timeout, headers={"User-Agent": self.user_agent})
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}"
                wait = self.backoff * 2 ** attempt
            else:
                if response.status_code == 200:
                    return _parse(response, batch)
                if response.status_code not in _RETRY_STATUS:
                    raise DownloadError(f"le service d'adresses a refusé la requête (HTTP {response.status_code}) : "
                                        f"{response.text[:200].strip()}")
                last = f"HTTP {response.status_code}"
                wait = _retry_after(response, self.backoff * 2 ** attempt)
            if attempt < self.retries:
                time.sleep(wait)
        raise DownloadError(f"service d'adresses BAN injoignable ({self.endpoint}) après {self.retries + 1} essais : {last}.")


def _query_frame(addresses: pd.DataFrame) -> pd.DataFrame:
    """The CSV sent: an ``id`` to join back, the address, the INSEE and postal codes as filters."""
    text = addresses["adresse"].astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
    keep = text.notna() & (text != "")

    def column(name: str) -> pd.Series:
        values = addresses[name] if name in addresses else pd.Series(pd.NA, index=addresses.index)
        return values.astype("string").fillna("").str.strip()

    frame = pd.DataFrame({"id": range(len(addresses)), "adresse": text.fillna(""), "citycode": column("code_commune"),
                          "postcode": column("code_postal")}, index=addresses.index)
    return frame[keep.to_numpy()]


def _retry_after(response: requests.Response, default: float) -> float:
    try:
        return min(float(response.headers.get("Retry-After", default)), _MAX_WAIT)
    except ValueError:
        return default


def _parse(response: requests.Response, batch: pd.DataFrame) -> pd.DataFrame:
    head = response.content[:200].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise DownloadError("page HTML reçue à la place du CSV géocodé (proxy ou portail captif ?).")
    try:
        table = pd.read_csv(io.BytesIO(response.content), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DownloadError(f"réponse du service d'adresses illisible ({exc}).") from exc
    missing = [c for c in ("id", "latitude", "longitude", "result_score") if c not in table]
    if missing:
        raise DownloadError(f"réponse du service d'adresses sans les colonnes {', '.join(missing)}.")
    ids = pd.to_numeric(table["id"], errors="coerce")
    position = dict(zip(batch["id"].tolist(), batch.index.tolist(), strict=True))
    known = ids.isin(list(position)).to_numpy()
    table = table[known]
    result = pd.DataFrame(index=pd.Index([position[int(i)] for i in ids[known]], dtype=batch.index.dtype))
    for src, dst in (("latitude", "latitude"), ("longitude", "longitude"), ("result_score", "score")):
        result[dst] = pd.to_numeric(table[src], errors="coerce").to_numpy()
    for src, dst in (("result_citycode", "citycode"), ("result_label", "label"), ("result_type", "type")):
        values = table[src] if src in table else pd.Series("", index=table.index)
        result[dst] = pd.Series(values.to_numpy(), dtype="str").replace("", pd.NA).to_numpy()
    return result
