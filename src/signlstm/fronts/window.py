"""An on-screen window for ``live`` and ``collect`` (pygame; headless OpenCV has no ``imshow``).

pygame is imported only when a window opens. With ``SDL_VIDEODRIVER=dummy`` it runs offscreen,
which is how the tests drive it.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from ..errors import SignlstmError, optional


class Window:
    """Shows BGR pictures; :meth:`show` returns False once the user pressed q or Esc or closed it."""

    def __init__(self, title: str = "signlstm"):
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        asked = os.environ.get("SDL_VIDEODRIVER")  # a driver the user chose (the tests' "dummy") is theirs to use
        if not asked and sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                                   or os.environ.get("WAYLAND_DISPLAY")):
            raise SignlstmError("cannot open a window: no display (DISPLAY is not set); run with --headless")
        pygame = optional("pygame", "window", "the window (or run with --headless)")
        try:
            pygame.display.init()
            pygame.display.set_caption(title)
        except pygame.error as e:
            raise SignlstmError(f"cannot open a window ({e}); run with --headless") from None
        if not asked and pygame.display.get_driver() in ("offscreen", "dummy"):  # SDL found no screen: nothing shows
            pygame.display.quit()
            raise SignlstmError("cannot open a window: no display; run with --headless")
        self.pg, self.screen, self.open = pygame, None, True

    def show(self, frame: np.ndarray) -> bool:
        pg = self.pg
        h, w = frame.shape[:2]
        if self.screen is None or self.screen.get_size() != (w, h):
            self.screen = pg.display.set_mode((w, h))
        rgb = np.ascontiguousarray(frame[:, :, ::-1])
        self.screen.blit(pg.image.frombuffer(rgb.tobytes(), (w, h), "RGB"), (0, 0))
        pg.display.flip()
        for event in pg.event.get():
            if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key in (pg.K_q, pg.K_ESCAPE)):
                self.open = False
        return self.open

    def wait(self, seconds: float, frame: np.ndarray) -> bool:
        """Keep ``frame`` on screen for ``seconds`` (the tutorial's waitKey pause); False if the user quit."""
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.show(frame):
                return False
            time.sleep(0.03)
        return True

    def close(self) -> None:
        self.pg.display.quit()
