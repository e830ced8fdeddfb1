"""Frames from video files, image folders and cameras; one clear error when a source cannot be opened."""
import json

import numpy as np
import pytest

from signlstm.errors import BadInput, SignlstmError
from signlstm.frames.sources import KeypointReplay, check_stream, open_source, open_stream, read_frames

CLIP_FRAMES = {"asl_iloveyou_rohan937.mp4": (39, (720, 1280)), "asl_soup_slp.mp4": (41, (240, 320)),
               "asl_iloveyou_rohan937_480x270_mjpg.avi": (39, (270, 480))}


@pytest.mark.parametrize("name", sorted(CLIP_FRAMES))
def test_video_file_gives_every_frame(shared, name):
    count, shape = CLIP_FRAMES[name]
    with open_source(shared("media", name)) as src:
        frames = list(src)
        assert not src.live and 20 < src.fps < 31
    assert len(frames) == count
    assert all(f.shape == (*shape, 3) and f.dtype == np.uint8 for f in frames)



@pytest.mark.parametrize("name", ["asl_hello_rohan937.mp4", "asl_iloveyou_rohan937.mp4", "asl_thankyou_rohan937.mp4"])
def test_a_whole_video_whose_header_counts_one_frame_more_than_it_holds_is_not_said_to_be_cut_short(shared, name):
    """The rohan937 clips' MP4 headers each count one frame more than OpenCV decodes (38 for the hello clip's 37):
    read whole, they are not said to end early (``live`` and ``extract`` would print a 'truncated?' note on every
    one of them)."""
    with open_source(shared("media", name)) as src:
        frames = list(src)
        assert len(frames) == src.declared_frames - 1
        assert src.shortfall is None and src.notes == []

def test_image_folder_in_name_order(shared, tmp_path):
    import shutil

    for i, name in enumerate(["skimage_coffee_no_person.png", "skimage_astronaut.png"]):
        shutil.copy(shared("media", name), tmp_path / f"{i:02d}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    frames = list(open_source(tmp_path))
    assert [f.shape for f in frames] == [(400, 600, 3), (512, 512, 3)]
    assert [f.shape for f in read_frames(tmp_path / "00.png")] == [(400, 600, 3)]


def test_image_folder_numbered_without_padding_in_number_order(shared, tmp_path):
    """Frames named as ``ffmpeg -i clip.mp4 frame%d.png`` names them: frame2 before frame10 (by name it is after)."""
    import shutil

    for name, image in (("frame2.png", "skimage_coffee_no_person.png"), ("frame10.png", "skimage_astronaut.png"),
                        ("frame1.png", "skimage_astronaut.png")):
        shutil.copy(shared("media", image), tmp_path / name)
    assert [f.shape for f in open_source(tmp_path)] == [(512, 512, 3), (400, 600, 3), (512, 512, 3)]


def test_a_camera_index_is_ascii_digits_of_a_size_a_camera_can_have(tmp_path):
    """A superscript or Arabic-Indic digit is a file's name, not a camera; an index past what OpenCV takes is one
    line naming it."""
    from signlstm.frames.sources import is_camera

    assert is_camera("0") and is_camera(1) and not is_camera("²") and not is_camera("٣")
    with pytest.raises(BadInput, match="²: no such file"):
        open_source("²")
    with pytest.raises(BadInput, match=r"^camera 99999999999999999999: no such camera"):
        open_source("99999999999999999999")
    with pytest.raises(BadInput, match=r"^camera 9{5000}: no such camera"):  # past what int() converts
        open_source("9" * 5000)


def test_missing_and_unreadable_sources_name_the_file(tmp_path):
    with pytest.raises(BadInput, match="nope.mp4: no such file"):
        open_source(tmp_path / "nope.mp4")
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 4096)
    with pytest.raises(BadInput, match="broken.mp4: unreadable video"):
        open_source(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="holds no images"):
        open_source(tmp_path / "empty")


def test_missing_camera_is_one_clear_error():
    with pytest.raises(SignlstmError, match="camera 97: cannot open the camera"):
        open_source("97")


