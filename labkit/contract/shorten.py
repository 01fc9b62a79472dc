"""How the docker CLI shortens what a table cell or a formatted field shows: IDs to 12 characters, long
text to a width with a trailing '…'. Shared by the fixed tables (render) and --format (listformat)."""

from __future__ import annotations


def ellipsis(text: str, maxlen: int) -> str:
    """Shorten text to maxlen characters with a trailing '…', as the CLI does."""
    return text if len(text) <= maxlen else text[: maxlen - 1] + "…"


def short_id(full: str) -> str:
    """The 12-character ID the CLI shows (without any 'sha256:' prefix)."""
    return full.split(":", 1)[-1][:12]
