"""Resumable grading: every graded submission's result is kept in `--out/graded/<key>.json` the moment it is
graded, so re-running the same command grades only what is new or changed, and an interrupted run (Ctrl-C, a
lost worker) loses only the submissions that were being graded.

A result's key is a hash of everything that decides it: the submission file's content, labkit's version, whose
it is and which lesson (the instructor's word), and the run's settings (engine, sandbox, timeouts, limits, the
hidden checks' and the course assets' content). Change any of them and the submission is graded again. Results
that say nothing about the submission — the run was interrupted, a worker died — are never kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from labkit.course.regular import read_regular
from labkit.grading.messages import GradeSettings
from labkit.grading.outdir import OutDir
from labkit.grading.text import clean
from labkit.version import __version__

FOLDER = "graded"


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (of a folder's files, names included, in order). A path that is no regular file
    now (a pipe, a device, gone) is never read, never waited on: it digests as what it is not."""
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(q for q in path.rglob("*") if q.is_file()):
            h.update(os.fsencode(p.relative_to(path)) + b"\0")
            h.update(_bytes(p))
    else:
        h.update(_bytes(path))
    return h.hexdigest()


def _bytes(path: Path) -> bytes:
    try:
        return read_regular(os.path.realpath(path))  # a link the instructor made is followed; a pipe never waited on
    except OSError as err:
        return f"\0unreadable: {err.errno}".encode()


def settings_digest(settings: GradeSettings | dict, hidden: list[str]) -> str:
    """What of a run decides every result besides the submission itself (settings, or their JSON form)."""
    s = settings if isinstance(settings, GradeSettings) else GradeSettings.from_json(settings)
    decisive = {"engine": s.engine, "sandbox": s.sandbox, "limits": s.limits}
    decisive |= {"timeout": float(s.timeout), "cell_timeout": float(s.cell_timeout)}  # 120 and 120.0 are one setting
    decisive["hidden"] = [file_digest(Path(h)) for h in hidden]
    decisive["assets"] = file_digest(Path(s.assets or ""))
    decisive["labkit"] = __version__
    return hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()


class ResultStore:
    """The kept results of one --out folder, for one run's settings."""

    def __init__(self, folder: OutDir, settings: str) -> None:
        self.folder, self.settings = folder, settings

    def key(self, item) -> str:
        """The key of one submission (an Item of labkit.grading.run) under this run's settings."""
        who = [item.learner, item.assignment, item.lesson, file_digest(item.path), self.settings]
        return hashlib.sha256(json.dumps(who).encode()).hexdigest()[:32]

    def get(self, item) -> dict | None:
        """The kept result of this very submission, graded with these settings, in its serialised form (its
        strings escaped; GradeResult.from_json checks its shape), or None."""
        try:
            result = json.loads(self.folder.read(f"{FOLDER}/{self.key(item)}.json"))
        except (OSError, ValueError):
            return None
        if not isinstance(result, dict) or result.get("learner") != item.learner:
            return None
        return clean(dict(result, path=str(item.path)))

    def put(self, item, result: dict) -> None:
        """Keep one submission's result (written atomically, like every file in --out), every string in it escaped
        and anything not JSON made text (text.clean); one that still cannot be written is not kept (the next run
        grades it again), never an error."""
        try:
            data = json.dumps(clean(result), ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return
        self.folder.write(f"{FOLDER}/{self.key(item)}.json", data)
