"""curl's progress meter: what curl 8.14.1 prints on stderr while it transfers, when not told -s.

curl shows it unless -s, or unless the body goes to a terminal (stdout a tty and no -o): under
`docker run` without -t and under `docker exec` stdout is a pipe, so it shows. It is two header lines,
then one row per update, each row starting with a carriage return, and a newline when the transfer
is done. A fast transfer has two rows: the first (all zeros, printed before the name is even
resolved) and the final one. A transfer that fails before any byte arrived repeats the zero row; one
whose name does not resolve ends after the first row, without the newline (curl's error follows on
the same line). Speeds are bytes per second, in curl's five-character form.
"""

from __future__ import annotations

import time

HEADER = ("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
          "                                 Dload  Upload   Total   Spent    Left  Speed\n")


def size5(n: float) -> str:
    """A byte count or speed in curl's five characters (max5data): 877, 202k, 12.3M."""
    n = int(n)
    if n < 100000:
        return f"{n:5d}"
    if n < 10000 * 1024:
        return f"{n // 1024:4d}k"
    if n < 100 * 1024 * 1024:
        return f"{n // (1024 * 1024):2d}.{(n % (1024 * 1024)) * 10 // (1024 * 1024):1d}M"
    return f"{n // (1024 * 1024):4d}M"


def time8(seconds: float) -> str:
    """A duration as curl's meter shows it: --:--:-- under a second, else H:MM:SS in eight characters."""
    s = int(seconds)
    if s <= 0:
        return "--:--:--"
    return f"{s // 3600:2d}:{s % 3600 // 60:02d}:{s % 60:02d}".rjust(8)


class Meter:
    """One transfer's meter: call start(), then row() for updates, done() at the end (all no-ops when hidden)."""

    def __init__(self, write, shown: bool, header: bool = True):
        self.write = write
        self.shown = shown
        self.header = header
        self.t0 = time.monotonic()

    def start(self) -> None:
        """The header (first transfer only) and the zero row."""
        if not self.shown:
            return
        if self.header:
            self.write(HEADER)
        self.write("\r" + self._line(0, 0, 0, 0, elapsed=0))

    def zero_row(self) -> None:
        """A row with nothing transferred, as curl prints it when a transfer fails before data arrived (and
        once a second while it waits): its Spent column counts the whole seconds since the start."""
        if self.shown:
            self.write("\r" + self._line(0, 0, 0, 0, elapsed=time.monotonic() - self.t0))

    def row(self, dl_total: int | None, dl_now: int, ul_total: int | None, ul_now: int) -> None:
        """The row for the transfer's state now (None: the size is not known)."""
        if self.shown:
            self.write("\r" + self._line(dl_total or 0, dl_now, ul_total or 0, ul_now,
                                         elapsed=time.monotonic() - self.t0))

    def done(self) -> None:
        """The newline that ends the meter."""
        if self.shown:
            self.write("\n")

    def _line(self, dl_total: int, dl_now: int, ul_total: int, ul_now: int, elapsed: float) -> str:
        total = dl_total + ul_total
        now = dl_now + ul_now
        pct = 100 * now // total if total else 0
        dl_pct = 100 * dl_now // dl_total if dl_total else 0
        ul_pct = 100 * ul_now // ul_total if ul_total else 0
        secs = max(elapsed, 1e-6)
        dl_speed = dl_now / secs if dl_now else 0
        ul_speed = ul_now / secs if ul_now else 0
        current = (now / secs) if now else 0
        return (f"{pct:3d} {size5(total)}  {dl_pct:3d} {size5(dl_now)}  {ul_pct:3d} {size5(ul_now)}  "
                f"{size5(dl_speed)}  {size5(ul_speed)} {time8(0)} {time8(elapsed)} {time8(0)} {size5(current)}")
