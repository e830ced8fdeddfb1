"""The tutorial's collection loop: for each action, a :class:`~signlstm.fronts.recorder.Recorder` fed from a camera, a
video, a folder of images or saved keypoints, at 30 frames a second, with the window showing what is recorded.

Frames are read and landmarked in threads (as in ``live``): the pose of the next frame is found while the hands and
face of this one are (full Holistic on 2 cores: 34.6 instead of 26.0 frames per second, ``signlstm bench`` with a
tutorial model, see the README); from a file the frames and keypoints are the same as one after the other.
"""
from __future__ import annotations

from .. import layout
from ..frames.sources import DEFAULT_CAMERA
from .recorder import PAUSE, Recorder


def recording_plan(actions: list[str], counts: dict, each: int | None = None,
                   rounds: bool = False) -> list[tuple[str, int]]:
    """The turns of a recording, in order: (action, sequences to record in that turn) for ``counts`` (what each
    action still lacks, of ``each``). Without ``rounds``, one turn per action in list order; with them, one sequence a
    turn, each next turn to the action with the fewest recorded so far (the list's order among equals), so a rerun
    carries on the round it stopped in."""
    todo = [a for a in actions if counts[a] > 0]
    if not rounds:
        return [(a, counts[a]) for a in todo]
    left = {a: counts[a] for a in todo}
    done = {a: (each - counts[a] if each else 0) for a in todo}
    plan = []
    while left:
        a = min(left, key=lambda a: (done[a], todo.index(a)))
        plan.append((a, 1))
        done[a] += 1
        left[a] -= 1
        if not left[a]:
            del left[a]
    return plan


def check_plan(length: int = layout.SEQ_LEN, pause: float = PAUSE) -> None:
    """Refuse (:class:`~signlstm.errors.SignlstmError`) a length outside 1 to :data:`~signlstm.layout.MAX_SEQ_LEN`
    or a pause that is not a number of seconds: the options, before any file is read."""
    from ..errors import SignlstmError

    if problem := layout.seq_len_problem(length):
        raise SignlstmError(f"--length {problem}")
    if not 0 <= pause < float("inf"):  # (False for NaN)
        raise SignlstmError(f"--pause must be at least 0 seconds, got {pause}")


def check_recording(actions, data, length: int = layout.SEQ_LEN, pause: float = PAUSE) -> list[str]:
    """``actions`` in composed form, or :class:`~signlstm.errors.SignlstmError` / :class:`~signlstm.errors.BadInput`
    before anything is recorded: a name that cannot be a sign's or is given twice
    (:func:`~signlstm.sign_names.checked_names`), a length or pause :func:`check_plan` refuses, a sequence already in
    ``data`` of another length (an aborted recording, which every reader would refuse once more were recorded beside
    it)."""
    from ..datasets.sequence_writer import SequenceWriter
    from ..errors import BadInput
    from ..sign_names import checked_names

    actions = checked_names(actions)
    check_plan(length, pause)
    if odd := SequenceWriter(data).unlike(actions, length):
        raise BadInput(odd[0], f"{odd[1]} (an aborted recording, or one of another --length): remove it, or record "
                               "into another --data; nothing was recorded")
    return actions


def check_names(actions: list[str], data) -> str | None:
    """Refuse (:class:`~signlstm.errors.SignlstmError`) signs of ``actions`` that would share a folder under ``data``
    with another of them or with a sign recorded there, on a disk that takes names differing only in case for one
    folder (:func:`~signlstm.outputs.ignores_case`); the note to give of such names on other disks, where they are
    two signs (I and i may be), else None."""
    from ..datasets.sequence_writer import SequenceWriter
    from ..errors import SignlstmError
    from ..outputs import ignores_case
    from ..sign_names import case_clash, case_twins, shown_name

    merged = ignores_case(data)
    alike = "; ".join(" and ".join(map(shown_name, names)) for names in case_twins(actions))
    if alike and merged:
        raise SignlstmError(f"{alike} differ only in case, and the disk of {data} takes such names for one folder: "
                            "rename one of them")
    if merged:
        writer = SequenceWriter(data)
        for a in actions:
            if (other := writer.recorded_in_other_case(a)) is not None:
                raise SignlstmError(f"'{shown_name(a)}' " + case_clash(other, f"already recorded in {data}",
                                                                     "its disk"))
    return f"{alike} differ only in case: they are recorded as different signs" if alike else None


