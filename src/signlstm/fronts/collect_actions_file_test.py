"""signlstm collect --actions-file: a list of signs (spaces, accents) recorded from a clip, resumed per sign."""
import pytest

from signlstm.cli import main
from signlstm.datasets import load
from signlstm.errors import BadInput
from signlstm.sign_names import read_sign_list


def test_actions_file_records_each_sign_and_a_rerun_resumes(shared, tmp_path, capsys):
    clip = str(shared("media", "asl_soup_slp.mp4"))  # 41 frames: four 10-frame sequences per run
    signs = tmp_path / "signs.txt"
    signs.write_text("# my signs\ngood morning\n\nñandú\ngood morning\n", encoding="utf-8")
    data = tmp_path / "MP_Data"
    args = ["collect", "--actions-file", str(signs), "--sequences", "2", "--length", "10", "--data", str(data),
            "--source", clip, "--headless"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2 sign(s)" in out and "0 of 4 sequence(s) recorded; next: good morning" in out
    assert "collected 4 sequence(s)" in out
    assert sorted(p.name for p in data.iterdir()) == ["good morning", "ñandú"]
    d = load([data], length=10)
    assert sorted(set(d.labels.tolist())) == ["good morning", "ñandú"] and len(d) == 4
    # a rerun with the same target records nothing more; a larger one records only what each sign lacks
    assert main(args) == 0
    assert "2 complete, 4 of 4 sequence(s) recorded" in capsys.readouterr().out
    assert len(load([data], length=10)) == 4
    assert main(args[:3] + ["--sequences", "3"] + args[5:]) == 0
    assert "collected 2 sequence(s)" in capsys.readouterr().out
    d = load([data], length=10)
    assert [int((d.labels == a).sum()) for a in ("good morning", "ñandú")] == [3, 3]
    # names that differ only in case are two signs (I and i may be), and a note says so
    signs.write_text("Good Morning\ngood morning\n", encoding="utf-8")
    assert main(args) == 0
    assert "note: Good Morning and good morning differ only in case" in capsys.readouterr().err


def test_on_a_disk_that_ignores_case_signs_differing_only_in_case_are_refused(tmp_path, monkeypatch, capsys):
    """A disk that takes Hello and hello for one folder (macOS, Windows; this one keeps them apart: its answer is
    the one thing faked): two such names in one list, or one beside a sign already recorded, are refused in one line
    before anything is read; elsewhere a note says they are two signs."""
    import signlstm.outputs

    data = tmp_path / "MP_Data"
    (data / "Hello" / "0").mkdir(parents=True)
    signs = tmp_path / "signs.txt"
    args = ["collect", "--actions-file", str(signs), "--data", str(data), "--source", str(tmp_path / "none.mp4"),
            "--headless"]
    monkeypatch.setattr(signlstm.outputs, "ignores_case", lambda folder: True)
    for text, said in (("Thanks\nthanks\n", "Thanks and thanks differ only in case, and the disk of"),
                       ("hello\n", "'hello' differs only in case from 'Hello', already recorded in")):
        signs.write_text(text, encoding="utf-8")
        assert main(args) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and said in err, err
    assert main(["collect", "--actions", "hello", *args[3:]]) == 2  # the same from --actions
    assert "'hello' differs only in case from 'Hello'" in capsys.readouterr().err
    assert sorted(p.name for p in data.iterdir()) == ["Hello"]


@pytest.mark.parametrize("text, problem", [("a/b\n", "cannot be a folder name"), ("..\n", "cannot be a folder name"),
                                           ("\n# nothing\n", "no sign names")])
def test_a_bad_actions_file_is_one_line_naming_it(tmp_path, text, problem, capsys):
    f = tmp_path / "signs.txt"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=problem):
        read_sign_list(f)
    assert main(["collect", "--actions-file", str(f), "--data", str(tmp_path / "d"), "--source", "x.mp4",
                 "--headless"]) == 2
    err = capsys.readouterr().err
    assert str(f) in err and problem in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content, problem", [(None, "no such file"), (b"hello\n\xff\xfe\n", "cannot be read as UTF-8")])
def test_a_missing_or_undecodable_actions_file_is_named(tmp_path, content, problem):
    f = tmp_path / "signs.txt"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(BadInput, match=problem):
        read_sign_list(f)


