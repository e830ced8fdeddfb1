"""Options and loading steps shared by several subcommands."""
from __future__ import annotations

import argparse
import codecs
import json
import sys
from pathlib import Path

from .. import layout


def add_data(p, required=True, people=False, unlabelled=False, model=False):
    """``--data`` and how it is read (``--actions``, ``--length``, ``--skip-bad``); with ``people``, ``--data`` alone:
    a per-person benchmark reads whole packed files, one per person; with ``unlabelled``, the help names the
    unlabelled forms the command reads too; with ``model``, for a command with ``--model``, whose model gives the
    length and, for a tutorial ``.h5``, takes ``--actions`` as its labels."""
    if people:
        p.add_argument("--data", nargs="+", required=required, metavar="PATH",
                       help="packed .npz files, one per person (the file name is the person), or folders of them")
        return
    p.add_argument("--data", nargs="+", required=required, metavar="PATH",
                   help="MP_Data folders (<action>/<seq>/<frame>.npy), packed .npz files or folders of them"
                        + ("; also .npz without y and .npy arrays of sequences (N, T, 1662), unlabelled"
                           if unlabelled else ""))
    p.add_argument("--actions", nargs="+", help="the data's actions to use, in label order (default: all of them, by "
                                                "name" + ("; a tutorial .h5 --model's labels" if model else "") + ")")
    length = "the model's" if model else f"from the data: a packed file's own, a tree's at least {layout.SEQ_LEN}"
    p.add_argument("--length", type=int, help=f"frames per sequence (default: {length})")
    p.add_argument("--skip-bad", action="store_true", help="skip defective sequences instead of stopping")


SHARED = "../shared"  # the shared data folder, beside the checkout, that bench and loadtest measure on by default


def add_shared(p, holds: str):
    """``--shared``: the shared data folder (default :data:`SHARED`); ``holds``: what the command reads there."""
    p.add_argument("--shared", default=SHARED, help=f"the shared data folder ({holds}; default {SHARED})")


def add_model(p, required=False):
    p.add_argument("--model", required=required, metavar="M",
                   help="a model bundle folder (default: the shipped model) or a tutorial .h5 with --actions")


def add_h5_actions(p):
    """``--actions``: the labels of a tutorial ``.h5`` model (which holds none), in output order."""
    p.add_argument("--actions", nargs="+", help="with a tutorial .h5 --model: its labels in output order")


def add_front_model(p):
    p.add_argument("--model", metavar="M",
                   help="a model bundle folder or a tutorial .h5 with --actions (default: the shipped model; with "
                        "--rule spot, the shipped spotting model)")


