"""The embedded engine's sh (dash, as in both course images) and file tools against what Docker printed.

sh_cases.json holds several hundred scripts run with `docker exec CONTAINER sh -c SCRIPT` on dockerd, with
their exit codes, stdout and stderr; each is replayed here, in the same order, with the engine's exec,
and must give exactly the same. The cases Docker answers differently from the sim carry a `divergent`
reason and are checked to still differ (so that a fix shows up and the reason goes away). The other
tests are the main-process cases: `sh -c "cd /app && exec python3 server.py"` serving, a script's output
reaching the logs while it runs, and a stop interrupting a loop.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from labkit.contract.commands import run_command
from labkit.engines.sim.engine import SimEngine

pytestmark = pytest.mark.sim_pass

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((Path(__file__).with_name("sh_cases.json")).read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """An engine with the day8 image built and two idle containers: day8 ("py") and curl ("curl")."""
    eng = SimEngine()
    ctx = tmp_path_factory.mktemp("day8")
    shutil.copytree(ROOT / "tests" / "conformance" / "assets" / "day8", ctx, dirs_exist_ok=True)
    assert run_command(eng, f"docker build -q -t sh-day8 {ctx}").exit_code == 0
    ids = {}
    for key, image in (("py", "sh-day8"), ("curl", "curlimages/curl:8.14.1")):
        r = run_command(eng, f"docker run -d --name sh-{key} {image} sleep 3000")
        assert r.exit_code == 0, r.stderr
        ids[key] = r.stdout.strip()
    yield eng, ids
    eng.shutdown()


def _normal(eng, cid: str, text: str) -> str:
    c = eng.containers[cid]
    text = text.replace(c.config["Hostname"], "<hostname>")
    return re.sub(r"\b172\.17\.0\.\d+\b", "<ip>", text)


@pytest.mark.parametrize("image", ["py", "curl"])
def test_scripts_as_docker_ran_them(sim, image):
    """Every recorded script, in the recorded order: the same exit code, stdout and stderr as on Docker."""
    eng, ids = sim
    cid = ids[image]
    wrong, still_divergent = [], []
    for case in (c for c in CASES if c["image"] == image):
        code, out, err = eng.exec_run(cid, ["sh", "-c", case["script"]], False, [])
        got = [code, _normal(eng, cid, out), _normal(eng, cid, err)]
        want = [case["exit"], case["stdout"], case["stderr"]]
        if "divergent" in case:
            if got == want:
                still_divergent.append(case["script"])
        elif got != want:
            wrong.append(f"{case['script']!r}\n  docker {want!r}\n  sim    {got!r}")
    assert not wrong, f"{len(wrong)} scripts differ from Docker:\n" + "\n".join(wrong)
    assert not still_divergent, f"marked divergent but now as on Docker (drop the reason): {still_divergent}"


def _run(eng, line: str):
    return run_command(eng, line)


def test_cd_and_exec_make_the_program_the_main_process(sim, tmp_path):
    """`sh -c "cd /app && exec python3 -c …"` runs the program in /app as the container's process."""
    eng, _ = sim
    r = _run(eng, "docker run --rm sh-day8 sh -c 'cd /app && exec python3 -c \"print(open(\\\"server.py\\\").read()[:3])\"'")
    assert (r.exit_code, r.stdout, r.stderr) == (0, '"""\n', "")
    r = _run(eng, "docker run --rm sh-day8 sh -c 'cd /nope && exec python3 server.py'")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", "sh: 1: cd: can't cd to /nope\n")


def test_a_served_program_after_cd_listens_in_proc_net_tcp(sim):
    """The server started by `cd /app && exec python3 server.py` shows in the container's /proc/net/tcp."""
    eng, _ = sim
    r = _run(eng, "docker run -d --name sh-srv sh-day8 sh -c 'cd /app && exec python3 server.py'")
    assert r.exit_code == 0, r.stderr
    cid = r.stdout.strip()
    try:
        code, out, err = eng.exec_run(cid, ["sh", "-c", "grep -c ' 0100007F:0BB8 00000000:0000 0A ' /proc/net/tcp"],
                                      False, [])
        assert (code, out, err) == (0, "1\n", "")
        code, out, _ = eng.exec_run(cid, ["sh", "-c", "echo $$; pwd"], False, [])
        assert out.split("\n")[1] == "/app"
    finally:
        _run(eng, "docker rm -f sh-srv")


