"""``data update``: download the official files, check them, then rebuild the cache in one switch.

Each file has an overall deadline (``deadline``, all attempts included): a server trickling a byte
every half second never trips the per-block ``timeout`` but must still fail. A file that was
downloaded and checked but whose datasets are not the ones kept in service (an older vintage than
what the cache holds, say) is reported as not used (``Fetched.unused``).

Everything is fetched into a temporary folder inside the cache root first; each file is checked
(HTTP status, HTML page instead of data, magic bytes, zip integrity, non-empty) and recognised
(it must yield the datasets the catalogue expects) before ``build_cache`` runs. Any failure,
including Ctrl-C, removes the temporary folder and leaves the previous cache in service.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
import urllib3
from tqdm import tqdm

from ..build import DOWNLOADED, FileRecord, build_cache
from ..cache import data_dir
from ..errors import DownloadError
from .datasets import Dataset
from .local import scan
from .official import BASE_URL_ENV, DEFAULT_RETRIES, DEFAULT_TIMEOUT, OfficialFile, select, url_of
from .safe_files import check_archive

__all__ = ["update", "fetch", "Fetched", "DEFAULT_TIMEOUT", "DEFAULT_RETRIES", "DEFAULT_DEADLINE"]

DEFAULT_DEADLINE = 1_800.0  # seconds for one file, all attempts included (the largest, ~60 MB, needs ~35 kB/s)
MAX_BACKOFF = 30.0  # seconds; retries wait backoff, 2*backoff, 4*backoff... up to this
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_CHUNK = 1 << 16
_USER_AGENT = "ptce-geo (diagnostic territorial des PTCE; requests)"
_MAGIC = {"zip": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "geojson": (b"{", b"\x1f\x8b")}

Progress = Callable[[str, int, int | None], None]  # (file name, bytes received, total or None)


@dataclass
class Fetched:
    """One downloaded file (already removed from disk), the datasets found in it, and those not kept in service."""

    file: OfficialFile
    url: str
    size: int
    found: list[tuple[Dataset, FileRecord]]
    unused: list[str] = field(default_factory=list)  # « id : why » for each dataset the cache did not keep


class _Retryable(Exception):
    """A transient failure (timeout, refused connection, 5xx): worth another try."""


def _looks_like_html(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def _check_content(file: OfficialFile, url: str, path: Path) -> None:
    """Refuse what is not the expected file: empty, an HTML page, wrong magic bytes, a broken zip."""
    size = path.stat().st_size
    if size == 0:
        raise DownloadError(f"{url} : fichier reçu vide (0 octet).")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if _looks_like_html(head):
        raise DownloadError(f"{url} : page HTML reçue au lieu du fichier {file.kind} attendu "
                            "(page d'erreur ou d'accueil du site ; l'adresse a peut-être changé).")
    magic = _MAGIC.get(file.kind)
    if magic and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(magic):
        raise DownloadError(f"{url} : le contenu reçu n'est pas un fichier {file.kind} (début : {head[:16]!r}).")
    if file.kind in ("zip", "xlsx"):
        check_archive(path.read_bytes(), url, DownloadError)  # zip bomb, escaping paths: before testzip inflates it
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise DownloadError(f"{url} : archive zip tronquée ou corrompue ({size} octets reçus ; {exc}).") from exc
        if bad is not None:
            raise DownloadError(f"{url} : archive zip corrompue (élément « {bad} » illisible).")


class _Deadline:
    """The moment a file's download must be over (``time.monotonic``), and how to say it was not."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, url: str, done: int) -> None:
        if self.left() <= 0:
            raise DownloadError(f"{url} : délai total dépassé ({self.seconds:g} s pour ce fichier, {done:,} octets reçus) : "
                                "serveur trop lent. Réessayez plus tard ou allongez --deadline.".replace(",", " "))


