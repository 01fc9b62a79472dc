"""A job folder's bounds and its end: a size-limited filesystem of its own, the learner's folder made plain before
the grader reads it, and the whole folder removed after, whatever the learner left in it.

**Bounded.** `bound` gives the job folder a tmpfs of its own, `Limits.disk` bytes (and one inode per 4 KiB of it),
mounted in a mount namespace private to the worker process: what the boxes write there (the kernel's working
folder, the lab's engine folder) cannot pass that size, and the mount goes when the worker and its boxes go —
even when the worker is killed, it never outlives the run. As root the worker makes the mount namespace; as an
ordinary user it makes a user namespace too (its own uid and gid mapped to themselves, nothing else changes),
where it may mount a tmpfs. The boxes are made inside it. (A watchdog that measures the folder can be outrun by
a fast writer; a limit of the filesystem cannot.) `--sandbox container` is not bounded here: Docker binds the
folder from the machine's own mount namespace, which never sees this one.

**Made plain** (`scrub`, once the kernel box is gone): every folder is opened to its owner again (a learner can
chmod a folder to 0311 or 000 to hide what is in it from a grader running as its own uid), and every entry that
is not a regular file or a folder — a link, a pipe, a socket, a device — is removed.

**Removed** (`remove`): the whole tree, then the folder; folders opened first, whatever their mode.

Both walk the tree without recursion (a tree 1,500 folders deep, or deeper, is one more loop) and without long
paths (each step is relative to an open folder, two descriptors at a time, so no path is ever longer than one
name), never through a link and never onto another filesystem; they never raise.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from pathlib import Path

from labkit.errors import CommandError

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_REC, MS_SLAVE, MNT_DETACH = 0x4000, 0x80000, 2
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_libc = ctypes.CDLL(None, use_errno=True)


def _check(code: int, what: str) -> None:
    if code != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def private_mounts() -> None:
    """Move this process into a mount namespace of its own (as an ordinary user, in a user namespace of its own
    too, its uid and gid mapped to themselves), where mounts are seen by it and what it starts, and go with
    them. Call it while the process has a single thread."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWNS | (0 if uid == 0 else CLONE_NEWUSER)), "unshare")
    if uid != 0:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_SLAVE, None), "mount --make-rslave /")


def bound(job: Path, size: int, kind: str) -> None:
    """Give the job folder of a submission boxed by bubblewrap (kind "bwrap") a tmpfs of its own of `size` bytes
    (one inode per 4 KiB), in a mount namespace of this process (private_mounts); other kinds are left as they
    are. A CommandError, in one line, when this machine allows neither: the submission is not graded unbounded."""
    if kind != "bwrap":
        return
    options = f"size={size},nr_inodes={max(size // 4096, 1024)},mode=0711"
    try:
        private_mounts()
        _check(_libc.mount(b"tmpfs", os.fsencode(job), b"tmpfs", 0, options.encode()), "mount a tmpfs")
    except OSError as err:
        raise CommandError(f"the grader cannot bound this submission's disk here ({err.strerror or err}): grade as "
                           "root, or where an unprivileged user namespace may mount a tmpfs\n", 1) from None


def _open_dir(name: str, dir_fd: int | None = None) -> int:
    """Open a folder (made searchable and readable by its owner first) without following a link."""
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        os.chmod(name, 0o700, dir_fd=dir_fd)
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)


def _open_up(fd: int) -> None:
    """Make an open folder readable, searchable and writable by its owner (as it was, plus 0700)."""
    try:
        os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) | 0o700)
    except OSError:
        pass  # listing it says what is left


def _same(fd: int, ident: tuple[int, int]) -> bool:
    st = os.fstat(fd)
    return (st.st_dev, st.st_ino) == ident


