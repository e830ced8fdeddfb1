"""What a sign may be called: any folder name with something visible in it, in one Unicode spelling."""
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from signlstm.sign_names import NONE, name_problem, rejection_problem, same_signs, shown_name, sign_key, sign_name


@pytest.mark.parametrize("name", ["hello", "thank you", "good morning", "ñandú", "Привет", "नमस्ते", "我爱你", "5", "A-1",
                                  "می\u200cخواهم"])  # Persian "I want": a zero-width non-joiner inside
def test_names_people_give_their_signs_are_taken(name):
    assert name_problem(sign_name(name)) is None


@pytest.mark.parametrize("name,problem", [
    ("a/b", "cannot be a folder name"), ("..", "cannot be a folder name"), (".hidden", "cannot be a folder name"),
    ("   ", "cannot be a folder name"), ("a\u2028b", "line-separator"), ("a\u200bb", "format"),
    ("\u2800", "no visible character"), ("\u0301", "no visible character"), ("é" * 200, "bytes long"),
    ("a\udcff", "not valid text"),  # the byte 0xff of a Linux argument, as Python reads it
    ("-dash", "starts with '-'"), ("--help", "starts with '-'"),  # `--actions -dash` cannot be given
    ("\u200chello", "begins or ends with a zero-width joiner"),  # a joiner at either end joins nothing
    ("hello\u200d", "begins or ends with a zero-width joiner"),
])
def test_names_no_folder_can_hold_or_nobody_can_see_are_refused(name, problem):
    assert problem in name_problem(name)


def test_two_spellings_of_one_letter_are_one_sign():
    composed, decomposed = "\u00e9t\u00e9", "e\u0301te\u0301"
    assert composed != decomposed and sign_name(composed) == sign_name(decomposed) == composed


def test_a_long_name_is_shortened_in_messages():
    assert shown_name("x" * 41) == "x" * 40 + "..." and shown_name("x" * 40) == "x" * 40


@pytest.mark.parametrize("name", ["None", "NONE", "nOnE"])
def test_the_rejection_label_in_another_case_cannot_be_a_signs_folder(name):
    """'None' beside the rejection label 'none' would be taught as a sign: no writer makes, no loader takes, such a
    folder, and each says why in the same words."""
    assert name_problem(name) == rejection_problem(name) == (
        "is the rejection label 'none' in another case, not a sign name: call the sign something else, or 'none' for "
        "recordings of no sign")


def test_none_itself_holds_recordings_of_no_sign_but_is_no_sign_to_learn():
    assert name_problem(NONE) is None and rejection_problem(NONE) is None and rejection_problem("nothing") is None
    assert rejection_problem(NONE, none_ok=False) == rejection_problem("None", none_ok=False) == \
        "is the answer for anything that is not one of your signs, not a sign to record"
    assert rejection_problem("nothing", none_ok=False) is None


def test_rejection_name_is_none_in_any_case():
    from signlstm.sign_names import is_rejection_name

    assert [is_rejection_name(n) for n in ("none", "None", "NONE", "nOnE", "nothing", "none1")] == \
        [True, True, True, True, False, False]


def test_one_sign_under_other_spellings_and_distinct_signs_in_other_scripts():
    """Case, spaces, punctuation and known spellings do not make another sign; a vowel sign does (Devanagari's
    कि and का differ only in their marks), and names of punctuation alone stay apart."""
    assert sign_key("Thank You") == sign_key("thank_you") == sign_key("thanks")
    assert sign_key("cafe\u0301") == sign_key("Café")
    assert sign_key("कि") != sign_key("का") and sign_key("?") != sign_key("!")
    assert same_signs(["Hello", "thank you", "please", "hello", "ILY"], ["hello", "thanks", "iloveyou"]) == {
        "Hello": "hello", "thank you": "thanks", "ILY": "iloveyou"}
    assert same_signs(["I", "i", "A"], ["I", "i"]) == {}  # names that differ in case are two signs: kept apart


def test_a_name_in_a_message_shows_control_characters_as_escapes():
    """A message stays one line and sends nothing to the terminal, whatever the name holds."""
    assert shown_name("he\x1bllo\u2028x\x07") == "he\\x1bllo\\u2028x\\x07"
    assert shown_name("नमस्ते") == "नमस्ते" and shown_name("a" * 41) == "a" * 40 + "..."


