"""Sequences written in the tutorial tree: numbered after the highest, whole or not at all."""
import os
import signal

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from signlstm import datasets
from signlstm.datasets import sequence_writer
from signlstm.errors import SignlstmError


def test_writer_numbers_after_the_highest_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    w = sequence_writer.SequenceWriter(tmp_path)
    (tmp_path / "hello" / "7").mkdir(parents=True)
    frames = np.random.default_rng(0).random((30, 1662))
    assert w.write("hello", frames).name == "8"

    real_save, calls = np.save, []

    def interrupted_at_frame_12(path, arr):  # a real Ctrl-C (SIGINT to this process) while frame 12 is saved
        calls.append(path)
        if len(calls) == 12:
            os.kill(os.getpid(), signal.SIGINT)
        real_save(path, arr)

    monkeypatch.setattr(sequence_writer.np, "save", interrupted_at_frame_12)
    with pytest.raises(KeyboardInterrupt):
        w.write("hello", frames)
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "hello").iterdir()) == ["7", "8"]
    d = datasets.load_mp_data(tmp_path, length=30, skip_bad=True)
    assert len(d) == 1 and np.allclose(d.X[0], frames)


def test_the_writer_refuses_none_in_another_case_and_writes_none(shared, tmp_path):
    seq = shared("data", "MP_Data_renotte", "hello", "30")
    frames = np.stack([np.load(seq / f"{t}.npy") for t in range(30)])
    w = sequence_writer.SequenceWriter(tmp_path / "MP")
    with pytest.raises(SignlstmError, match="action 'None' is the rejection label 'none' in another case"):
        w.write("None", frames)
    assert not (tmp_path / "MP").exists()
    assert w.write("none", frames) == tmp_path / "MP" / "none" / "0"
    d = datasets.load([tmp_path / "MP"])
    assert d.labels.tolist() == ["none"] and np.array_equal(d.X[0], frames.astype(np.float32))


def test_the_plan_counts_only_what_each_sign_lacks_and_a_sequence_with_a_gap_is_not_whole(shared, tmp_path):
    """``collect``'s plan and pre-check on a real tree (MP_Data_renotte's 30 hello, two of its thanks): a sign that
    already has more sequences than asked needs none (never a negative count that would shorten the run), and a
    sequence folder of 30 frame files numbered 0-28 and 30 is named as not whole though its count is right."""
    import shutil

    root = tmp_path / "MP"
    shutil.copytree(shared("data", "MP_Data_renotte", "hello"), root / "hello")
    for n in ("30", "31"):
        shutil.copytree(shared("data", "MP_Data_renotte", "thanks", n), root / "thanks" / n)
    w = sequence_writer.SequenceWriter(root)
    actions = ["hello", "thanks", "iloveyou"]
    assert w.still_to_record(actions, 20) == {"hello": 0, "thanks": 18, "iloveyou": 20}
    assert w.still_to_record(actions, 30) == {"hello": 0, "thanks": 28, "iloveyou": 30}
    assert w.unlike(actions, 30) is None
    gap = root / "thanks" / "31"
    (gap / "29.npy").rename(gap / "30.npy")
    assert len(list(gap.glob("*.npy"))) == 30
    assert w.unlike(actions, 30) == (gap, "holds 30 frame file(s), not the frames 0-29 of a whole sequence")


def test_frames_are_saved_as_the_tutorial_saves_them(shared, tmp_path):
    """``extract --data`` and the web page hand the writer float32 keypoints (MediaPipe's, s02's recordings here);
    every frame file is a (1662,) float64 array as the tutorial's ``np.save`` writes it, holding the same values."""
    X = datasets.load_npz(shared("data", "signers", "s02.npz")).X[:2]
    w = sequence_writer.SequenceWriter(tmp_path / "MP")
    for x in X:
        w.write("hello", x)
    for n, x in enumerate(X):
        files = [np.load(tmp_path / "MP" / "hello" / str(n) / f"{t}.npy") for t in range(30)]
        assert {(f.dtype, f.shape) for f in files} == {(np.dtype(np.float64), (1662,))}
        assert np.array_equal(np.stack(files), x)


