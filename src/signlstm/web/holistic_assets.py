"""The page's MediaPipe: finding the folder of the npm package ``@mediapipe/holistic`` to serve (:func:`holistic_dir`),
what it must hold (:data:`HOLISTIC_FILES`, :func:`holistic_missing`) and its version, and its packed models with the
``mediapipe`` wheel's in their place (:func:`packed_assets`)."""
from __future__ import annotations

import json
from pathlib import Path

HOLISTIC = Path(__file__).resolve().parents[3] / "node_modules" / "@mediapipe" / "holistic"  # `npm ci` in the checkout


# the files of @mediapipe/holistic a page loads (the graph, its models, and the WebAssembly runtime with and
# without SIMD, whichever the browser runs), and the only ones of its folder served: holistic.js asks for these
# (locateFile) at the page's model complexity 1
HOLISTIC_FILES = ("holistic.js", "holistic.binarypb", "holistic_solution_packed_assets_loader.js",
                  "holistic_solution_packed_assets.data", "holistic_solution_simd_wasm_bin.js",
                  "holistic_solution_simd_wasm_bin.wasm", "holistic_solution_wasm_bin.js",
                  "holistic_solution_wasm_bin.wasm", "pose_landmark_full.tflite")  # (model complexity 1's pose)


def holistic_dir(path=None) -> Path | None:
    """The folder of ``@mediapipe/holistic`` to serve (``path``, else the node_modules of the checkout signlstm runs
    from, else of the current folder: an install that is not editable lives outside the checkout), or None. A folder
    counts when it holds ``holistic.js``; :func:`holistic_missing` says what else it lacks."""
    for folder in [Path(path)] if path else [HOLISTIC, Path("node_modules", "@mediapipe", "holistic")]:
        if (folder / "holistic.js").is_file():
            return folder
    return None


def holistic_missing(folder: Path) -> list[str]:
    """The files of :data:`HOLISTIC_FILES` that ``folder`` does not hold (a copy cut short): without them the page
    cannot run MediaPipe Holistic."""
    return [name for name in HOLISTIC_FILES if not (folder / name).is_file()]


def holistic_version(folder: Path) -> str:
    """The version the ``package.json`` of an ``@mediapipe/holistic`` folder states, or "of unknown version"."""
    try:
        return str(json.loads((folder / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return "of unknown version"


PACKED = "holistic_solution_packed_assets"  # the package's models, packed in one file, listed in its loader script


def wheel_models() -> Path | None:
    """The ``mediapipe`` wheel's folder (found without importing it), or None."""
    import importlib.util

    spec = importlib.util.find_spec("mediapipe")
    return Path(spec.origin).parent if spec and spec.origin else None


def packed_assets(folder: Path, wheel: Path | None) -> tuple[bytes, bytes, list[str]]:
    """The package's packed models with every file the ``mediapipe`` wheel also has (same path under ``modules/``)
    taken from the wheel instead, so the page runs the same model bytes as Python: (loader script, data, the files
    replaced). Built from the installed packages when the server starts; nothing is fetched."""
    loader = (folder / f"{PACKED}_loader.js").read_text()
    data = (folder / f"{PACKED}.data").read_bytes()
    at = loader.rindex("loadPackage(") + len("loadPackage(")
    meta, end = json.JSONDecoder().raw_decode(loader, at)
    out, replaced, files = [], [], []
    for f in meta["files"]:
        blob = data[f["start"]:f["end"]]
        own = wheel / f["filename"].split("/mediapipe/", 1)[1] if wheel else None
        if own is not None and own.is_file() and own.read_bytes() != blob:
            blob = own.read_bytes()
            replaced.append(f["filename"].rsplit("/", 1)[1])
        start = sum(len(b) for b in out)
        out.append(blob)
        files.append({**f, "start": start, "end": start + len(blob)})
    body = b"".join(out)
    meta = {**meta, "files": files, "remote_package_size": len(body)}
    return (loader[:at] + json.dumps(meta) + loader[end:]).encode(), body, replaced
