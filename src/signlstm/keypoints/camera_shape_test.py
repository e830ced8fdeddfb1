"""The face mesh's proportions tell the camera shape of real recordings: s04 (16:9 by the face-width check that found
it) against a 640x480 signer, s04 converted to a 4:3 image's, and a file whose face block is zeroed."""
import functools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from . import camera_shape
from .camera_shape import face_ratios, shape_from_ratios
from .. import layout
from ..datasets import load


def _nearer(estimate: float, shape: str, other: str) -> bool:
    s = camera_shape.SHAPES
    return abs(np.log(estimate / s[shape])) < abs(np.log(estimate / s[other]))


@pytest.fixture(scope="module")
def s04():
    from ..conftest import shared_path

    return load([shared_path("data", "signers", "s04.npz")]).X


def test_canonical_ratio_is_the_model_faces():
    # 15.33 cm between the cheek points by the ears, 17.67 cm from forehead top to chin (canonical_face_model.obj).
    assert camera_shape.CANONICAL_RATIO == pytest.approx(15.328364 / 17.665156)


def test_s04_looks_16_9(s04):
    shape = shape_from_ratios(face_ratios(s04))
    assert shape.name == "16:9" and _nearer(shape.estimate, "16:9", "4:3"), shape
    assert shape.frames >= 2000


def test_a_640x480_signer_looks_4_3(shared):
    X = load([shared("data", "signers", "s02.npz")]).X.astype(np.float16)  # as packed files hold it
    shape = shape_from_ratios(face_ratios(X))
    assert shape.name == "4:3" and _nearer(shape.estimate, "4:3", "16:9"), shape


def test_an_mp_data_tree_looks_4_3(shared):
    shape = shape_from_ratios(face_ratios(load([shared("data", "MP_Data_renotte")]).X))
    assert shape.name == "4:3", shape


def test_s04_stored_as_a_4_3_images_looks_4_3(s04):
    """What signlstm now stores for a 1280x720 camera (x scaled by 4/3 about the centre) reads as 4:3: the reason
    for the audit's finding."""
    before = shape_from_ratios(face_ratios(s04)).estimate
    after = shape_from_ratios(face_ratios(layout.to_reference_aspect(s04, 1280, 720)))
    assert after.name == "4:3" and _nearer(after.estimate, "4:3", "16:9"), after
    assert after.estimate == pytest.approx(before * 0.75, rel=1e-3)


def test_a_portrait_phone_reads_as_portrait(shared):
    X = load([shared("data", "signers", "s02.npz")]).X
    assert shape_from_ratios(face_ratios(layout.from_reference_aspect(X, 720, 1280))).name == "9:16"


def test_no_face_tells_nothing(shared):
    X = load([shared("data", "vocab", "o04.npz")]).X  # face block zeroed for the folder's size budget
    assert shape_from_ratios(face_ratios(X)) is None
    assert np.isnan(camera_shape.face_ratios(X)).all()


def test_too_few_face_frames_tell_nothing(s04):
    full = np.flatnonzero(layout.detected(s04)["face"].all(1))[0]
    few = s04[full:full + 1].copy()  # one 30-frame sequence with a face in every frame, then one frame short of it
    assert shape_from_ratios(face_ratios(few)) is not None
    few[0, 0, layout.FACE.slice] = 0
    assert shape_from_ratios(face_ratios(few)) is None


def test_a_minority_of_recordings_from_another_camera_does_not_move_the_shape(shared):
    """The estimate is the median over the frames, which a minority of outliers barely moves: s02 (640x480) with 27
    of its 90 recordings as a portrait phone would have given them still reads as 4:3, its estimate within 3% of the
    untouched file's (a mean would be dragged to 0.98, nearer 3:4)."""
    X = load([shared("data", "signers", "s02.npz")]).X
    clean = shape_from_ratios(face_ratios(X))
    mixed = X.copy()
    phone = np.arange(len(X)) % 10 < 3
    mixed[phone] = layout.from_reference_aspect(X[phone], 720, 1280)
    assert phone.sum() == 27 and shape_from_ratios(face_ratios(mixed[phone])).name == "9:16"
    shape = shape_from_ratios(face_ratios(mixed))
    assert shape.name == "4:3" and shape.frames == clean.frames and shape.estimate == pytest.approx(clean.estimate,
                                                                                                   rel=0.03), shape


# The signers of ../shared recorded at 640x480 (s15's camera is not known), and s04, whose 1280x720 keypoints are
# stored as a 4:3 image's first.
_AT_4_3 = ["renotte", "s02", "s03", "s04", "s05", "s06", "s08", "s09", "s11", "s12", "s13", "s16", "s17", "s18", "s19",
           "s20", "s21", "s22", "s23", "s30", "s32"]


@functools.lru_cache(maxsize=None)
def _stored_as_4_3(person: str) -> np.ndarray:
    """A person's first 12 recordings (360 frames) as a 4:3 image's keypoints, float16 as packed (kept small)."""
    from ..conftest import shared_path

    X = np.load(shared_path("data", "signers", f"{person}.npz"))["X"][:12].reshape(-1, layout.FRAME_SIZE)
    return (layout.to_reference_aspect(X.astype(np.float32), 1280, 720) if person == "s04" else X).astype(np.float16)


_COMMON = {"4:3": 4 / 3, "16:9": 16 / 9, "3:4": 3 / 4, "9:16": 9 / 16}  # landscape webcams, portrait phones


@settings(max_examples=30, deadline=None, database=None, derandomize=True)
@given(person=st.sampled_from(_AT_4_3), shape=st.sampled_from(sorted(_COMMON)),
       height=st.integers(240, 2160), off=st.floats(-0.01, 0.01))
def test_any_persons_frames_placed_on_a_camera_of_a_common_shape_read_as_that_shape(person, shape, height, off):
    """Property, any of 21 people's real frames (stored as a 4:3 image's) placed on a camera of any height whose
    shape is one of the common ones (4:3, 16:9, 3:4, 9:16) to within 1 % (854x480, 1920x1088 are such cameras):
    ``shape_from_ratios`` of the frames' ``face_ratios`` names that shape, from every frame with a face, and its
    estimate moves with the camera's width / height exactly (the stored frames' estimate times (w / h) / (4 / 3))."""
    X = _stored_as_4_3(person).astype(np.float32)
    width = max(1, round(height * _COMMON[shape] * (1 + off)))
    base = shape_from_ratios(face_ratios(X))
    found = shape_from_ratios(face_ratios(layout.from_reference_aspect(X, width, height)))
    assert found is not None and found.name == shape and found.aspect == pytest.approx(_COMMON[shape]), (found, base)
    assert found.frames == base.frames == int(np.isfinite(camera_shape.face_ratios(X)).sum())
    assert found.estimate == pytest.approx(base.estimate * (width / height) / layout.ASPECT, rel=1e-4)
