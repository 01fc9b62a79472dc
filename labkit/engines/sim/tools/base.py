"""What every tool shares: `Ctx`, where a program runs, and `NotFound`, a program the image lacks.

The tool modules import these from here (never from the package face), so that the package's
`__init__` can import every tool module without a cycle.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Ctx:
    """Where a program runs: which container (None for the host), its files, env and output."""

    engine: object
    cid: str | None
    cwd: str
    env: dict[str, str]
    tools: set[str]
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    stdin_open: bool = False
    stdin: str | None = None
    settled: threading.Event = field(default_factory=threading.Event)
    on_process: object = None  # callback(Popen) so stop/kill can reach a real process
    logs: tuple[str, str] | None = None  # (stdout path, stderr path) for a main process
    root: str | None = None  # this machine's folder for the container's "/" (files.rootfs finds it when None)
    tty: bool = False  # stdout is a terminal (docker run -t / exec -t): curl, for one, then shows no progress meter
    runner: object = None  # the program table's run(ctx, argv) (set by the package's run): how a shell runs programs

    def stdin_never_ends(self) -> bool:
        """A container's main program whose stdin is open (`docker run -i`, OpenStdin) and that nobody writes to:
        on Docker a read waits for ever. Then the program settles and waits until the container is stopped
        (True: it ended so, exit 137 as SIGKILL ends it); False when it has stdin to read (or none: at its end)."""
        if not self.stdin_open or self.stdin is not None:
            return False
        self.settle()
        self.stop.wait()
        return True

    def settle(self) -> None:
        """The program has started and now waits (or serves): its start is complete."""
        self.settled.set()

    def write(self, text: str) -> None:
        """Print text on the program's stdout."""
        self.out.append(text)

    def error(self, text: str) -> None:
        """Print text on the program's stderr."""
        self.err.append(text)


class NotFound(Exception):
    """The program does not exist in this image (exit 127, OCI runtime wording)."""
