"""The sandbox a graded submission runs in: bubblewrap (`bwrap`), one per submission, two boxes each.

Everything a submission can run is code its author wrote to get points: the notebook's cells (in the
kernel) *and* the programs its lab runs (the embedded engine runs a container's program — the learner's
`server.py`, `python -c …` — as a process on this machine). So each submission gets two boxes:

- the **kernel box**: the learner's kernel and everything it starts. New PID, network (loopback only,
  nothing listening), IPC and UTS namespaces, a user namespace, its own unprivileged uid when the grader
  is root; the system, the Python environment and labkit read-only; a private tmpfs for HOME and TMPDIR;
  the submission's own working folder (the course assets copied in) read-write. It sees nothing of other
  submissions, the hidden checks, `--out`, the submissions folder or the grader's processes. The lab is
  reached only through the engine's API socket, bound in alone.
- the **lab box**: the submission's private `labkit sim` daemon and its containers, in the same kind of
  box but with a network namespace of its own (where its containers' 127.x addresses and published ports
  live) and only the engine's folder writable.

Why two boxes and not one: the checks read lab state (containers, listeners, logs, published ports). If
the kernel shared the lab's network namespace or files, a cell could serve "Hello" on the server's address
or append to its listen log and pass a check without doing the exercise. With the lab outside the kernel
box, what the kernel can change is only what the Engine API lets any docker client change — which is
exactly the exercise. The grader reads the lab through the API socket, and makes its host-side requests
(`curl http://localhost:8080` of lesson 11, an argv list, never a shell line) inside the lab box's network
namespace as the box's uid (labkit.grading.netns), where no kernel code can listen. The lab's *container*
programs are learner code too: the daemon runs each one confined (labkit.engines.sim.confine: Landlock,
nothing writable but its own container's files, no trace or signal of the daemon), believes only the kernel's
socket tables about what listens where, and stops a program that listens on an address not its container's.
Every box process, bwrap itself (the box's PID 1) included, starts with an environment of our own.

Limits are set inside each box by `prlimit` (per process: CPU seconds, address space, file size, open files;
process count per box — counted per user namespace); the wall-clock limit is the grader's: it kills the
box's outermost bwrap process, and the PID namespace takes every process in it along, whatever it holds
open. `--die-with-parent` ties each box to the grader's worker, `--new-session` keeps the box off its
terminal.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import labkit

HOME, WORK, ENGINE_SOCK = "/home/learner", "/home/learner/lab", "/run/labkit/engine.sock"
UID_BASE = 0x2F000000  # a range no account uses: each box's processes run under a uid of their own (as root)


@dataclass(frozen=True)
class Limits:
    """Per-process resource limits inside a box, the notebook output kept (bytes), and the size of a job's folder
    (bytes: the learner's working folder and the lab's engine folder together; labkit.grading.cleanup.bound)."""

    cpu: int = 900
    memory: int = 3 << 30
    processes: int = 200
    file_size: int = 64 << 20
    open_files: int = 512
    tmpfs: int = 256 << 20
    output: int = 4 << 20
    disk: int = 128 << 20

    def prlimit(self) -> list[str]:
        """The prlimit command prefix that sets these limits."""
        return ["prlimit", f"--cpu={self.cpu}", f"--as={self.memory}", f"--nproc={self.processes}",
                f"--fsize={self.file_size}", f"--nofile={self.open_files}", "--core=0", "--"]


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """Be sent sig (killed, by default) when the grader goes (Linux); exit now if it is already gone."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(3)


def userns_problem() -> str | None:
    """Why unprivileged user namespaces cannot be made here, or None when they can."""
    for path, bad, why in (("/proc/sys/user/max_user_namespaces", "0", "user.max_user_namespaces is 0"),
                           ("/proc/sys/kernel/unprivileged_userns_clone", "0",
                            "kernel.unprivileged_userns_clone is 0 (Debian's switch)"),
                           ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1",
                            "AppArmor restricts unprivileged user namespaces "
                            "(kernel.apparmor_restrict_unprivileged_userns=1)")):
        try:
            if Path(path).read_text().strip() == bad:
                return why
        except OSError:
            continue
    return None