def collect(actions: list[str], sequences: int | dict, data, spec=DEFAULT_CAMERA, length: int = layout.SEQ_LEN,
            window: bool = False, pause: float = PAUSE, on_saved=None, each: int | None = None,
            rounds: bool = False) -> int:
    """Record ``sequences`` sequences per action (or ``sequences[action]``, what is left of ``each`` per action when
    some were recorded before) from ``spec``; returns how many were saved. The window names each sequence by its place
    among the action's ``each`` and the action's among ``actions``. With ``rounds``, one sequence of each action in
    turn, round after round, instead of all of one action's before the next: each sign's recordings then spread over
    the session (:func:`recording_plan`).

    The frames recorded are those :class:`~signlstm.keypoints.resample.Resample` makes due at the models' 30 a second,
    as ``live`` reads its input: a camera's frames placed at the times they were read (a camera in dim light that
    delivers 15 frames a second while it reports 30 still records one second per 30-frame sequence), a video's at its
    frames' own times, saved keypoints and images at 30 a second. From a camera the pause runs over live frames
    (shown, not recorded); from a file it uses no frames (a still banner in the window, nothing headless). Stops early (returning
    the count so far) when a file ends (a sequence in progress is dropped) or the user quits the window.
    ``on_saved(path, note)`` is called with each sequence saved and what to tell of it
    (:func:`~signlstm.fronts.recorder.few_hands`, or None).
    """
    from collections import deque

    from . import render
    from ..datasets.sequence_writer import SequenceWriter
    from ..keypoints.landmarks import open_input
    from ..keypoints.pipeline import Pipeline
    from ..keypoints.resample import Resample

    actions = check_recording(actions, data, length, pause)
    writer = SequenceWriter(data)
    saved = 0
    win = pipe = None
    source, detect = open_input(spec)
    try:
        if window:
            from .window import Window

            win = Window(f"signlstm collect - {source.name}")
        pipe = Pipeline(source, detect)
        stream = iter(pipe)  # (index, image, keypoints)
        resample = Resample()
        due = deque()  # the frames due at 30 a second, not yet fed
        counts = sequences if isinstance(sequences, dict) else dict.fromkeys(actions, sequences)
        todo = [a for a in actions if counts[a] > 0]
        # the first pause is counted from the first frame found (the graphs' start may take a second or more): the
        # signer sees all of it
        if not todo or (item := next(stream, None)) is None:
            return saved
        index, image, keypoints = item
        due.extend(resample(pipe.when(index), keypoints))
        plan = recording_plan(actions, counts, each, rounds)
        before = {a: each - counts[a] if each else 0 for a in todo}  # recorded before this turn
        for action, count in plan:
            rec = Recorder(writer, action, count, length, pause)
            while rec.phase != "done":
                title = (f"Collecting frames for {action} - sequence {before[action] + rec.done + 1} of "
                         f"{each or counts[action]}"
                         + (f" (sign {actions.index(action) + 1} of {len(actions)})" if len(actions) > 1 else ""))
                if rec.phase == "pause" and not source.live:
                    if win and not win.wait(rec.pause_left(), render.annotate(None, None, banner=[
                            "STARTING COLLECTION", title])):
                        return saved
                    rec.end_pause()
                while not due:
                    item = next(stream, None)
                    if item is None:
                        return saved
                    index, image, keypoints = item
                    due.extend(resample(pipe.when(index), keypoints))
                pausing = rec.phase == "pause"
                path = rec.feed(due.popleft())
                if win and not due:  # the source frame's last frame due: show it
                    banner = (["STARTING COLLECTION", title] if pausing else
                              [title, f"frame {len(rec.frames) or length} of {length}"])
                    view = render.annotate(image, None if pausing else keypoints, banner=banner)
                    if not win.show(view):
                        return saved
                if path is not None:
                    saved += 1
                    if on_saved:
                        on_saved(path, rec.last_note)
            before[action] += count  # the sign's next turn (with rounds) counts on from here
        return saved
    finally:
        if pipe:
            pipe.close()  # its threads stop before the graphs and the source close
        source.close()
        if win:
            win.close()
        if detect is not None:
            detect.close()
