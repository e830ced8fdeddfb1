"""Counts in words, as the commands print them."""
from signlstm.wording import counted


def test_one_is_singular_and_any_other_count_plural():
    assert [counted(n, "frame") for n in (0, 1, 2)] == ["0 frames", "1 frame", "2 frames"]
    assert counted(1, "person", "people") == "1 person" and counted(4, "person", "people") == "4 people"
    assert counted(1662, "value", grouped=True) == "1,662 values" and counted(1, "value", grouped=True) == "1 value"
