"""The fixes file: what a spreadsheet saves is read or named in one line, new labels are names a sign may have, and
fixes that leave nothing to train on are refused before training."""
import shutil
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings, strategies as st

from signlstm.errors import BadInput
from signlstm.datasets.fixes import FIELDS, apply_fixes, key, read_fixes
from signlstm.sign_names import name_problem

HEADER = ",".join(FIELDS) + "\n"


@pytest.fixture
def tree(tmp_path, shared):
    """hello, thanks and iloveyou, two real recordings each (MP_Data_renotte's 30 and 31)."""
    root = tmp_path / "tiny"
    for action in ("hello", "thanks", "iloveyou"):
        for n in ("30", "31"):
            shutil.copytree(shared("data", "MP_Data_renotte", action, n), root / action / n)
    return root


def test_a_spreadsheets_files_are_read_or_named_in_one_line(tmp_path, shared):
    bom = tmp_path / "bom.csv"  # Excel's "CSV UTF-8": a byte-order mark before the header
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + "/x/tiny/hello/30,hello,relabel,caf\u00e9,\n").encode())
    assert read_fixes(bom)[0]["new_label"] == "caf\u00e9"
    cp1252 = tmp_path / "cp1252.csv"  # Excel's plain "CSV" on Windows
    cp1252.write_bytes((HEADER + "/x/tiny/hello/30,caf\u00e9,drop,,\n").encode("cp1252"))
    with pytest.raises(BadInput, match=r"cp1252.csv: line 2: not UTF-8 text.*CSV UTF-8"):
        read_fixes(cp1252)
    binary = tmp_path / "frame.csv"  # not text at all: a keypoint frame
    shutil.copy(shared("data", "MP_Data_renotte", "hello", "30", "0.npy"), binary)
    with pytest.raises(BadInput, match=r"frame.csv: line 1: not UTF-8 text"):
        read_fixes(binary)
    big = tmp_path / "big.csv"
    big.write_text(HEADER + "/x/tiny/hello/30,hello,drop,," + "x" * 200_000 + "\n")
    with pytest.raises(BadInput, match=r"big.csv: line 2: not CSV \(field larger than field limit"):
        read_fixes(big)


@pytest.mark.parametrize("label, problem", [("None", "rejection label"), ("NONE", "rejection label"),
                                            ("a/b", "cannot be a folder name"), ("..", "cannot be a folder name"),
                                            ("he\x1bllo", "control"), ("   ", "cannot be a folder name")])
def test_a_new_label_must_be_a_sign_name(tmp_path, label, problem):
    f = tmp_path / "fixes.csv"
    f.write_text(HEADER + "/x/tiny/hello/30,hello,drop,,\n" + f"/x/tiny/hello/31,hello,relabel,{label},\n")
    with pytest.raises(BadInput, match=f"fixes.csv: line 3: the new label .* {problem}"):
        read_fixes(f)


def test_new_labels_are_taken_in_composed_form(tmp_path):
    f = tmp_path / "fixes.csv"
    f.write_text(HEADER + "/x/tiny/hello/30,hello,relabel,cafe\u0301,\n")
    assert read_fixes(f)[0]["new_label"] == "caf\u00e9"


def test_fixes_that_drop_every_sequence_are_refused_and_an_emptied_action_is_left_out(tmp_path, tree):
    from signlstm.datasets import load
    from signlstm.datasets.fixes import without_emptied

    data = load([tree])
    f = tmp_path / "all.csv"
    f.write_text(HEADER + "".join(f"/x/tiny/{a}/{n},{a},drop,,\n" for a in data.actions for n in (30, 31)))
    with pytest.raises(BadInput, match="all.csv: drops every one of the data's 6 sequence"):
        apply_fixes(data, f)
    f.write_text(HEADER + "/x/tiny/thanks/30,thanks,drop,,\n/x/tiny/thanks/31,thanks,relabel,hello,\n")
    fixed, gone = without_emptied(apply_fixes(data, f))
    assert gone == ["thanks"] and "thanks" not in fixed.actions and len(fixed) == 5
    assert sorted(fixed.actions) == ["hello", "iloveyou"] and fixed.y.max() == 1
    # every trainer's set (judge cv, the fold bases, train) is built by training_set, which leaves it out too
    from signlstm.datasets.training_sets import training_set

    assert training_set(data, fixes=f, negatives=[]).actions == ["hello", "iloveyou", "none"]


