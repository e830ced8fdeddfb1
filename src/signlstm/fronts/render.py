"""Drawing a live view: landmarks, one probability bar per action (any number), sentence, fps.

:func:`annotate` returns a new BGR picture: the camera image (or a blank canvas for replayed
keypoints) scaled to ``HEIGHT`` rows with the skeleton drawn from the 1662-value frame, the
sentence in a banner on top, fps at the bottom, and, when labels are given, a side panel with one
bar per action in colours generated for N actions. The panel sits beside the image, never over it. Text outside
ASCII (a sign named ``ñandú``) is drawn by :mod:`signlstm.unicode_text`, OpenCV's fonts holding ASCII only.
"""
from __future__ import annotations

import colorsys

import numpy as np

from .. import layout
from .. import unicode_text

HEIGHT = 480  # rows of the annotated picture
PANEL_WIDTH = 300
BANNER = 40  # sentence banner height
BANNER_BGR = (16, 117, 245)  # the tutorial's orange
PANEL_BGR = (40, 40, 40)
CANVAS_BGR = (24, 24, 24)
REPLAY_W = 854  # blank canvas for replayed keypoints: 16:9 at HEIGHT rows
FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX

# Skeleton edges (landmark index pairs) of MediaPipe's pose and hand models.
HAND_EDGES = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11),
              (11, 12), (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20)]
