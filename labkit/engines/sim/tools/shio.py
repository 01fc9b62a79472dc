"""The shell's plumbing: file descriptors (IO) with their inputs and sinks, and the exceptions that end or
leave a part of a script (Exit for exit/exec/fatal errors, Flow for break/continue/return)."""

from __future__ import annotations

from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx


class Exit(Exception):
    """The shell ends with this status (exit, a fatal error, exec)."""

    def __init__(self, code: int):
        self.code = code


class Flow(Exception):
    """break / continue N, or return."""

    def __init__(self, kind: str, n: int):
        self.kind, self.n = kind, n


class Input:
    """What fd 0 reads: text with a position (read takes a line, a program takes the rest)."""

    def __init__(self, text: str | None):
        self.text, self.pos = text or "", 0
        self.none = text is None

    def rest(self, consume: bool) -> str | None:
        """The unread text (None for no input at all)."""
        if self.none:
            return None
        out = self.text[self.pos:]
        if consume:
            self.pos = len(self.text)
        return out

    def line(self) -> str | None:
        """The next line without its newline (None at the end)."""
        if self.pos >= len(self.text):
            return None
        j = self.text.find("\n", self.pos)
        j = len(self.text) if j < 0 else j
        out = self.text[self.pos:j]
        self.pos = j + 1
        return out


class Sink:
    """Where an fd's output goes: a list (ctx.out/err, a buffer), a container file, or nowhere."""

    def __init__(self, target: list | None = None, path: str | None = None, ctx: Ctx | None = None):
        self.target, self.path, self.ctx = target, path, ctx

    def write(self, text: str) -> None:
        """Append text."""
        if not text:
            return
        if self.target is not None:
            self.target.append(text)
        elif self.path is not None:
            files.write(self.ctx, self.path, text, append=True)


class IO:
    """The shell's file descriptors."""

    def __init__(self, fds: dict):
        self.fds = fds

    def copy(self) -> IO:
        """The same descriptors, in a table of their own."""
        return IO(dict(self.fds))