def test_fixes_that_name_none_of_the_datas_recordings_are_said_in_a_note_and_not_refused(tmp_path, tree, shared):
    """The shipped fixes name no recording of s11 (an audit of every person found none to fix there): training on
    s11 with them is trained as s11 is, not refused. Fixes naming none of the data's recordings (the packed
    ``renotte.npz#30`` for the same recordings as a tree, ``tiny/hello/30``) are named in one note of ``train``'s;
    fixes naming one of the recordings are applied, without the note."""
    import signlstm
    from signlstm.datasets import load
    from signlstm.datasets.fixes import matched_none
    from signlstm.datasets.training_sets import training_set
    from signlstm.models.training import train_bundle

    shipped = Path(signlstm.__file__).parent / "models" / "default-fixes.csv"
    s11 = load([shared("data", "signers", "s11.npz")])
    assert len(training_set(s11, fixes=shipped)) == len(s11)
    assert len(training_set(s11, fixes=shipped, held_out=["s11"])) == 0
    assert matched_none(s11, shipped).startswith(f"none of the 418 fix(es) of the fixes in {shipped} names a "
                                                 "recording of the data (the first names renotte.npz#30 (hello))")
    data = load([tree])
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "../shared/data/signers/renotte.npz#30,hello,drop,,\n/x/MP_Data/hello/30,hello,drop,,\n")
    _, _, notes = train_bundle(data, fixes=other, epochs=1)
    assert notes == [f"none of the 2 fix(es) of the fixes in {other} names a recording of the data (the first names "
                     "renotte.npz#30 (hello)), so nothing was fixed: made for other data? A packed recording is named "
                     "by its file and number, a tree's by its folder, sign and number"]
    assert matched_none(data, read_fixes(other)[:1]).startswith("none of the 1 fix(es) of the fixes names")
    one = tmp_path / "one.csv"
    one.write_text(HEADER + "/x/tiny/hello/30,hello,drop,,\n/x/MP_Data/hello/30,hello,drop,,\n")
    assert matched_none(data, one) is None
    assert len(training_set(data, fixes=one)) == len(data) - 1
    header_only = tmp_path / "none.csv"
    header_only.write_text(HEADER)
    assert matched_none(data, header_only) is None
    assert len(training_set(data, fixes=header_only)) == len(data)


def test_an_empty_file_or_two_fixes_for_one_recording_are_named_and_a_header_alone_is_no_fixes(tmp_path):
    f = tmp_path / "fixes.csv"
    f.write_text("")
    with pytest.raises(BadInput, match=r"fixes.csv: not a fixes file .*it is empty: a fixes file without fixes still"):
        read_fixes(f)
    f.write_text(HEADER)
    assert read_fixes(f) == []
    f.write_text(HEADER + "/x/tiny/hello/30,hello,relabel,thanks,\n/x/tiny/hello/31,hello,drop,,\n"
                 "/y/tiny/hello/30,hello,drop,,\n")  # the same recording wherever its data folder lives
    with pytest.raises(BadInput, match=r"fixes.csv: line 4: a second fix for /y/tiny/hello/30 \(hello\), after line 2"):
        read_fixes(f)
    f.write_text(HEADER + "/x/s02.npz#30,hello,drop,,\n/x/s02.npz#30,thanks,drop,,\n")  # a packed file's two
    assert len(read_fixes(f)) == 2


def test_a_fixes_file_that_is_a_folder_or_a_pipe_is_named_as_such(tmp_path):
    """Were "no such fixes file" for a path that is there; a pipe is refused before it is opened."""
    import os

    os.mkfifo(tmp_path / "pipe.csv")
    for path, what in ((tmp_path, "a folder, not a file"), (tmp_path / "pipe.csv", "not a regular file")):
        with pytest.raises(BadInput, match=what):
            read_fixes(path)


def test_the_shipped_fixes_apply_to_the_packed_recordings_they_name(shared):
    """A packed recording is named by its own number (the file's ``seq``), not by its row: s02's first thanks (row 30)
    is ``s02.npz#0`` and renotte's first hello is ``renotte.npz#30``; so the shipped model's fixes file, applied to
    ../shared/data/signers, drops and relabels exactly the recordings its rows name (2007 to 1688)."""
    from pathlib import Path

    import signlstm
    from signlstm.datasets import load, load_npz

    s02 = load_npz(shared("data", "signers", "s02.npz"))
    assert s02.labels[30] == "thanks" and s02.sources[30].endswith("s02.npz#0")
    assert s02.sources[-1].endswith("s02.npz#29")
    assert load_npz(shared("data", "signers", "renotte.npz")).sources[0].endswith("renotte.npz#30")
    data = load([shared("data", "signers")])
    fixed = apply_fixes(data, read_fixes(Path(signlstm.__file__).parent / "models" / "default-fixes.csv"))
    assert len(data) == 2007 and len(fixed) == 1688
    assert {a: int((fixed.labels == a).sum()) for a in fixed.actions} == {"hello": 595, "thanks": 565,
                                                                           "iloveyou": 528}


_NAME = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8).filter(lambda n: name_problem(n) is None)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(where=st.lists(_NAME, max_size=3), elsewhere=st.lists(_NAME, max_size=3), rooted=st.booleans(),
       trees=st.lists(_NAME | st.sampled_from(["MP_Data", "s16", "a#1"]), min_size=2, max_size=2, unique=True),
       action=_NAME, seqs=st.lists(st.integers(0, 10_000), min_size=2, max_size=2, unique=True))
