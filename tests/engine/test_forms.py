"""The contract's three forms: Python, IPython magics, and the shell (labkit docker / replay)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CURL, free_port, server_dir


def _labkit(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=dict(os.environ))


def test_python_form(lab):
    import labkit

    r = labkit.docker("network create lk-py")
    assert r.exit_code == 0 and len(r.stdout.strip()) == 64 and r.stderr == ""
    assert labkit.docker("docker network rm lk-py").stdout == "lk-py\n"


def test_magics_print_exactly_the_cli_output(lab, capsys):
    from IPython.testing.globalipapp import start_ipython

    ip = start_ipython()
    if ip is None:  # already started in this process
        from IPython import get_ipython

        ip = get_ipython()
    ip.run_line_magic("reload_ext", "labkit")
    said = capsys.readouterr().out
    assert said.startswith("labkit engine: ") and said.count("\n") == 1
    ip.run_line_magic("docker", "network create lk-magic")
    out = capsys.readouterr()
    assert len(out.out.strip()) == 64
    ip.run_cell_magic("docker", "", f"# a comment\n\nrun -d --name lk-m1 --network lk-magic {CURL} sleep 300\n"
                                    "docker ps --bogus\n")
    out = capsys.readouterr()
    assert len(out.out.strip()) == 64
    assert out.err.startswith("unknown flag: --bogus\n")
    ip.run_line_magic("docker", "rm -f lk-m1")
    assert capsys.readouterr().out == "lk-m1\n"


def test_shell_docker_command(lab, docker_only):
    r = _labkit("docker", "network", "create", "lk-sh")
    assert r.returncode == 0 and len(r.stdout.strip()) == 64
    r = _labkit("docker", "network", "create", "lk-sh")
    assert r.returncode == 1 and r.stderr.startswith("Error response from daemon: network with name lk-sh already exists")
    r = _labkit("docker", "ps", "--bogus")
    assert r.returncode == 125 and "Traceback" not in r.stderr


def test_replay_json_with_relative_paths_and_host_lines(lab, tmp_path):
    server_dir(tmp_path, "0.0.0.0", name="app")
    port = free_port()
    transcript = tmp_path / "story.txt"
    transcript.write_text(
        "# the notes, step 2 and 5, as a transcript\n"
        "docker network create lk-replay\n\n"
        "docker build -t lktest-day8:replay app-0_0_0_0\n"
        f"docker run -d --name lk-rs --network lk-replay -p 127.0.0.1:{port}:3000 lktest-day8:replay\n"
        f"docker run --rm --network lk-replay {CURL} -sS http://lk-rs:3000\n"
        f"curl -sS http://127.0.0.1:{port}\n"
        f"docker run --rm --network lk-replay {CURL} -sS http://nobody:3000\n"
        "docker rm -f lk-rs\n"
        "docker network rm lk-replay\n"
    )
    engine = lab.engine.name  # the engine under test: a daemon (Docker's, or labkit's sim) the CLI process shares
    r = _labkit("replay", str(transcript), "--engine", engine, "--json", cwd="/")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [set(row) for row in rows] == [{"cmd", "exit_code", "stdout", "stderr"}] * 8
    assert [row["exit_code"] for row in rows] == [0, 0, 0, 0, 0, 6, 0, 0]
    assert rows[3]["stdout"] == rows[4]["stdout"] == "Hello from inside the container\n"
    assert rows[4]["cmd"] == f"curl -sS http://127.0.0.1:{port}"
    assert rows[5]["stderr"] == "curl: (6) Could not resolve host: nobody\n"
    plain = _labkit("replay", str(transcript), "--engine", engine)
    assert "$ docker network create lk-replay" in plain.stdout and "[exit 6]" in plain.stdout


def test_replay_of_a_missing_file_is_one_line(tmp_path):
    r = _labkit("replay", str(tmp_path / "nope.txt"), "--engine", "docker")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "cannot read transcript" in r.stderr


@pytest.mark.parametrize("args", [["images"], ["doctor"]])
def test_images_and_doctor_report(lab, args):
    r = _labkit(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "python:3.13-slim: " in r.stdout or "image python:3.13-slim: present" in r.stdout
