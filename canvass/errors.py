"""The small family of errors canvass raises.

Raise these in the core with a message that says what is wrong *and what to do*; the
edges (CLI, web) translate them once into an exit code or an HTTP status. Nothing below
the edges prints or exits.
"""

from __future__ import annotations


class CanvassError(Exception):
    """Base class. `exit_code` is what the CLI exits with; `http_status` what the web returns."""

    exit_code: int = 1
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(CanvassError):
    """The user's input (a file, a tally, an argument) is malformed or impossible."""

    exit_code = 3
    http_status = 422


class NotFoundError(CanvassError):
    """Something named by the user (a precinct, a file, an item) does not exist."""

    exit_code = 4
    http_status = 404


class NotReadyError(CanvassError):
    """The system is not in a state to do this yet (e.g. no election loaded: run `canvass init`)."""

    exit_code = 5
    http_status = 409


class ConflictError(CanvassError):
    """The request conflicts with what is stored (e.g. a frozen county, a claimed item)."""

    exit_code = 6
    http_status = 409


class StorageError(CanvassError):
    """The database or file store cannot be reached or is inconsistent."""

    exit_code = 7
    http_status = 503


class RefusedError(CanvassError):
    """A deliberate refusal: a photo that cannot be read, a sign-off that is not yet allowed."""

    exit_code = 8
    http_status = 422


class ForbiddenError(RefusedError):
    """The account may not do this, whatever the state of things (e.g. sign off a county
    it was not given): the message says who may."""

    http_status = 403


EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (
        CanvassError,
        InputError,
        NotFoundError,
        NotReadyError,
        ConflictError,
        StorageError,
        RefusedError,
    )
}