def test_a_long_name_is_cut_between_letters_not_inside_one():
    """A name over 40 characters is cut before the letter the 41st character belongs to: a Hangul syllable typed as
    jamo (as macOS writes file names), a letter with its accent, a hand with its skin tone, a flag, an Indic conjunct
    and Thai's SARA AM stay whole or go whole."""
    jamo = unicodedata.normalize("NFD", "한국" * 10)  # 20 syllables of 3 jamo each: the 41st is a 14th's vowel
    shown = shown_name(jamo)
    assert shown.endswith("...") and unicodedata.normalize("NFC", shown[:-3]) == "한국" * 6 + "한"
    assert shown_name("x" * 39 + "e\u0301z") == "x" * 39 + "..."
    assert shown_name("x" * 39 + "\U0001F44B\U0001F3FD") == "x" * 39 + "..."
    assert shown_name("x" * 38 + "e\u0301z") == "x" * 38 + "e\u0301..."
    assert shown_name("e" + "\u0301" * 50) == "e" + "\u0301" * 39 + "..."  # one letter longer than 40: cut at 40
    assert shown_name("x" * 39 + "\U0001F1FA\U0001F1F8z") == "x" * 39 + "..."  # a flag: two regional letters
    flags = "\U0001F1FA\U0001F1F8\U0001F1EB\U0001F1F7"  # two flags: the cut falls between them
    assert shown_name("x" * 38 + flags) == "x" * 38 + flags[:2] + "..."
    assert shown_name("x" * 37 + "नमस्ते") == "x" * 37 + "नम..."  # स्त, a conjunct: with its virama and त
    assert shown_name("x" * 39 + "กำz") == "x" * 39 + "..." and shown_name("x" * 38 + "กำz") == "x" * 38 + "กำ..."
    assert shown_name("x" * 38 + "स्तz") == "x" * 38 + "..."  # the cut between the virama and त moves before स
    family = "\U0001F468\u200d\U0001F469"  # man, joiner, woman: one picture; the cut after the joiner moves before it
    assert shown_name("x" * 38 + family + "z") == "x" * 38 + "..."


def test_terminal_columns_count_wide_letters_twice_and_marks_not_at_all():
    import unicodedata

    from signlstm.sign_names import columns, fit_columns

    assert columns("早上好") == 6 and columns("नमस्ते") == 4 and columns("hello") == 5
    assert columns(unicodedata.normalize("NFD", "ñandú")) == 5
    assert fit_columns("早上好", 5) == "早上 " and fit_columns("早上好", 4, right=True) == "早上"
    assert fit_columns("ab", 4, right=True) == "  ab" and columns(fit_columns("नमस्ते", 6)) == 6


def test_names_differing_only_in_case_are_found_as_a_disk_that_ignores_case_compares_them():
    from signlstm.sign_names import case_twin, case_twins

    assert case_twins(["Hello", "bye", "hello", "HELLO", "straße", "STRASSE", "I", "i"]) == [
        ["Hello", "hello", "HELLO"], ["I", "i"]]  # ß and SS are two names to a disk, as to lower()
    assert case_twin("hello", ["bye", "Hello"]) == "Hello"
    assert case_twin("hello", ["hello", "bye"]) is None  # the same name is no twin
    assert case_twin("STRASSE", ["straße"]) is None


def test_a_name_of_exactly_255_bytes_is_a_folder_name_and_256_is_not():
    """A folder name holds at most 255 bytes: 255 (ASCII, or 85 three-byte letters) is taken, 256 refused."""
    assert name_problem("a" * 255) is None and name_problem("早" * 85) is None
    assert name_problem("a" * 256) == "is 256 bytes long; a folder name holds at most 255"
    assert name_problem("a" + "早" * 85) == "is 256 bytes long; a folder name holds at most 255"


def test_a_spelling_of_two_names_that_differ_only_in_case_maps_to_neither():
    """'hello' and 'HELLO' are two signs: a label 'Hello' could be either, so it is not merged into the first."""
    assert same_signs(["Hello"], ["hello", "HELLO"]) == {}
    assert same_signs(["Hello", "Thank You"], ["hello", "HELLO", "thanks"]) == {"Thank You": "thanks"}


def test_full_width_letters_take_two_columns():
    """Full-width Latin letters (East Asian width F) are drawn two columns wide, as Chinese is: a table pads them
    to the columns they really take."""
    from signlstm.sign_names import columns, fit_columns

    assert columns("ＡＢＣ") == 6 and columns("ａ1") == 3
    assert fit_columns("ＡＢＣ", 6) == "ＡＢＣ" and fit_columns("ＡＢＣ", 5) == "ＡＢ "


def test_a_column_of_names_is_as_wide_as_its_widest_name_in_terminal_columns():
    """People's and signs' names in a table's first column: every cell takes the same terminal columns whatever the
    script (two for a Chinese letter, none for a vowel sign), at least the least width given, and a space after the
    widest name; a control character is shown as its escape."""
    from signlstm.sign_names import columns, name_column

    names = ["s02", "長い名前の人たち", "नमस्ते", "a_person_with_a_long_name", "bad\x1bname"]
    cell = name_column(names, 8)
    assert {columns(cell(n)) for n in names} == {26} and cell("a_person_with_a_long_name").endswith("name ")
    assert cell("長い名前の人たち") == "長い名前の人たち" + " " * 10 and cell("bad\x1bname").startswith("bad\\x1bname")
    assert name_column(["s02", "mean"], 8)("s02") == "s02     "
    long = ["the_sign_for_greeting_someone_in_the_morning_" + end for end in ("hello", "thanks")]
    assert [name_column(long, 8)(n).rstrip() for n in long] == long  # whole: they differ only at their ends


