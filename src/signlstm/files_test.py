"""Atomic writing: what a write that fails, is interrupted or is killed leaves, and what is flushed before a rename."""
import os
import stat

import pytest

from signlstm.errors import BadInput
from signlstm.files import folder_atomic, write_atomic, write_text


def test_a_write_that_fails_leaves_the_old_file_whole_and_no_temp_file(tmp_path):
    out = tmp_path / "scores.json"
    write_text(out, '{"accuracy": 0.9}\n')

    def half_then_fail(path):
        with open(path, "w") as f:
            f.write('{"accur')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(out, half_then_fail)
    assert out.read_text() == '{"accuracy": 0.9}\n' and sorted(p.name for p in tmp_path.iterdir()) == ["scores.json"]
    with pytest.raises(KeyboardInterrupt):  # into folders made for it: they go too
        write_atomic(tmp_path / "runs" / "today" / "scores.json", half_then_fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.json"]


def test_a_written_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")  # (the temporary file it was written to is private: 0600)
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_a_folder_in_the_way_is_bad_input_naming_it(tmp_path):
    (tmp_path / "out.json").mkdir()
    with pytest.raises(BadInput, match=r"out.json: is a folder; give a file name"):
        write_text(tmp_path / "out.json", "x")


def test_a_folder_swap_is_not_cut_by_ctrl_c_and_a_failed_second_rename_puts_the_old_folder_back(tmp_path):
    """A bundle folder replaced by a new one: a real SIGINT sent between the two renames does not stop the swap
    half-way (the old folder moved aside, the new one not yet in place), and the write, done, is not interrupted; a
    second rename that fails puts the old folder back, one line naming the folder. A link to a bundle folder has
    that folder replaced."""
    import signal

    import signlstm.files as files

    out = tmp_path / "model"
    out.mkdir()
    (out / "signlstm.json").write_text("old")
    rename = os.rename
    calls = []

    def rename_then(after_first):  # the real rename, and after the first one a real Ctrl-C or a failure
        def wrapped(a, b):
            if len(calls) == 1 and after_first == "fail":
                calls.append(b)
                raise OSError(28, "No space left on device")
            rename(a, b)
            calls.append(b)
            if len(calls) == 1 and after_first == "ctrl-c":
                os.kill(os.getpid(), signal.SIGINT)
        return wrapped

    def swap(content, after_first):
        calls.clear()
        files.os.rename = rename_then(after_first)
        try:
            with files.folder_atomic(out, replace=True) as tmp:
                (tmp / "signlstm.json").write_text(content)
        finally:
            files.os.rename = rename

    swap("new", "ctrl-c")
    assert len(calls) == 2 and (out / "signlstm.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # nothing aside, no temporary folder
    with pytest.raises(BadInput, match=r"model: cannot be written \(No space left on device\)"):
        swap("newer", "fail")
    assert (out / "signlstm.json").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    with pytest.raises(ValueError):  # a failure while the new folder is filled leaves the old one as it was
        with files.folder_atomic(out, replace=True) as tmp:
            (tmp / "signlstm.json").write_text("newer")
            raise ValueError
    assert (out / "signlstm.json").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    (tmp_path / "link").symlink_to(out)
    with files.folder_atomic(tmp_path / "link", replace=True) as tmp:
        (tmp / "signlstm.json").write_text("through the link")
    assert (tmp_path / "link").is_symlink() and (out / "signlstm.json").read_text() == "through the link"



SWALLOWED_CTRL_C = """
import gc, signal, sys
from signlstm.cli import main

fired = []


def ctrl_c_inside_a_gc_callback(phase, info):  # as JAX's callbacks receive it: Python prints it and goes on
    if phase == "start" and not fired and signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        fired.append(1)
        signal.raise_signal(signal.SIGINT)


gc.callbacks.append(ctrl_c_inside_a_gc_callback)
status = main(sys.argv[1:])
print("fired", len(fired))
sys.exit(status)
"""


def test_a_ctrl_c_that_python_swallows_still_stops_the_write_and_the_command(shared, tmp_path):
    """A Ctrl-C raised inside a garbage-collection callback never reaches the command, which runs on: the file it
    would write is not put in place, and the command ends as interrupted (exit 130, one line: Python's "Exception
    ignored" traceback is not printed)."""
    import subprocess
    import sys

    import numpy as np

    out = tmp_path / "s08.npy"
    np.save(out, np.zeros((40, 1662), np.float32))  # an earlier stream
    earlier = out.read_bytes()
    argv = ["judge", "streams", "--data", str(shared("data", "signers", "s08.npz")), "--others",
            str(shared("data", "other_signs", "o07.npz")), "--write-stream", str(out)]
    p = subprocess.run([sys.executable, "-c", SWALLOWED_CTRL_C, *argv], capture_output=True, text=True, timeout=300)
    assert p.stdout.splitlines()[-1] == "fired 1"  # raised inside the callback, and swallowed there, as by JAX
    assert p.returncode == 130 and p.stderr == "signlstm judge streams: interrupted\n", p.stderr
    assert out.read_bytes() == earlier and sorted(tmp_path.iterdir()) == [out]


def test_a_ctrl_c_that_python_swallows_still_ends_a_command_that_writes_nothing_as_interrupted(shared):
    """A command with no file to write (``evaluate``) that ran on past a swallowed Ctrl-C still ends as interrupted
    once it returns: exit 130 and the one line, not exit 0 as if nobody had pressed it."""
    import subprocess
    import sys

    argv = ["evaluate", "--data", str(shared("data", "signers", "s02.npz"))]
    p = subprocess.run([sys.executable, "-c", SWALLOWED_CTRL_C, *argv], capture_output=True, text=True, timeout=300)
    assert p.stdout.splitlines()[-1] == "fired 1"  # raised inside the callback, and swallowed there, as by JAX
    assert "accuracy" in p.stdout  # the command ran on to its end
    assert p.returncode == 130 and p.stderr == "signlstm evaluate: interrupted\n", (p.returncode, p.stderr)


def test_what_is_renamed_into_place_was_flushed_to_the_disk_first(tmp_path, monkeypatch):
    """A file, a folder and a recorded sequence are on the disk before their name is, and their folder's new name
    after (so a power cut leaves the old file or the whole new one, never a name over lost data). A power cut cannot
    be made here: the test watches the order of the real calls (fsync, syncfs, rename)."""
    import numpy as np

    from signlstm import files, layout
    from signlstm.datasets import sequence_writer

    calls = []

    def watched(name, real):
        def call(path, *rest):
            calls.append((name, os.path.relpath(path, tmp_path)))
            return real(path, *rest)
        return call

    flush, flush_tree = watched("flush", files.flush), watched("flush_tree", files.flush_tree)
    for module in (files, sequence_writer):
        monkeypatch.setattr(module, "flush", flush)
        monkeypatch.setattr(module, "flush_tree", flush_tree)
    monkeypatch.setattr(files.os, "replace", watched("rename", os.replace))
    monkeypatch.setattr(sequence_writer.os, "rename", watched("rename", os.rename))

    write_atomic(tmp_path / "a.txt", lambda p: open(p, "w").write("x"))
    assert [c[0] for c in calls] == ["flush", "rename", "flush"] and calls[0][1].startswith(".a.txt.")
    assert calls[2][1] == "."
    calls.clear()
    with files.folder_atomic(tmp_path / "model") as tmp:
        (tmp / "w.bin").write_bytes(b"w")
    assert [c[0] for c in calls] == ["flush_tree", "rename", "flush"] and calls[0][1].startswith(".model.")
    calls.clear()
    sequence_writer.SequenceWriter(tmp_path / "MP_Data").write("hello", np.zeros((3, layout.FRAME_SIZE)))
    assert [c[0] for c in calls] == ["flush_tree", "rename", "flush"], calls
    assert calls[2][1] == os.path.join("MP_Data", "hello")
    assert (tmp_path / "a.txt").read_text() == "x" and (tmp_path / "model" / "w.bin").is_file()
    assert len(list((tmp_path / "MP_Data" / "hello" / "0").iterdir())) == 3


HOLD_A_PARTIAL_FOLDER = """
import sys, time
from signlstm.files import folder_atomic
with folder_atomic(sys.argv[1]) as tmp:
    (tmp / "weights.bin").write_bytes(bytes(1000))
    print("writing", flush=True)
    time.sleep(120)
"""


KILLED_WHILE_REPLACING = """
import os, shutil, signal, sys
from signlstm.files import folder_atomic
real, count = os.rename, [0]
def rename(a, b):  # SIGKILL (or a power cut) just before the second rename: the old folder is aside
    count[0] += 1
    if count[0] == 2 and sys.argv[2] == "between the renames":
        os.kill(os.getpid(), signal.SIGKILL)
    real(a, b)
os.rename = rename
shutil.rmtree = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # ... or while the old folder is removed
with folder_atomic(sys.argv[1], replace=True) as tmp:
    (tmp / "signlstm.json").write_text("new")
"""


@pytest.mark.parametrize("when, left", [("between the renames", "previous"), ("while removing", "new")])
def test_a_writer_killed_while_replacing_a_model_folder_leaves_the_next_write_one_version_whole(tmp_path, when, left):
    """Replacing an output folder renames it aside, renames the new one in, then removes the old one. A writer killed
    (SIGKILL, a power cut) between the two renames leaves no folder under the output's name: the next write beside it
    puts the previous version back. Killed while removing the old one, the new version stays and the old one is
    removed, never put back (even when the output's name was cleared since)."""
    import subprocess
    import sys

    models = tmp_path / "models"
    (models / "mine").mkdir(parents=True)
    (models / "mine" / "signlstm.json").write_text("previous")
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_REPLACING, str(models / "mine"), when])
    assert killed.returncode == -9
    at = 2 if when == "between the renames" else 3
    assert (models / "mine").exists() == (at == 3)
    if at == 3:
        (models / "mine").rename(models / "mine-v2")  # the name cleared before the next write
    write_text(models / "notes.txt", "x")
    if at == 2:
        assert (models / "mine" / "signlstm.json").read_text() == left
        assert sorted(p.name for p in models.iterdir()) == ["mine", "notes.txt"]
    else:
        assert (models / "mine-v2" / "signlstm.json").read_text() == left
        assert sorted(p.name for p in models.iterdir()) == ["mine-v2", "notes.txt"]


def test_what_a_killed_writer_left_is_removed_by_the_next_write_beside_it_and_a_running_ones_is_kept(tmp_path):
    """SIGKILL (or a power cut) leaves a writer no time to remove its hidden temp folder; the next write in that
    folder, by any command, removes it, once the process that made it is gone, and leaves a running writer's alone."""
    import signal
    import subprocess
    import sys

    models = tmp_path / "models"
    writers = [subprocess.Popen([sys.executable, "-c", HOLD_A_PARTIAL_FOLDER, str(models / name)],
                                stdout=subprocess.PIPE, text=True) for name in ("killed", "running")]
    try:
        for w in writers:
            assert w.stdout.readline() == "writing\n"
        writers[0].send_signal(signal.SIGKILL)
        writers[0].wait(timeout=30)
        hidden = sorted(p.name for p in models.iterdir())
        assert len(hidden) == 2 and all(n.startswith((".killed.", ".running.")) for n in hidden), hidden

        write_text(models / "report.txt", "x")
        left = sorted(p.name for p in models.iterdir())
        assert left == [next(n for n in hidden if n.startswith(".running.")), "report.txt"], left
    finally:
        for w in writers:
            w.kill()
            w.wait(timeout=30)
