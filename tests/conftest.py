"""Shared fixtures: the engine under test and a lab that cleans up after each test."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import pytest

from labkit import coursefiles

ROOT = Path(__file__).resolve().parent.parent
# the suite's own session: its clean-ups never touch the learner's lab (user-<login>) on the same daemon;
# kernels the tests start inherit it
os.environ.setdefault("LABKIT_SESSION", f"test-{os.getpid()}")
# and its own embedded-engine daemon (a private folder), stopped when the run ends
os.environ.setdefault("LABKIT_SIM_DIR", tempfile.mkdtemp(prefix="lk-t-"))
# and its own state folder: the progress, answers and predictions its kernels keep never land in the home folder
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="lk-state-")


def pytest_collection_modifyitems(config, items):
    """Tests marked sim_pass use private embedded-engine daemons of their own whatever the engine under test:
    CI runs the suite once per engine, and these run once, in the pass of a private-daemon kind (the sim;
    labkit.engines.registry), and always when LABKIT_ENGINE is unset."""
    from labkit.engines import registry

    wanted = (os.environ.get("LABKIT_ENGINE") or "auto").strip().lower()
    if wanted not in registry.names() or registry.kind(wanted).private_daemon:
        return
    skip = pytest.mark.skip(reason="runs in the sim pass: it starts embedded-engine daemons of its own")
    for item in items:
        if item.get_closest_marker("sim_pass"):
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    """Stop the suite's embedded-engine daemon (and with it anything it still runs)."""
    from labkit.engines.sim import daemon

    daemon.stop(os.path.join(os.environ["LABKIT_SIM_DIR"], "engine.sock"))
ASSETS = coursefiles.assets_dir() / "day8"


def _engine_or_skip():
    from labkit import session
    from labkit.engines.select import AUTO, requested
    from labkit.errors import CommandError

    wanted = requested()
    try:
        engine = session.current().engine()
    except CommandError as err:
        if wanted == AUTO:
            pytest.skip(f"no container engine answers ({err.stderr.strip()})")
        raise
    return engine


@pytest.fixture(scope="session")
def engine():
    """The engine the suite runs against; skips engine tests when none answers (auto)."""
    eng = _engine_or_skip()
    from labkit.engines import standins
    from labkit.engines.select import AUTO, requested

    missing = [name for name, state in standins.report(eng) if state == "missing"]
    if missing:
        msg = f"course base images missing ({', '.join(missing)}); run `labkit images --offline`"
        if requested() != AUTO:  # an engine asked for by name must have them
            pytest.fail(msg)
        pytest.skip(msg)
    return eng


@pytest.fixture
def docker_only(engine):
    """Skip on the embedded engine: the test needs a daemon shared between processes or the SDK."""
    if engine.name != "docker":
        pytest.skip("needs a real Docker engine")
    return engine


class Lab:
    """Runs command lines on the engine and remembers nothing: cleanup is by session label."""

    def __init__(self, engine, tmp: Path):
        self.engine = engine
        self.tmp = tmp

    def __call__(self, line: str, cwd: str | Path | None = None):
        from labkit.contract.transcript import run_line

        return run_line(line, cwd=str(cwd or self.tmp), engine=self.engine)

    def ok(self, line: str, cwd: str | Path | None = None):
        """Run a line and require exit 0."""
        r = self(line, cwd)
        assert r.exit_code == 0, f"{line!r} exited {r.exit_code}: {r.stderr}"
        return r


@pytest.fixture
def lab(engine, tmp_path):
    """A lab for one test: everything this test session's labkit created is removed afterwards."""
    from labkit import session
    from labkit.ownership import clean

    mine = session.current().id
    clean(engine, mine, say=lambda s: None)
    yield Lab(engine, tmp_path)
    clean(engine, mine, say=lambda s: None)


def server_dir(tmp: Path, bind: str = "127.0.0.1", delay: float = 0.0, name: str = "day8") -> Path:
    """A copy of the lesson's server build folder, bound to `bind`, optionally slow to start."""
    d = tmp / f"{name}-{bind.replace('.', '_')}"
    shutil.copytree(ASSETS, d, dirs_exist_ok=True)
    src = (d / "server.py").read_text().replace('("127.0.0.1", 3000)', f'("{bind}", 3000)')
    if delay:
        src = src.replace("server = HTTPServer(", f"import time; time.sleep({delay})\nserver = HTTPServer(", 1)
    (d / "server.py").write_text(src)
    return d


@pytest.fixture(scope="session")
def images_built(engine, tmp_path_factory):
    """Build the lesson images once: lktest-day8:loopback (127.0.0.1) and lktest-day8:fixed (0.0.0.0)."""
    from labkit.contract.commands import run_command

    tmp = tmp_path_factory.mktemp("images")
    for tag, bind in (("lktest-day8:loopback", "127.0.0.1"), ("lktest-day8:fixed", "0.0.0.0")):
        r = run_command(engine, f"docker build -t {tag} {server_dir(tmp, bind)}")
        assert r.exit_code == 0, r.stderr
    return {"loopback": "lktest-day8:loopback", "fixed": "lktest-day8:fixed"}


CURL = "curlimages/curl:8.14.1"


def ctrl_c_reaches_it() -> None:
    """For Popen's preexec_fn: the child gets SIGINT as a terminal's foreground program does (Python's
    KeyboardInterrupt). Started from a background job of a non-interactive shell (`make test &`, CI's side-by-side
    passes) a process inherits SIGINT ignored, and Python then installs no handler: a test's simulated Ctrl-C would
    meet nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port() -> int:
    """A TCP port that nothing on this machine listens on (any of its addresses, IPv4 and IPv6), below the range
    the kernel hands out to outgoing connections: what a test publishes instead of a fixed number, which another
    program, or a second checkout's tests on the same machine, may hold."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768
    for _ in range(200):
        port = random.randrange(20000, max(ephemeral, 20001))
        if all(_bindable(family, port) for family in (socket.AF_INET, socket.AF_INET6)):
            return port
    raise RuntimeError("no free TCP port found between 20000 and the ephemeral range")


def _bindable(family: int, port: int) -> bool:
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        return family == socket.AF_INET6  # no IPv6 on this machine: nothing can hold an IPv6 port
    try:
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
        return True
    except OSError as err:
        return err.errno != errno.EADDRINUSE  # held by another program; any other error is this machine's
    finally:
        s.close()
