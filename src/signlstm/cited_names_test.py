"""What the documents cite of the code is there: every ``module.name`` they quote resolves in today's package, every
``*_test.py`` (and ``x_test.function``) they name exists, and every link between them reaches its file and heading."""
import importlib
import pkgutil
import re
from pathlib import Path

import signlstm

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ["README.md", "src/signlstm/models/MODEL_CARD.md", "src/signlstm/models/trunk/CARD.md",
             "docs/vocabulary.md", "demo/README.md", "BENCHMARKS.md"]
# ``training.groups``, ``adapted.check``: fields of a bundle's signlstm.json, not modules; the model card names the
# path its old metadata records (``signlstm.features.BodyFeatures``, now ``signlstm.models.features``)
NOT_CODE = re.compile(r"^(training|adapted|metrics|versions)\.|^signlstm\.features\.")
FILE_LIKE = re.compile(r"\.(npz|npy|py|json|md|csv|h5|keras|png|jpg|mp4|avi|txt|pem|html|js|css|lock|toml)$")


def _modules() -> list[str]:
    return ["signlstm"] + [m.name for m in pkgutil.walk_packages(signlstm.__path__, "signlstm.")
                           if not m.name.endswith("_test") and not m.name.endswith("conftest")]


def resolves(name: str, modules: list[str]) -> bool:
    """Whether ``name`` (``layout.to_reference_aspect``, ``signlstm.keypoints.resample``, ``Recognizer.finish``
    after its module) is a module of the package or an attribute of one, its module named by its last parts."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        tail = ".".join(parts[:i])
        for module in (m for m in modules if m == tail or m.endswith("." + tail)):
            obj = importlib.import_module(module)
            try:
                for attr in parts[i:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                continue
            return True
    return False


def cited(text: str):
    """(line, name) of each ``a.b`` in a code span of ``text`` whose first part is a module of the package."""
    for m in re.finditer(r"`((?:signlstm\.)?[a-z_][\w]*(?:\.[A-Za-z_]\w*)+)(?:\(|`)", text):
        name = m.group(1)
        if not FILE_LIKE.search(name) and not NOT_CODE.search(name):
            yield text.count("\n", 0, m.start()) + 1, name


def test_every_module_name_the_documents_cite_is_in_the_code():
    modules = _modules()
    short = {m.rsplit(".", 1)[-1] for m in modules}
    missing = []
    for document in DOCUMENTS:
        for line, name in cited((ROOT / document).read_text(encoding="utf-8")):
            first = name.removeprefix("signlstm.").split(".")[0]
            if first in short and not resolves(name, modules):
                missing.append(f"{document}:{line}: {name}")
    assert not missing, "\n".join(missing)


def test_every_test_the_documents_name_exists():
    tests = {p.name: p for p in (ROOT / "src").rglob("*_test.py")}
    missing = []
    for document in DOCUMENTS:
        text = (ROOT / document).read_text(encoding="utf-8")
        for m in re.finditer(r"\b(\w+_test)(?:\.py\b|\.(\w+))", text):
            line = text.count("\n", 0, m.start()) + 1
            path = tests.get(m.group(1) + ".py")
            if path is None:
                missing.append(f"{document}:{line}: {m.group(1)}.py")
            elif m.group(2) and m.group(2) != "py" and not re.search(rf"^def {m.group(2)}\b", path.read_text(), re.M):
                missing.append(f"{document}:{line}: {m.group(1)}.{m.group(2)}")
    assert not missing, "\n".join(missing)


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_the_documents_reaches_its_file_and_heading():
    broken = []
    for document in DOCUMENTS:
        text = (ROOT / document).read_text(encoding="utf-8")
        for m in re.finditer(r"\]\(([^)\s]+)\)", text):
            link = m.group(1)
            if re.match(r"[a-z]+:", link):
                continue
            path, _, anchor = link.partition("#")
            target = (ROOT / document).parent / path if path else ROOT / document
            line = text.count("\n", 0, m.start()) + 1
            if not target.exists():
                broken.append(f"{document}:{line}: {link} (no such file)")
            elif anchor and target.suffix == ".md" and anchor not in {
                    _anchor(h) for h in re.findall(r"^#+ (.*)$", target.read_text(encoding="utf-8"), re.M)}:
                broken.append(f"{document}:{line}: {link} (no such heading)")
    assert not broken, "\n".join(broken)


def test_a_name_or_link_that_is_not_there_is_found():
    modules = _modules()
    assert resolves("layout.to_reference_aspect", modules) and resolves("signlstm.keypoints.resample", modules)
    assert resolves("recognizer.Recognizer.finish", modules) and resolves("stream_scoring.build_stream", modules)
    assert not resolves("layout.to_reference_shape", modules) and not resolves("stream_scoring.build_streams", modules)
    text = "`training.groups` and `vocabulary.VIEW_SHIFTS` and `s02.npz`"
    assert list(cited(text)) == [(1, "vocabulary.VIEW_SHIFTS")]  # a signlstm.json field and a file are not code
    assert _anchor("Continuous signing (`signlstm judge streams`)") == "continuous-signing-signlstm-judge-streams"
