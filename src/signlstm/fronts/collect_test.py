"""signlstm collect: the tutorial layout from a clip, reruns append, a killed run leaves no partial sequence."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from signlstm.cli import main
from signlstm.datasets import load


def test_collect_headless_from_a_clip_writes_loadable_sequences(shared, tmp_path, capsys):
    clip = str(shared("media", "asl_soup_slp.mp4"))  # 41 frames
    data = tmp_path / "MP_Data"
    args = ["collect", "--actions", "hello", "thanks", "--sequences", "2", "--length", "10",
            "--data", str(data), "--source", clip, "--headless"]
    assert main(args) == 0
    assert "collected 4 sequence(s)" in capsys.readouterr().out
    # landmarked in threads, the frames are the clip's first 40 at 30 a second (it runs at 29.97), with the keypoints
    # of a serial run
    from signlstm.keypoints.landmarks import video_keypoints
    from signlstm.keypoints.resample import Resample
    from signlstm.frames.sources import open_source

    with open_source(clip) as src:
        fps, raw = src.fps, video_keypoints(src)
    resample = Resample()
    serial = np.stack([f for i, k in enumerate(raw) for f in resample(i / fps, k)])
    assert fps != 30 and not np.array_equal(serial[5:10], raw[5:10])
    for i, (action, seq) in enumerate([("hello", "0"), ("hello", "1"), ("thanks", "0"), ("thanks", "1")]):
        got = np.stack([np.load(data / action / seq / f"{f}.npy") for f in range(10)])
        assert np.array_equal(got, serial[10 * i:10 * i + 10]), f"{action}/{seq}"
    assert sorted(p.name for p in (data / "hello").iterdir()) == ["0", "1"]
    assert sorted(p.name for p in (data / "hello" / "0").iterdir()) == sorted(f"{i}.npy" for i in range(10))
    loaded = load([data], length=10)
    assert loaded.X.shape == (4, 10, 1662) and loaded.X[:, :, :132].any()
    # a rerun numbers after the highest existing sequence; the clip ends during the 5th, which is dropped
    assert main(args[:5] + ["5"] + args[6:]) == 0
    out = capsys.readouterr().out
    assert "stopped after 4 of 10 sequence(s): the source ended\n" in out  # headless: no window was closed
    assert sorted(int(p.name) for p in (data / "hello").iterdir()) == [0, 1, 2, 3, 4, 5]
    assert load([data], length=10).X.shape == (8, 10, 1662)


def test_a_killed_run_leaves_no_partial_sequence(shared, tmp_path):
    data = tmp_path / "MP_Data"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "signlstm", "collect", "--actions", "hello", "--sequences", "20",
                             "--length", "8", "--data", str(data), "--source", str(shared("media", "asl_soup_slp.mp4")),
                             "--headless"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout.readline().startswith("saved ")  # the first sequence is on disk, the second under way
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    seqs = [p for p in (data / "hello").iterdir() if not p.name.startswith(".")]
    assert 1 <= len(seqs) < 5
    for s in seqs:
        assert sorted(p.name for p in s.iterdir()) == sorted(f"{i}.npy" for i in range(8)), f"{s} is partial"
    assert load([data], length=8).X.shape == (len(seqs), 8, 1662)


def test_ctrl_c_mid_sequence_leaves_no_partial_sequence(shared, tmp_path):
    data = tmp_path / "MP_Data"
    proc = subprocess.Popen([sys.executable, "-m", "signlstm", "collect", "--actions", "hello", "--sequences", "20",
                             "--length", "8", "--data", str(data), "--source", str(shared("media", "asl_soup_slp.mp4")),
                             "--headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.stdout.readline().startswith("saved ")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    # (the clip holds a few more sequences, each landmarked after the first was saved: the Ctrl-C comes first)
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "signlstm collect: interrupted", err
    for s in (data / "hello").iterdir():
        assert not s.name.startswith(".partial"), "temporary folder left behind"
        assert len(list(s.iterdir())) == 8


def test_missing_source_is_a_clear_error(tmp_path, capsys):
    assert main(["collect", "--actions", "a", "--data", str(tmp_path / "d"), "--source",
                 str(tmp_path / "nope.mp4"), "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.mp4: no such file" in err
    assert not (tmp_path / "d").exists()


def test_data_that_is_a_file_is_named_before_any_source_opens(tmp_path, capsys):
    (tmp_path / "afile").write_text("mine")
    assert main(["collect", "--actions", "a", "--data", str(tmp_path / "afile"), "--source",
                 str(tmp_path / "nope.mp4"), "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path / 'afile'}: exists and is not a folder" in err, err
    assert (tmp_path / "afile").read_text() == "mine"


def test_collect_in_an_offscreen_window(shared, tmp_path, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    from signlstm.fronts.collect import collect

    saved = collect(["hello"], 2, tmp_path / "d", str(shared("media", "asl_soup_slp.mp4")), length=10,
                    window=True, pause=0.1)
    assert saved == 2 and load([tmp_path / "d"], length=10).X.shape == (2, 10, 1662)
    # q pressed in the window (an event in its queue before the first picture): nothing more is recorded
    import pygame

    pygame.display.init()
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q))
    assert collect(["hello"], 2, tmp_path / "d", str(shared("media", "asl_soup_slp.mp4")), length=10,
                   window=True, pause=0.1) == 0
    assert len(load([tmp_path / "d"], length=10)) == 2


def test_collect_from_a_camera_shows_the_pause_over_live_frames(shared, tmp_path, monkeypatch):
    """A real clip posing as a camera (``live``, one frame every 1/30 s whether or not it is used; a physical webcam
    cannot run here): the pause before each sequence consumes live frames, then the sequence records the next ones.
    The first pause is counted from the first frame found, so however long the graphs take to start, the clip's
    first frame is in it."""
    from signlstm.fronts import collect as recording
    from signlstm.frames import sources

    real = sources.open_source
    clip = sources.read_frames(str(shared("media", "asl_soup_slp.mp4")))

    def camera(spec):  # the clip three times over (a slow machine may take a second to start recording)
        src = real(spec)
        frames = iter(clip * 3)
        src.live = True
        src.read = lambda: time.sleep(1 / 30) or next(frames, None)
        return src

    monkeypatch.setattr(sources, "open_source", camera)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    saved = recording.collect(["hello"], 1, tmp_path / "d", str(shared("media", "asl_soup_slp.mp4")), length=8,
                              window=True, pause=0.2)
    assert saved == 1
    X = load([tmp_path / "d"], length=8).X
    assert X.shape == (1, 8, 1662) and X[0, :, :132].any(axis=1).all()  # the signer's pose in every recorded frame
    from itertools import islice

    from signlstm.keypoints.landmarks import video_keypoints

    with real(str(shared("media", "asl_soup_slp.mp4"))) as src:
        first = video_keypoints(islice(src, 1))[0]
    assert not np.allclose(X[0, 0], first)  # the clip's first frame went by in the pause


def test_a_camera_that_delivers_fewer_frames_than_it_reports_records_a_second_per_30_frames(shared, tmp_path,
                                                                                          monkeypatch, slow_camera):
    """A camera that says 30 frames a second but delivers 15 (webcams in dim light): a 30-frame sequence is the
    sign's first second at 30 a second, as ``live`` reads it, not two seconds of the camera's frames.
    (The camera is the one thing simulated: s02's signs in a row, every other frame, delivered in real time.)"""
    from signlstm.keypoints import landmarks

    X = load([shared("data", "signers", "s02.npz")]).X.reshape(-1, 1662)[:120].astype(np.float32)

    monkeypatch.setattr(landmarks, "open_input", lambda spec, face=True: (slow_camera(X[::2], 1 / 15), None))
    from signlstm.fronts.collect import collect

    assert collect(["hello"], 1, tmp_path / "d", "0", pause=0.0) == 1
    got = load([tmp_path / "d"]).X[0].astype(np.float32)
    at30, as_delivered = np.abs(got - X[:30]).mean(), np.abs(got - X[:60:2]).mean()
    assert at30 < as_delivered / 3, (at30, as_delivered)  # the recording's first second, not its first two


def test_recorder_pauses_then_records_then_writes_each_sequence_whole(shared, tmp_path):
    """The one pause/record/write state machine of ``collect`` and the web page, on a real signer's frames."""
    from signlstm.datasets.sequence_writer import SequenceWriter
    from signlstm.fronts.recorder import Recorder

    X = load([shared("data", "signers", "s02.npz")]).X.reshape(-1, 1662)[:40].astype(np.float64)
    now = [100.0]
    rec = Recorder(SequenceWriter(tmp_path / "d"), "hello", count=2, length=10, pause=1.0, clock=lambda: now[0])
    assert rec.phase == "pause" and rec.pause_left() == 1.0
    assert rec.feed(X[0]) is None and rec.status()["frame"] == 0  # a frame in the pause is not kept
    now[0] += 1.0
    paths = [rec.feed(x) for x in X[1:11]]
    assert paths[:9] == [None] * 9 and paths[9] == tmp_path / "d" / "hello" / "0"
    assert rec.phase == "pause" and rec.status() == {"action": "hello", "count": 2, "done": 1, "phase": "pause",
                                                     "frame": 0, "length": 10}
    assert rec.feed(X[11]) is None
    rec.end_pause()
    for x in X[12:22]:
        rec.feed(x)
    assert rec.phase == "done" and rec.feed(X[22]) is None and len(rec.saved) == 2
    got = load([tmp_path / "d"], length=10).X
    assert np.array_equal(got[0], X[1:11]) and np.array_equal(got[1], X[12:22])


def test_collect_from_saved_keypoints_cuts_them_into_sequences_and_a_bad_file_is_one_line(shared, tmp_path, capsys):
    """A keypoint file (30 frames a second, as ``live`` reads it) as --source: its frames become sequences as they
    are, one after the other (a file's pause uses no frames); a defective keypoint file is one line, exit 2, and
    nothing is written."""
    X = load([shared("data", "signers", "s02.npz")]).X.reshape(-1, 1662)[:65].astype(np.float32)
    np.save(tmp_path / "stream.npy", X)
    data = tmp_path / "MP_Data"
    assert main(["collect", "--actions", "hello", "thanks", "--sequences", "1", "--data", str(data),
                 "--source", str(tmp_path / "stream.npy"), "--headless"]) == 0
    assert "collected 2 sequence(s)" in capsys.readouterr().out
    got = load([data])
    assert np.array_equal(got.X[list(got.labels).index("hello")], X[:30])
    assert np.array_equal(got.X[list(got.labels).index("thanks")], X[30:60])
    bad = shared("data", "bad_inputs", "shape63_onehand.npy")
    assert main(["collect", "--actions", "hello", "--data", str(tmp_path / "d2"), "--source", str(bad),
                 "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "shape63_onehand.npy" in err and not (tmp_path / "d2").exists()


def test_collect_from_a_file_too_short_for_one_sequence_is_one_line_and_exit_2(shared, tmp_path, capsys):
    """A still image (one frame) or a clip shorter than --length: nothing can be recorded, which is said naming the
    file, and no folder is made."""
    for source, length in ((shared("media", "asl_iloveyou_rohan937_frame20.jpg"), "30"),
                           (shared("media", "asl_soup_slp.mp4"), "100")):
        assert main(["collect", "--actions", "a", "--sequences", "2", "--length", length, "--pause", "0",
                     "--data", str(tmp_path / "MP_Data"), "--source", str(source), "--headless"]) == 2
        captured = capsys.readouterr()
        assert captured.err == (f"signlstm collect: error: {source}: ended before a whole sequence of {length} "
                                "frames (at 30 a second) was recorded: nothing saved of the 2 sequence(s) asked "
                                "for\n"), captured.err
        assert not (tmp_path / "MP_Data" / "a").exists()


def _start(frames, seq):
    """Where in ``frames`` the recorded sequence ``seq`` begins: the offset of the window of ``frames`` nearest it."""
    n = len(seq)
    return int(np.argmin([np.abs(frames[o:o + n] - seq).mean() for o in range(len(frames) - n + 1)]))


def test_collect_pause_from_the_command_line_is_the_time_before_each_sequence(shared, tmp_path, monkeypatch,
                                                                            slow_camera):
    """``collect --pause`` from the command line, from a camera (the one thing simulated: s02's signs in a row,
    delivered 30 a second in real time), whose frames go by during a pause: with ``--pause 0`` the first sequence
    is the camera's first frames and the second follows straight on; with ``--pause 1`` about a second of frames
    (not the default's two) goes by before each sequence."""
    from signlstm.keypoints import landmarks

    X = load([shared("data", "signers", "s02.npz")]).X.reshape(-1, 1662)[:160].astype(np.float32)
    monkeypatch.setattr(landmarks, "open_input", lambda spec, face=True: (slow_camera(X, 1 / 30), None))
    starts = {}
    for pause in ("0", "1"):
        data = tmp_path / pause
        assert main(["collect", "--actions", "hello", "--sequences", "2", "--length", "10", "--pause", pause,
                     "--data", str(data), "--source", "0", "--headless"]) == 0
        seqs = [np.stack([np.load(data / "hello" / str(n) / f"{f}.npy") for f in range(10)]) for n in (0, 1)]
        starts[pause] = [_start(X, s) for s in seqs]
    assert starts["0"][0] == 0 and abs(starts["0"][1] - 10) <= 3, starts
    first, second = starts["1"]
    assert 15 <= first <= 45 and 15 <= second - first - 10 <= 45, starts  # a second is 30 frames


def test_collect_then_adapt_starts_from_the_model_given(shared, tmp_path, capsys):
    """``collect --then-adapt --model``: the model written is the given base (the shipped spotting model, not the
    shipped default) fitted to what was recorded: its signs, the base's trunk weights unchanged, its spotting rule,
    and the base named in its record."""
    from pathlib import Path

    from signlstm.models.bundle import load_bundle

    stream = Path(__file__).resolve().parents[3] / "demo" / "s08_stream.npy"  # 367 frames of keypoints
    spotting = Path(__file__).resolve().parents[1] / "models" / "spotting"
    data, out = tmp_path / "MP_Data", tmp_path / "mine"
    assert main(["collect", "--actions", "hello", "thanks", "--sequences", "3", "--pause", "0", "--data", str(data),
                 "--source", str(stream), "--headless", "--model", str(spotting), "--then-adapt", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "collected 6 sequence(s)" in printed and f"wrote {out}" in printed, printed
    mine, base, default = load_bundle(out), load_bundle(spotting), load_bundle()
    assert mine.labels == ["hello", "thanks", "none"]
    assert mine.meta["adapted"]["base"]["path"] == str(spotting) and mine.meta.get("rule") == "spot"
    assert mine.meta["adapted"]["sequences"] == {"hello": 3, "thanks": 3}
    kept = [w for w in mine.model.layers if w.weights and w.name != mine.model.layers[-1].name][0]
    assert all(np.array_equal(a, b) for a, b in zip(kept.get_weights(), base.model.get_layer(kept.name).get_weights()))
    assert not all(np.array_equal(a, b) for a, b in zip(kept.get_weights(),
                                                         default.model.get_layer(kept.name).get_weights()))


def test_the_library_refuses_what_the_command_refuses_before_recording(shared, tmp_path):
    """collect() given a sign twice, a pause that is not a number, or a data folder holding an aborted 20-frame
    sequence of a sign it would record 30-frame ones of: one line each, as ``collect`` says it, and nothing is
    recorded (the clip is never opened)."""
    from signlstm.datasets.sequence_writer import SequenceWriter
    from signlstm.errors import BadInput, SignlstmError
    from signlstm.fronts.collect import collect

    clip = str(shared("media", "asl_hello_rohan937.mp4"))
    with pytest.raises(SignlstmError, match="'hello' is given twice"):
        collect(["hello", "hello"], 1, tmp_path / "a", clip)
    with pytest.raises(SignlstmError, match="--pause must be at least 0 seconds, got nan"):
        collect(["hello"], 1, tmp_path / "b", clip, pause=float("nan"))
    SequenceWriter(tmp_path / "c").write("hello", np.zeros((20, 1662), np.float32))
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "c").rglob("*"))
    with pytest.raises(BadInput, match="an aborted recording, or one of another --length"):
        collect(["hello"], 1, tmp_path / "c", clip)
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "c").rglob("*")) == before
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_pause_that_is_no_number_is_refused_first(tmp_path, capsys):
    """``--pause nan`` with other problems (a sign twice, a model to adapt, names differing in case): the pause is
    said first, in one line, before any model, list or folder is read."""
    for extra in (["--actions", "a", "a", "--then-adapt", str(tmp_path / "m")], ["--actions", "I", "i"]):
        assert main(["collect", *extra, "--pause", "nan", "--data", str(tmp_path / "d"), "--source",
                     str(tmp_path / "none.mp4"), "--headless"]) == 2
        assert capsys.readouterr().err == "signlstm collect: error: --pause must be at least 0 seconds, got nan\n"
    assert list(tmp_path.iterdir()) == []
