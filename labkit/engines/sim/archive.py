"""`docker cp`: a container path's stat, its files as a tar, and a tar unpacked into a container folder.

The Engine API's /containers/ID/archive (HEAD: stat, GET: tar out, PUT: tar in), as dockerd 20.10 answers it
(recorded with the docker CLI: tests/sim/cli_scenarios/cmd-cp.txt). A container's "/" is three layers
(tools/files.py): the files the engine makes (/etc/hosts, /etc/hostname, /etc/resolv.conf: copied out with the
text the container sees), the image's skeleton (its programs and directories, which the embedded engine
describes but has no copy of: copying them out is refused in its words, not given empty), and the container's own
folder on this machine, where everything copied in goes.

Nothing leaves or enters outside the container's own folder: a path whose links lead out of it is missing
(files.host_path), a tar is packed without following links, and one is unpacked by a child process with
tarfile's `data` filter (no absolute names, no `..`, no link out of the folder) which, on a confining (grading)
daemon, first enters the container's Landlock domain: whatever a container's program does to its folder meanwhile,
the unpacking cannot write anywhere else.

    python -m labkit.engines.sim.archive DEST     # the child: a tar on stdin unpacked beneath DEST
"""

from __future__ import annotations

import base64
import io
import json
import os
import posixpath
import stat as statmod
import subprocess
import sys
import tarfile
import time

from labkit.engines.sim import confine
from labkit.engines.sim.api_fields import ENGINE, refuse
from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx
from labkit.errors import BadRequest, EngineError, NotFound

_GO_DIR, _GO_LINK = 1 << 31, 1 << 27


def _ctx(engine, c) -> Ctx:
    return Ctx(engine, c.id, os.path.join(c.root, "rootfs"), {"PWD": "/"}, c.image.tools,
               root=os.path.join(c.root, "rootfs"))


def _missing(path: str, ref: str) -> NotFound:
    return NotFound(f"Could not find the file {path} in container {ref}")


def _made(ctx: Ctx, path: str) -> bool:
    """A path the engine makes or describes (generated files, the image's programs), not a file of the folder."""
    return path in files.described(ctx)


def stat(engine, c, path: str, ref: str) -> dict:
    """The path's stat as dockerd gives it in X-Docker-Container-Path-Stat (name, size, Go mode, mtime, link)."""
    if not path:
        raise BadRequest("path cannot be empty")
    ctx = _ctx(engine, c)
    p = files.abspath(ctx, path)
    kind = files.kind(ctx, p)
    if kind is None:
        raise _missing(path, ref)
    real = files.host_path(ctx, p)
    name = posixpath.basename(p) or "/"
    try:
        info = os.lstat(real)
    except OSError:
        info = None
    if info is None or _made(ctx, p):
        text = engine.read_file(c.id, p) if _made(ctx, p) else None
        size = len(text.encode()) if text is not None else 0
        mode = (_GO_DIR | 0o755) if kind == "dir" else 0o644
        mtime = c.created
    else:
        size = 4096 if kind == "dir" else info.st_size
        mode = statmod.S_IMODE(info.st_mode) | (_GO_DIR if kind == "dir" else 0) | \
            (_GO_LINK if statmod.S_ISLNK(info.st_mode) else 0)
        mtime = info.st_mtime
    link = os.readlink(real) if info is not None and statmod.S_ISLNK(info.st_mode) else ""
    return {"name": name, "size": size, "mode": mode,
            "mtime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime)), "linkTarget": link}


def stat_header(doc: dict) -> str:
    """The X-Docker-Container-Path-Stat header's value."""
    return base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def pack(engine, c, path: str, ref: str) -> bytes:
    """GET: the path as a tar, its top entry named by its base name (a folder with all beneath it, links as
    links). The image's own programs and folders holding them are refused: the engine has no copy of them."""
    stat(engine, c, path, ref)
    ctx = _ctx(engine, c)
    p = files.abspath(ctx, path)
    kind = files.kind(ctx, p)
    skeleton = files.SKELETON_DIRS | files.described(ctx)
    generated = set(files.GENERATED)
    if (kind == "file" and _made(ctx, p) and p not in generated) or \
            (kind == "dir" and any(e.startswith(p.rstrip("/") + "/") for e in skeleton)):
        raise refuse(f"docker cp of {p}", "GET /containers/ID/archive",
                     "it has no copy of the image's own files, only of what was copied into the container and what "
                     "its programs wrote")
    buf = io.BytesIO()
    name = posixpath.basename(p) or "."

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if p in generated:
            data = (engine.read_file(c.id, p) or "").encode()
            info = owned_by_root(tarfile.TarInfo(name))
            info.size, info.mode, info.mtime = len(data), 0o644, int(c.created)
            tar.addfile(info, io.BytesIO(data))
        else:
            real = files.host_path(ctx, p)
            if not os.path.lexists(real):  # a skeleton folder nothing was put in yet
                info = owned_by_root(tarfile.TarInfo(name))
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, int(c.created)
                tar.addfile(info)
            else:
                tar.add(real, arcname=name, recursive=True, filter=owned_by_root)
    return buf.getvalue()


def unpack(engine, c, path: str, ref: str, body: bytes, copy_ids: bool) -> None:
    """PUT: a tar unpacked into the container folder at path (which must be a folder), confined to it."""
    if copy_ids:
        raise refuse("docker cp -a", "copyUIDGID", "what it copies in belongs to the container's root")
    ctx = _ctx(engine, c)
    p = files.abspath(ctx, path)
    kind = files.kind(ctx, p)
    if kind is None:
        raise _missing(path, ref)
    if kind != "dir":
        raise EngineError("extraction point is not a directory", 500)
    try:
        names = tarfile.open(fileobj=io.BytesIO(body), mode="r:*").getnames()
    except (tarfile.TarError, EOFError) as err:
        raise BadRequest(f"the archive to copy in is not a tar: {err}") from None
    made = files.described(ctx)
    for name in names:
        target = posixpath.normpath(posixpath.join(p, name))
        if target in made:
            raise refuse(f"docker cp onto {target}", "PUT /containers/ID/archive",
                         "that file is the engine's own (made for the container, or one of the image's programs)")
    dest = files.host_path(ctx, p)
    if dest == files.OUTSIDE:
        raise _missing(path, ref)
    os.makedirs(dest, exist_ok=True)
    fence = engine.confinement(c.id)  # a grading lab's Landlock ruleset for this container, else None
    try:
        proc = subprocess.run([sys.executable, "-m", "labkit.engines.sim.archive", dest], input=body,
                              capture_output=True, timeout=120, env=_child_env(),
                              preexec_fn=(lambda: confine.enter(fence)) if fence is not None else None)
    finally:
        if fence is not None:
            os.close(fence)
    if proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines()
        raise BadRequest(f"{ENGINE} could not copy this archive into {p}: {why[-1] if why else 'not unpacked'}")


def _child_env() -> dict[str, str]:
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": here, "PYTHONDONTWRITEBYTECODE": "1"}


def _unpack_here(dest: str) -> int:
    """The child: stdin's tar beneath dest, with tarfile's data filter; one line on stderr when refused."""
    try:
        with tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode="r:*") as tar:
            def mine(member: tarfile.TarInfo, where: str) -> tarfile.TarInfo:
                return tarfile.data_filter(member, where).replace(uid=os.getuid(), gid=os.getgid(), deep=False)

            tar.extractall(dest, filter=mine, numeric_owner=True)
    except (tarfile.TarError, OSError) as err:
        sys.stderr.write(f"{err}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_unpack_here(sys.argv[1]) if len(sys.argv) == 2 else 2)