POSE_EDGES = [(0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12), (11, 13),
              (13, 15), (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16), (16, 18), (16, 20),
              (16, 22), (18, 20), (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
              (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32)]
BODY_POINTS = (11, 12, 13, 14, 15, 16, 23, 24)  # the pose's joints drawn: shoulders, arms to the wrists, hips
BODY_EDGES = [e for e in POSE_EDGES if e[0] in BODY_POINTS and e[1] in BODY_POINTS]  # (face and fingers: own parts)
PART_BGR = {"pose": (230, 160, 60), "face": (150, 220, 150), "left_hand": (70, 90, 255), "right_hand": (255, 110, 220)}


def colors(n: int) -> list[tuple[int, int, int]]:
    """``n`` distinct saturated BGR colours, hues spread evenly around the wheel."""
    out = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb((i / max(n, 1) + 0.58) % 1.0, 0.75, 0.95)
        out.append((int(b * 255), int(g * 255), int(r * 255)))
    return out


def canvas(width: int = REPLAY_W, height: int = HEIGHT) -> np.ndarray:
    """A blank dark picture to draw replayed keypoints on."""
    return np.full((height, width, 3), CANVAS_BGR, np.uint8)


def fit_height(image: np.ndarray, height: int = HEIGHT) -> np.ndarray:
    """A copy of ``image`` scaled to ``height`` rows, aspect kept."""
    import cv2

    h, w = image.shape[:2]
    if h == height:
        return image.copy()
    # INTER_LINEAR: a few times cheaper than INTER_AREA on a 720p frame, and the view is only shown
    return cv2.resize(image, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_LINEAR)


def fit_into(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` scaled to fit ``width`` x ``height`` whole, centred on black (a video's frames are of one size)."""
    import cv2

    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    size = (max(1, min(width, round(w * scale))), max(1, min(height, round(h * scale))))
    out = np.zeros((height, width, *image.shape[2:]), image.dtype)
    x, y = (width - size[0]) // 2, (height - size[1]) // 2
    out[y:y + size[1], x:x + size[0]] = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return out


def _points(keypoints: np.ndarray, p: layout.Part, w: int, h: int) -> np.ndarray | None:
    xyz = layout.part(keypoints, p)
    if not np.any(xyz):
        return None
    return np.stack([xyz[:, 0] * w, xyz[:, 1] * h], axis=1).round().astype(np.int32)


def draw_landmarks(image: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """Draw the pose, hands (lines + joints) and face (dots) of one 1662-value frame in place (stored as a 4:3
    image's, :func:`signlstm.layout.to_reference_aspect`: placed back on ``image``'s own shape)."""
    import cv2

    h, w = image.shape[:2]
    keypoints = layout.from_reference_aspect(keypoints, w, h)  # a new float array
    face = _points(keypoints, layout.FACE, w, h)
    if face is not None:
        ok = (face[:, 0] >= 0) & (face[:, 0] < w) & (face[:, 1] >= 0) & (face[:, 1] < h)
        image[face[ok, 1], face[ok, 0]] = PART_BGR["face"]
    for p, edges in ((layout.POSE, BODY_EDGES), (layout.LEFT_HAND, HAND_EDGES), (layout.RIGHT_HAND, HAND_EDGES)):
        pts = _points(keypoints, p, w, h)
        if pts is None:
            continue
        joints = range(len(pts))
        if p is layout.POSE:
            joints, edges = BODY_POINTS, BODY_EDGES
        color = PART_BGR[p.name]
        for a, b in edges:
            cv2.line(image, tuple(map(int, pts[a])), tuple(map(int, pts[b])), color, 2, cv2.LINE_AA)
        for j in joints:
            x, y = map(int, pts[j])
            cv2.circle(image, (x, y), 3, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(image, (x, y), 3, color, 1, cv2.LINE_AA)
    return image


def _text(image, text, org, scale=0.6, color=(255, 255, 255), thickness=1):
    """Text at ``org`` (its baseline's left end): OpenCV's font for ASCII, :mod:`signlstm.unicode_text`
    beyond."""
    if not text.isascii():
        unicode_text.draw(image, text, org, scale, color, thickness)
        return
    import cv2

    cv2.putText(image, text, org, FONT, scale, color, thickness, cv2.LINE_AA)


def _text_width(text: str, scale: float) -> int:
    if not text.isascii():
        return unicode_text.width(text, scale)
    import cv2

    return cv2.getTextSize(text, FONT, scale, 1)[0][0]


def _fit_text(text: str, scale: float, width: int, keep_end: bool = False) -> str:
    """``text`` cut so it fits ``width`` pixels: its end cut off (ending in ".."), or with ``keep_end`` its start
    (beginning with "..")."""
    if _text_width(text, scale) <= width:
        return text
    if keep_end:
        while text and _text_width(".." + text, scale) > width:
            text = text[1:]
        return ".." + text
    while text and _text_width(text + "..", scale) > width:
        text = text[:-1]
    return text + ".."


def bar_text(label: str, prob: float | None, scale: float, width: int) -> str:
    """A bar's words within ``width`` pixels: the sign's name and its probability (``prob``, None before the window
    is full), the name cut (ending in "..") where both do not fit, never the probability."""
    number = "" if prob is None else f" {prob:.2f}"
    return _fit_text(label, scale, width - _text_width(number, scale)) + number


def _fit_sentence(words: list[str], scale: float, width: int) -> str:
    """The sentence ``words`` as it fits ``width`` pixels: its newest words kept, whole signs dropped from its start
    (".." before the rest; a sign's name may hold spaces), and a last sign wider than that cut at its start."""
    words = list(words)
    if _text_width(" ".join(words), scale) <= width:
        return " ".join(words)
    while len(words) > 1 and _text_width(".. " + " ".join(words), scale) > width:
        words.pop(0)
    if len(words) > 1 or _text_width(".. " + words[0], scale) <= width:
        return ".. " + " ".join(words)
    return _fit_text(words[0], scale, width, keep_end=True)


def draw_banner(image: np.ndarray, lines: list[str], color=BANNER_BGR) -> np.ndarray:
    """The tutorial's orange banner across the top with text (the sentence, or collection status); a line too long
    for it loses its end."""
    import cv2

    w = image.shape[1]
    cv2.rectangle(image, (0, 0), (w, BANNER * max(1, len(lines))), color, -1)
    for i, line in enumerate(lines):
        _text(image, _fit_text(line, 0.8, w - 20), (10, BANNER * i + 28), 0.8, (255, 255, 255), 2)
    return image


def draw_fps(image: np.ndarray, fps: float) -> np.ndarray:
    import cv2

    h = image.shape[0]
    cv2.rectangle(image, (0, h - 26), (110, h), (0, 0, 0), -1)
    _text(image, f"{fps:5.1f} fps", (8, h - 8), 0.55)
    return image


MIN_STRIP_BAR = 12  # the least height in pixels a bar keeps in a strip picture, for its label to be read
MIN_ROW = 12  # the thinnest row a bar and its label get (a bar of 8 px); more bars than fit go in another column


def panel_columns(n: int, height: int = HEIGHT) -> int:
    """How many columns of bars ``n`` actions take in a panel ``height`` tall (one until rows of :data:`MIN_ROW`
    no longer fit: 34 at 480 px)."""
    rows = max(1, (height - BANNER - 24) // MIN_ROW)
    return max(1, -(-n // rows))


def bar_slots(n: int, height: int = HEIGHT) -> list[tuple[int, int, int, int]]:
    """Per action, the (x0, y0, x1, y1) box a full bar (probability 1) fills, in panel coordinates: one column of
    :data:`PANEL_WIDTH` pixels, or as many as :func:`panel_columns` says, filled top to bottom, left to right."""
    top, bottom = BANNER + 12, 12
    per = -(-n // panel_columns(n, height)) if n else 1  # rows in a column
    row = max(MIN_ROW, min(44, (height - top - bottom) // per))
    bar_h = max(8, row - max(4, row // 3))
    slots = []
    for i in range(n):
        column, r = divmod(i, per)
        x0, x1 = column * PANEL_WIDTH + 12, (column + 1) * PANEL_WIDTH - 12
        slots.append((x0, top + r * row + (row - bar_h), x1, top + (r + 1) * row))
    return slots


def draw_panel(labels: list[str], probs: np.ndarray | None, height: int = HEIGHT,
               threshold: float | None = None, chosen: int | None = None) -> np.ndarray:
    """A ``height`` x ``PANEL_WIDTH`` picture with one labelled bar per action (wider by a column of bars for each
    :data:`MIN_ROW`-pixel rows that do not fit, :func:`panel_columns`)."""
    import cv2

    panel = np.full((height, PANEL_WIDTH * panel_columns(len(labels), height), 3), PANEL_BGR, np.uint8)
    _text(panel, "probabilities" if probs is not None else "filling the window...", (12, 28), 0.6, (200, 200, 200))
    slots = bar_slots(len(labels), height)
    cols = colors(len(labels))
    for i, (label, (x0, y0, x1, y1)) in enumerate(zip(labels, slots)):
        bar_h = y1 - y0
        cv2.rectangle(panel, (x0, y0), (x1 - 1, y1 - 1), (70, 70, 70), -1)
        p = float(probs[i]) if probs is not None else 0.0
        xe = x0 + int(round(p * (x1 - x0)))
        if xe > x0:
            cv2.rectangle(panel, (x0, y0), (xe - 1, y1 - 1), cols[i], -1)
        scale = min(0.6, max(0.35, bar_h / 34))
        text = bar_text(label, p if probs is not None else None, scale, x1 - x0 - 8)
        ty = y0 + bar_h // 2 + int(cv2.getTextSize("Ag", FONT, scale, 1)[0][1] / 2)
        _text(panel, text, (x0 + 5, ty), scale, (0, 0, 0), 3)
        _text(panel, text, (x0 + 5, ty), scale, (255, 255, 255), 1)
        if chosen == i:
            cv2.rectangle(panel, (x0 - 3, y0 - 3), (x1 + 2, y1 + 2), (255, 255, 255), 2)
    for x0 in sorted({slot[0] for slot in slots}) if threshold is not None else ():  # a line down each column
        column = [slot for slot in slots if slot[0] == x0]
        xt = x0 + int(round(threshold * (column[0][2] - x0)))
        cv2.line(panel, (xt, column[0][1] - 4), (xt, column[-1][3] + 4), (230, 230, 230), 1)
    return panel


def annotate(image: np.ndarray | None, keypoints: np.ndarray | None, labels: list[str] | None = None,
             probs: np.ndarray | None = None, sentence: list[str] | None = None, fps: float | None = None,
             threshold: float | None = None, banner: list[str] | None = None) -> np.ndarray:
    """The live view of one frame: image + skeleton + banner + fps, and a bar panel when ``labels`` is given."""
    view = fit_height(image) if image is not None else canvas()
    if keypoints is not None:
        draw_landmarks(view, keypoints)
    # the sentence's newest words stay in view
    draw_banner(view, banner if banner is not None else [_fit_sentence(sentence or [], 0.8, view.shape[1] - 20)])
    if fps is not None:
        draw_fps(view, fps)
    if labels is None:
        return view
    chosen = int(np.argmax(probs)) if probs is not None else None
    return np.hstack([view, draw_panel(labels, probs, view.shape[0], threshold, chosen)])


def bar_height(n: int, height: int = HEIGHT) -> int:
    """The height in pixels of each bar in a panel of ``n`` actions ``height`` tall (:func:`bar_slots`)."""
    _, y0, _, y1 = bar_slots(max(n, 1), height)[0]
    return y1 - y0


def strip(frames: list[np.ndarray], columns: int = 3, width: int = 560, gap: int = 6,
          bar: int | None = None) -> np.ndarray:
    """Tile annotated frames into a grid picture with thin gaps. Each frame is scaled to ``width``, or shrunk less
    (at most to its own size) when its bars, ``bar`` pixels tall, would come out under :data:`MIN_STRIP_BAR`; tiles
    wider than ``width`` take fewer columns, so the picture stays about ``columns`` widths wide."""
    import cv2

    if not frames:
        raise ValueError("no frames to tile")
    widths = [max(width, min(f.shape[1], -(-f.shape[1] * MIN_STRIP_BAR // bar))) if bar else width for f in frames]
    tiles = [cv2.resize(f, (w, round(f.shape[0] * w / f.shape[1])), interpolation=cv2.INTER_AREA)
             for f, w in zip(frames, widths)]
    th, tw = max(t.shape[0] for t in tiles), max(t.shape[1] for t in tiles)
    cols = max(1, min(columns, len(tiles), columns * width // tw))
    rows = -(-len(tiles) // cols)
    out = np.full((rows * th + (rows + 1) * gap, cols * tw + (cols + 1) * gap, 3), 255, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        out[y:y + t.shape[0], x:x + t.shape[1]] = t
    return out
