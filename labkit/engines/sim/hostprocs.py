"""This machine's processes as the embedded engine needs to know them, on Linux and elsewhere (a Mac).

Linux answers from /proc; where there is no /proc, from psutil (ipykernel installs it; it needs no privilege for
one's own processes), else from `ps`. What cannot be known at all is None, so a caller refuses in its own words
instead of guessing.
"""

from __future__ import annotations

import os
import subprocess

PROC = "/proc"


def _has_proc() -> bool:
    return os.path.isdir(os.path.join(PROC, "self"))


def _ps(columns: str) -> list[list[str]]:
    """`ps -axo COLUMNS` rows, split by whitespace ([] when ps cannot run)."""
    try:
        out = subprocess.run(["ps", "-axo", columns], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split() for line in out.splitlines() if line.strip()]


def children() -> dict[int, list[int]]:
    """Every running process's children, by parent pid."""
    out: dict[int, list[int]] = {}
    if _has_proc():
        for entry in os.listdir(PROC):
            if not entry.isdigit():
                continue
            try:
                with open(f"{PROC}/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            out.setdefault(ppid, []).append(int(entry))
        return out
    try:
        import psutil
    except ImportError:
        for row in _ps("pid=,ppid="):
            if len(row) == 2 and row[0].isdigit() and row[1].isdigit():
                out.setdefault(int(row[1]), []).append(int(row[0]))
        return out
    for p in psutil.process_iter(["pid", "ppid"]):
        out.setdefault(p.info["ppid"] or 0, []).append(p.info["pid"])
    return out


def of_user(uid: int) -> set[int]:
    """The pids of uid's running processes."""
    if _has_proc():
        mine = set()
        for entry in os.listdir(PROC):
            try:
                if entry.isdigit() and os.stat(f"{PROC}/{entry}").st_uid == uid:
                    mine.add(int(entry))
            except OSError:
                continue
        return mine
    try:
        import psutil
    except ImportError:
        return {int(r[0]) for r in _ps("pid=,uid=") if len(r) == 2 and r[0].isdigit() and r[1] == str(uid)}
    found = set()
    for p in psutil.process_iter(["pid", "uids"]):
        uids = p.info.get("uids")
        if uids is not None and uids.real == uid:
            found.add(p.info["pid"])
    return found


def has_ended(pid: int) -> bool | None:
    """Whether pid has ended: gone, or a zombie waiting to be reaped (None: this machine cannot tell)."""
    if _has_proc():
        try:
            with open(f"{PROC}/{pid}/stat", encoding="ascii", errors="replace") as f:
                return f.read().rsplit(")", 1)[-1].strip().startswith("Z")
        except OSError:
            return True
    try:
        import psutil

        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except ImportError:
        rows = [r for r in _ps("pid=,stat=") if r and r[0] == str(pid)]
        return rows[0][1].startswith("Z") if rows and len(rows[0]) > 1 else None
    except Exception as err:  # psutil.NoSuchProcess: ended; AccessDenied: cannot tell
        return True if type(err).__name__ == "NoSuchProcess" else None


def catches(pid: int, sig: int) -> bool | None:
    """Whether pid has a handler for signal sig (Linux's SigCgt mask); None where this machine cannot tell."""
    if not _has_proc():
        return None
    try:
        with open(f"{PROC}/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    except OSError:
        return False  # gone: it handles nothing any more
    return None


def memory_total() -> int:
    """This machine's memory in bytes (0 when it cannot be read)."""
    try:
        with open(f"{PROC}/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0
