"""The fixes file: what a spreadsheet saves is read or named in one line, new labels are names a sign may have, and
fixes that leave nothing to train on are refused before training."""
import shutil

import pytest

from signlstm.errors import BadInput
from signlstm.datasets.fixes import FIELDS, apply_fixes, read_fixes

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