@pytest.mark.parametrize("args, problem", [(["--actions", "hello/x"], "'hello/x' cannot be a folder name"),
                                           (["--actions", "hello", "--pause", "-3"], "--pause must be at least 0"),
                                           (["--actions", "hello", "--pause", "nan"], "--pause must be at least 0"),
                                           (["--actions", "hello", "--model", "m"], "--model goes with --then-adapt"),
                                           (["--actions", "hello", "--sequences", "0"],
                                            "--sequences must be at least 1, got 0"),
                                           (["--actions", "hello", "None"],
                                            "--actions: 'None' is the rejection label 'none' in another case")])
def test_bad_collect_arguments_are_refused_before_anything_opens(tmp_path, args, problem, capsys):
    """Checked before the source is opened or a folder made: one line, exit 2, --data untouched."""
    assert main(["collect", *args, "--data", str(tmp_path / "d"), "--source", str(tmp_path / "none.mp4"),
                 "--headless"]) == 2
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "d").exists()


@pytest.mark.parametrize("text, problem", [("hello\nnone\n", "line 2: 'none' is the answer for anything"),
                                           ("x" * 300 + "\n", "300 bytes long")])
def test_actions_file_names_that_cannot_be_signs_are_refused(tmp_path, text, problem):
    f = tmp_path / "signs.txt"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=problem):
        read_sign_list(f)


def test_names_are_one_spelling_and_a_line_separator_inside_one_is_named(tmp_path):
    """Lines end at \\n only (a U+2028 inside a name is not a second sign but a name refused on its own line); the
    two Unicode spellings of é are one sign; NONE in any case is refused."""
    f = tmp_path / "signs.txt"
    f.write_text("caf\u00e9\r\ncafe\u0301\nhi\n", encoding="utf-8")
    assert read_sign_list(f) == ["caf\u00e9", "hi"]
    for text, problem in (("hi\ngood\u2028morning\n", r"line 2: 'good\\u2028morning' holds a control or line-separator"),
                          ("None\n", "line 1: 'None' is the answer"), ("\u2800\n", "has no visible character")):
        f.write_text(text, encoding="utf-8")
        with pytest.raises(BadInput, match=problem):
            read_sign_list(f)


def test_then_adapt_is_checked_before_recording(tmp_path, capsys, shared):
    """A window length the model cannot read, an output folder that is not a model, a bare model file to start
    from (which names no signs), or a model folder that is missing, not a
    bundle or a broken one (named as adapt names it; its stored other signs too): refused before the source is opened (the
    source here does not exist; the error is about --then-adapt)."""
    import json
    import shutil

    from ..models.bundle import DEFAULT_MODEL

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine")
    h5 = str(shared("data", "legacy_models", "Atulkoirala__action.h5"))
    cut, more = shutil.copytree(DEFAULT_MODEL, tmp_path / "cut"), shutil.copytree(DEFAULT_MODEL, tmp_path / "more")
    (cut / "model.keras").write_bytes((DEFAULT_MODEL / "model.keras").read_bytes()[:100_000])  # a copy cut short
    garbled = shutil.copytree(DEFAULT_MODEL, tmp_path / "garbled")
    (garbled / "other_signs.npz").write_bytes(b"not a zip archive" * 100)  # the other signs adapting reads
    meta = json.loads((more / "signlstm.json").read_text())
    (more / "signlstm.json").write_text(json.dumps({**meta, "labels": meta["labels"] + ["extra"]}))
    for extra, problem in ((["--length", "20", "--then-adapt", str(tmp_path / "m")], "--length 30"),
                           (["--then-adapt", str(tmp_path / "notes")], "a folder that is not a model"),
                           (["--then-adapt", str(tmp_path / "m"), "--model", h5], "is a bare model file"),
                           (["--then-adapt", str(tmp_path / "m"), "--model", str(tmp_path / "gone")],
                            f"{tmp_path / 'gone'}: no such model file or bundle folder"),  # as adapt says it
                           (["--then-adapt", str(tmp_path / "m"), "--model", str(tmp_path / "notes")],
                            f"{tmp_path / 'notes'}: not a model bundle (needs model.keras and signlstm.json)"),
                           # a base Keras cannot load, or whose labels are not its outputs
                           (["--then-adapt", str(tmp_path / "m"), "--model", str(cut)],
                            f"{cut / 'model.keras'}: a truncated .keras archive"),
                           (["--then-adapt", str(tmp_path / "m"), "--model", str(more)],
                            f"{more}: the model reads (30, 1662) and gives 4 outputs; its signlstm.json says (30, "
                            "1662) and 5 labels"),
                           (["--then-adapt", str(tmp_path / "m"), "--model", str(garbled)],
                            f"{garbled / 'other_signs.npz'}: not a readable .npz file")):
        assert main(["collect", "--actions", "hello", "--data", str(tmp_path / "d"), "--source",
                     str(tmp_path / "none.mp4"), "--headless", *extra]) == 2
        assert problem in capsys.readouterr().err
    assert (tmp_path / "notes" / "a.txt").read_text() == "mine"


