"""Which requests the server answers: those of its own page, not of another site the browser has open.

Browsers let any site open a WebSocket to ``127.0.0.1`` (no CORS for WebSockets) and send it the visitor's cookies
and nothing else: without a check, any page the user visits could record into their folders, start adaptations or
fill the server's page slots. A browser always names the page that opens a connection in ``Origin``; the server's
own page is served from the address the request is sent to (``Host``), so the two must agree. A client that is not
a browser (a script, ``signlstm loadtest``) sends no ``Origin`` and is answered.

A server listening only on a loopback address also answers only requests addressed to a loopback name (``localhost``,
``127.0.0.1``, ``::1``): a site whose name an attacker points at 127.0.0.1 (DNS rebinding) sends its own name as
``Host`` and ``Origin`` alike, which agree.
"""
from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocketClose

LOOPBACK_NAMES = ("localhost",)
log = logging.getLogger("signlstm.web")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) names this machine's loopback."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def request_problem(headers: Headers, loopback_only: bool) -> str | None:
    """Why a request with ``headers`` is not answered (another site's page, or a name other than loopback when
    ``loopback_only``), else None."""
    host = headers.get("host", "")
    try:
        parts = urlsplit("//" + host)
        name, _ = parts.hostname or "", parts.port  # (the port: ValueError unless a number)
    except ValueError:  # an unclosed IPv6 bracket, a port that is no number
        return f"Host {host!r} is not a host name"
    if host and (not name or "@" in parts.netloc or parts.path or parts.query or parts.fragment):
        return f"Host {host!r} is not a host name"  # (a browser sends name[:port] alone)
    if loopback_only and not is_loopback(name):
        return f"Host {host!r} is not a loopback name, and this server listens on loopback only"
    origin = headers.get("origin")
    if origin is None:
        return None
    try:
        site = urlsplit(origin).netloc.lower()
    except ValueError:
        return f"Origin {origin!r} is not a web address"
    if site != host.lower():
        return f"Origin {origin!r} is another site than this server's page ({host})"
    return None


class OwnPageOnly:
    """ASGI middleware: a request :func:`request_problem` refuses gets 403 (HTTP) or is closed before it is accepted
    (WebSocket, which the client sees as 403); others go on to ``app``."""

    def __init__(self, app, loopback_only: bool):
        self.app, self.loopback_only = app, loopback_only

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            problem = request_problem(Headers(scope=scope), self.loopback_only)
            if problem:  # said in the server's log too: a proxy that rewrites Host or Origin is refused here
                log.warning("refused %s %s: %s", scope["type"], scope.get("path", ""), problem)
                refusal = (PlainTextResponse(problem, status_code=403) if scope["type"] == "http"
                           else WebSocketClose(code=1008, reason=problem[:120]))
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
