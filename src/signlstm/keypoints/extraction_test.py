"""signlstm extract: videos -> MP_Data sequences; 2 workers == 1 worker; bad videos skipped."""
import numpy as np

from signlstm.cli import main
from signlstm.datasets import load
from signlstm.keypoints.extraction import iter_sequences, window_starts
from signlstm.keypoints.landmarks import video_keypoints
from signlstm.keypoints.resample import at_rate, at_times
from signlstm.frames.sources import open_source


def test_windows_cover_the_video_and_resample_gives_one_sequence():
    assert window_starts(39, 30, 15) == [0, 9]
    assert window_starts(30, 30, 15) == [0]
    assert window_starts(29, 30, 15) == []
    starts = window_starts(100, 30, 15)
    assert starts[0] == 0 and starts[-1] == 70 and max(np.diff(starts)) <= 15
    kp = np.arange(39 * 1662, dtype=float).reshape(39, 1662)
    seqs = np.stack(list(iter_sequences(kp, 30)))
    assert seqs.shape == (2, 30, 1662) and np.array_equal(seqs[1], kp[9:39])
    one = np.stack(list(iter_sequences(kp[:20], 30, "resample")))
    assert one.shape == (1, 30, 1662) and np.array_equal(one[0, -1], kp[19])


def test_resample_stretches_a_short_recording_to_the_nearest_frame_of_each_instant(shared):
    """``extract --mode resample`` on 20 real frames (MP_Data_renotte's thanks/30, frames 0-19): the 30 frames are
    the nearest recorded frame to each of 30 evenly spaced instants from the first frame to the last, so every frame
    is used and none is moved towards the start."""
    seq = shared("data", "MP_Data_renotte", "thanks", "30")
    kp = np.stack([np.load(seq / f"{t}.npy") for t in range(20)])
    assert len({f.tobytes() for f in kp}) == 20  # each frame tells which it is
    picks = [0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9, 10, 10, 11, 12, 12, 13, 14, 14, 15, 16, 16, 17, 18, 18, 19]
    assert all(abs(p - k * 19 / 29) <= 0.5 for k, p in enumerate(picks))
    one = np.stack(list(iter_sequences(kp, 30, "resample")))
    assert one.shape == (1, 30, 1662) and np.array_equal(one[0], kp[picks])


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.npy"))}


