"""Recorded videos written as data (:func:`signlstm.datasets.from_videos.write_videos`, what ``extract`` runs)."""
import re

from signlstm.datasets.from_videos import write_videos


def test_a_stream_file_is_not_written_when_no_video_could_be_used(shared, tmp_path):
    """Every video given is unusable (a 0-byte .mp4, a text file named .mp4): both are skipped with their reason,
    and no keypoint stream file is written, not even an empty one, when the caller checks nothing itself (no
    ``ready``; ``extract``'s own check refuses such a run before)."""
    empty, text = tmp_path / "empty.mp4", tmp_path / "text.mp4"
    empty.write_bytes(b"")
    text.write_text("not a video\n")
    out = tmp_path / "k.npy"
    done = write_videos([empty, text], keypoints=out, workers=1, progress=False)
    assert done.found == 2 and done.used == 0 and done.frames == 0
    assert [str(s.path) for s in done.skipped] == [str(empty), str(text)] and all(s.error for s in done.skipped)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.mp4", "text.mp4"]  # no k.npy, no temporary file


def _video(path, frames, fps):
    """Write ``frames`` (BGR images of one size) as a Motion-JPEG AVI, which OpenCV reads without FFmpeg."""
    import cv2

    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, frames[0].shape[1::-1])
    for f in frames:
        out.write(f)
    out.release()
    return path


def test_a_video_with_nobody_in_it_is_not_data_and_windows_without_hands_are_noted(shared, tmp_path):
    """A video in which MediaPipe finds no one (a dark picture) is skipped with its reason, and none of its windows
    becomes a recording of the label; the real hello clip followed by as many dark frames (the person gone) is
    written but its windows that show no one (the dark end), with a note saying how many were left out and how many
    of those written show a hand in fewer than half of their frames."""
    import cv2
    import numpy as np

    dark = np.full((270, 480, 3), 20, np.uint8)
    clip = cv2.VideoCapture(str(shared("media", "asl_hello_rohan937.mp4")))
    frames = []
    while (got := clip.read())[0]:
        frames.append(cv2.resize(got[1], (480, 270), interpolation=cv2.INTER_AREA))
    nobody = _video(tmp_path / "nobody.avi", [dark] * 40, 30)
    leaves = _video(tmp_path / "leaves.avi", frames + [dark] * 40, 24.22)
    notes = []
    done = write_videos([nobody, leaves], "hello", data=tmp_path / "MP_Data", workers=1, progress=False,
                        note=notes.append)
    assert [(str(s.path), s.error) for s in done.skipped] == [
        (str(nobody), "no person is found in any of its 40 frames: no sequence of it is written")]
    assert done.used == 1 and done.videos == [str(leaves)] and done.sequences == 4  # 6 windows at 30 a second
    assert len(list((tmp_path / "MP_Data" / "hello").iterdir())) == 4
    assert len(notes) == 1 and re.fullmatch(rf"{re.escape(str(leaves))}: 2 of its 6 window\(s\) show no one in any "
                                            r"frame: not written; [12] of the 4 sequence\(s\) written show a hand in "
                                            r"fewer than 50% of their frames: a vocabulary leaves them out", notes[0])


def test_the_library_refuses_what_it_cannot_write_before_reading_any_video(shared, tmp_path):
    """write_videos given a tree without a label, a stream file not named .npy, a length or stride below 1: one
    line each, as ``extract`` says it, before MediaPipe reads the clip (nothing is written)."""
    import pytest

    from signlstm.errors import SignlstmError

    clip = str(shared("media", "asl_hello_rohan937.mp4"))
    for options, said in (({"data": tmp_path / "d"}, "--data needs --label ACTION"),
                          ({"keypoints": tmp_path / "k.txt"}, "a keypoint file is a .npy"),
                          ({"label": "hello", "data": tmp_path / "d", "length": 0}, "--length must be a number"),
                          ({"label": "hello", "data": tmp_path / "d", "stride": 0}, "--stride must be at least 1"),
                          ({"label": "hello", "data": tmp_path / "d", "keypoints": tmp_path / "k.npy"},
                           "give either --data")):
        with pytest.raises(SignlstmError, match=said):
            write_videos([clip], progress=False, **options)
    assert list(tmp_path.iterdir()) == []


def test_a_one_frame_input_is_said_in_the_singular(shared, tmp_path, capsys):
    """A one-frame picture given to ``extract``: as sequences, one line saying it ``has 1 frame`` (not "1 frames"),
    exit 2, nothing written; as a keypoint stream, ``1 frame x 1662 values``."""
    from signlstm.cli import main

    picture = shared("media", "asl_iloveyou_rohan937_frame20.jpg")
    argv = ["extract", "--videos", str(picture), "--quiet"]
    assert main([*argv, "--label", "hello", "--data", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert err == (f"signlstm extract: error: {picture}: has 1 frame at 30 a second (1 at its 30), fewer than 30: "
                   "no window (try --mode resample)\n"), err
    assert main([*argv, "--keypoints", str(tmp_path / "k.npy")]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'k.npy'}: 1 frame x 1662 values from 1 video(s)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.npy"]


def test_extracting_beside_a_sequence_that_is_not_whole_is_refused_before_any_video_is_read(shared, tmp_path, capsys):
    """``extract --data`` into a tree whose ``hello/0`` holds frames 0-28 of 30 (an aborted recording, as in
    ../shared/data/bad_inputs/truncated_sequence): one line naming that folder, exit status 2, nothing written
    beside it (collect refuses the same tree so)."""
    import numpy as np

    from signlstm.cli import main

    seq = tmp_path / "MP_Data" / "hello" / "0"
    seq.mkdir(parents=True)
    for f in range(29):
        np.save(seq / f"{f}.npy", np.zeros(1662))
    args = ["extract", "--videos", str(shared("media", "asl_hello_rohan937.mp4")), "--label", "hello", "--data",
            str(tmp_path / "MP_Data"), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(seq) in err and "29 frame file(s)" in err
    assert sorted(p.name for p in (tmp_path / "MP_Data" / "hello").iterdir()) == ["0"]
