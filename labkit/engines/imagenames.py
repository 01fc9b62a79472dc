"""Image names in one normal form, whatever the engine wrote them as.

Docker keeps the name the learner typed (`day8`, `curlimages/curl:8.14.1`) and files images from Docker Hub
under `docker.io/library/…`; Podman files every image under a registry (`localhost/day8:latest` for a local
build or `podman load`, `docker.io/library/python:3.13-slim` for a pulled one). Everything that compares or
shows image names from an engine (the course's checks through labkit.course.state, `images`, `ps`) uses
`normal` (or `normal_tagged` where a tag is always shown), so `localhost/day8:latest`,
`docker.io/library/day8:latest` and `day8` are one image name.
"""

from __future__ import annotations

# the registries an engine puts in front of a name the learner wrote without one: Docker Hub (the CLI's
# familiar form drops it) and Podman's local store
_IMPLIED = ("docker.io/library/", "docker.io/", "localhost/")
_DEFAULT_TAG = ":latest"


def familiar(ref: str) -> str:
    """The docker CLI's familiar form of a reference: Docker Hub's `docker.io/library/` or `docker.io/` dropped
    (`docker.io/library/day8:latest` -> `day8:latest`); everything else as it is."""
    for prefix in _IMPLIED[:2]:
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def normal_tagged(ref: str) -> str:
    """The reference with any implied registry (Docker Hub, Podman's `localhost/`) and digest dropped and the tag
    always present: `localhost/day8` -> `day8:latest`, `docker.io/library/day8:v2` -> `day8:v2`."""
    ref = ref.split("@", 1)[0]
    for prefix in _IMPLIED:
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    if ":" not in ref.rsplit("/", 1)[-1]:
        ref += _DEFAULT_TAG
    return ref


def normal(ref: str) -> str:
    """The one form image names are compared and shown in: no implied registry, no digest, and no `:latest`
    (`localhost/day8:latest`, `docker.io/library/day8` and `day8` are all `day8`; `day8:v2` stays)."""
    if not ref or ref.startswith("sha256:"):
        return ref
    tagged = normal_tagged(ref)
    return tagged[: -len(_DEFAULT_TAG)] if tagged.endswith(_DEFAULT_TAG) else tagged


def same(a: str, b: str) -> bool:
    """Whether two references name the same image name (`localhost/day8:latest` and `day8` do)."""
    return normal(a) == normal(b)
