"""`--sandbox container`: the same two boxes as bubblewrap's (labkit.grading.sandbox), made as Docker containers
through the Engine API, for machines with a local Docker daemon and no unprivileged user namespaces.

Each box is one container: `--network none` (its own network namespace with only loopback), a PID namespace
of its own, a read-only root, every capability dropped, `no-new-privileges`, a uid of the box's own, a
tmpfs for /tmp and HOME, Docker's limits (memory, process count, CPU seconds, file size, open files). Its
root is a tiny image labkit makes offline (`labkit-sandbox:<layout>`: empty folders and this machine's
/bin → usr/bin style links), and the system, this Python, its environment and labkit are bound in read-only
from this machine, exactly the paths bubblewrap binds (sandbox.system_paths): the kernel runs on the
grader's own Python, whatever images the daemon holds. So the daemon must be this machine's (binds name
this machine's paths); a remote daemon is refused in one line.

The grader starts a box by running `python -m labkit.grading.containerbox run SPEC` — a small launcher that
creates and starts the container, reports its first process's pid (for `nsenter`) and its id on the info
pipe, waits for it, and removes it. The launcher dies with the worker (PR_SET_PDEATHSIG: SIGTERM, which
removes the container); the wall-clock limit kills the container through the API (Box.kill) and, as root,
every process of the box's uid (sandbox.sweep); the container is auto-removed when its first process ends.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sys
import tarfile

from labkit.grading import sandbox
from labkit.grading.messages import BoxLaunch
from labkit.grading.sandbox import HOME, Limits

LABEL = "labkit.grade-box"
TOPS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def root_layout() -> list[tuple[str, str]]:
    """The sandbox image's tree: (path, link target or '' for a folder) — the folders every box needs, and this
    machine's top-level links (merged /usr), so the bound /usr is found where programs look for it."""
    entries = [(d, "") for d in ("proc", "dev", "sys", "tmp", "etc", "run", "run/labkit", "home", HOME.lstrip("/"))]
    for top in TOPS:
        if os.path.islink(top):
            entries.append((top.lstrip("/"), os.readlink(top)))
    return entries


def image_name() -> str:
    """The sandbox image's name: its layout's hash, so a machine with another layout gets its own."""
    digest = hashlib.sha256(json.dumps(root_layout()).encode()).hexdigest()[:12]
    return f"labkit-sandbox:{digest}"


def root_tar() -> bytes:
    """The image's root as a tar archive (folders and links only: nothing of this machine's files)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, target in root_layout():
            info = tarfile.TarInfo(path)
            if target:
                info.type, info.linkname = tarfile.SYMTYPE, target
            else:
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if path == "tmp" else 0o755
            tar.addfile(info)
    return buf.getvalue()


def client():
    """An Engine API client for the configured local daemon."""
    from labkit.engines.apiclient.connect import connect

    return connect(timeout=120)


def ensure_image(api) -> str:
    """Make the sandbox image once (imported from root_tar(), no registry); its name."""
    import docker

    name = image_name()
    try:
        api.inspect_image(name)
    except docker.errors.NotFound:
        repo, tag = name.split(":")
        api.import_image_from_data(root_tar(), repository=repo, tag=tag)
    return name


def probe() -> str | None:
    """None when a container sandbox can be made here; else one line saying why not."""
    try:
        api = client()
    except Exception as err:  # noqa: BLE001 - no daemon, or one that cannot be spoken to
        return f"no Docker daemon answers ({str(err).strip().splitlines()[0] if str(err).strip() else err})"
    try:
        info = api.info()
        if info.get("Name") and info.get("Name") != os.uname().nodename and not _daemon_is_local(api):
            return "the Docker daemon is not on this machine (a container sandbox binds this machine's Python)"
        ensure_image(api)
    except Exception as err:  # noqa: BLE001 - refused, out of space …
        return f"the Docker daemon cannot make the sandbox image ({err})"
    finally:
        api.close()
    return None


def _daemon_is_local(api) -> bool:
    """True when the daemon sees this machine's files (its root folder is here)."""
    root = (api.info() or {}).get("DockerRootDir") or ""
    return bool(root) and os.path.isdir(root)


