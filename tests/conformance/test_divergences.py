"""The embedded engine's known divergences from Docker: the one list, linked from the course's "which engine" line.

Every way the embedded engine (the sim) still answers differently from a real Docker Engine is one test
here: a small experiment run on the sim that asserts what Docker does, marked
`xfail(strict=True, reason=…)` with Docker's evidence (the command, Docker's exact answer) in the reason.
It fails today because the sim differs; once the sim is fixed it passes, strict xfail reports that as a
failure, and the entry is deleted. A divergence not listed here is a bug, not a known limitation.

Conformance scenarios that show one of these divergences name it, scenario -> reason:
- CLI_REPLAY: test_cli_replay (the real docker CLI against dockerd and against the sim daemon);
- SIM_REPLAY: test_conformance's sim pass (labkit's replay on the sim against the Docker recording).
Each reason there is the reason of a test here (test_scenario_divergences_are_tested_here).
"""

from __future__ import annotations

import os

import pytest

# -- why (Docker's evidence, the reason of an experiment below) --------------------------------------------
PYTHON_IS_LABKITS = (
    "A container's Python program runs on the Python that runs labkit (this machine's: 3.11 here), not on the "
    "image's. On Docker `docker run --rm python:3.13-slim python3 --version` prints `Python 3.13.5`, http.server's "
    "Server header says `SimpleHTTP/0.6 Python/3.13.5`, and a traceback goes through /usr/lib/python3.13/… with "
    "3.13's own lines and its `~~~^^^` markers (scenario srv-v6-on-v4). The program's own code, its paths "
    "(/app/server.py), its frames and its errors are the same; only the interpreter's version shows. Running the "
    "image's interpreter would need the image's files, which the embedded engine does not have.")

LOG_TAIL_PER_STREAM = (
    "`docker logs --tail N` of a container that wrote to both streams: dockerd keeps one log with each line's "
    "stream and time and takes the last N lines of the two together: after `sh -c \"echo 1; echo 2; sleep 0.3; "
    "echo e >&2\"`, `docker logs --tail 2` prints `2` on stdout and `e` on stderr. The "
    "embedded engine keeps a file per stream (a program writes to it directly) with no times, so it takes the last "
    "N lines of each stream (`1`, `2` and `e`).")
LOG_SINCE_PER_RUN = (
    "`docker logs --since T` with T between two lines of a run: dockerd keeps each line's time and prints only the "
    "lines after T (`sh -c \"echo a; sleep 3; echo b\"`: `--since` a moment after `a` prints `b`). "
    "The embedded engine's log files keep no time per line: it prints all of a run's lines when the run overlaps "
    "--since/--until (`a` and `b`), none when it does not.")

WORKDIR_OF_PYTHON = (
    "`docker run --rm -w /srv python:3.13-slim python3 -c \"import os; print(os.getcwd())\"` prints `/srv` on "
    "Docker (recorded on 20.10). The embedded engine applies -w/WorkingDir to its shell and tools (`sh -c pwd` "
    "prints /srv, $PWD is /srv), but a Python program's os.getcwd() is the container's folder on this machine "
    "(…/containers/ID/rootfs/srv): the socket shim that runs Python programs does not translate it.")
HOSTNAME_FILE_OF_PYTHON = (
    "`docker run --rm --hostname lk-hn python:3.13-slim python3 -c \"print(open('/etc/hostname').read(), "
    "end='')\"` prints `lk-hn` on Docker (recorded on 20.10). On the embedded engine `cat /etc/hostname` and "
    "socket.gethostname() in the container say lk-hn, but a Python program that opens /etc/hostname reads this "
    "machine's: the socket shim does not give Python's open() the container's generated files.")

# scenario -> the divergence it shows, for test_cli_replay (the real CLI against the sim daemon).
CLI_REPLAY: dict[str, str] = {"srv-v6-on-v4": PYTHON_IS_LABKITS}

# scenario -> the divergence it shows, for test_conformance's sim pass (labkit's replay on the sim).
SIM_REPLAY: dict[str, str] = {"srv-v6-on-v4": PYTHON_IS_LABKITS}


@pytest.fixture(scope="module")
def sim():
    """The embedded engine (a daemon speaking the Engine API on a unix socket), or a skip saying why not."""
    from labkit.engines.select import choose
    from labkit.errors import CommandError

    if (os.environ.get("LABKIT_ENGINE") or "auto").strip().lower() == "docker":
        pytest.skip("LABKIT_ENGINE=docker: experiments on the embedded engine belong to the sim pass")
    try:
        engine, _ = choose("sim")
    except CommandError as err:
        pytest.skip(f"no sim engine: {err.stderr.strip()}")
    return engine


