"""Run one command (an argv list, never a shell line) in a lab box's network namespace — the lab's host side,
where its published ports listen — as the box's own uid, never as the grader.

    python -m labkit.grading.netns PID UID -- ARGV…

PID is the box's first process (in this PID namespace). As root, the command joins PID's network namespace and
then becomes UID with no groups and no capabilities. As an ordinary user, bubblewrap's box owns its network
namespace through a user namespace of its own (an intermediate one): the command first joins the user namespace
that owns the network namespace (`ioctl(NS_GET_USERNS)`), then the network namespace — nsenter's `--user --net`
joins the box process's *own* user namespace, which does not own the network, and fails with EPERM. The
command never joins the box's mount or PID namespaces: it runs this machine's program with this machine's files.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import sys

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
NS_GET_USERNS = 0xB701  # _IO(0xb7, 0x1)


def _setns(fd: int, kind: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, kind) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def enter(pid: int, uid: int) -> None:
    """Join pid's network namespace (through its owning user namespace when not root); as root, become uid."""
    root = os.getuid() == 0  # decided before joining: inside the box's user namespace this process is uid 0
    net = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    if not root:
        owner = fcntl.ioctl(net, NS_GET_USERNS)
        try:
            _setns(owner, CLONE_NEWUSER)
        finally:
            os.close(owner)
    _setns(net, CLONE_NEWNET)
    os.close(net)
    if root:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m labkit.grading.netns PID UID -- ARGV…`; exit 126 when the namespace cannot be joined."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 4 or args[2] != "--" or not args[0].isdigit() or not args[1].isdigit():
        sys.stderr.write("usage: python -m labkit.grading.netns PID UID -- ARGV...\n")
        return 2
    try:
        enter(int(args[0]), int(args[1]))
    except OSError as err:
        sys.stderr.write(f"labkit: cannot enter the lab's network namespace ({err.strerror or err})\n")
        return 126
    cmd = args[3:]
    try:
        os.execvpe(cmd[0], cmd, {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent"})
    except OSError as err:
        sys.stderr.write(f"labkit: cannot run {cmd[0]} ({err.strerror})\n")
        return 127
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
