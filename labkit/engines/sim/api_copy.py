"""`docker cp` (/containers/ID/archive: HEAD stat, GET out, PUT in: archive.py), and the container endpoints the
embedded engine refuses in its words (`docker stats`, `docker update`, `docker export`, `docker diff`)."""

from __future__ import annotations

from labkit.engines.sim import archive
from labkit.engines.sim.api_fields import refuse
from labkit.engines.sim.api_streams import Exchange, container

STAT_HEADER = "X-Docker-Container-Path-Stat"


def archive_stat(h: Exchange, ref: str) -> None:
    """HEAD /containers/ID/archive?path=P: the path's stat in a header (404 in dockerd's words when missing)."""
    doc = archive.stat(h.engine, container(h, ref), h.q("path"), ref)
    h.headers_out(200)
    h.send_header(STAT_HEADER, archive.stat_header(doc))
    h.end_headers()


def archive_get(h: Exchange, ref: str) -> None:
    """GET /containers/ID/archive?path=P: the path as a tar, its stat in a header."""
    c = container(h, ref)
    doc = archive.stat(h.engine, c, h.q("path"), ref)
    data = archive.pack(h.engine, c, h.q("path"), ref)
    h.headers_out(200)
    h.send_header(STAT_HEADER, archive.stat_header(doc))
    h.send_header("Content-Type", "application/x-tar")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def archive_put(h: Exchange, ref: str) -> None:
    """PUT /containers/ID/archive?path=DIR: the body's tar unpacked into the container's folder DIR."""
    archive.unpack(h.engine, container(h, ref), h.q("path"), ref, h.body or b"", h.flag("copyUIDGID"))
    h.send_empty(200)


def _refused(flag: str, route: str, why: str):
    def answer(h: Exchange, ref: str) -> None:
        container(h, ref)  # a missing container is dockerd's 404 first
        raise refuse(flag, route, why)

    answer.__doc__ = f"{flag}: refused in the embedded engine's words."
    return answer


_ID = "([^/]+)"
_NOT_MEASURED = "it does not measure its containers' CPU, memory, network or disk use"
_NO_LIMITS = "its containers have no resource limits to change; a restart policy is set by docker run --restart"
ROUTES = [
    ("HEAD", f"/containers/{_ID}/archive", archive_stat), ("GET", f"/containers/{_ID}/archive", archive_get),
    ("PUT", f"/containers/{_ID}/archive", archive_put),
    ("GET", f"/containers/{_ID}/stats", _refused("docker stats", "GET /containers/ID/stats", _NOT_MEASURED)),
    ("POST", f"/containers/{_ID}/update", _refused("docker update", "POST /containers/ID/update", _NO_LIMITS)),
    ("GET", f"/containers/{_ID}/export", _refused("docker export", "GET /containers/ID/export",
                                                  "it has no copy of the image's own files")),
    ("GET", f"/containers/{_ID}/changes", _refused("docker diff", "GET /containers/ID/changes",
                                                   "it does not track a container's changes to its image")),
]
UPLOADS = {archive_put}
