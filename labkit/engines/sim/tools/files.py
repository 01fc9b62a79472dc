"""The container's own files, as its programs see them: paths, directories, reads, writes; ls, whoami, id.

A container's "/" is three layers: the generated files the engine answers for (/etc/hosts,
/etc/resolv.conf, /etc/hostname, /proc/net/tcp, tcp6, route: `engine.read_file`), the image's
skeleton (the Debian directories of the course images and the programs the image provides), and the
container's own folder on this machine (`ctx.root`): what the image copied in (/app/server.py) and
what the container's programs wrote (`echo hi > /tmp/f`). Paths are the container's: relative ones
start at the shell's working folder (PWD). The engine's real host paths never show.
"""

from __future__ import annotations

import os
import posixpath
import time

from labkit.courseimages import BUSYBOX_APPLETS
from labkit.engines.sim import users
from labkit.engines.sim.images import COMMON_TOOLS
from labkit.engines.sim.tools.base import Ctx

TOP = ("bin", "boot", "dev", "etc", "home", "lib", "lib64", "media", "mnt", "opt", "proc", "root", "run", "sbin",
       "srv", "sys", "tmp", "usr", "var")
SKELETON_DIRS = {"/", *(f"/{d}" for d in TOP), "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/share", "/usr/local",
                 "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib", "/proc/net", "/var/tmp", "/var/log",
                 "/etc/ssl", "/dev/shm",
                 # the rest of Debian's /usr and /var in both course images (recorded on dockerd)
                 "/usr/games", "/usr/include", "/usr/lib64", "/usr/libexec", "/usr/src", "/var/backups", "/var/cache",
                 "/var/lib", "/var/local", "/var/mail", "/var/opt", "/var/spool"}
GENERATED = ("/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/proc/net/tcp", "/proc/net/tcp6",
             "/proc/net/route")


def account(ctx: Ctx) -> users.Account:
    """Who the program runs as: the container's user (-u, or the image's), or an exec's -u (LABKIT_USER). The
    spec was checked when the container started or the exec was made; one that no longer resolves is root."""
    try:
        return users.resolve(ctx.env.get("LABKIT_USER") or "root", is_curl_image(ctx))
    except users.UnknownAccount:
        return users.resolve("root", False)


def is_curl_image(ctx: Ctx) -> bool:
    """The curl image (its /entrypoint.sh, /home/curl_user, busybox applets)."""
    return "curl" in ctx.tools


def workdir(ctx: Ctx) -> str:
    """The working folder inside the container: a shell's PWD, else where the container's program started."""
    return ctx.env.get("PWD") or ctx.env.get("LABKIT_PWD") or "/"


def rootfs(ctx: Ctx) -> str | None:
    """This machine's folder for the container's "/" (None for a program on the host)."""
    if ctx.root is not None or ctx.cid is None:
        return ctx.root
    wd = workdir(ctx)
    return ctx.cwd[:len(ctx.cwd) - len(wd)] if ctx.cwd.endswith(wd) else ctx.cwd


def abspath(ctx: Ctx, path: str) -> str:
    """A container path, absolute and normalised."""
    return posixpath.normpath(posixpath.join(workdir(ctx), path)).replace("//", "/")


# where a path that leads out of the container's folder goes: nothing can be read, made or written there
OUTSIDE = "/proc/self/fdinfo/labkit-outside-the-container"


def host_path(ctx: Ctx, path: str) -> str:
    """Where a container path lives on this machine, its links resolved; a path whose links lead out of the
    container's own folder (a program may make any link there) is nowhere (OUTSIDE), so the engine's tools,
    which run as the engine, never read or write another container's files or the engine's own through one."""
    root = rootfs(ctx)
    if root is None:
        return abspath(ctx, path)
    real_root = os.path.realpath(root)
    real = os.path.realpath(root + abspath(ctx, path))
    if real != real_root and not real.startswith(real_root + os.sep):
        return OUTSIDE
    return real


def tool_path(ctx: Ctx, name: str) -> str:
    """Where a program lives in the course images (busybox applets and python in /usr/local/bin)."""
    if (name in BUSYBOX_APPLETS and name not in COMMON_TOOLS and is_curl_image(ctx)) or name in ("python", "python3"):
        return f"/usr/local/bin/{name}"
    return f"/usr/bin/{name}"


def _skeleton_files(ctx: Ctx) -> set[str]:
    files = set(GENERATED) | {tool_path(ctx, t) for t in ctx.tools}
    if is_curl_image(ctx):
        files.add("/entrypoint.sh")
    return files