def add_judging(p, cells: bool = True, negatives: str = "recordings of other signs (trained as 'none'; held-out "
                                                           "people's are tested)"):
    """Options of every ``signlstm judge`` benchmark. ``cells`` False: ``--cells`` (the consistent-gesture cells of
    the three signs) is left out of the help, for a benchmark that refuses it with its reason. ``negatives``: what
    that benchmark does with ``--negatives``."""
    p.add_argument("--negatives", nargs="+", metavar="PATH", help=negatives)
    p.add_argument("--cells", metavar="cells.json",
                   help="consistent-gesture cells (default: cells.json beside the data, if any)" if cells
                   else argparse.SUPPRESS)
    p.add_argument("--workers", type=int, default=0, help="parallel worker processes (default: one per core)")
    p.add_argument("--ray", metavar="ADDRESS", help="run the folds on Ray: 'local', 'auto' or a cluster address")
    p.add_argument("--cache", metavar="DIR",
                   help="where trained fold models and fold results are cached (default: $SIGNLSTM_CACHE or "
                        "~/.cache/signlstm)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def load_data(args, actions=None, require_all=False, parts=None, dtype=None, bundle=None, sources=None):
    """``--data`` (or its ``sources``, already opened by :func:`open_data`) as one dataset; ``parts`` and ``dtype``
    keep only what a model reads (see ``datasets.Dataset``). Every file's header is checked first, and an action
    named ``none`` in another case ("None", "NONE": the rejection label, never a sign) is refused before anything is
    read (``datasets.load``). With ``bundle`` (the model the data is for), the sequence length is the model's unless
    ``--length`` says otherwise (see :func:`check_length`)."""
    import numpy as np

    from ..datasets import describe_skipped, load

    given = checked_actions(args)
    actions = actions or given
    sources = open_data(args, actions) if sources is None else sources
    if bundle is not None:
        sources = at_model_length(sources, bundle, args, actions)
    data = load(args.data, actions=actions, skip_bad=args.skip_bad, require_all=require_all, parts=parts,
                dtype=dtype or np.float32, sources=sources)
    if data.skipped:
        print(describe_skipped(data.skipped), file=sys.stderr)
    return data


def open_data(args, actions=None, labelled: bool = True):
    """``--data`` opened (:func:`~signlstm.datasets.open_sources`: headers checked, nothing large read) with
    ``--actions`` (or ``actions``), ``--length`` and ``--skip-bad``; unless ``labelled``, data without labels too."""
    from ..datasets import open_sources

    return open_sources(args.data, actions or checked_actions(args), checked_length(args), args.skip_bad, labelled)


def checked_actions(args) -> list[str] | None:
    """``--actions`` (None when not given) in Unicode's composed form, stored back in ``args``, or
    :class:`SignlstmError` naming the first that cannot be a sign's name (:func:`~signlstm.sign_names.name_problem`:
    empty, a control or line-separator character, ``/``, ``None`` for the rejection label ...) or is given twice: a
    label list with a name twice would give two outputs one name. Every command taking ``--actions`` checks them
    before anything is read (:func:`load_data`, :func:`open_model`, :func:`open_streamed`)."""
    from ..sign_names import checked_names

    if getattr(args, "actions", None) is None:
        return None
    args.actions = checked_names(args.actions)
    return args.actions


def checked_length(args) -> int | None:
    """``--length`` (None when not given), or :class:`SignlstmError` unless it is 1 to
    :data:`~signlstm.layout.MAX_SEQ_LEN` frames."""
    from ..errors import SignlstmError

    if args.length is not None and (problem := layout.seq_len_problem(args.length)):
        raise SignlstmError(f"--length {problem}")
    return args.length


SEED_OPTIONS = ("seed", "seeds", "tutorial_seeds")  # the options that seed random draws, in any command
MAX_SEED = 2**32 - 1  # numpy's and Keras's largest seed
# whole-number options and their least value, in any command that has them (a list: each value)
AT_LEAST = {"epochs": 1, "tutorial_epochs": 1, "shots": 1, "frames": 1, "videos": 1, "soak": 0, "memory": 1,
            "sequences": 1}


def check_counts(args) -> None:
    """:class:`SignlstmError` unless every seed option of the command (:data:`SEED_OPTIONS`) is 0 to
    :data:`MAX_SEED`, every count of :data:`AT_LEAST` at least its least value, and ``--workers`` of the commands
    that run worker processes is 0 (one per core) or more."""
    from ..errors import SignlstmError, check_count

    if args.command != "serve" and getattr(args, "workers", None) is not None and args.workers < 0:
        raise SignlstmError(f"--workers must be 0 (one per core) or more, got {args.workers}")
    for name, low in AT_LEAST.items():  # (extract's --videos are paths, not counts: passed)
        check_count(f"--{name.replace('_', '-')}", getattr(args, name, None), low)
    for name in SEED_OPTIONS:
        value = getattr(args, name, None)
        for seed in value if isinstance(value, list) else [] if value is None else [value]:
            if not 0 <= seed <= MAX_SEED:
                raise SignlstmError(f"--{name.replace('_', '-')} must be a whole number from 0 to {MAX_SEED}, "
                                    f"got {seed}")


def check_paths_apart(args) -> None:
    """Refuse, before any work, a command's outputs (the options it lists as ``writes``) that name, lie inside or
    hold one of its inputs (its ``reads``; those it lists as ``whole``, by default ``--model``, hold nothing of
    another's) or each other (see :func:`signlstm.outputs.check_outputs_apart`)."""
    from ..outputs import check_outputs_apart

    outputs = {f"--{name.replace('_', '-')}": getattr(args, name, None) for name in getattr(args, "writes", ())}
    inputs = []
    for name in getattr(args, "reads", ()):
        value = getattr(args, name, None)
        inputs += value if isinstance(value, list) else [] if value is None else [value]
    whole = [p for name in getattr(args, "whole", ("model",)) if (p := getattr(args, name, None)) is not None]
    check_outputs_apart(outputs, [p for p in inputs if p not in whole], models=whole)


# characters that end a line for str.splitlines (and some readers) which JSON leaves unescaped in a string
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_line(obj) -> str:
    """``obj`` as one line of standard JSON, which every parser reads: a figure nothing measured (NaN, an infinity) is
    null, numpy numbers and arrays are plain numbers and lists, and anything else JSON has no form for is its text.
    Sign names keep their letters (``"ñ"``, not ``"\\u00f1"``) when the output is UTF-8 (else every non-ASCII letter
    is escaped, as JSON allows); characters that would end the line, and the stand-ins of a file name's undecodable
    bytes (lone surrogates, which no output can encode), are escaped."""
    utf8 = codecs.lookup(getattr(sys.stdout, "encoding", None) or "ascii").name == "utf-8"
    text = json.dumps(_plain(obj), allow_nan=False, default=str, ensure_ascii=not utf8)
    for char, escaped in _LINE_BREAKS.items():
        text = text.replace(char, escaped)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _plain(obj):
    """``obj`` with its numpy values as Python's and its non-finite floats as None, in nested dicts and lists."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {(k.item() if isinstance(k, np.generic) else k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def stage(command: str, text: str) -> None:
    """Say on stderr, when it is a terminal, that ``command`` starts a stage that may take a while (``train: reading
    ...``), so a person waiting knows what the silence is; a log or a program reading stderr gets the notes and
    errors only."""
    if sys.stderr.isatty():
        print(f"{command}: {text}...", file=sys.stderr, flush=True)


def print_note(note: str | None) -> None:
    """Print ``note`` on stderr, when there is one (a note is not an error: the command goes on)."""
    if note:
        print(note, file=sys.stderr)


def check_length(sources, bundle, length=None) -> None:
    """Refuse data whose sequences are not as long as the model's window: :class:`BadInput` naming the file or tree
    whose sequences (most of them, at least two, for a tree: one aborted recording is named as such when it is read)
    hold another frame count than ``bundle.seq_len``, or a ``--length`` (``length``) other than the model's."""
    from ..errors import BadInput, SignlstmError
    from ..models.bundle import length_problem

    want = bundle.seq_len
    for src in sources:
        if src.held and src.held != want:
            raise BadInput(src.path, length_problem(src.held, want))
    if length and length != want:
        raise SignlstmError(f"--length {length}, but the model reads {want}-frame sequences (leave --length out: the "
                            "model's length is the default)")


def open_model(args, front: bool = False, new_signs: bool = False):
    """Load ``--model`` (or the shipped one: for a ``front``, the one for its ``--rule``) and warn when it looks
    untrained. ``--actions`` name a model file's labels; of a bundle folder's, they must be among them unless
    ``new_signs`` (``adapt``: the data's signs, new ones too)."""
    from ..models.bundle import front_model, label_order_problem, load_bundle
    from ..models.legacy import UNTRAINED, looks_untrained

    path = args.model or (front_model(args.rule) if front else None)
    actions = checked_actions(args)  # (the names refused before any file is opened)
    folder = path is None or Path(path).is_dir()
    bundle = load_bundle(path, None if new_signs and folder else actions)
    if looks_untrained(bundle.model):
        print(f"warning: {bundle.path}: {UNTRAINED}", file=sys.stderr)
    if problem := label_order_problem(bundle.meta):
        print(f"warning: {bundle.path}: {problem}", file=sys.stderr)
    return bundle


def data_actions(args) -> list[str] | None:
    """The ``--actions`` that choose which of the data's actions are read (:func:`checked_actions`), or None when
    they are the labels of a model file (a tutorial ``.h5`` or a bare ``.keras`` given as ``--model``): the data is
    then read whole, and what is scored as which label is the command's to say (its own spelling included)."""
    actions = checked_actions(args)
    return None if getattr(args, "model", None) and not Path(args.model).is_dir() else actions


def open_streamed(args, labelled: bool = True):
    """``(sources, bundle)`` for a command that streams ``--data`` through a model: every data file's header checked
    before the model loads, the sequence length the model's unless ``--length`` says otherwise (a tree of another
    length is named, :func:`check_length`), and freed chunks handed back to the system as the data is read one chunk
    at a time. Unless ``labelled``, data without labels is read too (:func:`~signlstm.datasets.open_sources`)."""
    from ..datasets import open_sources
    from ..limits import return_freed_memory

    return_freed_memory()
    actions = data_actions(args)
    sources = open_sources(args.data, actions, checked_length(args), args.skip_bad, labelled)
    for src in sources:
        if src.note:
            print(f"note: {src.note}", file=sys.stderr)
    bundle = open_model(args)
    return at_model_length(sources, bundle, args, actions, labelled), bundle


def at_model_length(sources, bundle, args, actions=None, labelled: bool = True):
    """``sources`` (``args.data`` opened) refused unless their sequences are as long as ``bundle``'s window
    (:func:`check_length`), and opened again at that length when a tree was read at the default one."""
    from ..datasets import open_sources

    check_length(sources, bundle, args.length)
    if all(src.seq_len == bundle.seq_len for src in sources):
        return sources
    return open_sources(args.data, actions, bundle.seq_len, args.skip_bad, labelled)
