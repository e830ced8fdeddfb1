"""The live view: bars for any number of actions (checked pixel by pixel), skeleton, banner, strip."""
import numpy as np
import pytest

from signlstm import layout
from signlstm.fronts import render


@pytest.mark.parametrize("n, columns", [(3, 1), (10, 1), (34, 1), (36, 2), (51, 2), (69, 3)])
def test_one_bar_per_action_in_its_own_colour(n, columns):
    """Every bar inside the picture, however many signs: 36 (a 35-sign vocabulary and none) cut the last one in
    half and 51 showed 35, until rows that do not fit went into another column."""
    labels = [f"action{i}" for i in range(n)]
    probs = np.linspace(0.55, 0.98, n)  # bar ends clear of the label text
    view = render.annotate(None, None, labels, probs, ["hello"], fps=25.0)
    assert view.shape == (render.HEIGHT, render.REPLAY_W + columns * render.PANEL_WIDTH, 3)
    panel = view[:, render.REPLAY_W:]
    cols = render.colors(n)
    assert len(set(cols)) == n
    slots = render.bar_slots(n)
    assert max(y1 for *_, y1 in slots) <= render.HEIGHT - 8, "a bar is clipped"
    assert max(x1 for _, _, x1, _ in slots) <= panel.shape[1]
    for i, (x0, y0, x1, y1) in enumerate(slots):
        if i and x0 == slots[i - 1][0]:
            assert y0 >= slots[i - 1][3], "bars overlap"
        assert y1 - y0 >= 8, "bars too thin to read"
        end = x0 + round(probs[i] * (x1 - x0))
        filled = panel[y0 + 1:y1 - 1, end - 4:end - 1].reshape(-1, 3)
        empty = panel[y0 + 1:y1 - 1, end + 2:end + 5].reshape(-1, 3)
        assert (filled == cols[i]).all(), f"bar {i} is not filled with its colour up to {probs[i]:.2f}"
        assert not (empty == cols[i]).all(axis=1).any(), f"bar {i} runs past {probs[i]:.2f}"
        # the label is written on the bar: white pixels inside its box
        assert (panel[y0:y1, x0:x0 + 60].min(axis=2) > 200).sum() > 20, f"bar {i} has no label"


def test_panel_before_the_window_is_full_shows_empty_bars():
    """Before the first window is full (no probabilities) each action still has its bar, drawn empty: its box stands
    out of the panel's background and holds its label in white letters, and no pixel of it has the action's colour."""
    panel = render.draw_panel(["a", "b", "c"], None)
    for i, (x0, y0, x1, y1) in enumerate(render.bar_slots(3)):
        box = panel[y0:y1, x0:x1]
        assert not (box == render.colors(3)[i]).all(axis=2).any(), f"bar {i} is filled"
        assert (box != render.PANEL_BGR).any(axis=2).mean() > 0.9, f"bar {i} is not drawn"
        assert (box.min(axis=2) > 200).sum() >= 5, f"bar {i} has no label"  # white letters, antialiased


def test_skeleton_drawn_where_the_hand_is(shared):
    from signlstm.keypoints.landmarks import Holistic
    from signlstm.frames.sources import read_frames

    image = read_frames(shared("media", "asl_iloveyou_rohan937_frame20.jpg"))[0]
    with Holistic(static_image_mode=True) as h:
        kp = h(image)
    view = render.annotate(image, kp, banner=["STARTING COLLECTION"])
    assert view.shape == (480, 853, 3)
    hand = layout.part(kp, layout.RIGHT_HAND)[:, :2] * [view.shape[1], view.shape[0]]
    x0, y0 = hand.min(0).astype(int)
    x1, y1 = hand.max(0).astype(int)
    box = view[y0:y1 + 1, x0:x1 + 1].reshape(-1, 3)
    assert (box == render.PART_BGR["right_hand"]).all(axis=1).sum() > 50
    assert not (view == render.PART_BGR["left_hand"]).all(axis=2).any()
    assert (view[5:30, 200:] == render.BANNER_BGR).all(axis=2).mean() > 0.5


def test_strip_tiles_frames():
    frames = [np.full((480, 1000, 3), i * 40, np.uint8) for i in range(4)]
    out = render.strip(frames, columns=3, width=300)
    assert out.shape == (2 * 144 + 3 * 6, 3 * 300 + 4 * 6, 3)
    assert out[6 + 10, 6 + 300 + 6 + 10].tolist() == [40, 40, 40]


