"""Keypoints from the real clips and images of ../shared/media, against MEDIA.md's measurements."""
import numpy as np
import pytest

from signlstm import layout
from signlstm.keypoints.landmarks import Holistic, parts, video_keypoints
from signlstm.frames.sources import open_source, read_frames

# MEDIA.md detection shares (pose, face, left hand, right hand, any hand) with a margin for other builds.
CLIPS = {
    "asl_iloveyou_rohan937.mp4": (39, 1.0, 1.0, 0.0, 1.0, 1.0),
    "asl_thankyou_rohan937.mp4": (32, 1.0, 1.0, 0.0, 0.969, 0.969),
    "asl_hello_rohan937.mp4": (37, 1.0, 0.946, 0.649, 0.0, 0.649),
    "asl_soup_slp.mp4": (41, 1.0, 1.0, 0.976, 0.854, 1.0),
    "asl_iloveyou_rohan937_480x270_mjpg.avi": (39, 1.0, 1.0, 0.0, 1.0, 1.0),
}
MARGIN = 0.1


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_clip_keypoints_match_media_md(shared, name):
    frames, *expected = CLIPS[name]
    with open_source(shared("media", name)) as src:
        kp = video_keypoints(src)
    assert kp.shape == (frames, layout.FRAME_SIZE)
    d = layout.detected(kp)
    got = [d["pose"].mean(), d["face"].mean(), d["left_hand"].mean(), d["right_hand"].mean(),
           layout.hands_present(kp).mean()]
    for share, want, part in zip(got, expected, ["pose", "face", "left hand", "right hand", "any hand"]):
        assert abs(share - want) <= MARGIN, f"{name}: {part} detected in {share:.3f} of frames, MEDIA.md says {want}"


def test_two_step_graphs_give_holistics_own_numbers_in_one_thread_or_two(shared):
    """Holistic's own solution vs signlstm's pose step + parts step, value for value: serially, without the face
    mesh, and in live's two threads. The hello clip loses and finds a hand again, and a dark stretch in the middle
    (a covered lens: the pose is lost, so the parts step gets no pose) exercises tracking across frames."""
    import cv2
    import mediapipe as mp

    from signlstm.keypoints.pipeline import Pipeline

    with open_source(shared("media", "asl_hello_rohan937.mp4")) as src:
        images = list(src)
    images = images[:20] + [np.zeros_like(images[0])] * 4 + images[20:]
    with mp.solutions.holistic.Holistic(model_complexity=1) as h:
        ref = np.stack([layout.to_reference_aspect(layout.extract_keypoints(h.process(cv2.cvtColor(i, cv2.COLOR_BGR2RGB))),
                                                   i.shape[1], i.shape[0]) for i in images])
    with Holistic() as h:
        full = np.stack([h(i) for i in images])
    with Holistic(face=False) as h:
        threaded = np.stack([k for _, _, k in Pipeline(images, h)])
    with Holistic(face=False) as h:
        lean = np.stack([h(i) for i in images])
    assert np.array_equal(full, ref)
    assert layout.detected(ref)["face"].mean() > 0.8 and not layout.detected(ref)["pose"][20:24].any()
    assert np.array_equal(threaded, lean) and not lean[:, layout.FACE.slice].any()
    for p in (layout.POSE, layout.LEFT_HAND, layout.RIGHT_HAND):
        assert np.array_equal(ref[:, p.slice], lean[:, p.slice]), p.name
    assert 0.4 < layout.hands_present(lean).mean() < 0.8


def test_images_match_media_md(shared):
    def still(name):  # a fresh graph per image, in still-image mode
        with Holistic(static_image_mode=True) as h:
            return h(read_frames(shared("media", name))[0])

    coffee = still("skimage_coffee_no_person.png")
    assert coffee.shape == (1662,) and not coffee.any()
    astro = still("skimage_astronaut.png")
    assert parts(astro) == {"pose": True, "face": True, "left_hand": False, "right_hand": False}
    assert not astro[1536:1662].any()
    ily = still("asl_iloveyou_rohan937_frame20.jpg")
    assert ily[layout.RIGHT_HAND.slice].any() and not ily[layout.LEFT_HAND.slice].any()
    women = still("coco_val2014_000000000536_three_women_phones.jpg")
    assert all(parts(women).values())


