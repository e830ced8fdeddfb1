"""The page's ``toReferenceAspect`` (static/app.js) is :func:`signlstm.layout.to_reference_aspect`, to float32.

The JavaScript function itself is cut out of app.js and run under Node on real keypoint frames of a DEV signer (both
hands, one hand, none, no face) for cameras of several shapes, with the layout the server announces in ``hello``
(:func:`signlstm.web.protocol.describe`); its output must be the Python function's within float32 rounding, and exactly
zero where a part was not found. (agreement_test compares the page and the server within 5 % of the image, which a
small slip here, such as scaling y too, would pass.) Needs ``node`` on PATH: under CI=1 its absence is a failure,
elsewhere a skip, as with the browser tests.
"""
from __future__ import annotations

import json
from pathlib import Path
import shutil
import subprocess

import numpy as np
import pytest

from signlstm import layout
from signlstm.conftest import unavailable
from signlstm.web import protocol

APP_JS = Path(__file__).with_name("static") / "app.js"
SHAPES = [(1280, 720), (480, 640), (720, 1280), (640, 480), (1920, 1080), (270, 480)]  # width, height


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("node is missing (apt-get install nodejs): the page's JavaScript cannot be run")
    return node


def js_function(source: str, name: str) -> str:
    """The text of ``function name(...) {...}`` in ``source``: from its declaration to the brace that closes its body,
    skipping braces in comments, strings and template literals (not in regular-expression literals: app.js's function
    has none, and a brace that is not counted here fails the comparison, not silently)."""
    start = source.find(f"function {name}(")
    assert start >= 0, f"app.js has no function {name}"
    assert source.find(f"function {name}(", start + 1) < 0, f"app.js declares {name} twice"
    depth, i, n = 0, source.index("{", start), len(source)
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i)
            if i < 0:
                break
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 1
        elif c in "\"'`":
            i += 1
            while source[i] != c:
                i += 2 if source[i] == "\\" else 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return source[start:i + 1]
        i += 1
    raise AssertionError(f"the body of {name} in app.js is not closed")


def hello_layout() -> dict:
    """``S.layout`` as the page holds it after ``hello``: the server's ``protocol.describe()`` with each part's start
    (which the page adds by summing the parts' sizes in order)."""
    L = json.loads(json.dumps(protocol.describe()))  # what goes over the WebSocket
    start = 0
    for p, part in zip(L["parts"], layout.PARTS, strict=True):
        p["start"] = start
        assert (p["name"], start) == (part.name, part.start)
        start += p["points"] * p["values"]
    L["size"] = start
    assert start == layout.FRAME_SIZE
    return L


RUNNER = """
"use strict";
const fs = require("fs");
const [frameFile, outFile, layoutJson, shapesJson] = process.argv.slice(2);
const S = {layout: JSON.parse(layoutJson)};
%(function)s
const buf = fs.readFileSync(frameFile);
const frames = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
const size = S.layout.size, n = frames.length / size;
const out = [];
for (const [w, h] of JSON.parse(shapesJson)) {
  for (let k = 0; k < n; k++) {
    const frame = frames.slice(k * size, (k + 1) * size);
    const got = toReferenceAspect(frame, w, h);
    if (!(got instanceof Float32Array) || got.length !== size) throw new Error("not a Float32Array(" + size + ")");
    if (frame.some((x, i) => x !== frames[k * size + i])) throw new Error("the input frame was changed");
    out.push(Buffer.from(got.buffer, got.byteOffset, got.byteLength));
  }
}
fs.writeFileSync(outFile, Buffer.concat(out));
"""


