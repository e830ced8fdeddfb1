"""The browser front end: ``signlstm serve`` (a Starlette app) and its one page.

:mod:`.engine` holds what one browser tab owns (a :class:`~signlstm.landmarks.Holistic` graph, a
:class:`~signlstm.recognizer.Recognizer`, its recordings) and what the server shares (the model,
the bounded landmark thread pool, the one adapt worker); :mod:`.server` is the thin ASGI shell
around it. Starlette, uvicorn and websockets are imported only here, never by ``import signlstm``.
"""