def _body(resp: requests.Response, url: str, deadline: _Deadline):
    """The decoded body in blocks as they arrive (``read1``: a trickle never blocks past the deadline)."""
    done = 0
    while True:
        deadline.check(url, done)
        chunk = resp.raw.read1(_CHUNK, decode_content=True)
        if not chunk:
            return
        done += len(chunk)
        yield chunk


def _get_once(session: requests.Session, file: OfficialFile, url: str, dest: Path, timeout: float,
              progress: bool, on_progress: Progress | None, deadline: _Deadline) -> int:
    """One HTTP attempt streamed to ``dest``; returns the bytes written."""
    try:
        with session.get(url, stream=True, timeout=(timeout, timeout)) as resp:
            if resp.status_code != 200:
                reason = f"réponse HTTP {resp.status_code} {resp.reason or ''}".rstrip()
                if resp.status_code in _RETRY_STATUS:
                    raise _Retryable(reason)
                hint = " (fichier introuvable : l'adresse a peut-être changé)" if resp.status_code in (404, 410) else ""
                raise DownloadError(f"{url} : {reason}{hint}.")
            ctype = resp.headers.get("Content-Type", "")
            if "text/html" in ctype.lower():
                raise DownloadError(f"{url} : page HTML reçue (Content-Type « {ctype} ») au lieu du fichier {file.kind} attendu.")
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            with dest.open("wb") as out, tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=file.name,
                                              file=sys.stderr, disable=not progress, leave=False) as bar:
                for chunk in _body(resp, url, deadline):
                    out.write(chunk)
                    done += len(chunk)
                    bar.update(len(chunk))
                    if on_progress is not None:
                        on_progress(file.name, done, total)
            if total is not None and not resp.headers.get("Content-Encoding") and done != total:  # gzip: length is the compressed one
                raise _Retryable(f"transfert incomplet ({done} octets reçus sur {total})")
            return done
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
        raise DownloadError(f"{url} : adresse invalide ({_short(exc)}). Vérifiez --base-url ou ${BASE_URL_ENV}.") from exc
    except (requests.Timeout, urllib3.exceptions.ReadTimeoutError) as exc:
        raise _Retryable(f"délai d'attente dépassé ({timeout:g} s sans réponse)") from exc
    except requests.ConnectionError as exc:  # also a read timeout once the body has started
        if "timed out" in str(exc).lower():
            raise _Retryable(f"délai d'attente dépassé ({timeout:g} s sans réponse)") from exc
        raise _Retryable(f"connexion impossible : {_why(exc)}") from exc
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:  # ChunkedEncodingError, ProtocolError...
        raise _Retryable(f"transfert interrompu : {_why(exc)}") from exc


_DNS = ("name or service not known", "name resolution", "getaddrinfo", "nodename nor servname", "no address associated")


def _why(exc: BaseException) -> str:
    """The cause in words a user can act on, rather than urllib3's nested reprs."""
    text = str(exc)
    low = text.lower()
    if "refused" in low:
        return "refusée par le serveur (arrêté, ou port fermé)"
    if any(k in low for k in _DNS):
        return "nom d'hôte introuvable (pas de connexion Internet ?)"
    cut = re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", text)
    if cut:
        return f"connexion coupée ({cut[1]} octets reçus, {cut[2]} manquants)"
    return _short(exc)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


