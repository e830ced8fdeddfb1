"""The ASGI app of ``signlstm serve``: the page, its static files, and one WebSocket per page.

The page loads MediaPipe Holistic (the npm package ``@mediapipe/holistic``, installed by ``make install`` with
``npm ci``) from ``/holistic/`` on this same server, never from elsewhere (optionally with the model files of the
``mediapipe`` wheel in place of the package's: :func:`~.holistic_assets.packed_assets`), finds the landmarks itself and sends only
keypoints; with ``?landmarks=server``, or when the package is missing or the browser cannot run it, it sends camera
frames once the visitor has pressed the button that allows it, and the server finds the landmarks.

Protocol on ``/ws`` (see :mod:`.engine` for what each message does):

- browser -> server, binary: a keypoint message (:mod:`.protocol`, at the camera's rate, a few in flight at most:
  past ``MAX_IN_FLIGHT`` whose replies are not sent yet the page is not read until one is, so a page that reads no
  reply fills no queue; a script sending far ahead of the replies is read as fast as it is answered, and the
  keepalive ping, read behind its messages, may time out: the socket closes, 1011), put straight
  into the engine's batcher and answered in the order sent through the page's own sender task; or one camera frame
  (the fallback: a JPEG after a header with the time the page took it, laid out in :mod:`.protocol`; the next one
  only after the reply, at most ``fps`` a second; the recognizer sees the frames at 30 a second, made from those
  times).
- browser -> server, text JSON: ``{"type": "record", "name", "action", "count", "pause"}``, ``{"type": "cancel"}``,
  ``{"type": "clear"}``, ``{"type": "adapt", "name"}``, ``{"type": "counts", "name"}``, ``{"type": "ping"}``.
- server -> browser, text JSON: ``hello`` (drawing info, limits, the keypoint layout and the camera frame's header,
  whether the page may find landmarks itself), ``model`` (labels, colours, the parts to send), ``result`` per
  message (probabilities, sentence, word, the message's timestamp, for an image the landmark points; recording
  status), ``recording``, ``adapt`` progress, ``counts`` (the sequences a visitor has saved, per sign:
  the answer to a request, and again whenever another page saves under the name the page last asked about),
  ``error`` (a refused message, with ``about``: the type of a refused control message, or ``record`` when a
  recorded sequence could not be written and the recording stopped; ``to``: ``frame`` when it answers a keypoint
  message or a camera frame, which the page counts as answered; the page stays connected), ``busy`` (all places
  taken: the page is closed), ``idle`` (the page sent nothing for the engine's ``idle`` seconds and gave its place
  to a new page when all were taken: the page is closed, 1013, and connects again when its visitor acts).

A message over the size limit closes that page's socket (code 1009) and a page that sends ``MAX_BAD`` bad messages
in a row is closed (1008); other pages never notice. A page's text messages are read at most ``CONTROL_RATE`` a second
once it has sent ``CONTROL_BURST`` (the page sends one per click or name typed): past that, the page is not read until
its time comes, so a page sending them without end holds up no other page's replies. A page whose reply cannot be
sent (it went away) is read no further.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import SignlstmError
from . import protocol
from .engine import MAX_TEXT_BYTES, BadMessage, Busy, Engine, model_info
from .holistic_assets import HOLISTIC_FILES, PACKED, holistic_dir, packed_assets, wheel_models
from .images import MAX_FRAME_BYTES, drawing

STATIC = Path(__file__).resolve().parent / "static"
MAX_BAD = 20  # bad messages in a row before a page is closed
MAX_IN_FLIGHT = 8  # keypoint messages of one page being answered at once; past this the page is not read
WS_MAX_SIZE = max(MAX_FRAME_BYTES, protocol.MAX_BYTES) + 64 * 1024  # the protocol layer refuses anything larger (1009)
CONTROL_RATE = 10  # text (control) messages a second a page is read at, once it has sent CONTROL_BURST at once
CONTROL_BURST = 20
FPS = 12  # frames a second the page sends at most
SEND_WIDTH = 480  # the page scales frames to this width before JPEG-encoding them


PIECE = 64 * 1024  # bytes of the packed models handed to a connection at a time (as FileResponse sends a file)
PAGE_MODELS = ("package", "wheel")


def create_app(engine: Engine, holistic: str | Path | None = None, page_models: str | None = None) -> Starlette:
    """The app; ``holistic`` is the folder of ``@mediapipe/holistic`` (default: :func:`~.holistic_assets.holistic_dir`);
    ``page_models``: ``wheel`` serves the page the ``mediapipe`` wheel's models where the package's differ,
    ``package`` the package's own (default: ``$SIGNLSTM_PAGE_MODELS``, else ``package``)."""
    import os

    page_landmarks = holistic_dir(holistic)
    page_models = page_models or os.environ.get("SIGNLSTM_PAGE_MODELS") or "package"
    if page_models not in PAGE_MODELS:
        raise SignlstmError(f"page models: one of {', '.join(PAGE_MODELS)}, not {page_models!r}")
    packed = None
    if page_landmarks is not None and page_models == "wheel":
        packed = packed_assets(page_landmarks, wheel_models())

    async def index(request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def health(request):
        return JSONResponse(engine.stats())

    async def ws_endpoint(ws: WebSocket):
        await ws.accept()
        try:
            session = engine.open()
        except Busy as e:
            await ws.send_json({"type": "busy", "message": str(e)})
            await ws.close(code=1013)
            return
        loop = asyncio.get_running_loop()

        async def send(msg: dict):
            await ws.send_text(json.dumps(msg))

        bad = 0
        pace = Pace(CONTROL_RATE, CONTROL_BURST)
        in_flight = 0  # keypoint messages of this page in the batcher
        room: asyncio.Future | None = None  # set when in_flight drops below MAX_IN_FLIGHT

        async def answer(result, frame: bool = False) -> bool:
            """Send one reply, or the reason a message was refused (``frame``: a binary message's, keypoints or a
            camera frame); True when the page is closed for it."""
            nonlocal bad
            try:
                if isinstance(result, GaveWay):
                    await send({"type": "idle", "message": result.why})
                    await ws.close(code=1013, reason="idle: gave its place to a new page")
                    return True
                if isinstance(result, BadMessage):
                    bad += 1
                    error = {"type": "error", "message": str(result)}
                    if result.about:
                        error["about"] = result.about
                    if frame:
                        error["to"] = "frame"
                    await send(error)
                    if bad >= MAX_BAD:
                        await ws.close(code=1008, reason="too many bad messages")
                        return True
                elif isinstance(result, BaseException):
                    loop.call_exception_handler({"message": "answering a message failed", "exception": result})
                elif result is not None:
                    bad = 0
                    await send(result)
            except (WebSocketDisconnect, RuntimeError, OSError):  # the page went away meanwhile: read no more of it
                return True
            return False

        outbox: deque = deque()  # replies (and unasked messages) for the sender task
        wake: asyncio.Future | None = None  # set when the outbox has something

        def push(message, reply: bool = False) -> None:  # on the event loop: to this page's sender task
            outbox.append((message, reply))
            if wake is not None and not wake.done():
                wake.set_result(None)

        def answered(result) -> None:
            """The batcher's callback for one keypoint message: the reply goes to this page's sender task, so a page
            that does not read its replies (its socket's buffer full) holds up no other page; the message stays in
            flight until its reply is sent, so such a page is not read further and its replies wait in no queue."""
            push(result, reply=True)

        async def sender() -> None:
            nonlocal wake, in_flight
            while True:
                while outbox:
                    message, reply = outbox.popleft()
                    closed = await answer(message, frame=reply)
                    if reply:
                        in_flight -= 1
                        if room is not None and not room.done():
                            room.set_result(None)
                    if closed:
                        return
                wake = loop.create_future()
                await wake

        sending = loop.create_task(sender())

        def notify(message: dict) -> None:  # from any thread: a message no request of this page asked for
            try:
                loop.call_soon_threadsafe(push, message)
            except RuntimeError:  # the loop is closed: the server is stopping
                pass

        session.notify = notify
        session.leave = lambda why: push(GaveWay(why))

        try:
            await send({"type": "hello", "fps": FPS, "width": SEND_WIDTH, "max_frame_bytes": MAX_FRAME_BYTES,
                        "max_text_bytes": MAX_TEXT_BYTES, "drawing": drawing(), "adapt": session.adapt_state,
                        "keypoints": protocol.describe(), "image": protocol.describe_image(),
                        "page_landmarks": page_landmarks is not None})
            await send(model_info(session.bundle, session.recognizer.threshold))
            while not sending.done():  # (the sender ends when it closes the page: too many bad messages)
                msg = await ws.receive()
                session.heard = time.monotonic()
                if msg["type"] == "websocket.disconnect":
                    break
                data = msg.get("bytes")
                if data is not None and protocol.is_keypoints(data):
                    while in_flight >= MAX_IN_FLIGHT and not sending.done():  # read no more until one is answered
                        room = loop.create_future()
                        await asyncio.wait([room, sending], return_when=asyncio.FIRST_COMPLETED)
                    if sending.done():  # closed meanwhile: its replies are no longer sent, so room never comes
                        break
                    in_flight += 1
                    engine.batcher.put(session, data, answered)
                    continue
                if data is None:  # (at least a turn of the loop between two: other pages are read meanwhile)
                    await asyncio.sleep(pace.wait())
                try:
                    result = await (session.receive(data) if data is not None
                                    else session.control(msg.get("text") or "", send))
                except BadMessage as e:
                    result = e
                if await answer(result, frame=data is not None):
                    break
        except WebSocketDisconnect:
            pass
        finally:
            session.notify = session.leave = None
            sending.cancel()
            engine.sessions.discard(session)
            session.closed = True
            try:
                await loop.run_in_executor(engine.pool, session.close)
            except RuntimeError:  # the pool is shut down: the server is stopping
                session.close()

    routes = [Route("/", index), Route("/api/health", health), WebSocketRoute("/ws", ws_endpoint),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    if packed is not None:
        async def packed_loader(request):
            return Response(packed[0], media_type="text/javascript")

        async def packed_data(request):  # in pieces: a client that does not read holds no copy of the 17 MB
            return StreamingResponse(pieces(packed[1]), media_type="application/octet-stream",
                                     headers={"Content-Length": str(len(packed[1]))})

        routes += [Route(f"/holistic/{PACKED}_loader.js", packed_loader), Route(f"/holistic/{PACKED}.data", packed_data)]
    if page_landmarks is not None:
        routes.append(Mount("/holistic", OnlyFiles(HOLISTIC_FILES, directory=page_landmarks), name="holistic"))
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        engine.shutdown()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.engine = engine
    return app


class GaveWay:
    """For a page's sender task: the page gave its place to a new one (``why``, as the page is told it)."""

    def __init__(self, why: str):
        self.why = why


class OnlyFiles(StaticFiles):
    """The files ``names`` of a folder, served as :class:`StaticFiles` serves them (with their caching headers and
    ranges); any other path under it is not found (404)."""

    def __init__(self, names, **kwargs):
        super().__init__(**kwargs)
        self.names = frozenset(names)

    async def get_response(self, path: str, scope) -> Response:
        if path not in self.names:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


async def pieces(body: bytes):
    """``body`` in :data:`PIECE`-byte views (uvicorn takes the next once the connection's buffer has room)."""
    view = memoryview(body)
    for at in range(0, len(view), PIECE):
        yield view[at:at + PIECE]


class Pace:
    """A page's control messages: ``burst`` at once, then ``rate`` a second."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.allowed, self.at = float(burst), time.monotonic()  # messages it may send now (below 0: owed)

    def wait(self) -> float:
        """Seconds the next message waits before it is read (0 within the burst)."""
        now = time.monotonic()
        self.allowed = min(self.burst, self.allowed + (now - self.at) * self.rate) - 1
        self.at = now
        return max(0.0, -self.allowed / self.rate)


GRACE = 10  # seconds a stopping server waits for its pages' tasks before it cancels them


def config(app, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning", **ssl):
    """A uvicorn Config for ``app`` with the WebSocket size limit set (and a message's fragments and the pongs a
    client leaves unread bounded: :mod:`.ws_protocol`), answering only its own page (:class:`~.origin.OwnPageOnly`;
    only loopback names when ``host`` is a loopback address)."""
    import uvicorn

    from .origin import OwnPageOnly, is_loopback
    from .ws_protocol import bounded_ws_protocol

    # No per-message compression: keypoint floats and JPEG frames hardly compress, and deflating every message both
    # ways cost the server about a tenth of its time at 50 pages (profiled).
    made = uvicorn.Config(OwnPageOnly(app, is_loopback(host)), host=host, port=port, log_level=log_level,
                          ws_max_size=WS_MAX_SIZE, ws_ping_interval=20, ws_ping_timeout=20, ws_per_message_deflate=False,
                          lifespan="on", timeout_graceful_shutdown=GRACE, http=head_timeout_protocol(),
                          ws=bounded_ws_protocol(), **ssl)
    errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ClientTextNotUtf8) for f in errors.filters):
        errors.addFilter(ClientTextNotUtf8())
    return made


def head_timeout_protocol():
    """uvicorn's HTTP/1.1 protocol (h11) that also closes a connection which has not sent a whole request head within
    its keep-alive timeout (``timeout_keep_alive``, 5 s) of opening or of its last response. uvicorn itself closes a
    connection idle between requests after that long, but keeps for ever one that sends nothing, or half a request
    head, or one byte of it at a time: none of its settings bounds those (``limit_concurrency`` answers 503 to
    requests and still holds the connections; ``h11_max_incomplete_event_size`` bounds a head's bytes, not its
    time)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadTimeout(H11Protocol):
        head_timer = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self.wait_for_head()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self.wait_for_head()

        def connection_lost(self, exc) -> None:
            if self.head_timer is not None:
                self.head_timer.cancel()
            super().connection_lost(exc)

        def wait_for_head(self) -> None:
            """Close the connection unless a new request head (a new cycle, or the switch to a WebSocket) has come
            within ``timeout_keep_alive``."""
            if self.head_timer is not None:
                self.head_timer.cancel()
            cycle = self.cycle

            def late() -> None:
                if self.cycle is cycle and self.transport.get_protocol() is self and not self.transport.is_closing():
                    self.timeout_keep_alive_handler()

            self.head_timer = self.loop.call_later(self.timeout_keep_alive, late)

    return HeadTimeout


class ClientTextNotUtf8(logging.Filter):
    """uvicorn logs a text message that is not UTF-8 (it closes that page's socket with 1007) with the traceback of
    its own decoding: its one line says it all, so the traceback is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], UnicodeDecodeError):
            record.exc_info, record.exc_text = None, None
        return True


def check_tls(certfile, keyfile) -> None:
    """Refuse, in one line naming the file, a ``--certfile``/``--keyfile`` that is missing, not PEM, or a key that
    does not belong to the certificate: what uvicorn would only find (as a traceback) after the model has loaded."""
    import errno
    import ssl

    from ..errors import BadInput

    for option, path in (("--certfile", certfile), ("--keyfile", keyfile)):
        if path is None:
            continue
        p = Path(path)
        if not p.exists():
            raise BadInput(p, f"no such file ({option})")
        if not p.is_file():
            raise BadInput(p, f"not a file ({option} takes a PEM file)")
        try:
            with open(p, "rb") as f:
                head = f.read(1 << 20)
        except OSError as e:
            raise BadInput(p, f"unreadable ({option}: {e.strerror or e})") from None
        want = b"CERTIFICATE-----" if option == "--certfile" else b"PRIVATE KEY-----"
        if b"-----BEGIN " not in head or want not in head:
            what = "a PEM certificate (-----BEGIN CERTIFICATE-----)" if option == "--certfile" else \
                "a PEM private key (-----BEGIN ... PRIVATE KEY-----)"
            raise BadInput(p, f"not {what} ({option})")
    encrypted = []

    def password():  # an encrypted key: uvicorn will ask for its password at start-up, as before
        encrypted.append(True)
        return b""

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile, password=password)
    except ssl.SSLError as e:
        if encrypted:
            return
        reason = e.reason or str(e)
        if "MISMATCH" in str(reason).upper():
            raise SignlstmError(f"--keyfile {keyfile} is not the private key of --certfile {certfile}") from None
        raise SignlstmError(f"--certfile {certfile} / --keyfile {keyfile}: cannot be loaded as PEM ({reason})") from None
    except OSError as e:
        code = errno.errorcode.get(e.errno, "")
        raise SignlstmError(f"--certfile {certfile} / --keyfile {keyfile}: cannot be loaded ({e.strerror or code or e})") \
            from None


def check_listen(host: str, port: int) -> None:
    """Refuse, in one line, a ``--host``/``--port`` this machine cannot listen on (a host that does not resolve, not
    an address of this machine, a port in use or reserved): bound and released here as uvicorn would bind it
    (every address of ``host``, ``SO_REUSEADDR``), before the model loads and before "serving ..." is printed."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as e:
        raise SignlstmError(f"--host {host}: not an address or name this machine can resolve "
                            f"({getattr(e, 'strerror', None) or e})") from None
    seen = set()
    for family, kind, proto, _, addr in infos:
        if (family, addr) in seen:
            continue
        seen.add((family, addr))
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise SignlstmError(f"--port {port}: {host}:{port} is in use (another server?); choose another "
                                    "--port") from None
            if e.errno == errno.EADDRNOTAVAIL:
                raise SignlstmError(f"--host {host}: not an address of this machine (127.0.0.1: this machine only; "
                                    "0.0.0.0: every address)") from None
            if e.errno == errno.EACCES:
                raise SignlstmError(f"--port {port}: not allowed to listen on {host}:{port} (ports below 1024 need "
                                    "administrator rights)") from None
            raise SignlstmError(f"--host {host} --port {port}: cannot listen there ({e.strerror or e})") from None


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 8000, certfile=None, keyfile=None,
          log_level: str = "warning", holistic=None) -> None:
    """Run the web server for ``engine`` on ``host``:``port`` (over HTTPS when ``certfile`` is given) until it is
    stopped; :class:`SignlstmError` when it cannot listen there."""
    import uvicorn

    ssl = {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if certfile else {}
    server = uvicorn.Server(config(create_app(engine, holistic), host, port, log_level, **ssl))
    server.run()
    if not server.started:
        raise SignlstmError(f"could not listen on {host}:{port} (in use, or not an address of this machine)")