def test_a_strip_of_many_signs_keeps_its_bars_readable(shared):
    """A frame of o07's 35 signs (two columns of bars, 1454 px wide) was shrunk to 560 px like a three-sign one:
    its bars came out 6 px tall and their labels could not be read. A three-sign strip is as before."""
    with np.load(shared("data", "vocab", "o07.npz")) as z:
        labels = [str(a) for a in z["actions"]] + ["none"]
    assert len(labels) == 36
    probs = np.linspace(0, 1, len(labels))
    many = [render.annotate(None, None, labels, probs, ["hello"], threshold=0.9) for _ in range(4)]
    out = render.strip(many, bar=render.bar_height(len(labels)))
    scale = (out.shape[1] - 2 * 6) / many[0].shape[1]
    assert render.bar_height(len(labels)) * scale >= render.MIN_STRIP_BAR
    assert out.shape[1] < 3 * many[0].shape[1]  # fewer columns for wider tiles: one here
    few = [render.annotate(None, None, ["hello", "thanks", "iloveyou", "none"], probs[:4]) for _ in range(4)]
    assert render.strip(few, bar=render.bar_height(4)).shape == render.strip(few).shape == (2 * 233 + 3 * 6, 3 * 560 + 4 * 6, 3)


def test_sign_names_beyond_ascii_are_drawn_as_their_letters():
    """OpenCV's fonts draw each byte of a letter outside ASCII as '?': ``ñandú`` came out as ``??and??``."""
    def banner(text):
        return render.draw_banner(render.canvas(400, 60), [text])

    named = banner("ñandú")
    assert (named != banner("??and??")).any() and (named != banner("nandu")).any()
    assert (named[:, :, 0] > 200).sum() > 50, "nothing written"
    # the tilde: lit pixels above the x-height of the n beside it, where "nandu" has none
    plain = banner("nandu")
    assert ((named > 200).all(axis=2) != (plain > 200).all(axis=2)).sum() > 10
    # a long name is cut to the bar with "..", and the letters after the cut are not drawn
    panel = render.draw_panel(["ñandú " * 20, "schön"], np.array([0.3, 0.7]))
    x0, y0, x1, y1 = render.bar_slots(2)[0]
    assert render._text_width(render._fit_text("ñandú " * 20, 0.6, x1 - x0 - 8), 0.6) <= x1 - x0 - 8
    assert (panel[y0:y1, x1 - 4:x1] == (70, 70, 70)).all(), "text runs past the bar"


def test_any_label_is_drawn_on_one_line_without_failing():
    """Labels come from folder names and files: a line break or a control code is drawn as '?', on one line, and a
    font Pillow cannot draw at the size asked is replaced by DejaVu Sans."""
    from signlstm import unicode_text

    panel = render.draw_panel(["año\nnuevo", "tab\tñ", "ok"], np.array([0.2, 0.3, 0.5]))
    x0, y0, x1, y1 = render.bar_slots(3)[0]
    assert (panel[y0:y1, x0:x1].min(axis=2) > 200).sum() > 20, "the label is not drawn"
    assert (panel[:y0 - 2, x0:x1] == render.PANEL_BGR).all(axis=2).mean() > 0.9, "a second line above the bar"
    assert unicode_text._font("/no/such/font.ttf", 18).getlength("ñ") > 0
    # a combining mark is shaped with its letter, even where the letter's font lacks it (DejaVu Sans: U+0947)
    assert len(unicode_text._runs("b\u0947")) == 1 and len(unicode_text._runs("ab")) == 1


def test_a_name_beyond_ascii_cut_by_the_top_edge_is_drawn_in_its_visible_part():
    """``ñandú`` with its baseline 8 pixels from the top (the live banner, a strip's caption near the edge): its
    letters reach above the picture. The call returns (it stopped ``live`` with a ValueError of shapes (0, w) and
    (h, w)), the rows that are in the picture are lit, and nothing is drawn below the baseline's few pixels."""
    from signlstm import unicode_text

    image = np.zeros((120, 200, 3), np.uint8)
    assert unicode_text.draw(image, "ñandú", (10, 8), scale=1.0) is image
    lit = (image > 0).any(axis=2)
    assert lit[:8].sum() > 100, "the visible part is not drawn"
    assert not lit[20:].any() and not lit[:, :5].any()
    # the same name lower down, wholly in the picture: its lower rows are those drawn above
    whole = unicode_text.draw(np.zeros((120, 200, 3), np.uint8), "ñandú", (10, 60), scale=1.0)
    assert np.array_equal(whole[52:60], image[:8])


