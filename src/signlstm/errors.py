"""The one exception type for errors a user can cause (bad files, bad arguments)."""


class SignlstmError(Exception):
    """A problem with the user's input: the CLI prints it as one line and exits with status 2."""


class BadInput(SignlstmError):
    """A file that cannot be used, with the file named in the message."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self):  # raised in a worker process (judge's folds), it reaches the command whole
        return type(self), (self.path, self.problem)


def check_count(option: str, value, least: int) -> None:
    """Refuse (:class:`SignlstmError`, naming ``option``) a count below ``least``: ``value`` is one count or a list of
    them; what is not a number (None: not given; a path) is not a count and passes."""
    import numbers

    for n in value if isinstance(value, (list, tuple)) else [value]:
        if isinstance(n, numbers.Real) and n < least:
            raise SignlstmError(f"{option} must be {f'at least {least}' if least else '0 or more'}, got {n}")


# Bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069): each shows the text after it in
# another order (a right-to-left override turns "olleh.npy" into what reads as "hello.npy").
REORDERING = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))


def one_line(text: str) -> str:
    """``text`` with its line breaks, tabs and other control characters, and the characters that reorder the text
    after them (:data:`REORDERING`), shown as escapes (``\\n``, ``\\t``, ``\\u202e``): a message naming a file
    whose name holds one stays one line, read in order."""
    import unicodedata

    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in REORDERING else c for c in text)


def first_line(e: BaseException, typed: bool = False) -> str:
    """The first line of the error ``e``'s message (at most 120 characters) for a one-line report, led by its type's
    name when ``typed`` (``ValueError: ...``); its type's name alone when that line is empty or blank."""
    text = str(e).splitlines()[0][:120] if str(e) else ""
    if not text.strip():
        return type(e).__name__
    return f"{type(e).__name__}: {text}" if typed else text


def optional(module: str, extra: str, what: str):
    """Import an optional dependency, or say in one line which extra brings it: ``pip install 'signlstm[extra]'``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise missing_extra(what, module, extra) from None


def missing_extra(what: str, module: str, extra: str) -> SignlstmError:
    """The error for ``what`` (a command, an option) without ``module``, naming the extra that installs it."""
    return SignlstmError(f"{what} needs {module.split('.')[0]}: pip install 'signlstm[{extra}]'")
