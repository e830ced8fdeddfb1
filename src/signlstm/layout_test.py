import functools

import numpy as np
from hypothesis import given, settings, strategies as st

from signlstm import layout
from signlstm.datasets import load_npz


def test_parts_tile_the_1662_value_frame():
    assert [p.size for p in layout.PARTS] == [132, 1404, 63, 63]
    assert layout.FRAME_SIZE == 1662
    assert [p.start for p in layout.PARTS] == [0, 132, 1536, 1599]


def test_known_sizes_name_the_feature_sets_seen_in_the_wild():
    assert "without the face" in layout.describe_size(258)
    assert "single hand" in layout.describe_size(63)
    assert "without visibility" in layout.describe_size(99)
    assert "unknown" in layout.describe_size(1704)


def test_detected_counts_match_the_signers_readme(shared):
    # ../shared/data/signers/README.md: s02 has 1128 frames without a left hand, 1167 without a right, 393 without both.
    X = load_npz(shared("data", "signers", "s02.npz")).X
    d = layout.detected(X)
    assert (~d["left_hand"]).sum() == 1128
    assert (~d["right_hand"]).sum() == 1167
    assert (~layout.hands_present(X)).sum() == 393
    assert d["pose"].all()


def test_pose_mirror_is_an_involution_swapping_left_and_right():
    m = layout.POSE_MIRROR
    assert np.array_equal(m[m], np.arange(33))
    assert m[11] == 12 and m[15] == 16 and m[0] == 0


def test_extract_keypoints_follows_the_tutorial_order(shared):
    """MediaPipe Holistic's own results on a real frame (pose, face and one hand found, the other not): pose x, y,
    z, visibility, then face, left hand and right hand x, y, z, each in MediaPipe's landmark order; a part not found
    is zeros."""
    import cv2
    import mediapipe as mp

    image = cv2.imread(str(shared("media", "asl_iloveyou_rohan937_frame20.jpg")))
    with mp.solutions.holistic.Holistic(static_image_mode=True, model_complexity=1) as holistic:
        results = holistic.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    k = layout.extract_keypoints(results)
    assert k.shape == (1662,)
    parts = {"pose": results.pose_landmarks, "face": results.face_landmarks,
             "left_hand": results.left_hand_landmarks, "right_hand": results.right_hand_landmarks}
    assert sum(found is None for found in parts.values()) == 1  # one hand is not in this frame
    for part in layout.PARTS:
        found = parts[part.name]
        if found is None:
            assert not k[part.slice].any(), part.name
            continue
        values = [[p.x, p.y, p.z, p.visibility] if part.name == "pose" else [p.x, p.y, p.z] for p in found.landmark]
        assert np.allclose(k[part.slice], np.ravel(values)), part.name


def test_keypoints_of_other_aspects_are_stored_as_a_4_3_images_and_back(shared):
    """A 640x480 camera's keypoints are unchanged; a 1280x720 one's x (and z) are scaled about the centre by 4/3, a
    portrait 480x640 one's by 9/16; parts not detected stay zero, and the inverse gives MediaPipe's numbers back."""
    frames = np.load(shared("data", "signers", "s02.npz"))["X"][:2].astype(np.float64)  # (2, 30, 1662)
    assert np.array_equal(layout.to_reference_aspect(frames, 640, 480), frames)
    for (w, h), r in (((1280, 720), 4 / 3), ((480, 640), 9 / 16)):
        out = layout.to_reference_aspect(frames, w, h)
        for p in layout.PARTS:
            a, b = layout.part(frames, p), layout.part(out, p)
            there = a.any(axis=(-2, -1))
            np.testing.assert_allclose(b[there][..., 0], 0.5 + (a[there][..., 0] - 0.5) * r)
            np.testing.assert_allclose(b[there][..., 2], a[there][..., 2] * r)
            np.testing.assert_array_equal(np.delete(b, [0, 2], -1), np.delete(a, [0, 2], -1))  # y, visibility
            assert not b[~there].any()
        np.testing.assert_allclose(layout.from_reference_aspect(out, w, h), frames, atol=1e-12)


@functools.cache
def _frames_of_four_people():
    """Real frames of four people (s02, s13, s21, renotte: 120 each), parts present and missing as recorded."""
    from signlstm.conftest import shared_path

    return np.concatenate([load_npz(shared_path("data", "signers", f"{p}.npz")).X[:4].reshape(-1, layout.FRAME_SIZE)
                           for p in ("s02", "s13", "s21", "renotte")]).astype(np.float32)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(data=st.data(), size=st.one_of(st.sampled_from([(640, 480), (1280, 960), (1280, 720), (720, 1280), (1, 1)]),
                                       st.tuples(st.integers(1, 4000), st.integers(1, 4000))), f64=st.booleans())
def test_any_cameras_keypoints_go_to_4_3_and_back_and_missing_parts_stay_missing(data, size, f64):
    """Property, real frames with parts Hypothesis removes, any camera size: to_reference_aspect keeps the dtype,
    keeps every missing part all zeros and every present part present, leaves y and visibility alone, changes nothing
    for a 4:3 camera; from_reference_aspect gives the frames back (to the rounding of the scale: float32's about 0.5
    magnified by 1 / r for a tall image)."""
    X, (width, height) = _frames_of_four_people(), size
    i = data.draw(st.integers(0, len(X) - 8), label="first frame")
    F = X[i:i + 8].astype(np.float64 if f64 else np.float32)
    for p in layout.PARTS:
        F[np.array(data.draw(st.lists(st.booleans(), min_size=8, max_size=8), label=p.name)), p.slice] = 0
    out = layout.to_reference_aspect(F, width, height)
    assert out.dtype == F.dtype
    for p in layout.PARTS:
        assert np.array_equal(out[:, p.slice].any(1), F[:, p.slice].any(1)), p.name
        assert np.array_equal(np.delete(layout.part(out, p), [0, 2], -1), np.delete(layout.part(F, p), [0, 2], -1))
    if width * 3 == height * 4:
        assert np.array_equal(out, F)
    r = (width / height) / layout.ASPECT
    back = layout.from_reference_aspect(out, width, height)
    np.testing.assert_allclose(back, F, rtol=1e-6, atol=(1e-15 if f64 else 2.5e-7) * max(1.0, 1 / r))