def probe() -> str | None:
    """None when bubblewrap can make a box here; else one line saying why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        proc = subprocess.run(BwrapPlan(new_uid()).argv([sys.executable, "-c", "import labkit"]), capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bwrap does not run ({err})"
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        more = userns_problem()
        return f"bwrap cannot make a sandbox here ({why})" + (f": {more}" if more else "")
    return None


def system_paths() -> list[str]:
    """What every box sees read-only: the system, this Python and its environment, labkit itself."""
    paths = ["/usr", "/etc", sys.base_prefix, sys.prefix, str(Path(labkit.__file__).resolve().parent)]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.exists(top) and not os.path.islink(top):
            paths.append(top)
    out: list[str] = []
    for p in paths:
        p = os.path.realpath(p)
        if os.path.exists(p) and not any(p == o or p.startswith(o + "/") for o in out):
            out = [o for o in out if not o.startswith(p + "/")] + [p]
    return out


class BoxPlan:
    """One box's plan, whatever makes it (bubblewrap: BwrapPlan; Docker: labkit.grading.containerbox.ContainerPlan):
    its uid, limits, binds and environment, the command line that runs a program in it, and how to remove what is
    left of it. The kernel (labkit.grading.kernel) and the lab (labkit.grading.lab) use only this interface."""

    def __init__(self, uid: int, limits: Limits | None = None) -> None:
        self.uid, self.limits = uid, limits or Limits()
        self.binds: list[str] = []
        self.dirs: list[str] = []
        self.env: dict[str, str] = box_env()
        for p in system_paths():
            self.bind(p, p)

    def bind(self, src: str, dest: str, writable: bool = False) -> None:
        """Show src at dest in the box, read-only unless writable (its parent folders traversable)."""
        parent = os.path.dirname(dest)
        while parent not in ("/", "") and parent not in self.dirs:
            self.dirs.insert(0, parent)
            parent = os.path.dirname(parent)
        self.binds += ["--bind" if writable else "--ro-bind", src, dest]

    def argv(self, cmd: list[str], info_fd: int | None = None, chdir: str | None = None) -> list[str]:
        """The full command that runs cmd in the box (and reports the box's first pid on info_fd)."""
        raise NotImplementedError

    def cleanup(self) -> None:
        """Remove what is left of the box once its process is killed."""

    def stop(self, box: Box) -> None:
        """Stop a running box of this plan beyond its outer process (nothing to do unless the plan says so)."""


class BwrapPlan(BoxPlan):
    """One bubblewrap box's command line: namespaces, binds, environment and limits.

    As root, bwrap runs privileged (no user namespace needed) and the box's first step is `setpriv` to a uid
    of the box's own, with every capability dropped: the box owns nothing of the grader's, its process
    count is its own, and what is left of it can be found and killed by that uid. As another user, bwrap
    makes a user namespace (the grader's uid, no capabilities outside); sweep() kills what is left by uid."""

    def argv(self, cmd: list[str], info_fd: int | None = None, chdir: str | None = None) -> list[str]:
        """The full command that runs cmd in the box."""
        root = os.getuid() == 0
        out = ["bwrap", *([] if root else ["--unshare-user"]), "--unshare-pid", "--unshare-net", "--unshare-ipc",
               "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
               "--hostname", "labkit-grade", "--clearenv", "--proc", "/proc", "--dev", "/dev"]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                out += ["--symlink", os.readlink(top), top]
        for tmp, mode in (("/tmp", "01777"), (HOME, "0777")):  # the box's private scratch, thrown away with it
            out += ["--perms", mode, "--size", str(self.limits.tmpfs), "--tmpfs", tmp]
        for d in sorted(set(self.dirs) - {"/tmp", HOME}, key=len):
            out += ["--perms", "0755", "--dir", d]
        out += self.binds
        for k, v in self.env.items():
            out += ["--setenv", k, v]
        if chdir:
            out += ["--chdir", chdir]
        if info_fd is not None:
            out += ["--info-fd", str(info_fd)]
        if root:
            out += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                    "setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all"]
        return out + ["--", *self.limits.prlimit(), *cmd]