def test_a_recordings_key_is_the_same_wherever_its_data_folder_lives_and_names_it_alone(where, elsewhere, rooted, trees,
                                                                                       action, seqs):
    """Property, any folder and sign names ('#' too): a tree's recording (``<where>/<tree>/<action>/<seq>``, absolute or
    relative) and a packed file's (``<where>/<person>.npz#<seq>``) have the same key under any other ``where``;
    another recording of the same tree or file, or the same recording of another tree or person, has another key."""
    here, there = PurePosixPath("/" if rooted else "", *where), PurePosixPath("/", *elsewhere)
    (tree, tree2), (seq, seq2) = trees, seqs
    recorded = key(str(here / tree / action / str(seq)))
    assert recorded == key(str(there / tree / action / str(seq)))
    assert recorded not in (key(str(here / tree / action / str(seq2))), key(str(here / tree2 / action / str(seq))))
    packed = key(f"{here / tree}.npz#{seq}")
    assert packed == key(f"{there / tree}.npz#{seq}")
    assert packed not in (key(f"{here / tree}.npz#{seq2}"), key(f"{here / tree2}.npz#{seq}"))


def test_a_trees_recording_is_keyed_by_its_tree_sign_and_number_whatever_holds_a_hash():
    """A tree ``MP_Data`` in ``~/signs#2`` and the same tree copied to ``/data`` key ``hello/30`` alike (the key once
    split at the folder's '#', and an audit's fixes made in one place were silently not applied in the other); a sign
    called ``C#`` in two trees keys their ``C#/30`` apart (both were ``C#/30``: a fix for one applied to both)."""
    assert key("/data/MP_Data/hello/30") == "MP_Data/hello/30"
    assert key("/home/me/signs#2/MP_Data/hello/30") == "MP_Data/hello/30"
    assert key("/data/MP_Data/C#/30") != key("/data/other/C#/30")


def test_fixes_apply_to_a_tree_given_as_the_current_folder(tmp_path, tree, monkeypatch):
    """Real recordings (MP_Data_renotte's hello/30 and 31 ...) audited as ``--data tiny`` (the fixes name
    ``tiny/hello/30``), then trained on as ``--data .`` from inside ``tiny``: the relabel applies, as it does for
    ``--data tiny`` or the absolute path (the sources ``hello/30`` were keyed ``hello/30``, and the fix was silently
    ignored)."""
    from signlstm.datasets import load

    f = tmp_path / "fixes.csv"
    f.write_text(HEADER + "tiny/hello/30,hello,relabel,thanks,\n")
    monkeypatch.chdir(tmp_path)
    assert sorted(apply_fixes(load(["tiny"]), f).labels.tolist()).count("thanks") == 3
    assert sorted(apply_fixes(load([str(tree)]), f).labels.tolist()).count("thanks") == 3
    monkeypatch.chdir(tree)
    assert sorted(apply_fixes(load(["."]), f).labels.tolist()).count("thanks") == 3


def test_fixes_apply_to_a_packed_file_whose_name_is_in_capitals(tmp_path, shared):
    """A packed file saved as ``S02.NPZ`` (read as any packed file) has its recordings named by file and number too,
    so a fixes row for ``S02.NPZ#0`` written where the data lived elsewhere drops its first thanks and relabels its
    first hello, and nothing else."""
    from signlstm.datasets import load

    shutil.copy(shared("data", "signers", "s02.npz"), tmp_path / "S02.NPZ")
    data = load([tmp_path / "S02.NPZ"])
    rows = [dict(source="/elsewhere/S02.NPZ#0", label="thanks", action="drop", new_label="", reason=""),
            dict(source="/elsewhere/S02.NPZ#1", label="hello", action="relabel", new_label="iloveyou", reason="")]
    fixed = apply_fixes(data, rows)
    assert len(fixed) == 89 and (tmp_path / "S02.NPZ#0").as_posix() not in [
        s for s, a in zip(fixed.sources, fixed.labels) if a == "thanks"]
    assert {a: int((fixed.labels == a).sum()) for a in fixed.actions} == {"hello": 29, "thanks": 29, "iloveyou": 31}


def test_a_fixes_file_is_written_whole_into_a_folder_made_for_it(tmp_path):
    """``audit --fixes-out``: the shipped model's fixes written to a folder that does not exist yet are read back
    as the same rows, and nothing else (no temporary file) is left beside them."""
    from pathlib import Path

    import signlstm
    from signlstm.datasets.fixes import write_fixes

    rows = read_fixes(Path(signlstm.__file__).parent / "models" / "default-fixes.csv")
    out = write_fixes(rows, tmp_path / "audit" / "fixes.csv")
    assert out == tmp_path / "audit" / "fixes.csv" and read_fixes(out) == rows and len(rows) > 100
    assert [p.name for p in (tmp_path / "audit").iterdir()] == ["fixes.csv"]
