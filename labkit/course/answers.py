"""The learner's recorded answers (quiz choices and values they looked up), kept for checks and grading.

Answers live in this kernel; when LABKIT_ANSWERS names a file (the grader sets it), every answer
is also written there, so the grader reads them from outside the notebook's process.
"""

from __future__ import annotations

import json
import os

_answers: dict[str, str] = {}


def _path() -> str | None:
    return os.environ.get("LABKIT_ANSWERS") or None


def record(question: str, value: object) -> None:
    """Record the learner's answer to one question (replacing an earlier one)."""
    _answers[str(question)] = "" if value is None else str(value).strip()
    path = _path()
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(_answers, f, indent=1, sort_keys=True)
        os.replace(tmp, path)


def get(question: str) -> str | None:
    """The recorded answer to a question, or None when there is none."""
    return _answers.get(question)


def all_answers() -> dict[str, str]:
    """Every recorded answer of this kernel."""
    return dict(_answers)


def load(path: str) -> dict[str, str]:
    """Answers from an answers file (the grader's view); {} when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
