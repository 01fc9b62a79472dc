"""Docker's human units (go-units), shared by the daemon's own strings and the CLI's tables.

The daemon writes a container's Status ("Up 3 seconds", "Exited (0) 2 minutes ago"); the CLI writes
CREATED and SIZE columns. Both use the same Go library, so the embedded engine and the renderer share
this one copy.
"""

from __future__ import annotations

import time


def human_duration(seconds: float) -> str:
    """Go-units HumanDuration: '3 seconds', 'About a minute', '2 hours' …"""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def ago(created: float, now: float | None = None) -> str:
    """'5 seconds ago' for a UNIX timestamp, as the CLI's CREATED column shows it."""
    return human_duration((now if now is not None else time.time()) - created) + " ago"


def human_size(size: float, precision: int = 3) -> str:
    """Go-units HumanSizeWithPrecision: decimal units, e.g. '172MB' (precision 3) or '3.584kB' (4)."""
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return f"{size:.{precision}g}{units[i]}"
