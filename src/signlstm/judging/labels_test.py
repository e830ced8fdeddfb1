"""The data's labels as a model names them: what is scored, under which name, and what each note says is left out."""
from signlstm.datasets import open_npz, open_sources
from signlstm.judging.labels import match_labels, none_left, scored_labels
from signlstm.models.bundle import load_bundle


def test_evaluate_scores_another_spelling_of_a_sign_only_when_actions_keep_that_sign(shared):
    """o07's vocabulary holds hello and 'thank you' (the shipped model's thanks under another spelling) among 33
    signs the model does not know. With every sign of the model, 'thank you' is scored as thanks; with --actions
    hello, thanks is left out and so is its spelling 'thank you' (named in a note), not scored as thanks anyway, and
    'thank you' is not among the unknown signs either."""
    bundle = load_bundle()
    sources = open_sources([shared("data", "vocab", "o07.npz")])
    unknown, spelled, notes = scored_labels(sources, bundle, list(bundle.signs))
    assert spelled == {"thank you": "thanks"} and "thank you" not in unknown and "hello" not in unknown
    assert "note: scored as the model's sign(s) they name: thank you as thanks" in notes
    unknown, spelled, notes = scored_labels(sources, bundle, ["hello"])
    assert spelled == {} and "thank you" not in unknown and len(unknown) == 33, (spelled, unknown)
    assert any(n.startswith("note: not scored, the model's own sign(s) left out of --actions: thank you (thanks)")
               for n in notes), notes


def test_a_person_none_of_whose_labels_the_model_knows_is_left_out_with_a_note(shared):
    """s02 (hello, thanks, iloveyou) and o05 (24 signs, none of them the model's): only s02 is scored, and the note
    lines say that o05 is left out and which of o05's signs the model does not know."""
    counts = {p: open_npz(shared("data", folder, f"{p}.npz")).label_counts
              for folder, p in (("signers", "s02"), ("vocab", "o05"))}
    mapping, people, notes = match_labels(counts, ["hello", "thanks", "iloveyou", "none"], "none")
    assert people == ["s02"] and mapping == {"hello": "hello", "thanks": "thanks", "iloveyou": "iloveyou"}
    assert "note: left out o05: none of their recordings is one of the model's signs" in notes, notes
    assert any(n.startswith("note: not scored, the data's action(s) the model does not know: 1 (30), 2 (30)")
               for n in notes), notes


def test_k_shots_leave_recordings_to_test_until_k_is_a_signs_whole_count(shared):
    """s02 holds 30 recordings of each sign: 29 shots leave one of each to test, 30 leave none (said so)."""
    counts = open_npz(shared("data", "signers", "s02.npz")).label_counts
    assert set(counts.values()) == {30}
    assert none_left(counts, 29) is None and none_left(counts, 1) is None
    assert none_left(counts, 30) == "30 recording(s) per sign, K = 30 leaves none to test"
    assert none_left(counts, 31) == "30 recording(s) per sign, K = 31 leaves none to test"
