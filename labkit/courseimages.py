"""Docker's image-reference rule and the course's two base images, in one place for both engines.

- A reference without a tag means `:latest` (`day8` is `day8:latest`; `curlimages/curl` is
  `curlimages/curl:latest`, not the course's `:8.14.1`). A digest (`@sha256:…`) or an image ID is used
  as it is.
- The course runs `python:3.13-slim` (the lesson's server) and `curlimages/curl:8.14.1` (the client,
  whose busybox provides the network tools below). The offline stand-ins are built to carry them, and
  the embedded engine provides the same programs at the same paths.
"""

from __future__ import annotations

PYTHON_IMAGE = "python:3.13-slim"
CURL_IMAGE = "curlimages/curl:8.14.1"
STANDIN_LABEL = "labkit.standin"  # on an offline stand-in: which recipe built it
BUILT_IN = "built into labkit's embedded engine"  # the STANDIN_LABEL of the embedded engine's base images

# busybox applets of the curl image, linked into /usr/local/bin where Debian has no program of that name
BUSYBOX_APPLETS = ("nslookup", "ping", "ping6", "hostname", "netstat", "ifconfig", "ip", "route", "traceroute",
                   "wget", "nc", "telnet", "ps", "top", "less", "vi", "which")


def with_tag(ref: str) -> str:
    """The reference as the engine stores it: `:latest` added when it names no tag, digest or ID."""
    if ref.startswith("sha256:") or "@" in ref or ":" in ref.rsplit("/", 1)[-1]:
        return ref
    return ref + ":latest"
