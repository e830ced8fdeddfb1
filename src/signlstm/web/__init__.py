"""The browser front end: ``signlstm serve`` (a Starlette app) and its one page.

The page finds the landmarks itself with MediaPipe Holistic in the browser and sends keypoints (:mod:`.protocol`);
camera frames are the fallback. :mod:`.engine` holds what one browser tab owns (a
:class:`~signlstm.recognizer.Recognizer`, its recording, for the fallback a landmark graph) and what the server
shares (the model, the classifier thread, the bounded landmark thread pool, the one adapt worker); :mod:`.server` is
the thin ASGI shell around it. Starlette, uvicorn and websockets are imported only here, never by ``import signlstm``.
"""
