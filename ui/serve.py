"""``python -m ui.serve``: the app (``app.py``) served by Streamlit's own ASGI app, ``st.App``, under uvicorn.

Why not ``streamlit run app.py``: its uvicorn server keeps h11's default limit on a request's head (16 KiB) and offers
no option to raise it, so a link carrying a long ``polygone=`` (Chromium sends URLs up to 2 MB) is answered « 400
Invalid HTTP request received. » while the browser is still sending, which shows a reset connection, never the app's
French message. ``st.App`` under uvicorn is Streamlit's documented way to choose uvicorn's options: here a request's head
may reach ``MAX_REQUEST_HEAD`` bytes (Chromium's own URL limit, so the memory held per connection stays bounded), and
the parser is h11 even when httptools is installed (httptools has its own fixed limit, about 64 KiB here).

Past uvicorn, Streamlit itself drops a query string over 512 Ki characters or 1,000 parameters without a word
(``ui.links.query_too_long``): ``LongLinks`` sends such a request to the same page with ``?lien_trop_long=…`` instead,
which the page reports in French (``ui.state.parse_query``).

While the browser loads Streamlit's own page, the server already prepares the first one (``prepare``, st.App's lifespan):
the imports of the map page, the reference, the France-wide map, then the first diagnostic's lookups. A first page then
finds them ready instead of paying ~1.5 s for them; ``streamlit run app.py`` has no such hook and prepares them when the
first page asks for the reference.

Everything else comes from Streamlit's configuration (``.streamlit/config.toml``) as with ``streamlit run``; the port
and the address can also be given as ``--server.port 8502 --server.address 127.0.0.1``, and ``--server.headless true``
keeps the browser closed (it opens at start, as with ``streamlit run``, when a screen is there).
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import streamlit as st
import uvicorn
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ui import data_stack, first_map
from ui.links import LINK_TOO_LONG_PARAM, query_too_long  # light: the data stack is imported by ``prepare``, after the start

__all__ = ["MAX_REQUEST_HEAD", "SCRIPT", "READY", "PaintedSignal", "LongLinks", "prepare", "uvicorn_options", "main"]

SCRIPT = Path(__file__).resolve().parent.parent / "app.py"
MAX_REQUEST_HEAD = 2 * 1024 * 1024  # bytes of request line + headers: Chromium's 2 MB URL limit, and no more
DEFAULT_PING_S = 30  # Streamlit's websocket ping interval and timeout when server.websocketPingInterval is unset
READY = "ptce-geo : données et carte prêtes"


class PaintedSignal:
    """ASGI middleware: answers the first map's request once drawn (``ui.first_map.PAINTED_PATH``, 204); every other
    request passes unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != first_map.PAINTED_PATH:
            await self.app(scope, receive, send)
            return
        first_map.painted()
        await Response(status_code=204)(scope, receive, send)


class LongLinks:
    """ASGI middleware: a page request whose query string Streamlit would drop is redirected (303) to the same path with
    ``?lien_trop_long=<characters>,<parameters>``; every other request passes unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1") if scope["type"] == "http" else ""
        if not query_too_long(query):
            await self.app(scope, receive, send)
            return
        sizes = f"{len(query)},{query.count('&') + 1}"
        await RedirectResponse(f"{quote(scope['path'])}?{LINK_TOO_LONG_PARAM}={sizes}", status_code=303)(scope, receive, send)


@asynccontextmanager
async def prepare(_app: object) -> AsyncIterator[None]:
    """st.App's lifespan: prepare the first page in a thread (``_first_page``) while the server starts serving."""
    threading.Thread(target=_first_page, name="ptce-geo-first-page", daemon=True).start()
    yield


def _first_page() -> None:
    """Import what the map page imports and read the reference (which starts preparing the rest: ``ui.loaders``), then
    say so. ``streamlit_folium`` is left to the page: it registers its map component only within a page's run.

    With a first map saved by an earlier start (``ui.first_map``), wait first until a page has started and that map is
    drawn, or ``HOLD_S`` has passed: these imports take ~1 s of CPU, which the browser needs to draw the map."""
    if first_map.prepared():
        first_map.RELEASED.wait(first_map.HOLD_S)
    started = time.perf_counter()
    data_stack.load()  # the Territoire page's modules

    from ptce_geo.fr_format import fr_number
    from ui import loaders

    try:
        loaders.reference()
        loaders.prepare_first_map()  # started by reference() in its own thread: waits for it, or finds it done
    except Exception as exc:  # noqa: BLE001 - the first page reads the cache again and reports the problem in French
        print(f"ptce-geo : préparation interrompue ({exc}) ; la première page s'en chargera.", flush=True)
        return
    print(f"{READY} ({fr_number(time.perf_counter() - started, 1)} s).", flush=True)


def uvicorn_options() -> dict[str, Any]:
    """uvicorn.Config keywords: TLS and websocket settings read from Streamlit's configuration as ``streamlit run`` passes
    them to uvicorn, plus the request-head limit and the h11 parser."""
    ping = st.get_option("server.websocketPingInterval") or DEFAULT_PING_S
    return {
        "http": "h11",
        "h11_max_incomplete_event_size": MAX_REQUEST_HEAD,
        "ssl_certfile": st.get_option("server.sslCertFile"),
        "ssl_keyfile": st.get_option("server.sslKeyFile"),
        "ws": "websockets-sansio",
        "ws_ping_interval": ping,
        "ws_ping_timeout": ping,
        "ws_max_size": int(st.get_option("server.maxMessageSize")) * 1_000_000,
        "ws_per_message_deflate": bool(st.get_option("server.enableWebsocketCompression")),
        "use_colors": False,
        "access_log": False,
    }


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ui.serve", description="Lance l'application ptce-geo.")
    parser.add_argument("--server.port", dest="port", type=int, default=None, help="port (défaut : server.port, 8501)")
    parser.add_argument("--server.address", dest="address", default=None,
                        help="adresse d'écoute (défaut : server.address, sinon toutes les interfaces)")
    parser.add_argument("--server.headless", dest="headless", choices=("true", "false"), default=None,
                        help="true : ne pas ouvrir le navigateur (défaut : server.headless, vrai sans écran)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Bind first (a taken port fails at once, before the Streamlit runtime starts), then serve until stopped."""
    args = _arguments(argv)
    middleware = [Middleware(LongLinks), Middleware(PaintedSignal)]
    app = st.App(SCRIPT, lifespan=prepare, middleware=middleware)  # first: it points Streamlit at the project's config.toml
    first_map.listen()
    address = args.address or st.get_option("server.address") or "0.0.0.0"  # every interface: streamlit run's default
    port = args.port if args.port is not None else int(st.get_option("server.port"))
    try:
        sock = socket.create_server((address, port), family=socket.AF_INET6 if ":" in address else socket.AF_INET)
    except OSError as exc:
        sys.exit(f"ptce-geo : impossible d'écouter sur {address}:{port} : {exc.strerror}")
    host = "localhost" if address in ("0.0.0.0", "::") else f"[{address}]" if ":" in address else address
    url = f"http://{host}:{port}"
    print(f"ptce-geo : ouvrir {url} dans le navigateur (Ctrl+C pour arrêter).", flush=True)
    if not (args.headless == "true" if args.headless else st.get_option("server.headless")):
        webbrowser.open(url)  # as streamlit run does; the socket already listens, so the page waits for the app's start
    with sock:
        uvicorn.Server(uvicorn.Config(app, host=address, port=port, **uvicorn_options())).run(sockets=[sock])


if __name__ == "__main__":
    main()
