"""Finding and packing the page's MediaPipe (@mediapipe/holistic, and the mediapipe wheel's models)."""
from __future__ import annotations

import json

from signlstm.conftest import unavailable
from signlstm.web import holistic_assets as assets


def test_the_packed_models_of_the_page_can_be_the_wheels(tmp_path):
    """With ``page_models="wheel"`` the page gets the package's packed models with each file the mediapipe wheel also
    has replaced by the wheel's bytes, the loader's list rewritten to match; the rest is the package's, unchanged."""
    folder, wheel = assets.holistic_dir(), assets.wheel_models()
    if folder is None or wheel is None:
        unavailable("node_modules/@mediapipe/holistic (npm ci) or the mediapipe wheel is missing")
    loader, data, replaced = assets.packed_assets(folder, wheel)
    assert {"hand_landmark_full.tflite", "pose_detection.tflite"} <= set(replaced)
    meta = json.JSONDecoder().raw_decode(loader.decode(), loader.decode().rindex("loadPackage(") + 12)[0]
    assert meta["remote_package_size"] == len(data) and meta["files"][-1]["end"] == len(data)
    for f in meta["files"]:
        own = wheel / f["filename"].split("/mediapipe/", 1)[1]
        blob = data[f["start"]:f["end"]]
        assert blob == own.read_bytes() if own.is_file() else blob and own.name not in replaced
    original = (folder / f"{assets.PACKED}_loader.js").read_text()
    at = original.rindex("loadPackage(")
    assert loader.decode()[:at] == original[:at] and loader.decode().endswith(");\n\n  })();\n")
