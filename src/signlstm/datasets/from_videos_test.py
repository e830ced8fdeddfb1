"""Recorded videos written as data (:func:`signlstm.datasets.from_videos.write_videos`, what ``extract`` runs)."""
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
