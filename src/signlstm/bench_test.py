"""signlstm bench on the shipped model: the fast path's outputs match model.predict, and the figures are ratios."""
import json

from signlstm.cli import main


def test_bench_classifier_reports_same_outputs_and_a_ratio(shared, capsys):
    assert main(["bench", "--shared", str(shared()), "--skip", "live", "extraction", "training", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    c = report["classifier"]
    assert c["max_abs_diff"] <= 1e-4
    assert c["fast"]["p50_ms"] > 0 and c["speedup_p50"] == c["predict"]["p50_ms"] / c["fast"]["p50_ms"]
    assert report["parameters"] > 0 and report["machine"]


def test_bench_live_measures_the_stage_in_one_and_two_threads_on_the_same_frames(shared, capsys):
    assert main(["bench", "--shared", str(shared()), "--frames", "60", "--skip", "classifier", "extraction",
                 "training", "--json"]) == 0
    live = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["live"]
    assert live["stage"] == "pose + hands (no face mesh)"  # the shipped model reads no face
    one, two, loop = live["one_thread"], live["landmarks"], live["loop"]
    assert one["threads"] == 1 and two["threads"] == 2 and live["holistic"]["threads"] == 1
    assert one["frames"] == two["frames"] == loop["frames"] >= 60
    assert live["ratio"] == loop["fps"] / two["fps"] and live["threads_vs_one"] == two["fps"] / one["fps"]
    assert loop["words"] >= 1  # the looped I LOVE YOU clip is recognised


def test_bench_extraction_compares_workers_and_a_lone_video_in_one_and_two_threads(shared, capsys):
    assert main(["bench", "--shared", str(shared()), "--frames", "60", "--videos", "2", "--skip", "classifier", "live",
                 "training", "--json"]) == 0
    ex = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["extraction"]
    assert ex["one"]["videos"] == ex["all"]["videos"] == 2
    assert ex["ratio"] == ex["all"]["videos_per_s"] / ex["one"]["videos_per_s"]
    lone = ex["lone_video"]
    assert lone["serial"]["frames"] == lone["threads"]["frames"] >= 60
    assert lone["ratio"] == lone["threads"]["fps"] / lone["serial"]["fps"]
