"""Whether the daemon answering an address is Podman: its /version document names a "Podman Engine" component."""

from __future__ import annotations

PODMAN_COMPONENT = "Podman Engine"


def podman_version(version_doc: dict) -> str | None:
    """Podman's version when the /version document is Podman's ("4.3.1"), else None (Docker, the sim)."""
    for component in version_doc.get("Components") or []:
        if (component or {}).get("Name") == PODMAN_COMPONENT:
            return str(component.get("Version") or version_doc.get("Version") or "")
    return None