def test_camera_frames_through_a_mocked_webcam(monkeypatch):
    """The one mock: a physical webcam."""
    import cv2

    class FakeCapture:
        def __init__(self, index):
            self.left = 3

        def isOpened(self):
            return True

        def read(self):
            self.left -= 1
            return (self.left >= 0, np.full((48, 64, 3), self.left, np.uint8) if self.left >= 0 else None)

        def get(self, prop):
            return 30.0

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)
    with open_source(0) as cam:
        assert cam.live and cam.name == "0"
        assert [int(f[0, 0, 0]) for f in cam] == [2, 1, 0]


def _tutorial_frames(seq) -> np.ndarray:
    """A tutorial sequence folder's frames as the tutorial saved them (``0.npy`` ...), read with numpy alone."""
    return np.stack([np.load(seq / f"{i}.npy") for i in range(len(list(seq.glob("*.npy"))))]).astype(np.float32)


def test_keypoint_replay_of_npy_and_mp_data_sequence(shared, tmp_path):
    seq = shared("data", "MP_Data_renotte", "hello", "30")
    frames = _tutorial_frames(seq)
    assert frames.shape == (30, 1662)
    assert np.array_equal(np.stack(read_frames(seq)), frames)  # the folder replayed as saved, in number order
    np.save(tmp_path / "k.npy", frames[:5])
    assert np.array_equal(np.stack(list(KeypointReplay(tmp_path / "k.npy"))), frames[:5])
    with open_stream(str(tmp_path / "k.npy")) as replay, open_stream(str(seq)) as folder:
        assert replay.keypoints and folder.keypoints and len(list(folder)) == 30
    assert np.array_equal(np.stack(read_frames(tmp_path / "k.npy")), frames[:5])


def test_a_sequence_folder_is_replayed_a_frame_file_at_a_time(shared, tmp_path):
    """Frames come as the files are read (memory does not grow with the folder): the frames before a damaged file
    are replayed, and the damaged one is BadInput naming it when it is reached."""
    import shutil

    seq = shared("data", "MP_Data_renotte", "hello", "30")
    shutil.copytree(seq, tmp_path / "seq")
    (tmp_path / "seq" / "5.npy").write_bytes(b"not a frame")
    replay = KeypointReplay(tmp_path / "seq")
    got = [replay.read() for _ in range(5)]
    assert np.array_equal(np.stack(got), _tutorial_frames(seq)[:5])
    with pytest.raises(BadInput) as e:
        replay.read()
    assert e.value.path == str(tmp_path / "seq" / "5.npy")


def test_open_stream_opens_video_as_images_and_refuses_a_packed_dataset(shared):
    clip = shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi")
    with open_stream(str(clip)) as src:
        assert not src.keypoints and src.read().shape == (270, 480, 3)
    assert len(read_frames(clip)) == 39
    with pytest.raises(BadInput, match="a packed dataset, not a stream"):
        open_stream(str(shared("data", "signers", "s02.npz")))


def test_bad_keypoint_files_are_named(shared, tmp_path):
    """What ``live`` and ``collect`` check before they load a model (:func:`check_stream`, the replay's own checks)."""
    with pytest.raises(BadInput, match="shape126_handsonly.npy.*both hands only"):
        check_stream(shared("data", "bad_inputs", "shape126_handsonly.npy"))
    with pytest.raises(FileNotFoundError) as e:  # the command's one line: "missing.npy: No such file or directory"
        check_stream(tmp_path / "missing.npy")
    assert e.value.filename == str(tmp_path / "missing.npy")
    with pytest.raises(BadInput, match="git_lfs_pointer.npy: a Git LFS pointer"):
        check_stream(shared("data", "bad_inputs", "git_lfs_pointer.npy"))