def run_js(source: str, frames: np.ndarray, shapes, tmp_path: Path) -> np.ndarray:
    """``toReferenceAspect`` of app.js ``source`` on every frame for every (width, height): (shapes, frames, 1662)."""
    node = _node()
    script, inp, out = tmp_path / "twin.js", tmp_path / "frames.f32", tmp_path / "out.f32"
    script.write_text(RUNNER % {"function": js_function(source, "toReferenceAspect")})
    inp.write_bytes(np.ascontiguousarray(frames, "<f4").tobytes())
    r = subprocess.run([node, str(script), str(inp), str(out), json.dumps(hello_layout()),
                        json.dumps([list(s) for s in shapes])], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return np.frombuffer(out.read_bytes(), "<f4").reshape(len(shapes), len(frames), layout.FRAME_SIZE)


@pytest.fixture
def frames(shared) -> np.ndarray:
    """Real frames of s02 (float16 as stored, read as float32), four of each kind: both hands, left only, right only,
    no hand, no face."""
    with np.load(shared("data", "signers", "s02.npz")) as f:
        X = np.asarray(f["X"], np.float32).reshape(-1, layout.FRAME_SIZE)
    d = layout.detected(X)
    left, right = d["left_hand"], d["right_hand"]
    kinds = {"both hands": left & right, "left hand only": left & ~right, "right hand only": right & ~left,
             "no hand": ~left & ~right, "no face": ~d["face"]}
    picked = []
    for kind, where in kinds.items():
        idx = np.flatnonzero(where)
        assert len(idx) >= 3, f"s02 has {len(idx)} frames with {kind}"
        picked += list(idx[np.linspace(0, len(idx) - 1, 4).astype(int)])
    return X[picked]


def test_the_page_stores_keypoints_as_signlstm_does_for_every_camera_shape(frames, tmp_path):
    got = run_js(APP_JS.read_text(), frames, SHAPES, tmp_path)
    for (w, h), js in zip(SHAPES, got):
        py = layout.to_reference_aspect(frames, w, h)
        assert py.dtype == np.float32
        np.testing.assert_allclose(js, py, rtol=0, atol=1e-6, err_msg=f"{w}x{h}")
        assert np.array_equal(js == 0, py == 0), f"{w}x{h}: zeros differ"
        if (w, h) == (640, 480):
            assert np.array_equal(js, frames)
        else:  # the shape matters: x (and z) moved, y did not, and every kind of frame was there
            for p in layout.PARTS:
                found = layout.detected(frames)[p.name]
                assert found.any()
                xyz = layout.part(js, p)
                assert np.array_equal(xyz[..., 1], layout.part(frames, p)[..., 1])
                assert not np.allclose(xyz[found][..., 0], layout.part(frames, p)[found][..., 0])
                assert not xyz[~found].any()


SLIPS = [
    ("y scaled too", "v[i + 2] *= r;", "v[i + 1] = 0.5 + (v[i + 1] - 0.5) * r; v[i + 2] *= r;"),
    ("zero parts moved", "if (!v.some((x) => x !== 0)) continue;", ""),
    ("wrong centre", "v[i] = 0.5 + (v[i] - 0.5) * r;", "v[i] = v[i] * r;"),
    ("z not scaled", "v[i + 2] *= r;", ""),
    ("inverse ratio", "const r = (w / h) / S.layout.aspect;", "const r = S.layout.aspect / (w / h);"),
]


@pytest.mark.parametrize("bug, old, new", SLIPS, ids=[s[0] for s in SLIPS])
def test_a_slip_in_the_page_function_is_caught(frames, tmp_path, bug, old, new):
    """The comparison above fails for each of these edits of app.js (the edit must still find its text)."""
    source = APP_JS.read_text()
    body = js_function(source, "toReferenceAspect")
    assert body.count(old) == 1, f"app.js's toReferenceAspect no longer reads {old!r}: update this test"
    got = run_js(source.replace(body, body.replace(old, new)), frames, SHAPES[:3], tmp_path)
    differs = [not np.allclose(js, layout.to_reference_aspect(frames, w, h), rtol=0, atol=1e-6)
               for (w, h), js in zip(SHAPES[:3], got)]
    assert any(differs), bug