def described(ctx: Ctx) -> set[str]:
    """The files of a container's "/" that the engine makes (/etc/hosts…) or describes (the image's programs):
    none of them is a file of the container's own folder."""
    return _skeleton_files(ctx)


def kind(ctx: Ctx, path: str) -> str | None:
    """"dir", "file" or None (missing) for a container path."""
    p = abspath(ctx, path)
    if p in SKELETON_DIRS or (p == "/home/curl_user" and is_curl_image(ctx)):
        return "dir"
    if p in _skeleton_files(ctx):
        return "file"
    h = host_path(ctx, p)
    if ctx.cid is not None and os.path.isdir(h):
        return "dir"
    if ctx.cid is not None and os.path.exists(h):
        return "file"
    return None


def listdir(ctx: Ctx, path: str) -> list[str] | None:
    """The names in a container directory (None when it is not one)."""
    p = abspath(ctx, path)
    if kind(ctx, p) != "dir":
        return None
    names = set()
    prefix = p.rstrip("/") + "/"
    for entry in SKELETON_DIRS | _skeleton_files(ctx) | ({"/home/curl_user"} if is_curl_image(ctx) else set()):
        if entry.startswith(prefix) and entry != p and "/" not in entry[len(prefix):]:
            names.add(entry[len(prefix):])
    h = host_path(ctx, p)
    if ctx.cid is not None and os.path.isdir(h):
        names.update(os.listdir(h))
    return sorted(names)


def read(ctx: Ctx, path: str) -> str | None:
    """A file's text (None when it is missing or a directory)."""
    if ctx.cid is None or kind(ctx, path) == "dir":
        return None
    return ctx.engine.read_file(ctx.cid, abspath(ctx, path))


def writable(ctx: Ctx, folder: str) -> bool:
    """Whether the container's user may create files in a folder (root anywhere; others in /tmp and home)."""
    who = account(ctx)
    if who.root:
        return True
    return any(folder == d or folder.startswith(d + "/") for d in ("/tmp", "/var/tmp", "/dev/shm", who.home)
               if d != "/")


def write(ctx: Ctx, path: str, text: str, append: bool) -> str | None:
    """Write a container file: None, or dash's reason it cannot ("Directory nonexistent", …)."""
    p = abspath(ctx, path)
    if p in ("/dev/null",):
        return None
    parent = posixpath.dirname(p)
    if kind(ctx, parent) != "dir":
        return "Directory nonexistent"
    if kind(ctx, p) == "dir":
        return "Is a directory"
    if ctx.cid is None or p in _skeleton_files(ctx) or p.startswith(("/proc/", "/sys/")) or \
            not writable(ctx, parent):
        return "Permission denied" if ctx.cid is not None else None
    h = host_path(ctx, p)
    os.makedirs(os.path.dirname(h), exist_ok=True)
    with open(h, "a" if append else "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return None


def glob(ctx: Ctx, pattern: str) -> list[str]:
    """Container paths matching a shell pattern (sorted, hidden names only for a leading dot)."""
    import re

    from labkit.engines.sim.tools.shexpand import pattern_rx

    absolute = pattern.startswith("/")
    parts = [p for p in pattern.split("/") if p]
    found = ["/" if absolute else ""]
    for part in parts:
        nxt = []
        for base in found:
            if not any(c in part for c in "*?["):
                candidate = base + part if base in ("", "/") or base.endswith("/") else base + "/" + part
                if kind(ctx, candidate or ".") is not None:
                    nxt.append(candidate)
                continue
            rx = re.compile(pattern_rx(part), re.S)
            for name in listdir(ctx, base or ".") or []:
                if name.startswith(".") and not part.startswith("."):
                    continue
                if rx.fullmatch(name):
                    nxt.append(base + name if base in ("", "/") or base.endswith("/") else base + "/" + name)
        found = nxt
    return sorted(found)


# -- the tools ------------------------------------------------------------------------------
def whoami(ctx: Ctx, argv: list[str]) -> int:
    """whoami (a uid the image's passwd file lacks has no name: coreutils' error, exit 1)."""
    who = account(ctx)
    if who.name is None:
        ctx.error(f"whoami: cannot find name for user ID {who.uid}\n")
        return 1
    ctx.write(who.name + "\n")
    return 0


def _named(number: int, name: str | None) -> str:
    return f"{number}({name})" if name is not None else str(number)


def id_tool(ctx: Ctx, argv: list[str]) -> int:
    """id [-u|-g] [-n]: the container's user (coreutils wording; a number without a name: its error, exit 1)."""
    who = account(ctx)
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    if "u" in flags or "g" in flags:
        number, name, what = (who.uid, who.name, "user") if "u" in flags else (who.gid, who.group, "group")
        if "n" in flags and name is None:
            ctx.error(f"id: cannot find name for {what} ID {number}\n")
            ctx.write(f"{number}\n")
            return 1
        ctx.write((name if "n" in flags else str(number)) + "\n")
    else:
        group = _named(who.gid, who.group)
        ctx.write(f"uid={_named(who.uid, who.name)} gid={group} groups={group}\n")
    return 0


def ls(ctx: Ctx, argv: list[str]) -> int:
    """ls [-a] [-1] [-d] [-l] [PATH…] (one name a line: its output is never a terminal here)."""
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and a != "-")
    paths = [a for a in argv[1:] if not a.startswith("-") or a == "-"] or ["."]
    code, files, dirs = 0, [], []
    for p in paths:
        k = kind(ctx, p)
        if k is None:
            ctx.error(f"ls: cannot access '{p}': No such file or directory\n")
            code = 2
        elif k == "file" or "d" in flags:
            files.append(p)
        else:
            dirs.append(p)
    blocks = []
    if files:
        blocks.append(_long(ctx, [(f, f) for f in sorted(files)], flags, total=False))
    for d in sorted(dirs):
        names = listdir(ctx, d) or []
        if "a" in flags:
            names = [".", "..", *names]
        elif "A" not in flags:
            names = [n for n in names if not n.startswith(".")]
        body = _long(ctx, [(posixpath.join(abspath(ctx, d), n), n) for n in names], flags, total=True)
        head = f"{d}:\n" if len(paths) > 1 else ""
        blocks.append(head + body)
    ctx.write("\n".join(blocks))
    return code