def test_a_wide_frame_gives_the_keypoints_of_its_4_3_middle(shared):
    """The rohan937 I LOVE YOU clip is 1280x720 (16:9). Its keypoints are stored as a 4:3 image's, so they match
    those of the same frames cropped to their 960x720 middle: the hand's width in x is the crop's (MediaPipe's own
    numbers, 720 / 1280 of it, make it three quarters), and its points lie within 0.01 of the crop's."""
    with open_source(shared("media", "asl_iloveyou_rohan937.mp4")) as src:
        images = list(src)
    h, w = images[0].shape[:2]
    x0 = (w - h * 4 // 3) // 2
    full = video_keypoints(images)
    crop = video_keypoints([i[:, x0:w - x0] for i in images])
    as_found = layout.from_reference_aspect(full, w, h)
    A, B, raw = (layout.part(k, layout.RIGHT_HAND) for k in (full, crop, as_found))
    both = A.any((1, 2)) & B.any((1, 2))
    assert both.mean() > 0.9

    def x_extent(hand):
        return np.ptp(hand[both][..., 0], axis=1).mean()

    assert 0.97 < x_extent(A) / x_extent(B) < 1.03 and 0.72 < x_extent(raw) / x_extent(B) < 0.78
    assert np.abs(A[both][..., :2] - B[both][..., :2]).mean() < 0.01


def _peak_run(args):
    """(exit status, stderr, peak resident MiB) of ``python -m signlstm ARGS``. A child forked from this (large)
    process starts with its pages counted, so a small Python starts it and reports its children's peak."""
    import subprocess
    import sys

    wrapper = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
               "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "signlstm", *args],
                          capture_output=True, text=True, timeout=300)
    status, peak = map(int, done.stdout.split())
    return status, done.stderr, peak / 1024


def _marked(picture, i: int):
    """``picture`` with a white 8x8 mark at the ``i``-th place along its top edge."""
    marked = picture.copy()
    marked[:8, 8 * i % (picture.shape[1] - 8):][:, :8] = 255
    return marked


def test_frames_without_a_person_do_not_pile_up_in_the_graph(shared, tmp_path):
    """A person-less 1920x1080 video of 100 frames (the coffee photo): the parts graph does not keep the images that
    come without a pose queued (about 6 MiB each), and MediaPipe logs no "Resolved a deadlock by increasing
    max_queue_size"."""
    import cv2

    still = cv2.resize(cv2.imread(str(shared("media", "skimage_coffee_no_person.png"))), (1920, 1080))
    video = tmp_path / "coffee.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (1920, 1080))
    for i in range(100):  # a mark moving in a corner: the pictures differ, as a camera's noise makes them
        out.write(_marked(still, i))
    out.release()
    status, err, peak = _peak_run(["extract", "--videos", str(video), "--keypoints", str(tmp_path / "k.npy"),
                                   "--workers", "1", "--quiet"])
    assert status == 0 and err == "", err
    assert peak < 700, f"{peak:.0f} MiB"
    assert np.load(tmp_path / "k.npy").shape == (100, 1662) and not np.load(tmp_path / "k.npy").any()


