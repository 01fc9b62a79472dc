"""Which resources labkit owns: the labels it puts on them and the one test of ownership."""

from __future__ import annotations

import os
import uuid

SESSION_LABEL = "labkit.session"
LESSON_LABEL = "labkit.lesson"
STANDIN_LABEL = "labkit.standin"

_session = os.environ.get("LABKIT_SESSION") or uuid.uuid4().hex[:12]
_lesson: str | None = os.environ.get("LABKIT_LESSON") or None


def session_id() -> str:
    """The id of this labkit session (one per process unless LABKIT_SESSION is set)."""
    return _session


def set_lesson(lesson: str | None) -> None:
    """Record which lesson the following commands belong to (stored as the labkit.lesson label)."""
    global _lesson
    _lesson = lesson


def labels(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The labels labkit puts on everything it creates."""
    out = dict(extra or {})
    out[SESSION_LABEL] = _session
    if _lesson:
        out[LESSON_LABEL] = _lesson
    return out


def is_owned(obj: dict) -> bool:
    """True when an Engine API object (container, network) carries the labkit.session label."""
    found = obj.get("Labels")
    if found is None:
        found = (obj.get("Config") or {}).get("Labels")
    return SESSION_LABEL in (found or {})


def not_owned_message(kind: str, name: str, fix: str) -> str:
    """The one-line refusal for touching a resource labkit did not create."""
    return (
        f"labkit: {kind} {name} was not created by labkit, so labkit leaves it alone; "
        f"to change it yourself run `{fix}` in a terminal, or pick another name\n"
    )
