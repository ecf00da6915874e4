"""Errors that tools raise, each carrying a one-line message that says what to do."""

from __future__ import annotations


class ReelforgeError(Exception):
    """Base for errors a user should see as one line, without a traceback."""


class BadInput(ReelforgeError):
    """The request or a file it names cannot be used."""


class InvalidField(BadInput):
    """One field of a request is wrong; each door names the field its own way (a flag, a key, a field)."""

    def __init__(self, field: str, problem: str) -> None:
        """Keep the field's name and the neutral problem (what is wrong and what is accepted)."""
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class CheckpointStoreDamaged(BadInput):
    """The checkpoint store is empty, truncated or corrupt, or a run's checkpoints are gone from it.

    A BadInput, so doors refuse with one line (the CLI exits 2) and nothing runs again silently: the fix is
    to restore the store, or to start the run anew on purpose (`reelforge resume RUN --restart`).
    """

    def __init__(self, what: str, fix: str, *, empty: bool = False) -> None:
        """`what` names the store or run and what is wrong with it; `empty`: the file is there but blank."""
        super().__init__(f"{what}; {fix}")
        self.what = what
        self.fix = fix
        self.empty = empty


class ToolUnavailable(ReelforgeError):
    """A binary, library or voice that the run needs cannot be loaded."""


class Interrupted(ReelforgeError):
    """The run was stopped by Ctrl-C or SIGTERM; its checkpoints are intact."""


class RunStopped(ReelforgeError):
    """A node gave up because the run is being stopped (Ctrl-C, SIGTERM, a worker shutting down)."""


class ServiceUnavailable(ReelforgeError, ConnectionError):
    """A service (a page, a feed, Airtable, a platform) was unreachable, timed out, or answered 5xx or 429.

    A ConnectionError, so nodes' retry policies (`is_transient`) try again; the message names the service.
    """


class VerificationFailed(ReelforgeError):
    """A produced artifact did not pass its checks."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none."""
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: timeouts, dropped connections and busy resources."""
    import errno

    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    if isinstance(exc, OSError):
        return exc.errno in {errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT}
    return False
