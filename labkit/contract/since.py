"""`docker logs --since/--until` values as the CLI sends them: Go's GetTimestamp (docker/api/types/time).

The CLI turns a relative duration ("42m", "1h30m") or a date ("2013-01-02T13:23:37Z", "2013-01-02") into UNIX
seconds ("1357133017.000000000") before asking the daemon; a bare number is passed on as it is. Anything else is
the CLI's own error, exit 1.
"""

from __future__ import annotations

import datetime
import re
import time

from labkit.errors import CommandError

_DURATION = re.compile(r"^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$")
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H%z", "%Y-%m-%dT%H", "%Y-%m-%d")


def timestamp(value: str | None, what: str, now: float | None = None) -> str | None:
    """The value the CLI sends for --since/--until (None when not given); the CLI's error when unreadable."""
    if value is None or value == "":
        return value or None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return value
    m = _DURATION.match(value)
    if m:
        seconds = sum(float(n) * _SECONDS[u] for n, u in _PART.findall(value)) * (-1 if m.group(1) == "-" else 1)
        t = (time.time() if now is None else now) - seconds
        return f"{int(t)}.{int(round((t % 1) * 1e9)) % 1_000_000_000:09d}"
    text = value.replace("Z", "+0000")
    text = re.sub(r"([+-]\d{2}):(\d{2})$", r"\1\2", text)
    for fmt in _FORMATS:
        try:
            dt = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.datetime.now().astimezone().tzinfo)
        t = dt.timestamp()
        return f"{int(t)}.{int(round((t % 1) * 1e9)) % 1_000_000_000:09d}"
    raise CommandError(f'invalid value for "{what}": failed to parse value as time or duration: "{value}"\n', 1)