# Any text (lone surrogates too), and text of the characters the rules are about: line and paragraph separators,
# controls, joiners, a combining accent; names that differ only in case (or only to casefold: ß and SS).
_TRICKY = "a\u2028\u2029\x1b\n\t\x85\u200c\u200d\u200e\ufeff\u0301e\xe9 "
_TEXT = st.text(max_size=12) | st.text(st.characters(codec="utf-8"), max_size=12) | st.text(st.sampled_from(_TRICKY),
                                                                                            max_size=12)
_CASES = st.sampled_from(["Hello", "hello", "HELLO", "straße", "STRASSE", "ǅ", "ǆ", "Ǆ", "İ", "i̇", "ß", "ẞ", "Σ", "σ",
                          "ς"])


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(name=_TEXT | _CASES, names=st.lists(_CASES | _TEXT, max_size=6), most=st.integers(0, 45), data=st.data())
def test_any_name_is_taken_once_composed_found_by_its_case_twins_and_shown_on_one_safe_line(name, names, most, data):
    """Property, any text (and names holding it in other cases): sign_name is idempotent (one composed spelling); case_twin finds a twin exactly when
    case_twins puts the name in a group with another name, and the twin is one of ``names``, another name that a
    disk ignoring case takes for it, and finds the name back; shown_name never gives a control, format (a joiner
    aside) or line-separator character, is one line, and shows a name without any whole when it is short enough."""
    from signlstm.sign_names import JOINERS, case_twin, case_twins

    assert sign_name(sign_name(name)) == sign_name(name) == unicodedata.normalize("NFC", sign_name(name))
    variants = [name.upper(), name.lower(), name.swapcase(), name.title(), name.casefold()]
    names = names + data.draw(st.lists(st.sampled_from(variants), max_size=2), label="the name in other cases")
    twin = case_twin(name, names)
    grouped = any(name in g and len(set(g) - {name}) for g in case_twins([name, *names]))
    assert (twin is not None) == grouped
    if twin is not None:
        assert twin in names and twin != name and twin.lower() == name.lower() and case_twin(twin, [name]) == name
    shown = shown_name(name, most)
    assert not [c for c in shown if (unicodedata.category(c)[0] == "C" and c not in JOINERS)
                or unicodedata.category(c) in ("Zl", "Zp")]
    assert shown.splitlines() in ([shown], [])
    plain = all(unicodedata.category(c)[0] != "C" or c in JOINERS for c in name) and not any(
        unicodedata.category(c) in ("Zl", "Zp") for c in name)
    assert not plain or len(name) > most or shown == name


def test_a_device_name_with_spaces_before_its_extension_is_one_on_windows():
    """Windows drops the spaces at the end of a name's base, so "con .txt" and "NUL  " are the devices' names (no
    folder there can have them); "cone" and "con-1" are not."""
    from signlstm.sign_names import windows_problem

    assert all("device name on Windows" in windows_problem(n) for n in ("con .txt", "NUL  ", "com1 .x"))
    assert not any(windows_problem(n) for n in ("cone", "con-1", "a con"))


def test_a_label_naming_none_of_the_signs_in_any_spelling_may_stand_for_another_sign():
    """``not_among``: "Hello" and "thank you" are a model's hello and thanks; "bye" is none of them, and so is a
    recording labelled none, whether or not the model's labels hold ``none`` (a rejection output is no sign)."""
    from signlstm.sign_names import not_among

    labels = ["Hello", "thank you", "bye", NONE]
    assert not_among(labels, ["hello", "thanks", NONE]) == not_among(labels, ["hello", "thanks"]) == [
        False, False, True, True]


def test_lists_of_names_for_messages_count_what_they_leave_out_and_quote_what_they_escape():
    """``shown_list``: ten names whole, an eleventh counted ("and 1 more"); ``quoted_names``: a name shown with an
    escape (a control character) is quoted, so where it ends stays clear; a plain one is not."""
    from signlstm.sign_names import quoted_names, shown_list

    names = [f"s{k:02d}" for k in range(11)]
    assert shown_list(names[:10]) == ", ".join(names[:10])
    assert shown_list(names) == ", ".join(names[:10]) + " and 1 more"
    assert quoted_names(["hello", "bye\x1b"]) == "hello, 'bye\\x1b'"


def test_a_list_of_a_hundred_thousand_signs_is_read_in_time_that_grows_with_its_length(tmp_path):
    """An actions file of 100,000 distinct names and repeats (far under the text-file limit): read in order, each
    name once, in seconds of CPU time, not the minutes a look-up of each name among those before it takes."""
    import time

    from signlstm.sign_names import read_sign_list

    signs = tmp_path / "signs.txt"
    signs.write_text("".join(f"sign {i}\n" for i in range(100_000)) + "sign 0\nsign 99999\n", encoding="utf-8")
    t0 = time.process_time()
    names = read_sign_list(signs)
    assert time.process_time() - t0 < 15
    assert names == [f"sign {i}" for i in range(100_000)]