def box_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment inside a box: nothing of the grader's, only what a kernel needs."""
    env = {"PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin", "HOME": HOME,
           "TMPDIR": "/tmp", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "USER": "learner", "LOGNAME": "learner",
           "IPYTHONDIR": f"{HOME}/.ipython", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "MPLCONFIGDIR": "/tmp/mpl",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"}
    env.update(extra or {})
    return env


def new_uid() -> int:
    """A uid for one submission's boxes (as root: unused by any account; else the grader's own)."""
    return UID_BASE + 2 * secrets.randbelow(1 << 21) if os.getuid() == 0 else os.getuid()


def give(path: Path, uid: int) -> None:
    """Hand a folder (and what is in it) to the box's uid, never following a link."""
    if os.getuid() != 0:
        return
    for root, dirs, files in os.walk(path):
        os.lchown(root, uid, uid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)


@dataclass
class Box:
    """A running box: the outer bwrap process and the pid (in this namespace) of the box's first process."""

    proc: subprocess.Popen
    uid: int
    child: int | None = None
    closed: list[bool] = field(default_factory=lambda: [False])
    container: str = ""  # the box's container (--sandbox container), killed through the Engine API
    plan: BoxPlan | None = None  # what made it: stops what the outer process does not take along

    def read_info(self, fd: int, timeout: float = 20.0) -> None:
        """Read bwrap's --info-fd JSON ({"child-pid": N}) from the read end of its pipe."""
        deadline = time.monotonic() + timeout
        data = b""
        os.set_blocking(fd, False)
        while time.monotonic() < deadline and b"}" not in data:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.01)
                continue
            if not chunk:
                break
            data += chunk
        os.close(fd)
        try:
            info = json.loads(data.decode())
            self.child = int(info["child-pid"]) or None
            self.container = str(info.get("container") or "")
        except (ValueError, KeyError, TypeError):
            self.child = None

    def kill(self) -> None:
        """Kill the whole box: its container or outer process (the PID namespace goes with it), then any
        straggler of its uid."""
        if self.plan is not None:
            self.plan.stop(self)
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        sweep(self.uid)


def sweep(uid: int) -> int:
    """Kill every process still running as a box's own uid (root only: the uid is the box's alone). Count them."""
    if os.getuid() != 0 or uid < UID_BASE:
        return 0
    killed = 0
    for _ in range(20):
        found = [p for p in os.listdir("/proc") if p.isdigit() and _owner(p) == uid]
        if not found:
            return killed
        for p in found:
            try:
                os.kill(int(p), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    return killed


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def in_netns(box: Box, argv: list[str]) -> list[str]:
    """A command that runs argv (an argv list: never a shell line) inside the box's network namespace — the lab's
    host side — as the box's uid, never as the grader (labkit.grading.netns)."""
    if box.container and os.getuid() != 0:  # no setns into a container without root: the Engine API runs it there
        return [sys.executable, "-m", "labkit.grading.containerbox", "exec", box.container, *argv]
    if box.child is None:
        raise RuntimeError("the lab box's first process is unknown")
    return [sys.executable, "-m", "labkit.grading.netns", str(box.child), str(box.uid), "--", *argv]


def outer_env() -> dict[str, str]:
    """The environment of a box's outermost process (bwrap, the box's PID 1, which the box's programs can read in
    /proc/1/environ): nothing of the grader's."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}