def test_a_person_who_comes_into_view_late_brings_no_mediapipe_warning(shared, tmp_path):
    """A video that shows no one for its first 40 frames (the coffee photo, as a camera on an empty room) and then the
    rohan937 I LOVE YOU clip: MediaPipe's C++ warnings, which come with the first frames in which it finds a person
    ("Using NORM_RECT without IMAGE_DIMENSIONS ..."), are not printed, and the clip's hand is found."""
    import cv2

    with open_source(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi")) as src:
        clip = list(src)
    empty = cv2.resize(cv2.imread(str(shared("media", "skimage_coffee_no_person.png"))), clip[0].shape[1::-1])
    video = tmp_path / "late.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, clip[0].shape[1::-1])
    for frame in [_marked(empty, i) for i in range(40)] + clip:
        out.write(frame)
    out.release()
    status, err, _ = _peak_run(["extract", "--videos", str(video), "--keypoints", str(tmp_path / "k.npy"),
                                "--workers", "1", "--quiet"])
    assert status == 0 and err == "", err
    k = np.load(tmp_path / "k.npy")
    assert not layout.hands_present(k[:40]).any() and layout.hands_present(k[40:]).mean() > 0.9


@pytest.mark.parametrize("live", [False, True], ids=["file", "camera"])
@pytest.mark.parametrize("where", ["reader", "detect", "second stage"])
def test_an_error_on_frame_k_in_any_thread_comes_out_of_the_loop_after_k_frames(shared, live, where):
    """The rohan937 MJPG clip (39 frames) read through Pipeline, with the 6th frame failing in the reader thread (the
    video failing to decode), in a one-step ``detect`` or in the second of two landmark ``stages``: the very same
    OSError is raised by the ``for`` loop, after exactly the 5 frames before it from a file (from a camera, whose full
    queues drop old frames, after at most 5, in order). It does not end the iteration as if the stream had ended,
    which would give a truncated result and exit status 0."""
    from signlstm.keypoints.pipeline import Pipeline

    K = 5
    # a camera's full queues drop frames before the landmark steps: on a loaded machine as few as 5 of the 39 may
    # reach them, so there a step fails on the 2nd frame it gets (the reader reads every frame: its 6th fails)
    k = 1 if live else K
    error = OSError(f"failed on frame {K}")
    src = open_source(shared("media", "asl_iloveyou_rohan937_480x270_mjpg.avi"))
    src.live = live

    class Failing:  # the clip, whose frame K cannot be read
        def __init__(self, source):
            self.source, self.live = source, source.live

        def __iter__(self):
            for i, image in enumerate(self.source):
                if i == K:
                    raise error
                yield image

    def failing_on_call(k, step):
        calls = []

        def stage(value):
            if len(calls) == k:
                raise error
            calls.append(1)
            return step(value)
        return stage

    def keypoints(image):
        return np.full(layout.FRAME_SIZE, image.mean(), np.float32)

    class TwoStages:
        stages = (keypoints, failing_on_call(k, lambda v: v + 1))

    source, detect = {"reader": (Failing(src), keypoints), "detect": (src, failing_on_call(k, keypoints)),
                      "second stage": (src, TwoStages())}[where]
    seen = []
    with pytest.raises(OSError) as raised:
        for i, image, kp in Pipeline(source, detect):
            assert image.shape == (270, 480, 3) and kp.shape == (layout.FRAME_SIZE,)
            seen.append(i)
    src.close()
    assert raised.value is error
    if live:
        assert len(seen) <= (K if where == "reader" else k) and seen == sorted(seen), seen
    else:
        assert seen == list(range(K)), seen


def test_frames_of_changing_shape_are_each_tracked_as_a_first_frame(shared):
    """A folder of images of two shapes (the hello clip's 1280x720 frames, every other one cropped to its 4:3
    middle): MediaPipe tracks in coordinates divided by the image's sides, so a graph tracking across the change
    looked for the person where the last frame's numbers put them in the other shape (the pose's x off by 0.07-0.16
    on the uncropped frames, as tracked on 2026-12-07). A change of shape starts the tracking afresh: each frame gets
    the keypoints a fresh graph finds in it alone."""
    with open_source(shared("media", "asl_hello_rohan937.mp4")) as src:
        images = list(src)[:12]
    x0 = (images[0].shape[1] - images[0].shape[0] * 4 // 3) // 2
    mixed = [i if k % 2 == 0 else np.ascontiguousarray(i[:, x0:-x0]) for k, i in enumerate(images)]
    tracked = video_keypoints(mixed)
    for k, image in enumerate(mixed):
        with Holistic(static_image_mode=True) as h:
            alone = h(image)
        for p in (layout.POSE, layout.LEFT_HAND, layout.RIGHT_HAND):
            assert np.abs(tracked[k, p.slice] - alone[p.slice]).mean() < 0.005, (k, p.name)