def test_two_workers_equal_one_and_bad_videos_are_skipped(shared, tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    videos = [str(shared("media", "asl_soup_slp.mp4")), str(broken),
              str(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi")), str(tmp_path / "missing.avi")]
    trees = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        assert main(["extract", "--videos", *videos, "--label", "soup", "--data", str(out),
                     "--workers", str(workers), "--quiet"]) == 0
        err = capsys.readouterr().err
        assert f"skipped {broken}: unreadable video" in err and "missing.avi: no such file" in err
        trees.append(_tree(out))
    # at 30 a second: 41 frames at 29.97 -> 41 -> 2 windows, 39 frames at 24.51 -> 47 -> 3 windows
    assert trees[0] == trees[1] and len(trees[0]) == 5 * 30
    data = load([tmp_path / "w2"])
    assert data.X.shape == (5, 30, 1662) and set(data.labels) == {"soup"}


def test_keypoints_file_and_argument_errors(shared, tmp_path, capsys):
    out = tmp_path / "k.npy"
    assert main(["extract", "--videos", str(shared("media", "asl_soup_slp.mp4")), "--keypoints", str(out),
                 "--workers", "1", "--quiet"]) == 0
    with open_source(shared("media", "asl_soup_slp.mp4")) as src:  # one video: extracted in threads
        raw, fps = video_keypoints(src), src.fps
    assert np.array_equal(np.load(out), at_rate(raw, fps))  # at 30 a second, the rate live reads keypoint files at
    assert len(raw) == 41 and fps != 30 and not np.allclose(np.load(out)[10:], raw[10:].astype(np.float32))
    assert main(["extract", "--videos", str(tmp_path / "none.mp4"), "--keypoints", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err  # the one input's problem, in one line (after the progress bar)
    assert err.splitlines()[-1] == f"signlstm extract: error: {tmp_path / 'none.mp4'}: no such file or folder"
    assert "skipped" not in err
    assert not (tmp_path / "x.npy").exists()
    assert main(["extract", "--videos", str(out), "--data", str(tmp_path / "d")]) == 2
    assert "--label" in capsys.readouterr().err


def test_a_label_spelling_none_in_another_case_is_refused_before_any_video_is_read(shared, tmp_path, capsys):
    assert main(["extract", "--videos", str(shared("media", "asl_soup_slp.mp4")), "--label", "None", "--data",
                 str(tmp_path / "d"), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--label 'None' is the rejection label 'none' in another case" in err
    assert not (tmp_path / "d").exists()


def test_ray_cluster_gives_byte_identical_keypoints(shared):
    """A local Ray instance with 2 CPUs extracts exactly what the local process path extracts."""
    from signlstm.keypoints.extraction import extract_videos

    videos = [str(shared("media", "asl_soup_slp.mp4")), str(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi"))]
    local = list(extract_videos(videos, workers=1, progress=False))
    remote = list(extract_videos(videos, workers=2, progress=False, ray="local"))
    assert [r.path for r in local] == [r.path for r in remote] == videos
    assert all(r.error is None for r in local + remote)
    # every frame of each video (41 and 39), so an empty or short result on either side cannot pass
    assert [a.keypoints.shape for a in local] == [(41, 1662), (39, 1662)]
    for a, b in zip(local, remote, strict=True):
        assert a.keypoints.shape == b.keypoints.shape and a.keypoints.tobytes() == b.keypoints.tobytes()


def test_a_video_too_long_for_the_memory_is_skipped_by_its_header_or_by_what_it_holds(shared, tmp_path, monkeypatch,
                                                                                      capsys):
    """SIGNLSTM_MEMORY_LIMIT bounds one video: THANK YOU (32 frames at 24.70) fits in 760 kB, SOUP (41 at 29.97)
    declares more than the 38 that fit and is skipped before it is tracked; a folder of images, whose length nothing
    declares, is stopped at the limit."""
    import cv2

    from signlstm.keypoints.extraction import extract_video, frame_limit

    thanks, soup = shared("media", "asl_thankyou_rohan937.mp4"), shared("media", "asl_soup_slp.mp4")
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "760000")
    out = tmp_path / "k.npy"
    assert main(["extract", "--videos", str(thanks), str(soup), "--keypoints", str(out), "--workers", "1",
                 "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"skipped {soup}: declares 41 frames at 29.97 a second, more than the 38 whose keypoints fit in "
                   "the 760.0 kB one video may fill here (SIGNLSTM_MEMORY_LIMIT): cut it into shorter videos"]
    with open_source(thanks) as src:  # at its frames' own times (a webcam's 30 a second, some frames missing)
        frames, times = zip(*[(frame, src.time) for frame in src])
    assert np.array_equal(np.load(out), at_times(video_keypoints(frames), times))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.npy"]  # the frames' temp file is gone

    frames = tmp_path / "frames"
    frames.mkdir()
    with open_source(soup) as src:
        for i, image in zip(range(12), src):
            cv2.imwrite(str(frames / f"{i:02d}.png"), image)
    most = frame_limit(30.0, 10 * 19944 + 100)
    assert most == 10
    assert "holds over 10 frames at 30 a second" in extract_video(frames, budget=10 * 19944 + 100).error
    for p in sorted(frames.iterdir())[10:]:
        p.unlink()
    assert extract_video(frames, budget=10 * 19944 + 100).keypoints.shape == (10, 1662)


def test_a_full_disk_is_one_line_and_a_failed_write_leaves_no_folder(shared, tmp_path):
    """Writes the machine cannot finish (a file-size limit of 200 kB, under the SOUP file's 272 kB) are one line
    naming the output and exit 2, with no file, temp file or folder left; so is a run with no usable video."""
    import subprocess
    import sys

    def limited(size: int) -> list[str]:
        """A Python that caps the size of the files it writes at ``size`` bytes, then runs signlstm (the cap set in
        the new process, not by a preexec_fn in a fork of this multithreaded one)."""
        cap = (f"import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, ({size}, {size})); "
               "os.execv(sys.executable, [sys.executable, '-m', 'signlstm', *sys.argv[1:]])")
        return [sys.executable, "-c", cap]

    soup = shared("media", "asl_soup_slp.mp4")
    run = ["extract", "--videos", str(soup), "--workers", "1", "--quiet",
           "--keypoints", str(tmp_path / "new" / "k.npy")]
    done = subprocess.run(limited(200_000) + run, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"signlstm extract: error: {tmp_path / 'new' / 'k.npy'}: cannot be written "
                                        "(File too large)"]
    assert list(tmp_path.iterdir()) == []
    run[-2:] = ["--data", str(tmp_path / "MP_Data"), "--label", "soup"]  # frame files of 13 kB under a 5 kB limit
    done = subprocess.run(limited(5_000) + run, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.splitlines() == [  # numpy reports a short write, without errno
        f"signlstm extract: error: {tmp_path / 'MP_Data' / 'soup'}: cannot be written (the write was cut short: "
        "1662 requested and 609 written; is the disk full?)"]
    assert list(tmp_path.iterdir()) == []
    assert main(["extract", "--videos", str(tmp_path / "none.mp4"), "--keypoints", str(tmp_path / "a" / "b.npy")]) == 2
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_a_two_worker_extract_ends_it_at_once_in_one_line(shared, tmp_path):
    """Ctrl-C from a terminal (to every process of the command) and from `timeout -s INT` (to the main process
    alone) while two worker processes landmark videos: "interrupted", exit 130 without waiting for the videos being
    landmarked, no worker's traceback, no worker left running, and only whole sequences on disk, which a note
    counts."""
    import os
    import signal
    import subprocess
    import sys
    import shutil
    import time

    # 24 videos (byte copies of 3: a video named twice is extracted once): about 45 s of landmarking on two cores
    # here, a good deal of it still to do when the first is written
    (tmp_path / "v").mkdir()
    videos = [str(shutil.copy(shared("media", f"asl_{s}_rohan937.mp4"), tmp_path / "v" / f"{s}{k}.mp4"))
              for k in range(8) for s in ("hello", "thankyou", "iloveyou")]
    for n, to_group in enumerate((True, False)):
        out = tmp_path / f"MP_Data{n}"
        proc = subprocess.Popen([sys.executable, "-m", "signlstm", "extract", "--videos", *videos, "--label", "hello",
                                 "--data", str(out), "--workers", "2", "--quiet"], stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        end = time.monotonic() + 120
        while not any(out.glob("hello/0")) and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.05)  # the workers are landmarking: the first video's sequences are written
        assert proc.poll() is None, f"the command ended before it was interrupted: {proc.communicate()}"
        (os.killpg if to_group else os.kill)(proc.pid, signal.SIGINT)
        try:  # at once: the videos being landmarked are not waited for
            _, err = proc.communicate(timeout=30)
        finally:
            os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None
        assert proc.returncode == 130 and err.strip().splitlines()[-1] == "signlstm extract: interrupted", err
        assert "Traceback" not in err, err
        for _ in range(50):  # no worker (nor multiprocessing's resource tracker) outlives the command for long
            alive = subprocess.run(["pgrep", "-a", "-s", str(proc.pid)], capture_output=True, text=True).stdout
            if not alive:
                break
            time.sleep(0.1)
        assert not alive, alive
        seqs = list(out.glob("hello/*"))
        assert len(seqs) < len(videos)  # the rest was dropped (every one of the videos gives a sequence or more)
        # what stays in the tree is said (a second run would add it again)
        assert f"note: interrupted: the {len(seqs)} sequence(s) of 'hello' written from " in err, (err, seqs)
        assert f"stay in {out}; extracting those again would add them again" in err, err
        for seq in seqs:
            assert seq.name.isdigit() and len(list(seq.glob("*.npy"))) == 30, seq


def test_a_gif_is_read_when_named_and_left_out_of_a_folders_videos(shared, tmp_path, capsys):
    """An animated GIF of the rohan937 I LOVE YOU clip (Pillow, its 39 frames at 40 ms) beside the clip's MJPG video, as
    sign dictionaries ship a GIF preview beside each video: ``extract`` on the folder reads the video alone (the same
    sign twice would leak between training and test data), and on the GIF named alone reads the GIF, its hand in
    most frames; a folder of GIFs alone says how to read them."""
    import shutil

    from PIL import Image

    from signlstm.frames.sources import read_frames

    clip = shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi")
    frames = read_frames(clip)
    folder = tmp_path / "sign"
    folder.mkdir()
    pictures = [Image.fromarray(f[..., ::-1]) for f in frames]
    pictures[0].save(folder / "iloveyou.gif", save_all=True, append_images=pictures[1:], duration=40, loop=0)
    assert main(["extract", "--videos", str(folder), "--keypoints", str(tmp_path / "gifs.npy"), "--quiet"]) == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith("name a .gif or .ts file itself to read it)")
    shutil.copy(clip, folder / "iloveyou.avi")
    for given, out in ((folder, "folder.npy"), (folder / "iloveyou.avi", "avi.npy"), (folder / "iloveyou.gif", "gif.npy")):
        assert main(["extract", "--videos", str(given), "--keypoints", str(tmp_path / out), "--workers", "1",
                     "--quiet"]) == 0
    assert np.array_equal(np.load(tmp_path / "folder.npy"), np.load(tmp_path / "avi.npy"))
    gif = np.load(tmp_path / "gif.npy")
    assert len(gif) >= 39 and (gif[:, 1536:] != 0).any(1).mean() > 0.5


def test_extract_stride_is_the_most_frames_between_window_starts(shared, tmp_path, capsys):
    """``extract --length 10 --stride 3`` (window mode): the clip's frames at 30 a second, as ``--keypoints`` writes
    them, cut into 10-frame windows that start at most 3 frames apart, the first at the clip's start and the last at
    its end (41 frames: 12 windows; the default stride of half the length, 5, makes 8)."""
    clip = str(shared("media", "asl_soup_slp.mp4"))
    assert main(["extract", "--videos", clip, "--keypoints", str(tmp_path / "k.npy"), "--workers", "1",
                 "--quiet"]) == 0
    kp = np.load(tmp_path / "k.npy").astype(np.float64)
    assert main(["extract", "--videos", clip, "--label", "soup", "--data", str(tmp_path / "d"), "--length", "10",
                 "--stride", "3", "--workers", "1", "--quiet"]) == 0
    assert f"wrote 12 sequence(s) of 'soup' to {tmp_path / 'd'}" in capsys.readouterr().out
    folders = sorted((tmp_path / "d" / "soup").iterdir(), key=lambda p: int(p.name))
    starts = []
    for folder in folders:
        seq = np.stack([np.load(folder / f"{f}.npy") for f in range(10)])
        start = int(np.argmin([np.abs(kp[o:o + 10] - seq).max() for o in range(len(kp) - 9)]))
        assert np.allclose(kp[start:start + 10], seq, atol=1e-6), folder  # a window of the clip's frames
        starts.append(start)
    assert len(kp) == 41 and starts[0] == 0 and starts[-1] == 31, starts
    assert len(starts) == 12 and 1 <= min(np.diff(starts)) and max(np.diff(starts)) <= 3, starts


def test_a_folder_s_videos_are_found_whatever_the_case_of_their_suffix(shared, tmp_path):
    """Cameras and phones name their files CLIP.MP4 or clip.Mov: a folder's videos are found by their suffix in any
    case (sorted, in subfolders too); what is not a video is left out, and a folder without one is named."""
    import os

    from signlstm.keypoints.extraction import find_videos

    (tmp_path / "v" / "day2").mkdir(parents=True)
    os.symlink(shared("media", "asl_soup_slp.mp4"), tmp_path / "v" / "SOUP.MP4")
    os.symlink(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi"), tmp_path / "v" / "day2" / "ily.Avi")
    (tmp_path / "v" / "notes.TXT").write_text("not a video")
    (tmp_path / "empty").mkdir()
    videos, bad = find_videos([tmp_path / "v", tmp_path / "empty"])
    assert videos == [tmp_path / "v" / "SOUP.MP4", tmp_path / "v" / "day2" / "ily.Avi"]
    assert [b.path for b in bad] == [str(tmp_path / "empty")] and bad[0].error.startswith("folder holds no videos")


def test_a_video_below_30_frames_a_second_is_bounded_by_its_frames_at_30_a_second(shared):
    """THANK YOU (32 frames at 24.70 a second) becomes about 39 frames at 30 a second, which must fit beside its own
    32: in 718 kB that is 31 of its frames, so it is refused, naming the figures; in 760 kB it fits (33)."""
    from signlstm.keypoints.extraction import extract_video, frame_limit

    thanks = shared("media", "asl_thankyou_rohan937.mp4")
    assert frame_limit(24.70, 718_100) == 31 and frame_limit(24.70, 760_000) == 33
    assert "holds over 31 frames at 24.7" in extract_video(thanks, budget=718_100).error
    assert extract_video(thanks, budget=760_000).keypoints.shape == (32, 1662)