def _remove_stale(root: Path, age_s: float = 86_400.0) -> None:
    """Temporary folders left by a killed update (SIGKILL, power cut): removed after a day."""
    for old in root.glob(".telechargement-*"):
        try:
            if old.is_dir() and time.time() - old.stat().st_mtime > age_s:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def fetch(session: requests.Session, file: OfficialFile, url: str, dest: Path, timeout: float = DEFAULT_TIMEOUT,
          retries: int = DEFAULT_RETRIES, backoff: float = 1.0, progress: bool = True, on_progress: Progress | None = None,
          deadline: float = DEFAULT_DEADLINE) -> int:
    """Download ``url`` to ``dest`` with bounded retries (exponential backoff) within ``deadline`` seconds, and check it."""
    if retries < 0 or not timeout > 0 or not deadline > 0:
        raise DownloadError(f"Paramètres invalides : retries={retries} (≥ 0), timeout={timeout} (> 0), deadline={deadline} (> 0).")
    limit = _Deadline(deadline)
    for attempt in range(retries + 1):
        try:
            size = _get_once(session, file, url, dest, min(timeout, max(limit.left(), 0.01)), progress, on_progress, limit)
            break
        except _Retryable as exc:
            if attempt == retries or limit.left() <= 0:
                tries = f" après {attempt + 1} tentatives" if attempt else ""
                raise DownloadError(f"{url} : {exc}{tries}.") from exc
            time.sleep(max(0.0, min(backoff * 2 ** attempt, MAX_BACKOFF, limit.left())))
    _check_content(file, url, dest)
    return size


def _recognise(file: OfficialFile, url: str, path: Path) -> list[tuple[Dataset, FileRecord]]:
    """The datasets of one downloaded file, with their records pointing to ``url``; refuse unexpected content."""
    result = scan(path.parent, origin=DOWNLOADED)
    local = str(path)
    if result.errors:
        raise DownloadError(f"{url} : fichier reçu mais illisible : {' | '.join(e.replace(local, file.filename) for e in result.errors)}")
    ids = {ds.id or ds.kind for ds, _ in result.found}
    missing = file.missing(ids)
    if missing:
        got = ", ".join(sorted(ids)) or "aucun jeu reconnu"
        raise DownloadError(f"{url} : le fichier ne contient pas les données attendues ({', '.join(missing)}) ; trouvé : {got}.")
    found = []
    for ds, rec in result.found:
        ds.origin = url
        ds.warnings = [w.replace(local, url) for w in ds.warnings]
        found.append((ds, FileRecord(DOWNLOADED, file.filename, rec.sha256, rec.size, url, rec.date)))
    return found


def update(names: list[str] | str | None = None, base_url: str | None = None, root: Path | str | None = None,
           timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES, backoff: float = 1.0, progress: bool = True,
           on_progress: Progress | None = None, deadline: float = DEFAULT_DEADLINE) -> tuple[dict, list[Fetched]]:
    """Download the official files (all, or ``names``), check them, and rebuild the cache over the previous one.

    Returns ``(manifest, fetched)``. Raises ``DownloadError`` naming the URL and the problem; on any
    error or interruption the previous cache stays in service and nothing downloaded is left behind.
    """
    files = select(names)
    root = data_dir(root)
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale(root)
    tmp = Path(tempfile.mkdtemp(prefix=".telechargement-", dir=root))
    fetched: list[Fetched] = []
    try:
        with requests.Session() as session:
            session.headers["User-Agent"] = _USER_AGENT
            for file in files:
                url = url_of(file, base_url)
                dest = tmp / file.name / file.filename
                dest.parent.mkdir()
                size = fetch(session, file, url, dest, timeout, retries, backoff, progress, on_progress, deadline)
                fetched.append(Fetched(file, url, size, _recognise(file, url, dest)))
        manifest = build_cache([pair for f in fetched for pair in f.found], root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in fetched:
        f.unused = _unused(f, manifest)
    return manifest, fetched


def _unused(fetched: Fetched, manifest: dict) -> list[str]:
    """The datasets of ``fetched`` that the new cache did not keep, with the one in service instead."""
    in_service = {j["id"]: j for j in manifest.get("jeux", [])}
    out = []
    for ds, rec in fetched.found:
        kept = in_service.get(ds.id or ds.kind)
        if kept is None:
            out.append(f"{ds.id or ds.kind} : non retenu dans le cache")
        elif kept.get("url") != fetched.url or kept.get("sha256") != rec.sha256:
            out.append(f"{ds.id or ds.kind} : le cache garde {kept.get('libelle', '')} {kept.get('millesime', '')} "
                       f"({kept.get('origine', '')}, {kept.get('url') or kept.get('fichier', '')})")
    return out
