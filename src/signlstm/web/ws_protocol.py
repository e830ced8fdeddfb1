"""uvicorn's WebSocket protocol (websockets' Sans-I/O layer) with two bounds it lacks (:func:`bounded_ws_protocol`).

- The fragments of one message: websockets bounds a message's bytes and a fragment's bytes (``max_size``), not how
  many fragments a message comes in, and uvicorn passes only the message bound (``ws_max_size``). A message of a
  megabyte sent as a million one-byte fragments was parsed frame by frame on the event loop (seconds of it, while
  every other page waited) and held as a million small objects until its last one.
- The pongs a client does not read: uvicorn answers each ping frame at once, whether or not the client reads, so a
  client sending pings without reading grew the server's write buffer by what it sent, until the keepalive closed it
  (up to 40 s later).
"""
from __future__ import annotations

MOST_FRAGMENTS = 1024  # frames one message may come in: the page sends each in one; 1 KB pieces of the largest fit


def bounded_ws_protocol(most: int = MOST_FRAGMENTS):
    """uvicorn's ``WebSocketsSansIOProtocol`` (what its ``ws="auto"`` picks when websockets is installed) that

    - closes a connection whose message comes in more than ``most`` frames, with code 1009 and a reason saying so,
      counting the frames as websockets' parser hands them over (``recv_frame``): the frames after the one over the
      bound are never parsed;
    - reads no more of a connection while its pongs wait unsent past the transport's high-water mark (the client is
      not reading them), until they drain: TCP then holds the client's further pings back.

    Relies on uvicorn's ``conn``, ``writable``, ``read_paused``, ``handle_ping`` and ``receive`` and on websockets'
    ``Protocol.recv_frame``: check it when either is upgraded (its tests fail if a bound stops holding)."""
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.exceptions import PayloadTooBig
    from websockets.frames import Opcode

    class TooManyFragments(PayloadTooBig):
        """A message in more than ``most`` frames (websockets' parser closes the connection with 1009 on a
        :class:`PayloadTooBig`, saying ``str`` of it)."""

        def __init__(self) -> None:
            Exception.__init__(self)
            self.message = f"a message in more than {most} fragments"
            self.size, self.max_size, self.current_size = None, most, None

        def set_current_size(self, current_size) -> None:
            pass

    class BoundedWebSocket(WebSocketsSansIOProtocol):
        pongs_unread = False  # reading is paused until the pongs written drain

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            recv_frame = self.conn.recv_frame
            fragments = 0

            def counted(frame) -> None:
                nonlocal fragments
                if frame.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                    fragments = 0 if frame.fin else fragments + 1
                    if fragments >= most:  # this frame is the message's most + 1st (or later) and not its last
                        raise TooManyFragments()
                recv_frame(frame)

            self.conn.recv_frame = counted

        def handle_ping(self) -> None:
            super().handle_ping()
            if not self.writable.is_set() and not self.pongs_unread:  # over the high-water mark: the client reads not
                self.pongs_unread = True
                self.transport.pause_reading()

        def resume_writing(self) -> None:
            super().resume_writing()
            if self.pongs_unread:
                self.pongs_unread = False
                if not self.read_paused:  # (uvicorn's own pause: a message the app has not taken yet)
                    self.transport.resume_reading()

        async def receive(self):
            message = await super().receive()  # may resume reading: the app took the last message
            if self.pongs_unread and not self.transport.is_closing():
                self.transport.pause_reading()
            return message

    return BoundedWebSocket
