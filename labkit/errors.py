"""labkit's errors, in one hierarchy, and the one place where an Engine API answer becomes one of them.

    LabkitError                 anything labkit reports to a learner: one line, no traceback
    ├── CommandError            a command failed before or instead of reaching the engine (CLI text, exit code)
    │   └── EngineUnreachable   no daemon answered, or it could not be spoken to (TLS, configuration)
    ├── HelpShown               not a failure: a bare `docker network` shows the group's help
    └── EngineError             the daemon refused a request (status and the daemon's own message)
        ├── BadRequest          400  (invalid parameters, a container that is not running, …)
        ├── NotFound            404
        │   └── ImageNotFound   404 "No such image: …"
        ├── Conflict            409  (a name in use, a network with endpoints, …)
        └── ServerError         500 and anything else

Callers catch a class (`except NotFound`), never a status code or a message prefix. Both engines raise
these: the docker engine maps docker-py's errors through `engine_error`, the embedded engine raises
them directly, and the sim daemon's clients map its HTTP answers the same way.
"""

from __future__ import annotations


class LabkitError(Exception):
    """An error labkit reports to the learner as one line (never a traceback)."""


class CommandError(LabkitError):
    """A command failed before or instead of reaching the engine; carries its CLI rendering and exit code."""

    def __init__(self, stderr: str, exit_code: int = 1, stdout: str = ""):
        super().__init__(stderr.strip())
        self.stderr = stderr if stderr.endswith("\n") or not stderr else stderr + "\n"
        self.exit_code = exit_code
        self.stdout = stdout


class EngineUnreachable(CommandError):
    """No daemon could be reached (or spoken to) at the configured address; the message says what to do."""


class HelpShown(LabkitError):
    """A command shows its help instead of running (a bare `docker network`): not a failure, exit 0."""

    def __init__(self, text: str):
        super().__init__("help")
        self.text = text


class EngineError(LabkitError):
    """The daemon refused a request: HTTP-like status and the daemon's own message."""

    status = 500

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(EngineError):
    """400: the request cannot be done as asked (bad parameters, a container that is not running)."""

    status = 400


class NotFound(EngineError):
    """404: no such container, network or image."""

    status = 404


class ImageNotFound(NotFound):
    """404 for an image reference the engine does not have ("No such image: …")."""


class Conflict(EngineError):
    """409: the request conflicts with what exists (a name in use, a network with endpoints)."""

    status = 409


class ServerError(EngineError):
    """500 (and any other status): the engine failed to do something it accepted."""

    status = 500


_BY_STATUS: dict[int, type[EngineError]] = {400: BadRequest, 404: NotFound, 409: Conflict}


def engine_error(status: int, message: str) -> EngineError:
    """The EngineError for an Engine API answer (the one mapping, as docker-py's errors.py has)."""
    message = message.strip()
    if status == 404 and message.startswith("No such image"):
        return ImageNotFound(message, status)
    return _BY_STATUS.get(status, ServerError)(message, status)
