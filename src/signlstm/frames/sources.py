"""What ``--source`` names: a webcam index, a video file, a folder of images, or saved keypoints.

:func:`open_stream` takes what a user types after ``--source`` ("0", ``clip.mp4``, ``frames/``, ``keys.npy``,
``MP_Data/hello/0``) and returns a :class:`Source`: an iterator of BGR ``uint8`` frames (:func:`open_source`) or,
for saved keypoints, of (1662,) keypoint frames (:class:`KeypointReplay`, ``keypoints`` True), with a name, an fps
and ``live`` (True for a camera, whose frames may be dropped when the consumer is slow). This module is the only
place that opens a camera or a video. A source that cannot be opened raises
:class:`~signlstm.errors.SignlstmError` naming it.

Bad files are the project's own one line (:class:`~signlstm.errors.BadInput`), never the decoders': FFmpeg is told
to print nothing (``OPENCV_FFMPEG_LOGLEVEL``), and what libjpeg and libpng print while an image is read is caught
(:func:`quiet_stderr`), so a JPEG that ends early is named as truncated. A video that ends well before the frames its
header declares is read as far as it goes and says so in :attr:`Source.shortfall` (:meth:`CaptureSource.read`); one
whose pictures stop changing for half a second or more (byte for byte, in every 4th pixel of every 4th row) says so
in :attr:`Source.repeated` (a frozen part, or frames the decoder could not read: OpenCV gives the last good picture
again, e.g. after a frame size that changes mid-video, which FFmpeg only logs; not a picture of one colour, such as a
black lead-in). Frame size is bounded: an image or video whose frames
exceed :data:`MAX_PIXELS` is refused before it is decoded (by its header), and frames above :data:`FIT_PIXELS` are
scaled down to it as they are read, so what a frame costs downstream is bounded; frames of ordinary videos (up to 4K)
are untouched.
"""
from __future__ import annotations

import itertools
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import BadInput, SignlstmError
from ..layout import RATE
from ..outputs import not_a_file

# FFmpeg's own log ("moov atom not found", "partial file", h264 errors): read by OpenCV when it first opens a video
# or a camera, so set before any is opened; -8 is AV_LOG_QUIET. A user's own setting is kept.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

# the kinds of video a folder is searched for; a file named alone is read whatever its name, such as a .gif (left out
# of a folder's search: a dictionary's GIF preview beside each video is the same sign twice) or a .ts (TypeScript too)
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".mts", ".m2ts", ".3gp",
                  ".flv", ".ogv")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
# Containers whose header counts the frames exactly (MP4's sample table, AVI's index); others' counts are estimated
# from a duration, so a shortfall there says nothing.
COUNTED_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi")
# a video's picture unchanged this long (at its stated rate, 2 frames at least) is said (Source.repeated) ...
REPEATED_SECONDS = 0.5
UNIFORM = 8  # ... unless the picture is of one colour: its values span at most this much
FIT_PIXELS = 4096 * 4096  # larger frames are scaled down to this many pixels as they are read (4K: 3840x2160 is not)
MAX_PIXELS = 8192 * 8192  # larger frames are refused before they are decoded (192 MiB a frame at this size)
# OpenCV's own limit for an image it decodes, read when cv2 is first imported (this module comes first in the
# commands): an image whose header Pillow cannot read (_image_too_large) is still refused before it is decoded.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))
_quiet = {"depth": 0, "saved": None, "log": None, "lock": threading.Lock()}