def test_keypoint_file_header_is_checked_before_its_data(tmp_path):
    """A stream file is refused from its header: fewer bytes than declared (however many it declares), no frames,
    integers; a Fortran-ordered file replays as the same frames."""
    import struct

    frames = np.random.default_rng(0).random((40, 1662), dtype=np.float32)
    np.save(tmp_path / "c.npy", frames)
    np.save(tmp_path / "f.npy", np.asfortranarray(frames))
    assert np.array_equal(np.stack(read_frames(tmp_path / "f.npy")), frames)
    whole = (tmp_path / "c.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(BadInput, match="truncated: holds"):
        check_stream(tmp_path / "cut.npy")
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1662), }"
    text += " " * (63 - (11 + len(text)) % 64) + "\n"
    (tmp_path / "huge.npy").write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode() + bytes(64))
    with pytest.raises(BadInput, match=r"truncated: holds 64 of the 6648000000000 bytes"):
        check_stream(tmp_path / "huge.npy")  # the replay reads frames as it goes, but not past the file's end
    np.save(tmp_path / "empty.npy", frames[:0])
    with pytest.raises(BadInput, match=r"holds no frames \(shape \(0, 1662\)\)"):
        check_stream(tmp_path / "empty.npy")
    np.save(tmp_path / "int.npy", frames.astype(np.int32))
    with pytest.raises(BadInput, match="dtype int32, expected floating point"):
        check_stream(tmp_path / "int.npy")