def test_then_adapt_with_every_sign_recorded_adapts_and_a_vocabulary_is_adapted_as_one(tmp_path, capsys):
    """A rerun with --then-adapt when every sign is already recorded adapts what is there;
    a list of one sign is refused before recording; a vocabulary given as --model is adapted again as a vocabulary
    (as adapt and the page adapt one), by collect --actions too, and refused in one line by a method that cannot
    refit it; adapted again with --vocabulary it says which of its signs the data leaves out."""
    from pathlib import Path

    stream = Path(__file__).resolve().parents[3] / "demo" / "s08_stream.npy"  # 367 frames of keypoints
    signs, one = tmp_path / "signs.txt", tmp_path / "one.txt"
    signs.write_text("uno\ndós\n", encoding="utf-8")
    one.write_text("uno\n", encoding="utf-8")
    data, model = tmp_path / "MP_Data", tmp_path / "mine"
    args = ["collect", "--data", str(data), "--source", str(stream), "--headless", "--pause", "0", "--sequences", "2"]
    assert main([*args, "--actions-file", str(one), "--then-adapt", str(model)]) == 2
    assert "a vocabulary needs at least 2 signs" in capsys.readouterr().err and not data.exists()
    assert main([*args, "--actions-file", str(signs)]) == 0
    capsys.readouterr()
    assert main([*args, "--actions-file", str(signs), "--then-adapt", str(model)]) == 0
    assert "collected 0 sequence(s)" in capsys.readouterr().out
    assert load([data]).actions == ["dós", "uno"]
    from signlstm.models.bundle import load_bundle

    assert load_bundle(model).labels == ["uno", "dós", "none"]

    assert main([*args, "--actions", "tres", "--model", str(model), "--then-adapt", str(tmp_path / "m2")]) == 0
    again = load_bundle(tmp_path / "m2")
    assert again.meta["adapted"]["method"] == "vocab" and set(again.labels) == {"uno", "dós", "tres", "none"}
    assert again.meta["adapted"]["base"]["path"] == str(model)
    capsys.readouterr()
    assert main(["adapt", "--method", "top", "--model", str(model), "--data", str(data), "--out",
                 str(tmp_path / "m3")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a vocabulary (made by adapt --vocabulary): adapt it with --vocabulary" in err
    assert main([*args, "--actions", "tres", "cuatro"]) == 0
    assert main(["adapt", "--vocabulary", "--model", str(model), "--data", str(data), "--actions", "tres", "cuatro",
                 "--out", str(tmp_path / "m4")]) == 0
    err = capsys.readouterr().err
    assert "own sign(s) uno, dós are not in the data" in err, err


def test_a_rerun_goes_on_in_a_folder_named_in_another_unicode_form(tmp_path, capsys):
    """A tree copied from a Mac names ``ñandú`` with a combining tilde and accent: a rerun from an actions file that
    spells it composed counts that folder's recordings and records the rest into it, not into a second folder
    of the same look (which adapt would refuse as two names alike)."""
    import unicodedata
    from pathlib import Path

    import numpy as np

    stream = Path(__file__).resolve().parents[3] / "demo" / "s08_stream.npy"
    data = tmp_path / "MP_Data"
    decomposed = unicodedata.normalize("NFD", "ñandú")
    assert decomposed != "ñandú"
    for i in range(2):
        folder = data / decomposed / str(i)
        folder.mkdir(parents=True)
        for f, frame in enumerate(np.load(stream)[30 * i:30 * i + 30]):
            np.save(folder / f"{f}.npy", frame.astype(np.float64))
    signs = tmp_path / "signs.txt"
    signs.write_text("ñandú\nuno\n", encoding="utf-8")
    assert main(["collect", "--actions-file", str(signs), "--sequences", "3", "--data", str(data), "--source",
                 str(stream), "--headless", "--pause", "0"]) == 0
    out = capsys.readouterr().out
    assert "2 of 6 sequence(s) recorded; next: ñandú" in out and "collected 4 sequence(s)" in out
    assert sorted(p.name for p in data.iterdir()) == sorted([decomposed, "uno"])
    assert sorted(p.name for p in (data / decomposed).iterdir()) == ["0", "1", "2"]
    d = load([data])
    assert [int((d.labels == a).sum()) for a in ("ñandú", "uno")] == [3, 3]


def test_collect_refuses_an_action_given_twice_before_recording(shared, tmp_path, capsys):
    """`--actions hello hello` is refused before anything is recorded, as every --actions is."""
    assert main(["collect", "--actions", "hello", "hello", "--data", str(tmp_path / "d"), "--headless",
                 "--source", str(shared("media", "asl_soup_slp.mp4"))]) == 2
    assert "--actions: 'hello' is given twice" in capsys.readouterr().err and not (tmp_path / "d").exists()


@pytest.mark.parametrize("length, keep", [(10, 4), (20, 10)])
def test_a_sequence_already_there_that_is_not_whole_is_named_before_recording(shared, tmp_path, capsys, length,
                                                                               keep):
    """A sequence folder of the sign holding fewer frames (an aborted recording of the tutorial's own code), or
    recorded with another --length, was counted as recorded (or recorded beside): now named, one line, exit 2,
    nothing recorded."""
    import shutil

    data = tmp_path / "MP_Data"
    seq = data / "hello" / "0"
    seq.mkdir(parents=True)
    for n in range(keep):
        shutil.copy(shared("data", "MP_Data_renotte", "hello", "30", f"{n}.npy"), seq / f"{n}.npy")
    signs = tmp_path / "signs.txt"
    signs.write_text("hello\n")
    assert main(["collect", "--actions-file", str(signs), "--sequences", "1", "--length", str(length), "--data",
                 str(data), "--source", str(shared("media", "asl_soup_slp.mp4")), "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{seq}: holds {keep} frame file(s), not the frames 0-{length - 1}" in err, err
    assert sorted(p.name for p in (data / "hello").iterdir()) == ["0"]


def test_a_sequence_saved_with_no_hand_in_view_is_said_as_it_is_saved(shared, tmp_path, capsys):
    """Recording from a source in which MediaPipe finds no hand (here s08's stream with both hand blocks zeroed from
    its 31st frame): the second sequence is saved, and said to show a hand in 0 % of its frames; the first, whose
    hands are seen, is not."""
    import numpy as np

    from signlstm import layout

    frames = np.load(shared("data", "signers", "s08.npz"))["X"][:2].reshape(-1, layout.FRAME_SIZE).astype(np.float32)
    frames[30:, layout.LEFT_HAND.start:layout.RIGHT_HAND.stop] = 0
    stream = tmp_path / "stream.npy"
    np.save(stream, frames)
    assert main(["collect", "--actions", "hi", "--sequences", "2", "--data", str(tmp_path / "d"), "--source",
                 str(stream), "--headless", "--pause", "0"]) == 0
    out, err = capsys.readouterr()
    assert f"saved {tmp_path / 'd' / 'hi' / '1'}" in out and "collected 2 sequence(s)" in out
    assert err.count("note: ") == 1 and f"note: {tmp_path / 'd' / 'hi' / '1'}: a hand is seen in 0% of its " \
        "frames (fewer than 50%)" in err, err


def test_a_resumed_list_shows_each_sequence_and_sign_by_its_place_in_the_whole_list(shared, tmp_path, monkeypatch,
                                                                                   capsys):
    """The window (offscreen) of a rerun of a list of three signs, the first complete and the second with one of its
    two sequences: each banner counts the sign's sequences and the list's signs as a whole, not what is left."""
    from signlstm.fronts import render

    clip = str(shared("media", "asl_soup_slp.mp4"))  # 41 frames: four 10-frame sequences
    signs = tmp_path / "signs.txt"
    signs.write_text("hello\nñandú\ngood morning\n", encoding="utf-8")
    args = ["collect", "--actions-file", str(signs), "--sequences", "2", "--length", "10", "--data",
            str(tmp_path / "MP_Data"), "--source", clip, "--pause", "0.05"]
    assert main([*args[:4], "1", *args[5:], "--headless"]) == 0  # one sequence of each sign
    import shutil

    data = tmp_path / "MP_Data"
    shutil.copytree(data / "hello" / "0", data / "hello" / "1")  # hello complete
    shutil.rmtree(data / "good morning" / "0")  # good morning not begun
    from signlstm.datasets.sequence_writer import SequenceWriter

    assert SequenceWriter(data).still_to_record(read_sign_list(signs), 2) == {"hello": 0, "ñandú": 1,
                                                                               "good morning": 2}
    banners = []
    real = render.annotate

    def seen(*a, banner=None, **k):  # the window's pictures as drawn, their banner noted
        if banner and banner[1 if banner[0] == "STARTING COLLECTION" else 0] not in banners:
            banners.append(banner[1 if banner[0] == "STARTING COLLECTION" else 0])
        return real(*a, banner=banner, **k)

    monkeypatch.setattr(render, "annotate", seen)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    capsys.readouterr()
    assert main(args) == 0
    assert "1 complete, 3 of 6 sequence(s) recorded; next: ñandú" in capsys.readouterr().out
    assert banners == ["Collecting frames for ñandú - sequence 2 of 2 (sign 2 of 3)",
                       "Collecting frames for good morning - sequence 1 of 2 (sign 3 of 3)",
                       "Collecting frames for good morning - sequence 2 of 2 (sign 3 of 3)"]


def test_rounds_record_one_sequence_of_each_sign_in_turn_and_a_rerun_carries_on_the_round(shared, tmp_path,
                                                                                          monkeypatch, capsys):
    """--rounds: the signs take turns, one sequence each, round after round (each sign's recordings spread over the
    session); a rerun carries on the round it stopped in (the sign with the fewest first), says that sign is next,
    and its window numbers each sequence within its sign."""
    import os

    from signlstm.fronts import render

    clip = str(shared("media", "asl_soup_slp.mp4"))  # 41 frames: four 10-frame sequences per run
    signs = tmp_path / "signs.txt"
    signs.write_text("aa\nñandú\ncc\n", encoding="utf-8")
    data = tmp_path / "MP_Data"
    args = ["collect", "--actions-file", str(signs), "--sequences", "3", "--length", "10", "--data", str(data),
            "--source", clip, "--rounds", "--pause", "0.05"]

    def saved(out):
        return [os.path.relpath(line.removeprefix("saved "), data) for line in out.splitlines()
                if line.startswith("saved ")]

    assert main([*args, "--headless"]) == 0
    assert saved(capsys.readouterr().out) == ["aa/0", "ñandú/0", "cc/0", "aa/1"]
    banners = []
    real = render.annotate

    def seen(*a, banner=None, **k):  # the window's pictures as drawn, their banner's title noted once
        title = banner and banner[1 if banner[0] == "STARTING COLLECTION" else 0]
        if title and title not in banners:
            banners.append(title)
        return real(*a, banner=banner, **k)

    monkeypatch.setattr(render, "annotate", seen)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 complete, 4 of 9 sequence(s) recorded; next: ñandú" in out
    assert saved(out) == ["ñandú/1", "cc/1", "aa/2", "ñandú/2"]
    assert banners == ["Collecting frames for ñandú - sequence 2 of 3 (sign 2 of 3)",
                       "Collecting frames for cc - sequence 2 of 3 (sign 3 of 3)",
                       "Collecting frames for aa - sequence 3 of 3 (sign 1 of 3)",
                       "Collecting frames for ñandú - sequence 3 of 3 (sign 2 of 3)",
                       "Collecting frames for cc - sequence 3 of 3 (sign 3 of 3)"]  # begun as the clip ended
    d = load([data], length=10)
    assert [int((d.labels == a).sum()) for a in ("aa", "ñandú", "cc")] == [3, 3, 2]


def test_then_adapt_names_a_sign_of_actions_the_source_ended_before(tmp_path, capsys):
    """collect --actions ... --then-adapt whose source ends before the last sign: the model adapted to what was
    recorded, and the sign asked for and never recorded named, as with --actions-file."""
    from pathlib import Path

    stream = Path(__file__).resolve().parents[3] / "demo" / "s08_stream.npy"  # 367 frames: 12 sequences of hello
    assert main(["collect", "--data", str(tmp_path / "MP_Data"), "--source", str(stream), "--headless", "--pause",
                 "0", "--sequences", "13", "--actions", "hello", "please", "--then-adapt", str(tmp_path / "m")]) == 0
    captured = capsys.readouterr()
    assert "stopped after" in captured.out and not (tmp_path / "MP_Data" / "please").exists()
    assert "note: no recordings of 'please', asked for: the adapted model does not answer it" in captured.err


def test_a_line_too_long_to_be_a_name_is_refused_in_memory_that_does_not_grow_with_it(tmp_path):
    """A 10 MB line is refused as too long before anything per character is built (which took about 77 bytes a
    character, 770 MB here), a comment line of 2,000 characters before it skipped as any comment: the peak of
    Python's allocations stays under 10 times the file's size."""
    import tracemalloc

    f = tmp_path / "signs.txt"
    f.write_text("# " + "a comment " * 200 + "\nhello\n" + "x" * 10_000_000 + "\n", encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(BadInput, match="line 3: 'x{40}...' is 10000000 bytes long; a folder name holds at most 255"):
            read_sign_list(f)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100_000_000, peak
