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