# -- the divergences ------------------------------------------------------------------------------------------
@pytest.mark.xfail(strict=True, reason=PYTHON_IS_LABKITS)
def test_python_in_a_container_is_the_images(sim):
    from labkit.contract.commands import run_command

    r = run_command(sim, "docker run --rm python:3.13-slim python3 --version")
    assert (r.exit_code, r.stdout) == (0, "Python 3.13.5\n")


@pytest.mark.xfail(strict=True, reason=LOG_TAIL_PER_STREAM)
def test_logs_tail_counts_both_streams_together(sim):
    from labkit.contract.commands import run_command

    name = "cf-divergences-logtail"
    run_command(sim, f"docker rm -f {name}")
    try:
        r = run_command(sim, f"docker run --name {name} python:3.13-slim sh -c \"echo 1; echo 2; sleep 0.3; echo e >&2\"")
        assert r.exit_code == 0
        r = run_command(sim, f"docker logs --tail 2 {name}")
        assert (r.stdout, r.stderr) == ("2\n", "e\n")
    finally:
        run_command(sim, f"docker rm -f {name}")


@pytest.mark.xfail(strict=True, reason=LOG_SINCE_PER_RUN)
def test_logs_since_cuts_between_lines(sim):
    import time

    from labkit.contract.commands import run_command

    name = "cf-divergences-logsince"
    run_command(sim, f"docker rm -f {name}")
    try:
        run_command(sim, f"docker run -d --name {name} python:3.13-slim sh -c \"echo a; sleep 3; echo b\"")
        for _ in range(100):  # until `a` is out
            if run_command(sim, f"docker logs {name}").stdout:
                break
            time.sleep(0.05)
        since = f"{time.time():.9f}"
        assert run_command(sim, f"docker wait {name}").stdout == "0\n"
        assert run_command(sim, f"docker logs --since {since} {name}").stdout == "b\n"
    finally:
        run_command(sim, f"docker rm -f {name}")


def _python_prints(sim, code: str, **create) -> str:
    """What `python3 -c code` prints in a container made through the Engine API with create's settings."""
    cid = sim.api.create_container("python:3.13-slim", ["python3", "-c", code], **create)["Id"]
    try:
        sim.api.start(cid)
        sim.api.wait(cid, timeout=60)
        return sim.api.logs(cid).decode()
    finally:
        sim.api.remove_container(cid, force=True)


@pytest.mark.xfail(strict=True, reason=WORKDIR_OF_PYTHON)
def test_python_sees_the_working_directory_it_was_given(sim):
    assert _python_prints(sim, "import os; print(os.getcwd())", working_dir="/srv") == "/srv\n"


@pytest.mark.xfail(strict=True, reason=HOSTNAME_FILE_OF_PYTHON)
def test_python_reads_the_containers_etc_hostname(sim):
    assert _python_prints(sim, "print(open('/etc/hostname').read(), end='')", hostname="lk-hn") == "lk-hn\n"


# -- the list itself ------------------------------------------------------------------------------------------
def _tested_reasons() -> set[str]:
    reasons = set()
    for name, fn in globals().items():
        if name.startswith("test_"):
            reasons |= {m.kwargs.get("reason") for m in getattr(fn, "pytestmark", []) if m.name == "xfail"}
    return reasons


def test_scenario_divergences_are_tested_here():
    from tests.conformance import harness

    names = {p.stem for p in harness.scenarios()}
    listed = {**CLI_REPLAY, **SIM_REPLAY}
    assert not set(listed) - names, f"divergences listed for no scenario: {sorted(set(listed) - names)}"
    untested = sorted(s for s, reason in listed.items() if reason not in _tested_reasons())
    assert not untested, f"scenarios whose divergence has no experiment here: {untested}"


def test_every_divergence_is_a_strict_xfail_with_its_evidence():
    for name, fn in globals().items():
        if name.startswith("test_") and fn is not test_every_divergence_is_a_strict_xfail_with_its_evidence:
            for mark in getattr(fn, "pytestmark", []):
                if mark.name == "xfail":
                    assert mark.kwargs.get("strict") is True, f"{name}: xfail must be strict"
                    assert len(mark.kwargs.get("reason") or "") > 40, f"{name}: the reason must carry Docker's evidence"
