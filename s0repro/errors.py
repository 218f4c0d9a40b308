"""Errors that are the user's to fix. The runner prints them as one line and exits non-zero, no traceback."""


class UserError(Exception):
    """Bad input (config, paths, environment): the message names what is wrong and how to fix it."""


class CellSkipped(Exception):
    """A cell that does not run, for a reason that is no failure (another process runs it, it has nothing to train
    on): the runner prints one line and goes on with the other cells."""


def one_line(err: BaseException, limit: int = 300, *, with_type: bool = False) -> str:
    """The first line of an exception's message, cut to ``limit`` characters (its type name if it has no message);
    ``with_type`` prefixes ``TypeName: ``. For reporting a foreign exception without its traceback."""
    lines = str(err).strip().splitlines()
    text = lines[0][:limit] if lines else ""
    if with_type:
        return f"{type(err).__name__}: {text}" if text else type(err).__name__
    return text or type(err).__name__
