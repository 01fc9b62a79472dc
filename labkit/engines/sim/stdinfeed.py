"""A container's stdin, as an attached client writes it (`echo x | docker run -i IMAGE cat`, `docker attach`).

The embedded engine's programs read their stdin whole (a tool gets it as one string), so a container's stdin is a
feed that an attach with `stdin=1` fills and ends:

- `docker run -i` creates the container with OpenStdin and StdinOnce, attaches with stdin=1, then starts it and
  copies its own stdin; at the end of its stdin it half-closes the connection. With StdinOnce that is the end of the
  container's stdin (as dockerd closes it when the first attached client's stdin ends): the program reads what was
  written, then end-of-file.
- Without StdinOnce (`docker run -d -i`, then `docker attach`) dockerd keeps the container's stdin open when the
  client's ends: the program waits for more, for ever. Here too it never sees an end; as it reads its stdin whole,
  it never sees the bytes either (a divergence: dockerd's `cat` prints them as they come).
- With a TTY, detach keys (ctrl-p,ctrl-q unless the attach's `detachKeys` says otherwise) end the attach and leave
  the program running, its stdin still open, as dockerd does; without one they are input, as on dockerd.

A program that reads its stdin (FedCtx.stdin) while a feed is attached waits for the feed's end; one that reads it
with no client attached gets what it would get on Docker with nobody writing: a read that waits until the
container stops (stdin_never_ends).
"""

from __future__ import annotations

import threading
from typing import BinaryIO

from labkit.engines.sim.tools.base import Ctx
from labkit.errors import BadRequest

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"
_WAIT = 0.05
_CONTROL_SIGNS = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}  # ctrl-@ is NUL, ctrl-[ ESC


def detach_sequence(spec: str) -> bytes:
    """The bytes of a detach-keys spec ("ctrl-p,ctrl-q", "ctrl-x", "a,ctrl-@"), as dockerd reads it; a bad spec is 400."""
    keys = bytearray()
    for key in (spec or DEFAULT_DETACH_KEYS).split(","):
        if len(key) == 1:
            keys.append(ord(key))
            continue
        name = key[5:] if key.lower().startswith("ctrl-") else None
        if name is None or len(name) != 1:
            raise BadRequest(f"Unknown character: '{key}'")
        char = name.lower()
        if "a" <= char <= "z":
            keys.append(ord(char) - ord("a") + 1)
        elif name in _CONTROL_SIGNS:
            keys.append(_CONTROL_SIGNS[name])
        else:
            raise BadRequest(f"Unknown character: '{key}'")
    return bytes(keys)


class StdinFeed:
    """What an attached client wrote to a container's stdin, and whether it has ended (end-of-file)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ended = threading.Event()
        self.read = False  # a program has read it to its end (the client may end it before the start)

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def copy_stdin(rfile: BinaryIO, feed: StdinFeed, detach_keys: bytes, once: bool) -> str:
    """Copy a hijacked connection's bytes into feed until the client ends its stdin ("eof"), types the detach keys
    ("detach") or goes ("gone"). With once (StdinOnce) the end of the client's stdin ends the feed."""
    matched = 0
    while True:
        try:
            chunk = rfile.read1(65536)
        except (OSError, ValueError):
            return "gone"
        if not chunk:
            if once:
                feed.ended.set()
            return "eof"
        for byte in chunk:
            if detach_keys and byte == detach_keys[matched]:
                matched += 1
                if matched == len(detach_keys):
                    return "detach"
                continue
            if matched:  # a partial detach sequence is input after all
                feed.data += detach_keys[:matched]
                matched = 0
            feed.data.append(byte)


class FedCtx(Ctx):
    """A container main program's Ctx whose stdin is the container's feed (see the module's docstring)."""

    def __init__(self, *args, container=None, **kwargs) -> None:
        self._stdin: str | None = None
        self.container = container
        super().__init__(*args, **kwargs)

    @property
    def stdin(self) -> str | None:  # type: ignore[override]
        if self._stdin is None and self.stdin_open and self._feed() is not None:
            self._await_feed()
        return self._stdin

    @stdin.setter
    def stdin(self, value: str | None) -> None:
        self._stdin = value

    def _feed(self) -> StdinFeed | None:
        return getattr(self.container, "stdin_feed", None)

    def _await_feed(self) -> bool:
        """Wait (settled: the program is waiting on a read) until an attached feed ends (True) or the container
        stops (False). A feed that goes without ending (a detach) leaves the read waiting for the next one."""
        self.settle()
        while not self.stop.is_set():
            feed = self._feed()
            if feed is not None and feed.ended.wait(_WAIT):
                self._stdin, feed.read = feed.text(), True
                return True
            if feed is None:
                self.stop.wait(_WAIT)
        return False

    def stdin_never_ends(self) -> bool:
        """As Ctx's, except that a client attaching with stdin later can still end the wait with its bytes."""
        if not self.stdin_open or self._stdin is not None:
            return False
        return not self._await_feed()