def test_a_sign_whose_folder_is_in_another_unicode_form_is_recorded_on_in_that_folder(shared, tmp_path):
    """A tree copied from a Mac keeps "a\u00f1o" as "an" + combining tilde + "o": recording the sign again (its name
    typed, composed) goes on in that folder, numbered after its recording, so the tree still holds one sign."""
    import shutil
    import unicodedata

    root = tmp_path / "MP"
    decomposed = unicodedata.normalize("NFD", "a\u00f1o")
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), root / decomposed / "0")
    w = sequence_writer.SequenceWriter(root)
    assert w.still_to_record(["a\u00f1o"], 3) == {"a\u00f1o": 2}
    assert w.write("a\u00f1o", datasets.load_npz(shared("data", "signers", "s02.npz")).X[0]) == root / decomposed / "1"
    assert [p.name for p in root.iterdir()] == [decomposed]
    d = datasets.load([root])
    assert d.actions == ["a\u00f1o"] and len(d) == 2


def _signer_frames():
    """Real recordings of one person (s02's first 12, float32), parts present and missing as recorded."""
    from signlstm.conftest import shared_path

    return np.load(shared_path("data", "signers", "s02.npz"))["X"][:12].astype(np.float32)


def _name_ok(name):
    from signlstm.sign_names import name_problem

    return name_problem(name) is None


# Any name a folder may hold, and a few that test the reader: one sign in two Unicode forms (é composed and as e +
# a combining accent), two in one letter's two cases, the rejection label, a number, a packed file's suffix.
_SIGN_NAMES = st.one_of(st.text(min_size=1, max_size=8).filter(_name_ok),
                        st.sampled_from(["\u00e9", "e\u0301", "Hello", "hello", "none", "0", "x.npz", "thank you"]))


@settings(max_examples=30, deadline=None, database=None, derandomize=True)
@given(names=st.lists(_SIGN_NAMES, min_size=1, max_size=3), T=st.integers(1, 6), f64=st.booleans(),
       jobs=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 11), st.integers(0, 1)), min_size=1, max_size=5))
@example(names=["e\u0301", "\u00e9", "Hello"], T=2, f64=True, jobs=[(0, 0, 0), (1, 1, 1), (2, 2, 0), (1, 3, 0)])
def test_any_frames_written_under_any_sign_name_by_two_writers_read_back_as_written(tmp_path_factory, names, T, f64,
                                                                                    jobs):
    """Property, real frames (s02) under names Hypothesis makes (any name ``name_problem`` accepts, in any Unicode
    form), written in any order by two writers of one tree: every sequence comes back from ``datasets.load`` under
    its name's composed form, bit for bit (float32 of what was stored, float64 frames included), in the reader's
    order (names sorted, then numbers), numbered per sign 0, 1, 2, ... in the order written, never two alike."""
    import unicodedata

    from hypothesis import assume

    composed = {unicodedata.normalize("NFC", a) for a in names}
    assume(len({" ".join(a.split()) for a in composed}) == len(composed))  # only spaces apart: one folder, below
    X = _signer_frames()
    root = tmp_path_factory.mktemp("tree") / "MP"
    writers = (sequence_writer.SequenceWriter(root), sequence_writer.SequenceWriter(root))
    written, numbers = [], {}
    for k, row, which in jobs:  # (name, recording, writer) per sequence
        name = names[k % len(names)]
        frames = X[row, 30 - T:].astype(np.float64) if f64 else X[row, :T]
        if f64:
            frames = frames + (frames != 0) * 1e-9  # values float32 cannot hold: read as their float32 rounding
        key = unicodedata.normalize("NFC", name)
        n = numbers.setdefault(key, 0)
        numbers[key] += 1
        path = writers[which].write(name, frames)
        assert path.name == str(n) and path.parent.parent == root
        written.append((key, n, frames.astype(np.float32), path))
    assert len({p for *_, p in written}) == len(written)
    d = datasets.load([root], length=T)
    written.sort(key=lambda w: (w[0], w[1]))
    assert d.labels.tolist() == [w[0] for w in written]
    assert d.sources == [str(w[3]) for w in written]
    assert d.X.dtype == np.float32 and np.array_equal(d.X, np.stack([w[2] for w in written]))


