"""Confinement of a grading lab's container programs (Landlock): what a submission's container code cannot write.

On the embedded engine a container's program is a process beside the daemon, under the same uid: without more,
it could rename the daemon's socket and answer in its place, rewrite the engine's files (the network model,
another container's logs and listen reports, its image's files) or trace the daemon. A grading daemon
(`labkit sim serve --confine`) therefore starts every container process in a Landlock domain of its own, made
before the program's first instruction:

- it may write only beneath its container's own folder (its files, its own logs) and to devices (/dev/null);
  everything else on this machine is read-only to it — the engine's folder, its socket, other containers;
- it cannot trace a process outside its domain (Landlock, every ABI), nor signal one or reach an abstract unix
  socket of one (ABI 6, Linux 6.12): the daemon and other containers are out of its reach.

Landlock needs no privilege (Linux 5.13+ with landlock among the LSMs; it works inside bubblewrap boxes and
Docker containers). Where the kernel has none, `abi()` is 0: the grader refuses to grade untrusted notebooks
then, and a confining daemon refuses to start a container program unconfined.
"""

from __future__ import annotations

import ctypes
import os
import struct

_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446  # the same numbers on every architecture
_VERSION = 1  # LANDLOCK_CREATE_RULESET_VERSION
_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

WRITE_FILE, REMOVE_DIR, REMOVE_FILE = 1 << 1, 1 << 4, 1 << 5
MAKE = sum(1 << b for b in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
REFER, TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6


class ConfineError(OSError):
    """Landlock could not confine a process."""


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi() -> int:
    """The Landlock ABI version this kernel offers here (0: none, or not allowed in this sandbox)."""
    try:
        v = _libc().syscall(_SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(int(v), 0)


def _writes(version: int) -> int:
    return WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE | (REFER if version >= 2 else 0) | \
        (TRUNCATE if version >= 3 else 0)


def ruleset(writable: list[str], devices: str = "/dev") -> int:
    """A Landlock ruleset fd: writes allowed beneath each folder (or to each file) of writable and to devices,
    nowhere else; signals and abstract sockets scoped where the ABI has them. Raises ConfineError."""
    version = abi()
    if version < 1:
        raise ConfineError(0, "this kernel has no Landlock (Linux 5.13 or newer, with landlock among its LSMs)")
    handled = _writes(version)
    scoped = (SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL) if version >= 6 else 0
    attr = struct.pack("QQQ", handled, 0, scoped) if version >= 6 else struct.pack("QQ", handled, 0) \
        if version >= 4 else struct.pack("Q", handled)
    libc = _libc()
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = libc.syscall(_SYS_CREATE, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if fd < 0:
        err = ctypes.get_errno()
        raise ConfineError(err, f"landlock_create_ruleset: {os.strerror(err)}")
    try:
        for path, rights in [(p, handled) for p in writable] + [(devices, WRITE_FILE | (TRUNCATE if version >= 3
                                                                                          else 0))]:
            try:
                target = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not os.path.isdir(path):
                    rights &= WRITE_FILE | TRUNCATE  # a file takes file rights only
                rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, target), 12)
                if libc.syscall(_SYS_ADD_RULE, ctypes.c_int(fd), ctypes.c_int(_PATH_BENEATH), rule,
                                ctypes.c_uint32(0)) != 0:
                    err = ctypes.get_errno()
                    raise ConfineError(err, f"landlock_add_rule {path}: {os.strerror(err)}")
            finally:
                os.close(target)
    except BaseException:
        os.close(fd)
        raise
    return fd


def enter(fd: int) -> None:
    """Confine this process (and everything it starts) to the ruleset fd; for a child between fork and exec."""
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.syscall(_SYS_RESTRICT, ctypes.c_int(fd),
                                                                        ctypes.c_uint32(0)) != 0:
        os._exit(126)  # never run the program unconfined
