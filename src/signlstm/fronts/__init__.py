"""Fronts that read a camera or a file and show or record: the ``live`` and ``collect`` loops, their recorder, their
drawing and window (the command line and the web page are ``cli`` and ``web``)."""
