"""The shape of the code: the stages of the pipeline import only the stages before them, no import cycles among our
modules, argparse only in cli/, video opened only by sources, ``import signlstm`` light (no Keras, JAX or
MediaPipe until a command needs them), and the stages before the models free of Keras."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        if not (path.name.endswith("_test.py") or path.name == "conftest.py"):
            yield name, path


def _imports(name: str, path: Path) -> set[str]:
    """Our modules that ``name`` imports anywhere in its body (function-level imports too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("signlstm"):
                out.add(mod)
                out.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("signlstm"))
    return out


def test_no_import_cycles():
    modules = dict(_modules())
    graph = {m: {i for i in _imports(m, p) if i in modules and i != m} for m, p in modules.items()}
    graph = {m: {i for i in deps if i != "signlstm"} for m, deps in graph.items()}  # the package root selects the backend
    state: dict = {}
    cycles = []

    def visit(m, stack):
        state[m] = "open"
        for d in sorted(graph[m]):
            if state.get(d) == "open":
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


# The pipeline's stages in order (the README's "Layout of the code"); the modules directly in the package (layout,
# errors, files, limits, ...) are read by every stage and import no stage. The judges sit beside the fronts: they
# share a stage, and neither imports the other.
STAGES = ("frames", "keypoints", "datasets", "models", "recognizer", "fronts|judging", "cli|web")
BESIDE = {"fronts", "judging"}


def _stage(module: str) -> int | None:
    """The stage of one of our modules (its place in :data:`STAGES`), -1 for the shared modules directly in the
    package, None for the package itself and its entry point."""
    name = module.split(".")[1] if "." in module else None
    if name in (None, "__main__"):
        return None
    return next((i for i, s in enumerate(STAGES) if name in s.split("|")), -1)


def test_each_stage_imports_only_the_stages_before_it():
    modules = dict(_modules())
    wrong = []
    for m, p in modules.items():
        here = _stage(m)
        for d in _imports(m, p):
            there = _stage(d) if d in modules else None
            if here is None or there is None or here == there == -1:
                continue
            rooms = {m.split(".")[1], d.split(".")[1]}
            if there > here or (len(rooms) == 2 and rooms <= BESIDE):
                wrong.append(f"{m} -> {d}")
    assert not wrong, "imports against the pipeline's order: " + "; ".join(sorted(wrong))


def test_argparse_only_in_cli_and_video_only_in_sources():
    for name, path in _modules():
        text = path.read_text()
        if not name.startswith("signlstm.cli"):
            assert "argparse" not in text, f"{path}: argparse belongs in cli/"
        if name != "signlstm.frames.sources":
            assert "VideoCapture(" not in text, f"{path}: open video through signlstm.frames.sources"


def test_import_signlstm_is_light():
    code = ("import sys, time; t = time.perf_counter(); import signlstm, signlstm.cli; "
            "print(time.perf_counter() - t); print(sorted(m for m in ('keras', 'jax', 'mediapipe', 'cv2', 'ray', "
            "'starlette') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[1] == "[]", f"import signlstm pulled in {out[1]}"


def test_the_stages_before_the_models_import_no_keras():
    """frames, keypoints and datasets know nothing of Keras: each of their modules imports without it (Keras comes
    with :mod:`signlstm.models`, through :func:`signlstm.import_keras`), so the judges that read data and build
    streams pay for Keras only when they load a model."""
    names = [m for m, _ in _modules() if m.split(".")[1:2] in (["frames"], ["keypoints"], ["datasets"])]
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    importlib.import_module(name)\n"
            "    if 'keras' in sys.modules:\n"
            "        print(name)\n"
            "        break\n")
    out = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, check=True).stdout
    assert len(names) > 10 and out == "", f"{out.strip()} imports Keras"
