"""What a camera's shape costs a model when keypoints are stored as MediaPipe gives them, and what it costs as stored.

    .venv/bin/python tools/camera_shapes.py --data ../shared/data/signers --shapes 1280x720 480x640 720x1280

The signers' recordings were made with the tutorial's code, mostly with a 640x480 webcam (a face-mesh width/height
check suggests s04 and s15 used a 16:9 one). For each ``WxH`` camera of the same height and centre, the numbers
MediaPipe would give for the same people are :func:`signlstm.layout.from_reference_aspect`
of the recordings (x and z scaled about the centre; a part outside the narrower image is kept). Each is scored by
``signlstm evaluate`` (the shipped model unless ``--model``) twice: as found (what a keypoint file held before
signlstm stored every camera's keypoints as a 4:3 image's) and as stored (:func:`~signlstm.layout.to_reference_aspect`
of them, which ``landmarks.Holistic`` now applies: a round-trip check, equal to the first row by construction; the
evidence that the conversion is right on real frames is ``landmarks_test.py``'s crop). Prints one row per shape:
accuracy and the three signers it moves most. The copies live in a temporary folder, removed at the end.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np


def copies(data: Path, out: Path, convert) -> None:
    """Every ``data/*.npz`` person file with its frames passed through ``convert``, and ``cells.json`` beside."""
    out.mkdir(parents=True)
    for f in sorted(data.glob("*.npz")):
        with np.load(f) as z:
            d = dict(z)
        d["X"] = convert(d["X"].astype(np.float64)).astype(d["X"].dtype)
        np.savez(out / f.name, **d)
    if (data / "cells.json").exists():
        (out / "cells.json").write_bytes((data / "cells.json").read_bytes())


def evaluate(data: Path, model: str | None) -> dict:
    from signlstm.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        status = main(["evaluate", "--data", str(data), "--json", *(["--model", model] if model else [])])
    if status:
        sys.exit(f"signlstm evaluate --data {data} exited {status}")
    return json.loads(buf.getvalue())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="folder of person .npz files recorded at 640x480")
    p.add_argument("--shapes", nargs="+", default=["1280x720", "480x640", "720x1280"], metavar="WxH")
    p.add_argument("--model", help="bundle to score with (default: the shipped model)")
    args = p.parse_args()
    from signlstm import layout

    base = evaluate(args.data, args.model)
    print(f"{'camera':>10}  {'as found':>8}  {'as stored':>9}  signers moved most (as found)")
    print(f"{'640x480':>10}  {base['accuracy']:8.3f}  {base['accuracy']:9.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            w, h = map(int, shape.split("x"))
            found = Path(tmp) / f"{shape}-found"
            copies(args.data, found, lambda X: layout.from_reference_aspect(X, w, h))
            stored = Path(tmp) / f"{shape}-stored"
            copies(found, stored, lambda X: layout.to_reference_aspect(X, w, h))
            a, b = evaluate(found, args.model), evaluate(stored, args.model)
            moved = sorted(a["per_signer"], key=lambda s: a["per_signer"][s]["accuracy"] - base["per_signer"][s]["accuracy"])
            worst = ", ".join(f"{s} {base['per_signer'][s]['accuracy']:.3f}->{a['per_signer'][s]['accuracy']:.3f}"
                              for s in moved[:3])
            print(f"{shape:>10}  {a['accuracy']:8.3f}  {b['accuracy']:9.3f}  {worst}", flush=True)


if __name__ == "__main__":
    main()