def test_two_writers_racing_in_two_threads_never_give_two_sequences_one_number(tmp_path):
    """Two writers of one tree writing 150 one-frame sequences each of one sign at once (real frames of s02): every
    write succeeds and returns its own folder (a number taken meanwhile by the other is retried), 300 in all, and each
    folder holds the frame its writer wrote."""
    import threading

    X = _signer_frames()[:, :1]
    root, out, errors = tmp_path / "MP", [], []
    start = threading.Barrier(2)

    def record(k):
        w = sequence_writer.SequenceWriter(root)
        start.wait()
        try:
            for i in range(150):
                out.append((w.write("hello", X[(i + k) % 12]), (i + k) % 12))
        except Exception as e:  # noqa: BLE001  reported below, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=record, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(out) == 300 and len({p for p, _ in out}) == 300
    d = datasets.load([root], length=1)
    read = dict(zip(d.sources, d.X))
    assert len(read) == 300 and all(np.array_equal(read[str(p)], X[r]) for p, r in out)


def test_a_name_that_differs_from_a_recorded_sign_only_in_spaces_leaves_the_tree_readable(tmp_path):
    """``name_problem`` accepts "hello" and "hello " (and "thank you" and "thank  you"), which the reader takes
    for one sign: written in two folders, ``datasets.load`` refused the tree ("folders 'hello' and 'hello ' look the
    same"), every recording in it. The writer puts the second in the first's folder, as it does a name in another
    Unicode form."""
    X = _signer_frames()[:3, :30]
    w = sequence_writer.SequenceWriter(tmp_path / "MP")
    w.write("hello", X[0])
    assert w.write("hello ", X[1]) == tmp_path / "MP" / "hello" / "1"
    assert w.write("thank  you", X[2]) == tmp_path / "MP" / "thank  you" / "0"
    assert w.still_to_record(["thank you", "hello\u00a0"], 3) == {"thank you": 2, "hello\u00a0": 1}
    d = datasets.load([tmp_path / "MP"])
    assert d.labels.tolist() == ["hello", "hello", "thank  you"] and np.array_equal(d.X, X)


def test_every_sign_the_writer_accepts_is_read_back(tmp_path):
    """The reader takes a folder named "__MACOSX" for what a Mac's unzip leaves (``is_hidden``): a sign of that
    name, once written, was silently left out. It is refused before anything is written."""
    X = _signer_frames()[:2, :30]
    w = sequence_writer.SequenceWriter(tmp_path / "MP")
    w.write("hello", X[0])
    with pytest.raises(SignlstmError, match="'__MACOSX' is the folder macOS's unzip leaves, which every reader"):
        w.write("__MACOSX", X[1])
    assert datasets.load([tmp_path / "MP"]).labels.tolist() == ["hello"]
    assert sorted(p.name for p in (tmp_path / "MP").iterdir()) == ["hello"]


def test_a_sequence_of_no_frames_is_refused_before_any_folder_is_made(tmp_path):
    """An empty sequence folder would be read as a recording cut short (and, empty, a rename by another writer could
    take its number): no frames is refused, and nothing is made."""
    w = sequence_writer.SequenceWriter(tmp_path / "MP")
    with pytest.raises(ValueError, match=r"frames must be \(T, 1662\) with T >= 1, got \(0, 1662\)"):
        w.write("hello", np.zeros((0, 1662), np.float32))
    assert not (tmp_path / "MP").exists()