def test_a_main_script_writes_its_logs_as_it_runs(sim):
    """`echo hi; sleep 300` as the main process: "hi" is in the logs while sleep still runs, and a stop ends it."""
    eng, _ = sim
    r = _run(eng, "docker run -d --name sh-live curlimages/curl:8.14.1 sh -c 'echo hi; echo err >&2; sleep 300'")
    cid = r.stdout.strip()
    try:
        c = eng.containers[cid]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Path(c.stdout_path).read_text() != "hi\n":
            time.sleep(0.02)
        assert Path(c.stdout_path).read_text() == "hi\n"
        assert Path(c.stderr_path).read_text() == "err\n"
        assert c.running
    finally:
        _run(eng, "docker rm -f sh-live")


def test_a_stop_ends_a_busy_loop(sim):
    """`while true; do :; done` as the main process ends with the container's stop (137, as a SIGKILL)."""
    eng, _ = sim
    r = _run(eng, "docker run -d --name sh-loop curlimages/curl:8.14.1 sh -c 'while true; do :; done'")
    cid = r.stdout.strip()
    try:
        assert eng.containers[cid].running
        eng.stop(cid, timeout=1)
        assert not eng.containers[cid].running
        assert eng.containers[cid].exit_code == 137
    finally:
        _run(eng, "docker rm -f sh-loop")


@pytest.mark.parametrize("script, want", [
    ("cat <<EOF\nhello $HOME\nEOF", (0, "hello /root\n", "")),
    ("cat <<'EOF'\n$HOME\nEOF\necho after", (0, "$HOME\nafter\n", "")),
    ("cat <<-EOF\n\ttab $HOME\n\tEOF", (0, "tab /root\n", "")),
    ("echo a\nnope\necho $?", (0, "a\n127\n", "sh: 2: nope: not found\n")),
    ("echo a\nfi\necho b", (2, "a\n", 'sh: 2: Syntax error: "fi" unexpected\n')),
])
def test_multi_line_scripts(sim, script, want):
    """Here-documents and line numbers in messages (Docker: dash reads and runs a script line by line)."""
    eng, ids = sim
    assert tuple(eng.exec_run(ids["py"], ["sh", "-c", script], False, [])) == want


@pytest.mark.parametrize("script, want", [
    ("mkdir /etc/x; touch /etc/y; echo hi | tee /etc/z", (1, "hi\n", "mkdir: cannot create directory '/etc/x': "
     "Permission denied\ntouch: cannot touch '/etc/y': Permission denied\ntee: /etc/z: Permission denied\n")),
    ("echo y > /etc/nope; echo $?", (0, "2\n", "sh: 1: cannot create /etc/nope: Permission denied\n")),
    ("mkdir /tmp/u && echo x > /tmp/u/f && cat /tmp/u/f", (0, "x\n", "")),
])
def test_curl_user_writes_only_where_it_may(sim, script, want):
    """curl_user (the curl image's user) may write in /tmp and its home, not in /etc (Docker's answers)."""
    eng, ids = sim
    assert tuple(eng.exec_run(ids["curl"], ["sh", "-c", script], False, [])) == want


@pytest.mark.parametrize("image, argv, want", [
    ("py", ["echo", "-e", "a\\tb"], (0, "a\tb\n", "")),
    ("py", ["echo", "a\\tb", "-n"], (0, "a\\tb -n\n", "")),
    ("py", ["printf", "%d\n", "abc"], (1, "0\n", "printf: \u2018abc\u2019: expected a numeric value\n")),
    ("curl", ["printf", "%d\n", "abc"], (1, "0\n", "printf: 'abc': expected a numeric value\n")),
    ("py", ["printf", "%s-%s\n", "a", "b", "c"], (0, "a-b\nc-\n", "")),
    ("py", ["test", "-f", "/etc/hosts"], (0, "", "")),
    ("py", ["[", "1", "-eq", "a", "]"], (2, "", "[: invalid integer \u2018a\u2019\n")),
    ("py", ["[", "1", "=", "1"], (2, "", "[: missing \u2018]\u2019\n")),
])
def test_coreutils_programs_without_a_shell(sim, image, argv, want):
    """`docker exec C echo|printf|test|[ …` runs coreutils' programs, not dash's builtins (Docker's answers)."""
    eng, ids = sim
    assert tuple(eng.exec_run(ids[image], argv, False, [])) == want