@contextmanager
def quiet_stderr(on: bool = True):
    """Catch what C libraries write to file descriptor 2 meanwhile (MediaPipe's C++ logs, libjpeg's and libpng's
    warnings bypass Python); yields a function giving the bytes written since entry. With SIGNLSTM_MP_LOGS=1 nothing
    is caught: the logs reach the terminal as they are written (and the function gives nothing). Threads may
    overlap: the first to enter redirects, the last to leave restores; whatever another thread writes to stderr
    meanwhile (a few milliseconds per image, the first frames' landmarks) is caught too."""
    if not on or os.environ.get("SIGNLSTM_MP_LOGS"):
        yield lambda: b""
        return
    import sys
    import tempfile

    with _quiet["lock"]:
        if _quiet["depth"] == 0:
            sys.stderr.flush()
            _quiet["saved"] = os.dup(2)
            _quiet["log"] = tempfile.TemporaryFile()
            os.dup2(_quiet["log"].fileno(), 2)
        _quiet["depth"] += 1
        log = _quiet["log"]
        start = os.lseek(log.fileno(), 0, os.SEEK_END)

    def said() -> bytes:
        return os.pread(log.fileno(), 1 << 20, start)

    try:
        yield said
    finally:
        with _quiet["lock"]:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0:
                os.dup2(_quiet["saved"], 2)
                os.close(_quiet["saved"])
                log.close()


def _too_large(width: int, height: int, what: str) -> str:
    return _over(f"{what} of {width}x{height} pixels")


def _over(what: str) -> str:
    return f"{what}, more than the {MAX_PIXELS:,} ({int(MAX_PIXELS ** 0.5)} squared) a frame may have here: scale it down"


