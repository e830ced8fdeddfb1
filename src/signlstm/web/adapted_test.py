"""A visitor's adapted models: each saved under a dated name, and the older ones removed unless a page uses them."""
from __future__ import annotations

from signlstm.web import adapted


def test_a_visitors_older_adapted_models_are_removed_unless_a_page_uses_them(trained_model, clip_keypoints,
                                                                            tmp_path):
    """Each adaptation saves a model: past the newest ``KEEP_ADAPTED`` of a visitor, the older ones go, except one a
    page still uses; other visitors' models (a name that begins alike too) and other folders stay."""
    import shutil

    from signlstm.datasets.sequence_writer import SequenceWriter

    models = tmp_path / "web_models"
    older = [models / f"v-20000101-00000{i}" for i in range(4)]  # long before this run
    others = [models / "v-2-20000101-000000", models / "vv-20000101-000000", models / "v-notes"]
    for folder in older + others:
        shutil.copytree(trained_model.path, folder)
    assert adapted.adapted_models(models, "v") == older
    writer = SequenceWriter(tmp_path / "web_data" / "v")
    for action in ("iloveyou", "thanks"):
        for k in range(3):
            writer.write(action, clip_keypoints[action][k:k + 30])
    bundle, _ = adapted.adapt_job(trained_model, tmp_path / "web_data" / "v", models, "v", {},
                                  in_use=lambda: {older[0].resolve()})
    kept = adapted.adapted_models(models, "v")
    assert kept == [older[0], older[2], older[3], bundle.path], kept  # the 3 newest (README) and one in use
    assert all(p.is_dir() for p in others) and not any(p.name.startswith(".") for p in models.iterdir())