def test_a_line_thickness_of_2_draws_no_outline_and_3_an_outline_of_one_pixel():
    """OpenCV line thicknesses against Pillow's outline: the real outcome is that ``ñandú`` at thickness 1 and 2 takes
    the same width (no outline) and at 3 two pixels more (a 1-pixel outline on each side)."""
    from signlstm import unicode_text

    one, two, three = (unicode_text.width("ñandú", 1.0, thickness=t) for t in (1, 2, 3))
    assert one == two and three == one + 2


def test_a_space_no_default_font_holds_is_drawn_as_a_space_not_looked_for_elsewhere():
    """The ideographic space U+3000 is not in DejaVu Sans: the real outcome is that a space is left to the default
    font (nothing to draw), never sent to another font or the Last Resort placeholder box."""
    from signlstm import unicode_text

    assert unicode_text.font_for("\u3000") == unicode_text._default_font()


def test_a_sentence_too_long_for_the_banner_keeps_its_newest_signs_whole():
    """The live view's sentence loses its oldest signs, whole (a sign's name may hold spaces), not the one just
    signed; a status line loses its end; a single sign wider than the banner shows its end."""
    signs = ["hello", "thank you very much", "nice to meet you", "good morning", "see you later", "how are you"]
    fitted = render._fit_sentence(signs, 0.8, 420)
    assert fitted.startswith(".. ") and fitted.endswith(" how are you") and render._text_width(fitted, 0.8) <= 420
    kept = fitted[3:]
    assert any(kept == " ".join(signs[k:]) for k in range(1, len(signs))), fitted  # whole signs, from one on
    view = render.annotate(None, None, sentence=signs * 2)  # a replay's view: 854 pixels, 834 for the text
    shown = render._fit_sentence(signs * 2, 0.8, render.REPLAY_W - 20)
    assert shown.endswith(" how are you") and shown.startswith(".. ")
    assert (view[:render.BANNER] == render.draw_banner(render.canvas(), [shown])[:render.BANNER]).all()
    assert render._fit_text(" ".join(signs), 0.8, 420).startswith("hello thank")
    long = render._fit_sentence(["L" + "o" * 120 + "ng"], 0.8, 300)
    assert long.startswith("..") and long.endswith("ooong") and render._text_width(long, 0.8) <= 300


def test_a_bar_cuts_a_long_name_and_keeps_its_probability():
    """A name wider than its bar ends in ".." before the probability, which stays whole; a short one is whole."""
    from signlstm.fronts.render import PANEL_WIDTH, _text_width, bar_text

    name = "good afternoon and good evening to all of you, ñandú"
    text = bar_text(name, 0.953, 0.5, PANEL_WIDTH - 40)
    assert text.endswith(".. 0.95") and name.startswith(text[:-7]) and _text_width(text, 0.5) <= PANEL_WIDTH - 40
    assert bar_text("hello", 0.5, 0.5, PANEL_WIDTH - 40) == "hello 0.50" and bar_text(name, None, 0.5, 900) == name


def test_the_chosen_bar_is_framed_and_the_threshold_drawn_where_it_lies():
    """The frame goes round the bar ``annotate`` chooses (the most likely), not another; the threshold's line crosses
    each column at its share of the bars' width."""
    from signlstm.fronts.render import annotate, bar_slots, draw_panel

    probs = np.array([0.05, 0.8, 0.15])
    panel = annotate(None, None, ["a", "b", "c"], probs, threshold=0.9)
    panel = panel[:, panel.shape[1] - draw_panel(["a", "b", "c"], probs).shape[1]:]  # the panel beside the view
    slots = bar_slots(3, panel.shape[0])
    framed = [bool((panel[(y0 + y1) // 2, x0 - 2] == 255).all()) for x0, y0, x1, y1 in slots]
    assert framed == [False, True, False]
    x0, y0, x1, _ = slots[0]
    line = x0 + round(0.9 * (x1 - x0))
    assert (panel[y0 - 2, line] == 230).all() and not (panel[y0 - 2, x0 + round(0.1 * (x1 - x0))] == 230).all()