def fit(frame: np.ndarray) -> np.ndarray:
    """``frame`` as it is, or scaled down to at most :data:`FIT_PIXELS` pixels by the smallest whole factor that
    does it (each pixel the mean of a k x k block: OpenCV's fast path, 10 times quicker than an uneven factor; the
    last width % k columns and height % k rows are dropped)."""
    height, width = frame.shape[:2]
    if height * width <= FIT_PIXELS:
        return frame
    import math

    import cv2

    k = math.ceil(math.sqrt(height * width / FIT_PIXELS))
    while (height // k) * (width // k) > FIT_PIXELS:
        k += 1
    return cv2.resize(frame[:height - height % k, :width - width % k], (width // k, height // k),
                      interpolation=cv2.INTER_AREA)


class Source:
    """Iterator of BGR frames; ``close()`` (or ``with``) releases the device or file."""

    name: str = "source"
    fps: float = RATE
    live: bool = False
    keypoints: bool = False  # True when the items are (1662,) keypoint frames, not images
    declared_frames: int = 0  # frames a video's header says it holds (0: not known)
    shortfall: str | None = None  # at the end of a video that holds well under that: what to tell the user
    repeated: str | None = None  # at the end of a video: what to tell of its longest run of one picture unchanged
    times_rate: float | None = None  # at the end of a video: the rate its frames' own times give, when not ``fps``
    time: float | None = None  # a video file's newest frame's own time, in seconds from its first (None: not known)
    stated_rate: str = "30"  # what a video's header says of its rate, for a message

    def read(self) -> np.ndarray | None:
        """The next frame, or None at the end."""
        raise NotImplementedError

    @property
    def notes(self) -> list[str]:
        """What to tell the user of the video read (:attr:`shortfall`, :attr:`repeated`)."""
        return [n for n in (self.shortfall, self.repeated) if n]

    def close(self) -> None:
        pass

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CaptureSource(Source):
    """A camera or video file through ``cv2.VideoCapture``; the first frame is read on opening."""

    def __init__(self, target, name: str, live: bool):
        import cv2

        self.name, self.live, self.frames_read = name, live, 0
        # OpenCV logs its own warnings about a missing camera or a broken video; ours is the one line the user needs
        cv2.setLogLevel(0)
        self.cap = cv2.VideoCapture(target)
        if not live:  # a phone stores an upright video as sideways frames and a display rotation: turned as shown
            self.cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        size = [int(self.cap.get(p)) for p in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT)]
        if not live and self.cap.isOpened() and size[0] * size[1] > MAX_PIXELS:  # refused before a frame is decoded
            self.cap.release()
            raise BadInput(name, _too_large(*size, "frames"))
        ok, frame = self.cap.read() if self.cap.isOpened() else (False, None)
        if not ok or frame is None:
            self.cap.release()
            what = "cannot open the camera (none connected, or in use)" if live else "unreadable video (no frame could be decoded)"
            raise (SignlstmError(f"camera {name}: {what}") if live else BadInput(name, what))
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        usable = bool(fps) and 1 <= fps <= 240
        self.fps = float(fps) if usable else RATE
        self.stated_rate = f"{self.fps:g}" if usable else f"no usable rate, read as {RATE:g}"
        count = 0 if live else self.cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.declared_frames = int(count) if count and 0 < count < 2**53 else 0
        self._counted = not live and Path(name).suffix.lower() in COUNTED_SUFFIXES
        # a file's frame times (CAP_PROP_POS_MSEC), from its first frame's (a camera's frames are timed as they are
        # read: Pipeline.taken); whether every one so far rose above the one before
        self._first_time = None if live else self.cap.get(cv2.CAP_PROP_POS_MSEC) / 1000
        self._time_of = cv2.CAP_PROP_POS_MSEC
        self.time = None if live else 0.0
        self._times_rose = not live
        self._previous, self._run, self._longest = None, 0, (0, 0)  # a file's previous picture; runs repeating one
        try:
            self._first = self._checked(frame)
        except BadInput:
            self.close()
            raise

    def _checked(self, frame: np.ndarray) -> np.ndarray:
        self.frames_read += 1
        if frame.shape[0] * frame.shape[1] > MAX_PIXELS:  # larger than its header said
            raise BadInput(self.name, _too_large(frame.shape[1], frame.shape[0], "frames"))
        frame = fit(frame)
        if not self.live:  # every 4th pixel of every 4th row, kept as a copy (what is given out may be drawn on)
            sample = frame[::4, ::4].copy()
            same = self._previous is not None and np.array_equal(sample, self._previous)
            # a picture of one colour (a black lead-in or tail) held is no news
            self._run = self._run + 1 if same and (self._run or np.ptp(sample) > UNIFORM) else 0
            self._longest = max(self._longest, (self._run, self.frames_read - 1))  # (length, its last frame)
            self._previous = sample
        return frame

    def _repeated(self) -> str | None:
        """What to say of the longest run of frames that repeat the picture before them exactly, if it lasts
        :data:`REPEATED_SECONDS` or more."""
        run, last = self._longest
        if run < max(2, REPEATED_SECONDS * self.fps):
            return None
        return (f"frames {last - run + 1:,}-{last:,} repeat frame {last - run:,}'s picture unchanged: a frozen part, "
                "or frames the decoder could not read (a frame size that changes mid-video?)")

    def read(self):
        if self._first is not None:
            frame, self._first = self._first, None
            return frame
        if self.cap is None:
            return None
        ok, frame = self.cap.read()
        if ok:
            if self.time is not None:  # a file's
                self._timed(self.cap.get(self._time_of) / 1000)
            return self._checked(frame)
        self.times_rate = self._rate_from_times()
        self.repeated, self._previous = self._repeated(), None
        declared = self.declared_frames  # OpenCV may count a frame or two more than a whole video holds
        most = declared - max(2, declared // 20)  # frames a whole video holds at least
        if self._counted and self.frames_read < most and not self._lasts(most):
            # a copy cut short, or a header that counts more than is shown (an edit list of a clip cut without
            # re-encoding): said, and the frames it holds are used
            self.shortfall = (f"it ends after {self.frames_read:,} of the {declared:,} frames its header declares "
                              "(truncated?); the frames it holds are used")
        return None

    def _timed(self, t: float) -> None:
        """Take ``t`` (seconds), the time a file gives its newest frame, as :attr:`time` (from the first frame's),
        so that a variable-rate video (a phone's, in dim light) is read at its frames' own times; a time that does
        not rise (none stored, or a broken one) is the frame before's plus one frame at the stated rate."""
        since = t - self._first_time
        if since > self.time:  # (False for NaN)
            self.time = since
        else:  # no rate from such times either
            self.time, self._times_rose = self.time + 1 / self.fps, False

    def _lasts(self, frames: int) -> bool:
        """Whether the frames read, by their own times, last as long as ``frames`` frames at the stated rate: a whole
        video whose header counts the frames a variable rate skipped (an AVI's empty chunks), not one cut short."""
        return self._times_rose and self.time + 1 / self.fps >= frames / self.fps - 1e-6

    def _rate_from_times(self) -> float | None:
        """Frames a second from the frames' own times (first to last), when it differs from :attr:`fps` by more than a
        tenth: a video whose header states another rate than its frames keep (a browser's WebM says 30 whatever the
        camera gave)."""
        if not self._times_rose or self.frames_read < 3:
            return None
        rate = (self.frames_read - 1) / self.time  # (the times rose: not zero)
        return rate if abs(rate - self.fps) > 0.1 * self.fps and 1 <= rate <= 240 else None

    def close(self):
        if self.cap is not None:
            self.cap.release()
            self.cap = None


class ImageSource(Source):
    """Image files in name order (a folder, or a single image)."""

    def __init__(self, paths: list[Path], name: str):
        self.paths, self.name, self._i = paths, name, 0

    def read(self):
        import cv2

        if self._i >= len(self.paths):
            return None
        path = self.paths[self._i]
        self._i += 1
        problem = _image_too_large(path)
        if problem:
            raise BadInput(path, problem)
        with quiet_stderr() as said:  # libjpeg and libpng warn on fd 2; a JPEG that ends early is only said there
            try:
                frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            except cv2.error as e:  # OPENCV_IO_MAX_IMAGE_PIXELS (or _WIDTH, _HEIGHT) refused its header
                if "CV_IO_MAX_IMAGE" in str(e):
                    raise BadInput(path, f"an image whose header declares more than the {MAX_PIXELS:,} pixels a "
                                         "frame may have here: scale it down") from None
                raise BadInput(path, "unreadable image") from None
            warned = said()
        if frame is None:
            raise BadInput(path, "empty file (0 bytes)" if _empty(path) else "unreadable image")
        if b"Premature end of JPEG file" in warned:
            raise BadInput(path, "truncated image (its JPEG data ends early)")
        if frame.shape[0] * frame.shape[1] > MAX_PIXELS:  # a header Pillow could not read
            raise BadInput(path, _too_large(frame.shape[1], frame.shape[0], "an image"))
        return fit(frame)


def _empty(path) -> bool:
    try:
        return Path(path).stat().st_size == 0
    except OSError:
        return False


def _image_too_large(path) -> str | None:
    """Why an image is too large to decode, from its header (Pillow reads no pixels for it); None when it is not, or
    when Pillow cannot tell (OpenCV then says whether it is an image at all)."""
    import warnings

    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(path) as im:
                width, height = im.size
        except Image.DecompressionBombError as e:  # over Pillow's own limit, itself far over ours
            pixels = re.search(r"\((\d+) pixels\)", str(e))  # "Image size (400000000 pixels) exceeds limit ..."
            return _over(f"an image of {int(pixels[1]):,} pixels" if pixels else "an image of too many pixels")
        except Exception:
            return None
    return _too_large(width, height, "an image") if width * height > MAX_PIXELS else None


def is_camera(spec) -> bool:
    """True for a camera index: an int, or a name of ASCII digits only (``²`` or ``٣`` is a file's name)."""
    return isinstance(spec, int) or (isinstance(spec, str) and spec.isascii() and spec.isdigit())


DEFAULT_CAMERA = "0"  # what --source reads when none is given: the first camera
MAX_CAMERA = 2**31 - 1  # the largest index OpenCV takes (a C int)


def frame_order(path: Path) -> tuple:
    """Sort key of an image folder's frames: the numbers in their names compared as numbers, so ``frame2`` comes
    before ``frame10`` as ``ffmpeg -i clip.mp4 frame%d.jpg`` and ``cv2.imwrite(f"{i}.jpg")`` number them (then by
    name: ``01`` and ``1`` in one order)."""
    parts = re.split(r"([0-9]+)", path.name)
    return [int(t) if i % 2 else t.casefold() for i, t in enumerate(parts)], path.name


def open_source(spec) -> Source:
    """Open ``spec``: a camera index (int or digits), a video file, an image file or a folder of images (in
    :func:`frame_order`)."""
    if is_camera(spec):
        if len(str(spec)) > len(str(MAX_CAMERA)) or int(spec) > MAX_CAMERA:  # (int() refuses 4,300 digits and more)
            raise BadInput(f"camera {spec}", "no such camera (an index is a small number: 0 is the first camera)")
        return CaptureSource(int(spec), str(spec), live=True)
    path = Path(spec)
    if not path.exists():
        raise BadInput(path, not_a_file(path) or "no such file or folder")
    if not path.is_dir() and (problem := not_a_file(path)):
        raise BadInput(path, problem)
    if path.is_dir():
        images = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=frame_order)
        if not images:
            raise BadInput(path, _not_images(path) or f"folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return ImageSource(images, str(path))
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource([path], str(path))
    if _empty(path):
        raise BadInput(path, "empty file (0 bytes)")
    return CaptureSource(str(path), str(path), live=False)


def _sequence_folders(folder: Path) -> list[Path]:
    """The numbered subfolders of ``folder`` that hold ``.npy`` frame files (an ``MP_Data`` action's sequences)."""
    return sorted((d for d in folder.iterdir() if d.is_dir() and d.name.isdigit() and any(d.glob("*.npy"))),
                  key=lambda d: int(d.name))


def _not_images(folder: Path) -> str | None:
    """What a folder without images given as ``--source`` is when it is part of an ``MP_Data`` tree (the whole tree,
    or one action's folder), and how to replay one of its sequences; None otherwise."""
    seqs = _sequence_folders(folder)
    if seqs:
        return (f"looks like an action folder of an MP_Data tree ({len(seqs)} sequence folders), not a stream: "
                f"replay one sequence with --source {seqs[0]}")
    actions = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    for action in actions:
        seqs = _sequence_folders(action)
        if seqs:
            return (f"looks like an MP_Data tree (<action>/<sequence>/<frame>.npy), not a stream: replay one "
                    f"sequence with --source {seqs[0]} (or score the tree with `signlstm evaluate --data {folder}`)")
    return None


def is_keypoint_file(spec) -> bool:
    """True for a ``.npy`` keypoint file or an ``MP_Data`` sequence folder (``0.npy``, ``1.npy``, ...; any
    number-named ``.npy`` files, so a folder of misnamed ones is named by :class:`KeypointReplay`)."""
    p = Path(str(spec))
    return p.suffix.lower() == ".npy" or (p.is_dir() and any(f.stem.isdigit() for f in p.glob("*.npy")))


def sequence_frame_files(folder: Path) -> list[Path]:
    """The frame files of the ``MP_Data`` sequence folder ``folder`` in order (``0.npy``, ``1.npy``, ... without
    gaps, else :class:`BadInput`)."""
    from ..keypoint_files import frame_files, listed_numbers

    files = frame_files(folder)
    if not files:
        raise BadInput(folder, "not a sequence folder (expected 0.npy, 1.npy, ... without gaps)")
    numbers = [n for n, _ in files]
    missing = sorted(set(range(numbers[-1] + 1)) - set(numbers))
    if missing:
        raise BadInput(folder, f"frame file(s) {listed_numbers(missing)} of 0-{numbers[-1]} missing (the sequence "
                               f"holds {len(numbers)} frame files)")
    return [f for _, f in files]


class KeypointReplay(Source):
    """Saved keypoints as a stream: ``read()`` gives one (1662,) float32 frame at a time, None at the end. A
    ``.npy`` file is read from disk in blocks of frames, an ``MP_Data`` sequence folder a frame file at a time (memory
    does not grow with the length; a frame holding NaN, or a frame file that is not one, is :class:`BadInput` when it
    is reached)."""

    keypoints = True

    def __init__(self, path, fps: float = RATE):
        from ..keypoint_files import check_frame, keypoint_blocks, read_frame, read_keypoint_header

        self.name, self.fps, self.path = str(path), fps, Path(path)
        if not self.path.is_dir() and (problem := not_a_file(self.path)):
            raise BadInput(self.path, problem)
        if self.path.is_file():
            blocks, self._check = keypoint_blocks(path), check_frame  # each frame checked as it is reached
            if len(shape := read_keypoint_header(self.path).shape) == 1:
                tutorial = re.fullmatch(r"[0-9]+\.npy", self.path.name) and (self.path.parent / "0.npy").is_file()
                raise BadInput(self.path, f"holds one frame {shape}, not a stream of frames" + (
                    f": a tutorial frame file is replayed with its sequence folder (--source {self.path.parent})"
                    if tutorial else ": a stream is a (T, 1662) .npy (`signlstm extract --keypoints` writes one)"))
        else:  # each frame file checked as it is read
            blocks, self._check = [map(read_frame, sequence_frame_files(self.path))], None
        self._frames = enumerate(itertools.chain.from_iterable(blocks))

    def read(self) -> np.ndarray | None:
        i, frame = next(self._frames, (None, None))
        if frame is None or self._check is None:
            return frame
        return self._check(self.path, i, frame)


def open_stream(spec) -> Source:
    """The one way to open ``--source``: saved keypoints (a ``(frames, 1662)`` ``.npy`` or an ``MP_Data`` sequence
    folder) replay as keypoint frames; anything else opens as images (:func:`open_source`)."""
    if not is_camera(spec) and is_keypoint_file(spec):
        return KeypointReplay(spec)
    if str(spec).endswith(".npz"):
        raise BadInput(spec, "a packed dataset, not a stream: pass a (frames, 1662) .npy or an MP_Data sequence folder")
    return open_source(spec)


def check_stream(spec) -> None:
    """Refuse now (:class:`BadInput`) saved keypoints whose header, length or frame files :class:`KeypointReplay`
    would refuse: reading a header costs nothing, so a front checks it before it loads a model. Cameras, videos and
    images are checked when they are opened."""
    if not is_camera(spec) and is_keypoint_file(spec):
        KeypointReplay(spec).close()


def short_input_note(name, frames: int, window: int) -> str | None:
    """The note for an input of ``frames`` frames shorter than a model's ``window``: no window was ever full, so
    nothing could be said (not an error); None when the input filled a window."""
    if frames >= window:
        return None
    return (f"note: {name}: the input is shorter than the model's window ({frames} of {window} frames), so "
            "nothing could be said")


def stored_frames(path) -> int:
    """The frames a video written here holds when opened again: those its header declares when the last of them
    reads back, else those that read back (0 when it does not open). How a writer that fails silently (OpenCV's, on
    a full disk) is checked: an AVI cut short keeps its header at its start, which still declares every frame."""
    import cv2

    cv2.setLogLevel(0)
    cap = cv2.VideoCapture(str(path))
    try:
        declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
        if declared > 0 and cap.set(cv2.CAP_PROP_POS_FRAMES, declared - 1) and cap.read()[0]:
            return declared
        cap.release()
        cap = cv2.VideoCapture(str(path))
        read = 0
        while cap.isOpened() and cap.grab():
            read += 1
        return read
    finally:
        cap.release()


def read_frames(spec) -> list[np.ndarray]:
    """Every frame of a video, an image folder or saved keypoints, in order (for short clips: tests, the bench)."""
    with open_stream(spec) as src:
        return list(src)
