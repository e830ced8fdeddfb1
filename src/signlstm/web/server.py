"""The ASGI app of ``signlstm serve``: the page, its static files, and one WebSocket per page.

Protocol on ``/ws`` (see :mod:`.engine` for what each message does):

- browser -> server, binary: one JPEG frame. The page sends the next one only after the reply (backpressure), at
  most ``fps`` a second. Frames are read one at a time per page, so a page can never queue more than one.
- browser -> server, text JSON: ``{"type": "record", "name", "action", "count", "pause"}``, ``{"type": "cancel"}``,
  ``{"type": "clear"}``, ``{"type": "adapt", "name"}``, ``{"type": "ping"}``.
- server -> browser, text JSON: ``hello`` (drawing info and limits), ``model`` (labels, colours), ``result`` per
  frame (probabilities, sentence, word, landmark points, recording status), ``recording``, ``adapt`` progress,
  ``error`` (a refused message; the page stays connected), ``busy``.

A message over the size limit closes that page's socket (code 1009) and a page that sends ``MAX_BAD`` bad messages
in a row is closed (1008); other pages never notice.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import SignlstmError
from .engine import MAX_FRAME_BYTES, MAX_TEXT_BYTES, BadMessage, Busy, Engine, drawing, model_info

STATIC = Path(__file__).resolve().parent / "static"
MAX_BAD = 20  # bad messages in a row before a page is closed
WS_MAX_SIZE = MAX_FRAME_BYTES + 64 * 1024  # the protocol layer refuses anything larger (close 1009)
FPS = 12  # frames a second the page sends at most
SEND_WIDTH = 480  # the page scales frames to this width before JPEG-encoding them


def create_app(engine: Engine) -> Starlette:
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
        send_lock = asyncio.Lock()

        async def send(msg: dict):
            async with send_lock:
                await ws.send_text(json.dumps(msg))

        try:
            await send({"type": "hello", "fps": FPS, "width": SEND_WIDTH, "max_frame_bytes": MAX_FRAME_BYTES,
                        "max_text_bytes": MAX_TEXT_BYTES, "drawing": drawing(), "adapt": session.adapt_state})
            await send(model_info(session.bundle, engine.threshold))
            await loop.run_in_executor(engine.pool, session.start)
            bad = 0
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                try:
                    if msg.get("bytes") is not None:
                        async with session.lock:
                            reply = await loop.run_in_executor(engine.pool, session.process, msg["bytes"])
                        engine.served += 1
                    else:
                        reply = await control(session, msg.get("text") or "", send)
                    bad = 0
                    if reply is not None:
                        await send(reply)
                except BadMessage as e:
                    bad += 1
                    await send({"type": "error", "message": str(e)})
                    if bad >= MAX_BAD:
                        await ws.close(code=1008, reason="too many bad messages")
                        break
        except WebSocketDisconnect:
            pass
        finally:
            engine.sessions.discard(session)
            session.closed = True
            try:
                await loop.run_in_executor(engine.pool, session.close)
            except RuntimeError:  # the pool is shut down: the server is stopping
                session.close()

    async def control(session, text: str, send):
        if len(text.encode()) > MAX_TEXT_BYTES:
            raise BadMessage(f"control message over {MAX_TEXT_BYTES} bytes")
        try:
            m = json.loads(text)
        except ValueError:
            raise BadMessage("control messages are JSON objects") from None
        if not isinstance(m, dict) or not isinstance(m.get("type"), str):
            raise BadMessage('control messages are JSON objects with a "type"')
        kind = m["type"]
        if kind == "ping":
            return {"type": "pong"}
        if kind == "clear":
            session.clear()
            return {"type": "cleared"}
        if kind == "record":
            return session.record(m.get("name"), m.get("action"), m.get("count"), m.get("pause"))
        if kind == "cancel":
            return session.cancel()
        if kind == "adapt":
            await session.adapt(m.get("name"), send)
            return None
        raise BadMessage(f"unknown message type {kind[:40]!r}")

    routes = [Route("/", index), Route("/api/health", health), WebSocketRoute("/ws", ws_endpoint),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        engine.shutdown()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.engine = engine
    return app


def config(app, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning", **ssl):
    """A uvicorn Config for ``app`` with the WebSocket size limit set."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level=log_level, ws_max_size=WS_MAX_SIZE,
                          ws_ping_interval=20, ws_ping_timeout=20, lifespan="on", **ssl)


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 8000, certfile=None, keyfile=None,
          log_level: str = "warning") -> None:
    import uvicorn

    ssl = {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if certfile else {}
    server = uvicorn.Server(config(create_app(engine), host, port, log_level, **ssl))
    server.run()
    if not server.started:
        raise SignlstmError(f"could not listen on {host}:{port} (in use, or not an address of this machine)")
