"""A class on one machine (The Littlest JupyterHub): several ordinary users do lesson 11 at the same time, each on
the embedded engine, and each gets the lesson's stored outputs — `localhost:8080` in a learner's lab is that
learner's published port, never a classmate's (JUPYTERHUB_USER makes each daemon publish on a host address of
its own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UIDS = (61001, 61002, 61003)

pytestmark = pytest.mark.sim_pass


def readable_by_others(path: Path) -> bool:
    """Whether every folder above path lets another user through (a checkout under a 0700 folder does not)."""
    for p in [path, *path.parents]:
        if not os.stat(p).st_mode & 0o001:
            return False
    return True


def shared_python(folder: Path) -> Path:
    """A Python every user can run, with this environment's packages: a venv of the system's python3 (the same
    minor version) whose site reads this one's site-packages, since this environment's own interpreter may live
    where other users cannot go (a pyenv under /root)."""
    system = shutil.which("python3", path="/usr/bin:/bin")
    here = next(p for p in sys.path if p.endswith("site-packages"))
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if system is None or subprocess.run([system, "-c", f"import sys; assert '%d.%d' % sys.version_info[:2] == "
                                         f"{version!r}"], capture_output=True).returncode != 0:
        pytest.skip(f"no system python{version} to run as other users")
    subprocess.run([system, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = folder / "lib" / f"python{version}" / "site-packages"
    (site / "labkit-shared.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    subprocess.run(["chmod", "-R", "a+rX", str(folder)], check=True)
    return folder / "bin" / "python"


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("setpriv") is None, reason="needs root to act as other users")
def hub_stand_in(port: int = 8081) -> ThreadingHTTPServer | None:
    """A stand-in for JupyterHub's own API port on this machine's 127.0.0.1 (lesson 11 publishes -p 8081:3000), or
    None when something already holds it (a real hub, another program: it stands in just the same)."""

    class Hub(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = b"the hub's own page\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), Hub)
    except OSError:
        return None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_three_learners_do_lesson_11_at_once_and_each_sees_only_their_own_lab():
    base = Path(tempfile.mkdtemp(prefix="lk-class-", dir="/tmp"))
    os.chmod(base, 0o755)
    procs = {}
    hub = hub_stand_in()  # the hub's port is taken on this machine's localhost: no learner's -p 8081 may meet it
    try:
        python = shared_python(base / "venv")
        probe = subprocess.run(["setpriv", f"--reuid={UIDS[0]}", f"--regid={UIDS[0]}", "--clear-groups", str(python),
                                "-c", "import subprocess, sys, labkit, nbval; "
                                "subprocess.run([sys.executable, '-c', '0'], check=True)"],
                               capture_output=True, text=True, cwd="/", env={"PATH": "/usr/bin:/bin", "HOME": "/"})
        if probe.returncode != 0 or not readable_by_others(ROOT):
            pytest.skip("this checkout cannot be used by another user here (a checkout in a 0700 folder)")
        for uid in UIDS:
            home = base / str(uid)
            course = home / "notebooks"
            course.mkdir(parents=True)
            shutil.copytree(ROOT / "notebooks" / "assets", course / "assets")
            [lesson] = (ROOT / "notebooks").glob("11-*.ipynb")
            shutil.copy(lesson, course / lesson.name)
            shutil.copy(ROOT / "tests" / "nbval-sanitize.cfg", home / "sanitize.cfg")
            subprocess.run(["chown", "-R", f"{uid}:{uid}", str(home)], check=True)
            env = {"PATH": f"{python.parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
                   "JUPYTERHUB_USER": f"learner{uid}", "LABKIT_ENGINE": "sim", "LABKIT_SIM_DIR": str(home / "sim"),
                   "LABKIT_SESSION": f"class-{uid}", "LANG": "C.UTF-8"}
            cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", str(python), "-m", "pytest",
                   "--nbval", str(course / lesson.name), "--nbval-sanitize-with", str(home / "sanitize.cfg"),
                   "-p", "no:cacheprovider", "-q", "--rootdir", str(home)]
            procs[uid] = subprocess.Popen(cmd, cwd=str(home), env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True)
        outputs = {uid: p.communicate(timeout=600)[0] for uid, p in procs.items()}
        for uid, p in procs.items():
            assert p.returncode == 0, f"learner {uid}:\n{outputs[uid][-3000:]}"
    finally:
        if hub is not None:
            hub.shutdown()
            hub.server_close()
        for uid, p in procs.items():
            if p.poll() is None:
                p.kill()
            stop = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", str(base / "venv" /
                                   "bin" / "python"), "-m",
                                   "labkit", "sim", "stop"], capture_output=True, text=True,
                                  env={"PATH": "/usr/bin:/bin", "HOME": str(base / str(uid)),
                                       "LABKIT_SIM_DIR": str(base / str(uid) / "sim")})
            assert "stopped" in stop.stdout or "not running" in stop.stdout, stop.stderr
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("setpriv") is None, reason="needs root to act as other users")
def test_a_learners_daemon_ends_with_their_last_process_even_with_containers_running():
    uid = 61010
    base = Path(tempfile.mkdtemp(prefix="lk-class-", dir="/tmp"))
    os.chmod(base, 0o755)
    home = base / "home"
    home.mkdir()
    os.chown(home, uid, uid)
    python = shared_python(base / "venv")
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(home), "LABKIT_SIM_DIR": str(home / "sim"),
           "LABKIT_ENGINE": "sim", "LABKIT_SESSION": "alone", "LANG": "C.UTF-8"}
    as_learner = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]

    def labkit(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*as_learner, str(python), "-m", "labkit", *args], capture_output=True, text=True,
                              env=env, cwd=str(home), timeout=120)

    def alive_after(pid: int, seconds: float) -> bool:
        """Whether the daemon still runs after seconds, watched from outside (a request, or a process of the
        learner's, would keep it alive)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.5)
        return os.path.exists(f"/proc/{pid}")

    terminal = None
    try:
        if not readable_by_others(ROOT):
            pytest.skip("this checkout cannot be used by another user here (a checkout in a 0700 folder)")
        assert labkit("sim", "start", "--idle", "2").returncode == 0
        run = labkit("docker", "run", "-d", "--name", "busy", "curlimages/curl:8.14.1", "sleep", "infinity")
        assert run.returncode == 0, run.stderr
        terminal = subprocess.Popen([*as_learner, "sleep", "600"], env=env)  # the learner's terminal, still open
        status = labkit("sim", "status").stdout
        assert "1 of 1 container(s) running" in status and "no other process of yours is left" in status
        pid = int(status.split("(pid ", 1)[1].split(")", 1)[0])
        assert alive_after(pid, 15)  # alive while the learner is there, long past its idle time
        terminal.kill()
        terminal.wait()
        assert not alive_after(pid, 30)  # gone with the learner, its container with it
        assert "not running" in labkit("sim", "status").stdout
    finally:
        if terminal is not None and terminal.poll() is None:
            terminal.kill()
        labkit("sim", "stop")
        shutil.rmtree(base, ignore_errors=True)