def _long(ctx: Ctx, entries: list[tuple[str, str]], flags: str, total: bool) -> str:
    """Names one a line, or with -l coreutils' long listing (mode, links, owner, size, time, name)."""
    if "l" not in flags:
        return "".join(shown + "\n" for _, shown in entries)
    rows = []
    blocks = 0
    for path, shown in entries:
        p = abspath(ctx, path)
        k = kind(ctx, p)
        try:
            st = os.stat(host_path(ctx, p))
            size, mtime = (4096 if k == "dir" else st.st_size), st.st_mtime
        except OSError:
            size, mtime = (4096 if k == "dir" else 0), 0.0
        mode = ("drwxrwxrwt" if p in ("/tmp", "/var/tmp") else "drwxr-xr-x") if k == "dir" else \
            ("-rwxr-xr-x" if p in _skeleton_files(ctx) and p.startswith("/usr/") else "-rw-r--r--")
        who = account(ctx)
        mine = not who.root and any(p.startswith(d + "/") for d in ("/tmp", "/var/tmp", who.home) if d != "/")
        owner, group = ((who.name or str(who.uid)), (who.group or str(who.gid))) if mine else ("root", "root")
        links = "2" if k == "dir" and mine else "1"
        blocks += -(-size // 4096) * 4
        rows.append((mode, links, owner, group, str(size), time.strftime("%b %e %H:%M", time.gmtime(mtime)), shown))
    width = max((len(r[4]) for r in rows), default=1)
    out = "".join(f"{m} {n} {o} {g} {sz:>{width}} {t} {shown}\n" for m, n, o, g, sz, t, shown in rows)
    return (f"total {blocks}\n" if total else "") + out


def make_dir(ctx: Ctx, path: str) -> str | None:
    """Create a container directory: None, or why not ("File exists", "No such file or directory")."""
    p = abspath(ctx, path)
    if kind(ctx, p) is not None:
        return "File exists"
    if kind(ctx, posixpath.dirname(p)) != "dir":
        return "No such file or directory"
    if not writable(ctx, posixpath.dirname(p)):
        return "Permission denied"
    os.makedirs(host_path(ctx, p), exist_ok=True)
    return None


def remove(ctx: Ctx, path: str, recursive: bool) -> str | None:
    """Remove a file (or, recursive, a directory) the container made: None, or why not."""
    import shutil

    p = abspath(ctx, path)
    k = kind(ctx, p)
    if k is None:
        return "No such file or directory"
    if k == "dir" and not recursive:
        return "Is a directory"
    h = host_path(ctx, p)
    if p in SKELETON_DIRS or p in _skeleton_files(ctx) or not os.path.exists(h) or \
            not writable(ctx, posixpath.dirname(p)):
        return "Permission denied"
    if k == "dir":
        shutil.rmtree(h, ignore_errors=True)
    else:
        os.remove(h)
    return None