def _tidy(top: Path, remove: bool) -> list[str]:
    """Walk top iteratively: open every folder to its owner (mode | 0700), remove every entry that is not a
    regular file or a folder (with remove: every entry, then the folders, bottom up). What could not be done."""
    problems: list[str] = []
    try:
        fd = _open_dir(str(top))
    except OSError as err:
        return [] if err.errno == errno.ENOENT else [f"{top}: {err.strerror}"]
    # one frame per level entered: (the parent's identity, the folder's name in it, the parent's folders left)
    stack: list[tuple[tuple[int, int], str, list[str]]] = []
    try:
        _open_up(fd)
        device = os.fstat(fd).st_dev
        pending = _visit(fd, device, remove, problems)
        while True:
            if pending:
                name = pending.pop()
                try:
                    child = _open_dir(name, fd)
                except OSError as err:
                    problems.append(f"{name}: {err.strerror}")
                    continue
                here = os.fstat(fd)
                stack.append(((here.st_dev, here.st_ino), name, pending))
                os.close(fd)
                fd = child
                _open_up(fd)
                pending = _visit(fd, device, remove, problems)
                continue
            if not stack:
                break
            parent, name, pending = stack.pop()
            up = os.open("..", DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = up
            if not _same(fd, parent):  # moved while we were in it: stop rather than work anywhere else
                problems.append(f"{top}: changed while it was cleaned")
                break
            if remove:
                try:
                    os.rmdir(name, dir_fd=fd)
                except OSError as err:
                    problems.append(f"{name}: {err.strerror}")
    except OSError as err:
        problems.append(f"{top}: {err.strerror}")
    finally:
        os.close(fd)
    return problems


def _visit(fd: int, device: int, remove: bool, problems: list[str]) -> list[str]:
    """One folder: unlink what must go (everything but regular files and folders; with remove, every file),
    remove empty folders (with remove); the folders left to enter, on this filesystem only."""
    try:
        names = os.listdir(fd)
    except OSError as err:
        problems.append(f"a folder could not be listed: {err.strerror}")
        return []
    folders = []
    for name in names:
        try:
            st = os.lstat(name, dir_fd=fd)
            if stat.S_ISDIR(st.st_mode):
                if st.st_dev != device:
                    problems.append(f"{name}: another filesystem is mounted there; left alone")
                    continue
                if remove:
                    try:
                        os.rmdir(name, dir_fd=fd)
                        continue
                    except OSError:
                        pass
                folders.append(name)
            elif remove or not stat.S_ISREG(st.st_mode):
                os.unlink(name, dir_fd=fd)
            elif st.st_mode & 0o600 != 0o600:
                os.chmod(name, stat.S_IMODE(st.st_mode) | 0o600, dir_fd=fd)  # a regular file: lstat said so
        except OSError as err:
            problems.append(f"{name}: {err.strerror}")
    return folders


def scrub(folder: Path) -> list[str]:
    """Make the learner's folder plain for the grader: every folder open to its owner again, every regular file
    readable, everything else (links, pipes, sockets, devices) removed. What could not be done (never raises)."""
    try:
        return _tidy(folder, remove=False)
    except Exception as err:  # noqa: BLE001 - a clean-up never stops the grading
        return [f"{folder}: {type(err).__name__}: {err}"]


def remove(job: Path) -> list[str]:
    """Remove the job folder whole (its tmpfs unmounted first when it has one): every folder opened first, no
    recursion, no long paths. What could not be removed (never raises)."""
    problems: list[str] = []
    try:
        if _is_mount(job) and _libc.umount2(os.fsencode(job), MNT_DETACH) != 0:
            problems.append(f"{job}: cannot unmount: {os.strerror(ctypes.get_errno())}")
        problems += _tidy(job, remove=True)
        os.rmdir(job)
    except FileNotFoundError:
        pass
    except Exception as err:  # noqa: BLE001 - a clean-up never stops the grading
        problems.append(f"{job}: {type(err).__name__}: {err}")
    return problems


def _is_mount(path: Path) -> bool:
    """True when path is the root of a filesystem mounted there (its device differs from its parent's)."""
    try:
        return os.lstat(path).st_dev != os.lstat(path.parent).st_dev
    except OSError:
        return False