def test_recordings_that_cannot_be_read_are_named_by_sign_and_no_server_path_reaches_the_page(trained_model,
                                                                                             clip_keypoints, tmp_path):
    """A visitor's recording that the reader refuses (here a frame file cut short) is left out of the adaptation and
    named by its sign in the lines the page shows; when nothing can be read, the error holds no path of the server."""
    import pytest

    from signlstm.datasets.sequence_writer import SequenceWriter
    from signlstm.errors import SignlstmError

    root = tmp_path / "web_data" / "v"
    writer = SequenceWriter(root)
    for action in ("iloveyou", "thanks"):
        for k in range(3):
            writer.write(action, clip_keypoints[action][k:k + 30])
    writer.write("hello", clip_keypoints["hello"][:30])
    (root / "hello" / "0" / "7.npy").write_bytes(b"\x93NUMPY")  # cut short
    state = {}
    bundle, _ = adapted.adapt_job(trained_model, root, tmp_path / "web_models", "v", state)
    assert "hello" not in bundle.labels and {"iloveyou", "thanks"} <= set(bundle.labels)
    line, lost = state["notes"]
    assert line.startswith("1 recording(s) of 'hello' left out, unreadable (") and str(tmp_path) not in line, line
    assert lost.startswith("no recordings of the model's 'hello': the adapted model does not answer it"), lost

    only = tmp_path / "web_data" / "w"
    SequenceWriter(only).write("hello", clip_keypoints["hello"][:30])
    (only / "hello" / "0" / "7.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(SignlstmError) as e:
        adapted.adapt_job(trained_model, only, tmp_path / "web_models", "w", {})
    assert str(e.value).startswith("none of your recordings could be read") and str(tmp_path) not in str(e.value), e


def test_a_base_sign_in_another_spelling_adapts_the_base_and_signs_spelled_alike_are_noted(trained_model,
                                                                                           clip_keypoints, tmp_path):
    """"Hello" and "thanks" are the base's signs (as ``adapt`` takes them): the base is adapted, not made into a
    vocabulary of two, and the page is told how "Hello" was taken and which of the base's signs the model no longer
    answers (none recorded); in a vocabulary, "Thanks" beside "thanks" (two
    folders on this disk) are two signs, and the page is told so, and which of the model's signs the vocabulary does
    not answer; when "hello" beside "Hello" has no recording with a hand in view, it is not taught, and the note on
    the two spellings is not said."""
    from signlstm.datasets.sequence_writer import SequenceWriter

    from signlstm.models.adapting import choose_method

    assert choose_method(trained_model, ["Hello", "thanks"]) == "top"
    assert choose_method(trained_model, ["hello", "thanks", "ñandú"]) == "vocab"
    from signlstm import layout

    handless = clip_keypoints["hello"].copy()
    handless[:, layout.LEFT_HAND.start:layout.RIGHT_HAND.stop] = 0
    clips = {**clip_keypoints, "no hands": handless}
    for name, signs in (("v", [("Hello", "hello"), ("thanks", "thanks")]),
                        ("w", [("Thanks", "thanks"), ("thanks", "thanks"), ("ñandú", "iloveyou")]),
                        ("x", [("Hello", "hello"), ("hello", "no hands"), ("ñandú", "iloveyou")])):
        writer = SequenceWriter(tmp_path / "web_data" / name)
        for action, clip in signs:
            for k in range(3):
                writer.write(action, clips[clip][k:k + 30])
        state = {}
        bundle, _ = adapted.adapt_job(trained_model, tmp_path / "web_data" / name, tmp_path / "web_models", name,
                                      state)
        if name == "v":
            assert "hello" in bundle.labels and "Hello" not in bundle.labels
            assert state["notes"] == ["'Hello' is taught as the model's 'hello'",
                                      "no recordings of the model's 'iloveyou': the adapted model does not answer it "
                                      "(record a few of each sign it should keep)"]
        elif name == "w":
            assert {"Thanks", "thanks", "ñandú"} <= set(bundle.labels)
            assert state["notes"] == ["'Thanks' and 'thanks' look like one sign spelled in different ways; they are "
                                      "taken as different signs (give them one name to make them one)",
                                      "the model's own sign(s) hello, iloveyou are not in the data: the new "
                                      "vocabulary does not answer them (give their recordings too to keep them)"]
        else:
            assert "hello" not in bundle.labels and {"Hello", "ñandú"} <= set(bundle.labels)
            assert len(state["notes"]) == 2 and "'hello' had no recording with" in state["notes"][1], state["notes"]
            assert state["notes"][0].startswith("the model's own sign(s) thanks, iloveyou are not in the data")


def test_a_visitor_named_like_the_tutorials_tree_is_their_own_person(trained_model, clip_keypoints, tmp_path):
    """A visitor may call themselves ``MP_Data``: the adapted model records them, not the server's data folder (the
    name a tree of that name takes elsewhere), as the person it learnt from, so ``evaluate`` and the judges know."""
    from signlstm.datasets.sequence_writer import SequenceWriter

    root = tmp_path / "web_data" / "MP_Data"
    writer = SequenceWriter(root)
    for action in ("iloveyou", "thanks"):
        for k in range(3):
            writer.write(action, clip_keypoints[action][k:k + 30])
    bundle, _ = adapted.adapt_job(trained_model, root, tmp_path / "web_models", "MP_Data", {})
    people = bundle.meta["training"]["groups"]
    assert "MP_Data" in people and "web_data" not in people, people


def test_a_page_hears_the_signs_its_vocabulary_drops_and_nothing_of_whom_a_model_saw_by_its_name(trained_model,
                                                                                               clip_keypoints,
                                                                                               tmp_path):
    """A visitor named like a person the models were trained on (s02) is not told the model saw them (the name is
    only what they typed); the vocabulary's own signs recorded again make a vocabulary anew (not the vocabulary
    adapted as a base); a vocabulary adapted again from the page's vocabulary names the signs it no longer answers,
    as the command does."""
    from signlstm.datasets.sequence_writer import SequenceWriter

    def record(root, signs):
        writer = SequenceWriter(root)
        for action, clip in signs:
            for k in range(3):
                writer.write(action, clip_keypoints[clip][k:k + 30])
        return root

    first = record(tmp_path / "web_data" / "s02", [("wave", "hello"), ("ñandú", "iloveyou")])
    state = {}
    mine, _ = adapted.adapt_job(trained_model, first, tmp_path / "web_models", "s02", state)
    assert mine.labels == ["wave", "ñandú", "none"] and not any("trained on" in n for n in state["notes"])
    # its own signs recorded again (all of them, or some) are a vocabulary anew, from the trunk, not the base adapted
    from signlstm.models.adapting import choose_method

    assert choose_method(mine, ["wave", "ñandú"]) == choose_method(mine, ["ñandú"]) == "vocab"
    again = record(tmp_path / "later" / "s02", [("ñandú", "iloveyou"), ("merci", "thanks")])
    state = {}
    adapted.adapt_job(mine, again, tmp_path / "web_models", "s02", state)
    assert ("the model's own sign(s) wave are not in the data: the new vocabulary does not answer them (give their "
            "recordings too to keep them)") in state["notes"], state["notes"]
    state = {}
    adapted.adapt_job(trained_model, record(tmp_path / "base" / "s02", [("hello", "hello"), ("thanks", "thanks")]),
                      tmp_path / "web_models", "s02", state)
    assert not any("trained on" in n for n in state["notes"]), state["notes"]
