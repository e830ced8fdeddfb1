"""signlstm bench on the shipped model, one run: the fast path gives predict's probabilities, and every stage
counts the frames of the clip it was given."""
import json

import pytest

from signlstm.cli import main
from signlstm.frames.sources import read_frames
from signlstm.judging.bench_report import part_lines
from signlstm.models.bundle import load_bundle

pytestmark = pytest.mark.slow


def test_bench_outcomes(shared, capsys):
    assert main(["bench", "--shared", str(shared()), "--frames", "60", "--videos", "2", "--skip", "training",
                 "--json"]) == 0
    got = capsys.readouterr()
    report = json.loads(got.out.strip().splitlines()[-1])
    # each part is named on stderr as it starts (the live part alone takes minutes on a loaded machine), stdout is
    # the JSON alone
    said = [line.split(" (")[0] for line in got.err.splitlines() if line.startswith("bench: measuring")]
    assert said == ["bench: measuring the classifier", "bench: measuring the landmark stage and the live loop",
                    "bench: measuring extraction"], got.err
    assert len(got.out.strip().splitlines()) == 1
    c = report["classifier"]
    assert c["max_abs_diff"] <= 1e-4  # the compiled per-window path gives model.predict's probabilities
    assert report["parameters"] == load_bundle().model.count_params()  # the shipped model, when no --model is given
    clip = len(read_frames(shared("media", "asl_iloveyou_rohan937.mp4")))
    looped = clip * -(-60 // clip)  # the clip repeated until it has at least 60 frames
    live = report["live"]
    assert live["stage"] == "pose + hands (no face mesh)"  # the shipped model reads no face
    for run in (live["one_thread"], live["landmarks"], live["loop"], live["holistic"]):
        assert run["frames"] == looped
    assert live["loop"]["words"] >= 1  # the looped I LOVE YOU clip is recognised
    ex = report["extraction"]
    assert ex["one"]["videos"] == ex["all"]["videos"] == 2
    assert ex["lone_video"]["serial"]["frames"] == ex["lone_video"]["threads"]["frames"] == looped
    # the text report says the same figures
    lines = {part: part_lines(part, report) for part in ("classifier", "live", "extraction")}
    assert f"{c['speedup_p50']:.1f}x faster" in lines["classifier"][0], lines
    assert f"live loop   {live['loop']['fps']:.1f} fps over {looped} frames" in lines["live"][2], lines
    assert lines["extraction"][1].startswith(f"            one video of {looped} frames alone: "), lines


def test_bench_memory_on_a_full_disk_is_one_line(shared, tmp_path, monkeypatch, capsys):
    """The memory benchmark's packed file needs gigabytes for the larger sizes: a disk without room for it is one
    line naming the file, exit 2, before anything is measured (the disk's free space is the one thing faked)."""
    import shutil
    import tempfile
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(2**30, 2**30 - 2**20, 2**20))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["bench", "--shared", str(shared()), "--skip", "classifier", "live", "extraction", "training",
                 "--memory", "2000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"signlstm bench: error: {tmp_path}/"), err
    assert "bench2000.npz: cannot be written: it needs about 200.5 MB and the disk holds 1.0 MB free" in err[0], err


def test_bench_soak_runs_the_frames_asked_for_and_skip_leaves_out_each_part_named(shared, capsys):
    """``bench --skip`` every part, with ``--soak 30``: the report holds the soak alone, its live run of the 30 frames
    asked for (after its warm-up) with the memory before and after it, and none of the parts skipped."""
    assert main(["bench", "--shared", str(shared()), "--frames", "40", "--videos", "1", "--soak", "30", "--skip",
                 "classifier", "live", "extraction", "training", "--json"]) == 0
    got = capsys.readouterr()
    report = json.loads(got.out.strip().splitlines()[-1])
    assert sorted(report) == ["machine", "model", "parameters", "soak"], sorted(report)
    said = [line for line in got.err.splitlines() if line.startswith("bench: ")]
    assert said == ["bench: measuring memory over a long live run (--soak)..."], got.err  # no part skipped is named
    soak = report["soak"]
    assert soak["frames"] == 30 and soak["rss_before_mb"] > 0 and soak["rss_after_mb"] > 0, soak
    assert soak["growth_mb"] == soak["rss_after_mb"] - soak["rss_before_mb"], soak


def test_bench_memory_packs_the_signers_recordings_in_turn_and_the_live_figures_are_the_mean_of_the_runs(shared,
                                                                                                         tmp_path):
    """``bench --memory``'s packed file of N sequences holds the folder's real recordings in turn, repeated until
    there are N (here two signers' recordings and 20 more), their labels with them, in float16; and the live
    figures of two interleaved runs are their mean, with each run's figure kept."""
    import numpy as np

    from signlstm.datasets import load
    from signlstm.judging.bench import mean_runs, synthetic_packed

    folder = tmp_path / "signers"
    folder.mkdir()
    for s in ("s02", "s05"):
        (folder / f"{s}.npz").symlink_to(shared("data", "signers", f"{s}.npz"))
    real = load([folder])
    n = len(real) + 20
    packed = synthetic_packed(folder, n, tmp_path / "packed.npz")
    with np.load(packed) as z:
        X, y = z["X"], z["y"]
    assert X.shape == (n, *real.X.shape[1:]) and X.dtype == np.float16
    order = np.arange(n) % len(real)
    assert np.array_equal(X, real.X.astype(np.float16)[order])
    assert [real.actions[i] for i in y] == list(real.labels[order])
    assert mean_runs([{"fps": 10.0, "frames": 60}, {"fps": 20.0, "frames": 60}]) == {"fps": 15.0, "frames": 60,
                                                                                     "runs": [10.0, 20.0]}


def test_bench_text_puts_each_commands_memory_and_each_extractions_workers_in_their_own_columns():
    """The text of ``bench``'s memory table and extraction line (``part_lines``) on figures as ``memory_table`` and
    ``run`` store them: the columns are predict, evaluate, then one training epoch, each with its own peak RSS and
    seconds, the file in GB; the extraction line names the worker count of the all-cores run."""
    row = {"sequences": 2000, "file_mb": 199.6, "predict": {"peak_rss_mb": 410.0, "seconds": 5.5},
           "evaluate": {"peak_rss_mb": 620.0, "seconds": 7.3}, "train_epoch": {"peak_rss_mb": 1500.0, "seconds": 61.0}}
    lines = part_lines("memory", {"memory": [row]})
    assert lines[1].split() == ["sequences", "file", "|", "predict", "|", "evaluate", "|", "train", "1", "epoch"]
    assert lines[2].split() == ["2,000", "0.2", "GB", "|", "410", "MB", "5.5", "s", "|", "620", "MB", "7.3", "s", "|",
                                "1500", "MB", "61.0", "s"], lines
    one = {"videos": 12, "workers": 1, "videos_per_s": 0.5, "cores_busy": 1.0}
    allc = {"videos": 12, "workers": 4, "videos_per_s": 1.5, "cores_busy": 3.5}
    lone = {"serial": {"frames": 300, "fps": 20.0}, "threads": {"frames": 300, "fps": 30.0}, "ratio": 1.5}
    lines = part_lines("extraction", {"extraction": {"one": one, "all": allc, "ratio": 3.0, "lone_video": lone}})
    assert lines[0] == ("extraction  0.50 videos/s with 1 worker (1.00 cores busy) | 1.50 with 4 (3.50 cores busy) | "
                        "ratio 3.00"), lines


def test_the_library_refuses_a_part_it_has_not_and_counts_below_one(shared, tmp_path):
    """bench.run given a misspelt part to skip, no video or no frame: one line each, as ``bench`` says it, before
    anything is measured (nothing measured for a misspelt part, no division by zero videos)."""
    import pytest

    from signlstm.errors import SignlstmError
    from signlstm.judging import bench
    from signlstm.models.bundle import load_bundle

    for options, said in (({"skip": ("classifer",)}, "--skip: no part 'classifer'"),
                          ({"videos": 0}, "--videos must be at least 1, got 0"),
                          ({"frames": 0}, "--frames must be at least 1, got 0"),
                          ({"soak_frames": -1}, "--soak must be 0 or more, got -1"),
                          ({"memory": [100, 0]}, "--memory must be at least 1, got 0"),
                          ({"skip": "lve"}, "--skip: no part 'lve'")):  # (one part named alone)
        with pytest.raises(SignlstmError, match=said):
            bench.run(load_bundle(), shared("."), live=None, tmp=tmp_path, **options)
    assert list(tmp_path.iterdir()) == []
