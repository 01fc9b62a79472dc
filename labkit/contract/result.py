"""The result of one command of the docker command contract, and the Out a command writes into."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


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


class CommandError(Exception):
    """A command failed before or instead of reaching the engine; carries its CLI rendering."""

    def __init__(self, stderr: str, exit_code: int = 1, stdout: str = ""):
        super().__init__(stderr.strip())
        self.stderr = stderr if stderr.endswith("\n") or not stderr else stderr + "\n"
        self.exit_code = exit_code
        self.stdout = stdout


class Out:
    """Collects what a command prints and its exit code."""

    def __init__(self) -> None:
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.code = 0

    def out(self, text: str) -> None:
        """Print to stdout."""
        self.stdout.append(text)

    def err(self, text: str, code: int | None = None) -> None:
        """Print to stderr, and set the exit code when one is given."""
        self.stderr.append(text)
        if code is not None:
            self.code = code
