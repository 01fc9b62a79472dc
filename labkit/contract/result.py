"""The result of one command of the docker command contract, and the Out a command writes into."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field


@dataclass
class Result:
    """What one command printed and how it exited, exactly as the docker CLI would."""

    cmd: str
    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """True when the command exited 0."""
        return self.exit_code == 0

    def to_json(self) -> str:
        """One JSON object: {"cmd", "exit_code", "stdout", "stderr"}."""
        return json.dumps(asdict(self), ensure_ascii=False)

    def __str__(self) -> str:
        return self.stdout + self.stderr

    def _repr_pretty_(self, p, cycle) -> None:  # IPython display
        p.text(self.stdout + self.stderr)


@dataclass
class Live:
    """Where a command's output goes as it is printed (a notebook cell's streams), and what went there."""

    stdout: object
    stderr: object
    shown_out: list[str] = field(default_factory=list)
    shown_err: list[str] = field(default_factory=list)

    def write(self, text: str, err: bool) -> None:
        """Print text now, on the cell's stdout or stderr."""
        stream = self.stderr if err else self.stdout
        stream.write(text)
        stream.flush()
        (self.shown_err if err else self.shown_out).append(text)

    def rest(self, result: Result) -> tuple[str, str]:
        """What of a finished command's output has not been printed yet (stdout, stderr)."""
        out, err = "".join(self.shown_out), "".join(self.shown_err)
        return (result.stdout[len(out):] if result.stdout.startswith(out) else result.stdout,
                result.stderr[len(err):] if result.stderr.startswith(err) else result.stderr)


# set by whoever shows output as it comes (the notebook magics); a command's Out prints through it
live_output: ContextVar[Live | None] = ContextVar("live_output", default=None)


class Out:
    """Collects what a command prints and its exit code (and prints it at once when output is live)."""

    def __init__(self) -> None:
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.code = 0
        self.live = live_output.get()

    def out(self, text: str) -> None:
        """Print to stdout."""
        self.stdout.append(text)
        if self.live is not None and text:
            self.live.write(text, err=False)

    def err(self, text: str, code: int | None = None) -> None:
        """Print to stderr, and set the exit code when one is given."""
        self.stderr.append(text)
        if self.live is not None and text:
            self.live.write(text, err=True)
        if code is not None:
            self.code = code