def test_a_keypoint_stream_replays_in_memory_smaller_than_itself_and_a_bad_frame_is_named(shared, tmp_path,
                                                                                           monkeypatch, capsys):
    """A replayed ``.npy`` is read frame by frame: with a memory limit of 1 MB, 18 MB of a signer's keypoints replay
    through ``live``; a NaN at frame 35 stops it with one line naming the frame, and no video is left."""
    from signlstm.cli import main

    X = np.load(shared("data", "signers", "s02.npz"))["X"].astype(np.float32).reshape(-1, 1662)  # 2,700 frames
    np.save(tmp_path / "long.npy", X)
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "1M")
    replay = KeypointReplay(tmp_path / "long.npy")
    assert np.array_equal(np.stack(list(replay)), X)
    assert main(["live", "--source", str(tmp_path / "long.npy"), "--headless"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["frames"] == len(X)
    X[35, 7] = np.nan
    np.save(tmp_path / "nan.npy", X[:60])
    assert main(["live", "--source", str(tmp_path / "nan.npy"), "--headless", "--out", str(tmp_path / "a.avi")]) == 2
    err = capsys.readouterr().err
    assert "nan.npy: frame 35 holds NaN or infinite values" in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.avi")) and not list(tmp_path.glob(".a.avi*"))


def test_a_keypoint_file_with_a_bad_header_is_refused_before_the_model_is_loaded(tmp_path, capsys):
    """Frames of 1661 values: one line naming the file, even with a model that does not exist (never opened)."""
    from signlstm.cli import main

    np.save(tmp_path / "short_frames.npy", np.zeros((40, 1661), np.float32))
    assert main(["live", "--source", str(tmp_path / "short_frames.npy"), "--headless",
                 "--model", str(tmp_path / "no_model")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "short_frames.npy" in err[0] and "no_model" not in err[0], err


@pytest.mark.parametrize("parts", [(), ("hello",)])
def test_an_mp_data_tree_or_action_folder_as_a_source_names_a_sequence_that_replays(shared, parts):
    """``live --source MP_Data`` (or one action's folder): said to be part of an MP_Data tree, with a sequence
    folder to give instead, and that folder replays."""
    folder = shared("data", "MP_Data_renotte", *parts)
    with pytest.raises(BadInput) as e:
        open_stream(str(folder))
    what = "an action folder of an MP_Data tree (30 sequence folders)" if parts else "an MP_Data tree"
    assert e.value.problem.startswith(f"looks like {what}")
    suggested = e.value.problem.split("--source ")[1].split(" ")[0]
    assert suggested == str(shared("data", "MP_Data_renotte", "hello", "30"))
    assert len(read_frames(suggested)) == 30


def test_a_sequence_folder_of_zero_padded_frame_files_is_named_as_such(shared, tmp_path):
    for t in range(30):
        (tmp_path / f"{t:02d}.npy").write_bytes(shared("data", "MP_Data_renotte", "hello", "30", f"{t}.npy").read_bytes())
    with pytest.raises(BadInput, match=r"frame files named with leading zeros \(00.npy, 01.npy, 02.npy, ...\)"):
        open_stream(str(tmp_path))


def test_a_sequence_folder_with_a_frame_file_missing_names_the_missing_frames(shared, tmp_path):
    """A tutorial sequence folder with frame 15 deleted (and one with 0-9 only): the gap is named as ``convert``
    names it, the sequence without a gap replays all its frames."""
    seq = shared("data", "MP_Data_renotte", "hello", "30")
    for t in range(30):
        if t != 15:
            (tmp_path / f"{t}.npy").write_bytes((seq / f"{t}.npy").read_bytes())
    with pytest.raises(BadInput, match=r"frame file\(s\) \[15\] of 0-29 missing \(the sequence holds 29 frame files\)"):
        open_stream(str(tmp_path))
    for t in range(15, 30):
        (tmp_path / f"{t}.npy").unlink(missing_ok=True)
    assert np.stack(read_frames(tmp_path)).shape == (15, 1662)


def test_a_bad_file_is_one_line_from_signlstm_and_the_decoders_say_nothing(shared, tmp_path, capfd):
    """FFmpeg ("moov atom not found", "partial file"), libjpeg ("Premature end of JPEG file") and libpng ("iCCP: known
    incorrect sRGB profile", from the astronaut PNG) print nothing beside the project's line; a video cut in half
    (19 of its 38 frames) is said to be short, and a 0-byte or text file named .mp4 is one line."""
    from signlstm.cli import main

    hello = shared("media", "asl_hello_rohan937.mp4")
    cut, text, empty = tmp_path / "cut.mp4", tmp_path / "text.mp4", tmp_path / "empty.mp4"
    cut.write_bytes(hello.read_bytes()[:188759])
    text.write_text("not a video\n")
    empty.write_bytes(b"")
    # the cut video's 19 frames are used, and said to be fewer than its header declares (a clip cut without
    # re-encoding may declare more than it shows: refusing it would lose a good video)
    assert main(["extract", "--videos", str(cut), "--keypoints", str(tmp_path / "k.npy"), "--workers", "1",
                 "--quiet"]) == 0
    assert capfd.readouterr().err.splitlines() == [f"note: {cut}: it ends after 19 of the 38 frames its header "
                                                   "declares (truncated?); the frames it holds are used"]
    assert np.load(tmp_path / "k.npy").shape[0] > 0
    (tmp_path / "k.npy").unlink()
    expected = {text: "unreadable video (no frame could be decoded)", empty: "empty file (0 bytes)"}
    for video, problem in expected.items():
        assert main(["extract", "--videos", str(video), "--keypoints", str(tmp_path / "k.npy"), "--workers", "1",
                     "--quiet"]) == 2
        assert capfd.readouterr().err.splitlines() == [f"signlstm extract: error: {video}: {problem}"]
        assert not (tmp_path / "k.npy").exists()
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "0.jpg").write_bytes(shared("media", "asl_iloveyou_rohan937_frame20.jpg").read_bytes()[:3000])
    with pytest.raises(BadInput, match=r"0.jpg: truncated image \(its JPEG data ends early\)"):
        read_frames(frames)
    assert [f.shape for f in read_frames(shared("media", "skimage_astronaut.png"))] == [(512, 512, 3)]
    assert capfd.readouterr().err == ""


def test_frames_over_the_pixel_limits_are_refused_by_the_header_or_scaled_down(shared, tmp_path):
    """A grey PNG declaring 9000x9000 (zlib'd zero rows: 0.1 MB on disk, 243 MB decoded as colour) is refused, naming the file,
    before it is decoded (a 20000x20000 one took 3 GB in live), and so is an 8200x8200 video, by its header; a
    4200x4200 video's frames come out halved, under FIT_PIXELS, so what a frame costs downstream is bounded."""
    import struct
    import subprocess
    import sys
    import zlib

    import cv2

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    side, packer = 9000, zlib.compressobj(1)
    row = bytes(1 + side)
    rows = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    bomb = tmp_path / "bomb"
    bomb.mkdir()
    (bomb / "0.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                                 + chunk(b"IDAT", rows) + chunk(b"IEND", b""))
    with pytest.raises(BadInput, match=r"0.png: an image of 9000x9000 pixels, more than the 67,108,864"):
        read_frames(bomb)
    # a header Pillow cannot read (Radiance HDR named .png): OpenCV's own limit, set by signlstm.frames.sources before
    # cv2 is imported, refuses it
    (bomb / "0.png").write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 9000 +X 9000\n" + bytes(4096))
    done = subprocess.run([sys.executable, "-c", "import sys; from signlstm.frames.sources import read_frames; "
                           "read_frames(sys.argv[1])", str(bomb)], capture_output=True, text=True, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == (f"signlstm.errors.BadInput: {bomb / '0.png'}: an image whose header "
                                                    "declares more than the 67,108,864 pixels a frame may have here: "
                                                    "scale it down")
    astronaut = cv2.resize(read_frames(shared("media", "skimage_astronaut.png"))[0], (4200, 4200))
    video = tmp_path / "big.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (4200, 4200))
    for _ in range(2):
        out.write(astronaut)
    out.release()
    frames = read_frames(video)
    assert [f.shape for f in frames] == [(2100, 2100, 3)] * 2  # 4200 squared is over FIT_PIXELS: a factor of 2
    huge = tmp_path / "huge.avi"
    out = cv2.VideoWriter(str(huge), cv2.VideoWriter_fourcc(*"MJPG"), 30, (8200, 8200))
    out.write(np.zeros((8200, 8200, 3), np.uint8))
    out.release()
    with pytest.raises(BadInput, match=r"huge.avi: frames of 8200x8200 pixels, more than the 67,108,864"):
        open_source(huge)


def test_a_15_fps_video_is_read_at_the_rate_its_header_states(shared, tmp_path):
    """An honest 15 fps video (written by OpenCV from a clip's frames): its source says 15 frames a second, its
    header is said to state 15, and its frames' own times agree (no other rate to report)."""
    import cv2

    frames = read_frames(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi"))[:12]
    video = tmp_path / "slow.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, (480, 270))
    for f in frames:
        out.write(f)
    out.release()
    with open_source(video) as src:
        assert src.fps == 15.0 and src.stated_rate == "15"
        assert len(list(src)) == 12
        assert src.times_rate is None and src.shortfall is None


def _avi_with_skipped_frames(frames, skipped, out, fps=30):
    """An MJPG AVI of ``frames`` in which the frames numbered in ``skipped`` are empty chunks, as a recorder of a
    variable rate stores the frames it skipped: its header counts them, its index gives them no bytes."""
    import struct
    from pathlib import Path

    import cv2

    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    data = bytearray(Path(out).read_bytes())
    pos, index = data.find(b"movi") + 4, data.find(b"idx1")
    chunks = []  # (offset, size) of each frame's chunk in the movi list
    while pos < index - 8:
        size = struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if data[pos:pos + 4] == b"00dc":
            chunks.append((pos, size))
        pos += 8 + size + (size & 1)
    assert len(chunks) == len(frames) and data[index + 8:index + 12] == b"00dc"
    for k in skipped:  # an empty frame chunk, the rest of its bytes a JUNK chunk; its index entry's size 0
        pos, size = chunks[k]
        data[pos:pos + 16] = b"00dc" + struct.pack("<I", 0) + b"JUNK" + struct.pack("<I", size + (size & 1) - 8)
        data[index + 8 + 16 * k + 12:index + 8 + 16 * k + 16] = struct.pack("<I", 0)
    Path(out).write_bytes(bytes(data))


def test_a_whole_avi_whose_header_counts_skipped_frames_is_not_said_to_be_cut_short(shared, tmp_path):
    """The rohan937 MJPG clip's 39 frames stored at 30 a second with every other frame of its first half skipped (an
    empty chunk each, as a variable-rate recording stores them): the header declares 39, 30 are read, and their own
    times run to the last frame's 38 / 30 s, so the video is whole and nothing is said of it. The same file cut at
    60 % or at 92 % of its bytes (a few frames lost: its times end over 2 frames early) is said to end early."""
    frames = read_frames(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi"))
    whole = tmp_path / "skipped.avi"
    _avi_with_skipped_frames(frames, range(1, 19, 2), whole)
    with open_source(whole) as src:
        assert src.declared_frames == 39 and len(list(src)) == 30
        assert src.time == pytest.approx(38 / 30) and src.shortfall is None
    for share, (least, fewer) in ((0.6, (1, 25)), (0.92, (25, 30))):
        cut = tmp_path / f"cut{share}.avi"
        cut.write_bytes(whole.read_bytes()[:int(whole.stat().st_size * share)])
        with open_source(cut) as src:
            read = len(list(src))
            assert least <= read < fewer, read
            assert src.shortfall == (f"it ends after {read} of the 39 frames its header declares (truncated?); the "
                                     "frames it holds are used")


def test_a_video_whose_picture_stops_changing_says_which_frames_repeat_it(shared, tmp_path):
    """The rohan937 MJPG clip with its 15th frame's picture held for 20 more frames (as a frozen camera, or OpenCV
    after a frame size that changes mid-video, gives the last good picture again): the source says which frames
    repeat which one, and ``extract`` passes it on; the clip itself, whose pictures all differ, says nothing, nor
    does it after 20 black frames (a lead-in)."""
    import cv2

    from signlstm.keypoints.extraction import extract_video

    frames = read_frames(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi"))
    video = tmp_path / "frozen.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (480, 270))
    for frame in frames[:15] + [frames[14]] * 20 + frames[15:]:
        out.write(frame)
    out.release()
    said = ("frames 15-34 repeat frame 14's picture unchanged: a frozen part, or frames the decoder could not read "
            "(a frame size that changes mid-video?)")
    with open_source(video) as src:
        assert len(list(src)) == 59 and src.notes == [said]
    assert extract_video(video).note == said
    with open_source(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi")) as src:
        assert len(list(src)) == 39 and src.repeated is None and src.notes == []
    black = tmp_path / "black.avi"
    out = cv2.VideoWriter(str(black), cv2.VideoWriter_fourcc(*"MJPG"), 30, (480, 270))
    for frame in [np.zeros_like(frames[0])] * 20 + frames:
        out.write(frame)
    out.release()
    with open_source(black) as src:
        assert len(list(src)) == 59 and src.notes == []
    slow = tmp_path / "slow.avi"  # at 2 frames a second one picture shown twice is not a frozen part
    out = cv2.VideoWriter(str(slow), cv2.VideoWriter_fourcc(*"MJPG"), 2, (480, 270))
    for frame in frames[:6] + [frames[5]] + frames[6:11]:
        out.write(frame)
    out.release()
    with open_source(slow) as src:
        assert len(list(src)) == 12 and src.notes == []


def test_a_tutorial_frame_file_given_as_a_stream_names_its_sequence_folder(shared, tmp_path):
    """One (1662,) frame file is not a stream to replay (as convert says too): the message names its folder; a
    frame file alone in a folder that is no recording's is told what a stream is instead."""
    import shutil

    from signlstm.frames.sources import open_stream

    frame = shared("data", "MP_Data_renotte", "hello", "30", "5.npy")
    with pytest.raises(BadInput, match=r"5.npy: holds one frame \(1662,\), not a stream of frames: a tutorial frame "
                                       r"file is replayed with its sequence folder \(--source .*hello/30\)"):
        open_stream(frame)
    with open_stream(frame.parent) as replay:  # the folder is
        assert replay.read().shape == (1662,)
    alone = shutil.copy(frame, tmp_path / "frame.npy")
    with pytest.raises(BadInput, match=r"frame.npy: holds one frame \(1662,\), not a stream of frames: a stream is a "
                                       r"\(T, 1662\) .npy \(`signlstm extract --keypoints` writes one\)$"):
        open_stream(alone)