class ContainerPlan(sandbox.BoxPlan):
    """One box's container: the same binds, environment and limits as a bubblewrap box, made by Docker."""

    def __init__(self, uid: int, limits: Limits | None = None) -> None:
        super().__init__(uid if os.getuid() == 0 else os.getuid(), limits)  # a uid of its own needs root

    def argv(self, cmd: list[str], info_fd: int | None = None, chdir: str | None = None) -> list[str]:
        """The launcher's command line, which runs cmd in a container and reports on info_fd."""
        launch = BoxLaunch(tuple(cmd), tuple(self.binds), dict(self.env), self.uid, chdir, dict(self.limits.__dict__),
                           info_fd, os.getpid(), self.label())
        return [sys.executable, "-m", "labkit.grading.containerbox", "run", json.dumps(launch.to_json())]

    def label(self) -> str:
        """The value of LABEL on this box's container: the worker and the box's uid."""
        return f"{os.getpid()}-{self.uid}"

    def cleanup(self) -> None:
        """Remove this box's container if it is still there (its launcher was killed)."""
        try:
            api = client()
            for c in api.containers(all=True, filters={"label": f"{LABEL}={self.label()}"}):
                api.remove_container(c["Id"], force=True)
            api.close()
        except Exception:  # noqa: BLE001 - no daemon any more, or gone already
            pass

    def stop(self, box: sandbox.Box) -> None:
        """Remove the running box's container through the Engine API, whatever runs in it."""
        if box.container:
            kill(box.container)


def host_config(api, launch: BoxLaunch) -> dict:
    """The container's HostConfig: no network, read-only root, nothing privileged, the limits, the binds."""
    lim = Limits(**launch.limits)
    b = launch.binds  # bubblewrap's words: --bind/--ro-bind SRC DEST, three at a time
    binds = [f"{b[i + 1]}:{b[i + 2]}:{'rw' if b[i] == '--bind' else 'ro'}" for i in range(0, len(b), 3)]
    return api.create_host_config(
        binds=binds, network_mode="none", read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
        tmpfs={"/tmp": f"size={lim.tmpfs},mode=1777", HOME: f"size={lim.tmpfs},mode=0777"},
        mem_limit=lim.memory, memswap_limit=lim.memory, pids_limit=lim.processes, auto_remove=True,
        ulimits=[{"Name": "cpu", "Soft": lim.cpu, "Hard": lim.cpu},
                 {"Name": "fsize", "Soft": lim.file_size, "Hard": lim.file_size},
                 {"Name": "nofile", "Soft": lim.open_files, "Hard": lim.open_files},
                 {"Name": "core", "Soft": 0, "Hard": 0}])


def run(launch: BoxLaunch) -> int:
    """Launcher: create and start the box's container, report it, wait for it, remove it; its exit code."""
    sandbox.die_with_parent(launch.grader, signal.SIGTERM)
    api = client()
    cid = ""

    def remove() -> None:
        if cid:
            try:
                api.remove_container(cid, force=True)
            except Exception:  # noqa: BLE001 - gone already (auto-removed when it ended)
                pass

    def stopped(*_a) -> None:  # the worker went, or the wall-clock limit: the box goes with it
        remove()
        os._exit(137)

    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)
    image = ensure_image(api)
    cid = api.create_container(image, command=list(launch.cmd), user=f"{launch.uid}:{launch.uid}",
                               environment=launch.env, working_dir=launch.chdir or HOME, hostname="labkit-grade",
                               labels={LABEL: launch.label},
                               host_config=host_config(api, launch))["Id"]
    api.start(cid)
    pid = ((api.inspect_container(cid).get("State") or {}).get("Pid")) or 0
    if launch.info_fd is not None:
        with os.fdopen(launch.info_fd, "w") as info:
            info.write(json.dumps({"child-pid": pid, "container": cid}))
    try:
        code = api.wait(cid).get("StatusCode", 1)
    except Exception:  # noqa: BLE001 - removed under us (the wall-clock limit)
        code = 137
    remove()
    return code


def exec_in(cid: str, argv: list[str]) -> int:
    """Run argv in a running box (the grader's host-side request in the lab box, without root); print its output."""
    api = client()
    ex = api.exec_create(cid, argv, stdout=True, stderr=True)
    out, err = api.exec_start(ex["Id"], demux=True)
    sys.stdout.buffer.write(out or b"")
    sys.stderr.buffer.write(err or b"")
    return int(api.exec_inspect(ex["Id"]).get("ExitCode") or 0)


def kill(cid: str) -> None:
    """Remove a box's container, whatever runs in it."""
    try:
        api = client()
        api.remove_container(cid, force=True)
        api.close()
    except Exception:  # noqa: BLE001 - gone already
        pass


def main(argv: list[str]) -> int:
    """`run SPEC` (launch a box) or `exec CID ARGV…` (run a command in one)."""
    if argv[:1] == ["run"] and len(argv) == 2:
        try:
            launch = BoxLaunch.from_json(json.loads(argv[1]))
        except (ValueError, RecursionError) as err:  # MessageError, or not JSON at all
            print(f"labkit grade: the box launch is malformed ({err})", file=sys.stderr)
            return 2
        return run(launch)
    if argv[:1] == ["exec"] and len(argv) > 2:
        return exec_in(argv[1], argv[2:])
    print("usage: python -m labkit.grading.containerbox run SPEC | exec CID ARGV…", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
