"""Every command and flag of the contract's subset, with its exit code and output shape."""

from __future__ import annotations

import json
import re
import uuid

from tests.conftest import CURL, free_port, server_dir

FULL_ID = re.compile(r"^[0-9a-f]{64}\n$")


def test_version(lab):
    r = lab.ok("docker version")
    assert r.stdout.startswith("Client:\n")
    assert "\nServer:" in r.stdout and " Engine:\n" in r.stdout and "API version:" in r.stdout


def test_network_create_flags_and_inspect(lab):
    r = lab.ok("docker network create --driver bridge --internal --subnet 10.231.0.0/24 --label course=day8 lk-int")
    assert FULL_ID.match(r.stdout)
    [net] = json.loads(lab.ok("docker network inspect lk-int").stdout)
    assert net["Internal"] is True
    assert net["IPAM"]["Config"][0]["Subnet"] == "10.231.0.0/24"
    assert net["Labels"]["course"] == "day8" and "labkit.session" in net["Labels"]
    # inspect of several, one missing: the found ones on stdout, the daemon's error, exit 1
    r = lab("docker network inspect lk-int nosuch-net")
    assert r.exit_code == 1
    assert [n["Name"] for n in json.loads(r.stdout)] == ["lk-int"]
    assert r.stderr == "Error response from daemon: network nosuch-net not found\n"


def test_network_ls_and_quiet(lab):
    lab.ok("docker network create lk-ls")
    lines = lab.ok("docker network ls").stdout.splitlines()
    assert lines[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    names = [line.split()[1] for line in lines[1:]]
    assert names == sorted(names) and "lk-ls" in names and "bridge" in names
    quiet = lab.ok("docker network ls -q").stdout.split()
    assert all(len(q) == 12 for q in quiet) and len(quiet) == len(names)


def test_network_rm_several_and_errors(lab):
    lab.ok("docker network create lk-a")
    lab.ok("docker network create lk-b")
    assert lab.ok("docker network rm lk-a lk-b").stdout == "lk-a\nlk-b\n"
    r = lab("docker network rm lk-a")
    assert (r.exit_code, r.stderr) == (1, "Error response from daemon: network lk-a not found\nexit status 1\n")
    r = lab("docker network create lk-c")
    r = lab("docker network create lk-c")
    assert r.exit_code == 1 and r.stderr.startswith("Error response from daemon: network with name lk-c already exists")


def test_network_connect_alias_disconnect(lab, images_built):
    lab.ok("docker network create lk-front")
    lab.ok("docker network create lk-back")
    lab.ok(f"docker run -d --name lk-api --network lk-front {images_built['fixed']}")
    lab.ok(f"docker run -d --name lk-cli --network lk-back {CURL} sleep 300")
    assert lab("docker exec lk-cli curl -sS http://lk-api:3000").exit_code == 6
    assert lab.ok("docker network connect --alias users --alias api lk-back lk-api").stdout == ""
    for name in ("lk-api", "users", "api"):
        r = lab(f"docker exec lk-cli curl -sS http://{name}:3000")
        assert r.stdout == "Hello from inside the container\n", (name, r.stderr)
    lab.ok("docker network disconnect -f lk-back lk-api")
    assert lab("docker exec lk-cli curl -sS -m 3 http://users:3000").exit_code == 6


def test_build_with_file_and_build_args(lab, tmp_path):
    ctx = server_dir(tmp_path, "0.0.0.0")
    (tmp_path / "Other.Dockerfile").write_text(
        "ARG BASE=python:3.13-slim\nFROM ${BASE}\nARG GREETING=hi\nENV GREETING=${GREETING}\n"
        "WORKDIR /app\nCOPY server.py .\nEXPOSE 3000\nCMD [\"python3\", \"server.py\"]\n"
    )
    r = lab.ok(f"docker build -t lk-img:args -f Other.Dockerfile --build-arg GREETING=hello {ctx.name}")
    assert r.stdout.startswith("Sending build context to Docker daemon  ")
    assert "Step 1/8 : ARG BASE=python:3.13-slim" in r.stdout
    assert r.stdout.rstrip().endswith("Successfully tagged lk-img:args:latest") is False
    assert "Successfully tagged lk-img:args\n" in r.stdout
    [img] = json.loads(lab.ok("docker inspect lk-img:args").stdout)
    assert "GREETING=hello" in img["Config"]["Env"]
    lab.ok("docker run -d --name lk-built --rm lk-img:args")


def test_build_errors(lab, tmp_path):
    r = lab("docker build -t lk-x nosuchdir")
    assert r.exit_code == 1 and "unable to prepare context" in r.stderr
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text("FROM labkit-no-such-base:1\n")
    r = lab("docker build -t lk-x b")
    assert r.exit_code == 1 and "labkit never pulls" in r.stderr and r.stderr.count("\n") == 1
    step = f"exit 3 # {uuid.uuid4().hex[:12]}"  # this test's own step: another build on the daemon is not counted
    (tmp_path / "b" / "Dockerfile").write_text(f"FROM python:3.13-slim\nRUN {step}\n")

    def failed_steps() -> int:
        return sum(1 for c in lab.engine.list_containers(all=True) if c.get("Command") == f"/bin/sh -c '{step}'")

    before = failed_steps()
    r = lab("docker build -t lk-x b")
    assert failed_steps() == before  # a failed step leaves no intermediate container behind
    if lab.engine.name == "sim":  # the embedded engine records RUN and says it did not execute it
        assert r.exit_code == 0 and "RUN is recorded, not executed" in r.stdout
    else:
        assert r.exit_code == 1
        assert "returned a non-zero code: 3" in r.stderr


def test_images_and_image_ls(lab):
    for cmd in ("docker images", "docker image ls"):
        lines = lab.ok(cmd).stdout.splitlines()
        assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
        rows = {(line.split()[0], line.split()[1]) for line in lines[1:]}
        assert ("python", "3.13-slim") in rows and ("curlimages/curl", "8.14.1") in rows
    only = lab.ok("docker images curlimages/curl").stdout.splitlines()
    assert len(only) == 2 and only[1].startswith("curlimages/curl ")


def test_run_flags(lab, images_built):
    lab.ok("docker network create lk-run")
    loop, every = free_port(), free_port()
    while every == loop:
        every = free_port()
    r = lab.ok(f"docker run -d --name lk-web --network lk-run --network-alias web --network-alias www "
               f"-p 127.0.0.1:{loop}:3000 -p {every}:3000 -e MODE=test --expose 4000 {images_built['fixed']}")
    assert FULL_ID.match(r.stdout)
    [c] = json.loads(lab.ok("docker inspect lk-web").stdout)
    assert "MODE=test" in c["Config"]["Env"]
    assert set(c["Config"]["ExposedPorts"]) == {"3000/tcp", "4000/tcp"}
    assert {"web", "www"} <= set(c["NetworkSettings"]["Networks"]["lk-run"]["Aliases"])
    assert c["Config"]["Labels"]["labkit.session"]
    port = lab.ok("docker port lk-web").stdout.splitlines()
    assert f"3000/tcp -> 127.0.0.1:{loop}" in port and f"3000/tcp -> 0.0.0.0:{every}" in port
    assert lab.ok("docker port lk-web 3000").stdout.splitlines()[:2] == [f"0.0.0.0:{every}", f"127.0.0.1:{loop}"]
    r = lab("docker port lk-web 4000")
    assert (r.exit_code, r.stderr) == (1, "Error: No public port '4000' published for lk-web\n")
    # host-side lines reach published ports on the host
    assert lab(f"curl -sS http://127.0.0.1:{loop}").stdout == "Hello from inside the container\n"
    # --rm foreground: output, exit code, and the container is gone afterwards
    r = lab(f"docker run --rm --name lk-once --network lk-run {CURL} -sS http://www:3000")
    assert (r.exit_code, r.stdout) == (0, "Hello from inside the container\n")
    assert lab("docker inspect lk-once").exit_code == 1
    # -e reaches the process; -it needs a terminal labkit does not have (the CLI's refusal), -t alone runs
    r = lab.ok(f"docker run --rm -e WHO=learner {CURL} sh -c 'echo hi $WHO'")
    assert r.stdout == "hi learner\n"
    r = lab(f"docker run --rm -it {CURL} sh -c 'echo tty'")
    assert (r.exit_code, r.stderr) == (1, "the input device is not a TTY\n")
    r = lab.ok(f"docker run --rm -t {CURL} sh -c 'echo tty'")
    assert r.stdout == "tty\n"
    # --network none: only loopback
    r = lab(f"docker run --rm --network none {CURL} -sS -m 3 http://lk-web:3000")
    assert r.exit_code == 6
    # a detached -dit shell stays up (stdin kept open)
    lab.ok(f"docker run -dit --name lk-sh {CURL} sh")
    assert lab.ok("docker exec lk-sh echo alive").stdout == "alive\n"


def test_ps_quiet_and_all(lab):
    lab.ok(f"docker run -d --name lk-sleep {CURL} sleep 300")
    assert lab(f"docker run --name lk-done {CURL} sh -c 'exit 3'").exit_code == 3
    running = lab.ok("docker ps -q").stdout.split()
    every = lab.ok("docker ps -a -q").stdout.split()
    [sleep] = json.loads(lab.ok("docker inspect lk-sleep").stdout)
    [done] = json.loads(lab.ok("docker inspect lk-done").stdout)
    assert sleep["Id"][:12] in running and done["Id"][:12] not in running
    assert done["Id"][:12] in every
    row = [line for line in lab.ok("docker ps -a").stdout.splitlines() if line.endswith(" lk-done")]
    assert "Exited (3)" in row[0]
    assert '"/entrypoint.sh sh -…"' in row[0]


def test_logs_stdout_and_stderr(lab):
    r = lab.ok(f"docker run --name lk-logs {CURL} sh -c 'echo out; echo err >&2; exit 0'")
    assert (r.stdout, r.stderr) == ("out\n", "err\n")
    r = lab.ok("docker logs lk-logs")
    assert (r.stdout, r.stderr) == ("out\n", "err\n")
    r = lab("docker logs lk-nosuch")
    assert (r.exit_code, r.stderr) == (1, "Error response from daemon: No such container: lk-nosuch\n")


def test_exec_exit_codes_pass_through(lab):
    lab.ok("docker network create lk-ex")
    lab.ok(f"docker run -d --name lk-c --network lk-ex {CURL} sleep 300")
    r = lab("docker exec lk-c sh -c 'exit 42'")
    assert r.exit_code == 42
    r = lab("docker exec lk-c curl -sS -m 2 http://lk-nobody:3000")
    assert (r.exit_code, r.stderr) == (6, "curl: (6) Could not resolve host: lk-nobody\n")
    r = lab("docker exec -t lk-c sh -c 'echo $0'")
    assert (r.exit_code, r.stdout) == (0, "sh\n")
    r = lab("docker exec -i -t lk-c sh -c 'echo $0'")  # -it needs a terminal: the CLI's refusal
    assert (r.exit_code, r.stderr) == (1, "the input device is not a TTY\n")
    r = lab("docker exec lk-c cat /etc/resolv.conf")
    assert "nameserver 127.0.0.11" in r.stdout
    lab.ok("docker stop lk-c")
    r = lab("docker exec lk-c true")
    assert r.exit_code == 1 and r.stderr.startswith("Error response from daemon: Container ") and "is not running" in r.stderr


def test_stop_start_restart_rm(lab, images_built):
    lab.ok("docker network create lk-life")
    lab.ok(f"docker run -d --name lk-srv --network lk-life {images_built['fixed']}")
    lab.ok(f"docker run -d --name lk-cl --network lk-life {CURL} sleep 300")
    assert lab.ok("docker stop -t 1 lk-srv").stdout == "lk-srv\n"
    assert lab("docker exec lk-cl curl -sS -m 3 http://lk-srv:3000").exit_code == 6  # stopped: gone from DNS
    assert lab.ok("docker start lk-srv").stdout == "lk-srv\n"
    # start returns when the server listens: the very next request is answered
    assert lab.ok("docker exec lk-cl curl -sS http://lk-srv:3000").stdout == "Hello from inside the container\n"
    assert lab.ok("docker restart lk-srv").stdout == "lk-srv\n"
    assert lab.ok("docker exec lk-cl curl -sS http://lk-srv:3000").stdout == "Hello from inside the container\n"
    r = lab("docker rm lk-srv")
    assert r.exit_code == 1 and "cannot remove a running container" in r.stderr.lower()
    assert lab.ok("docker rm -f lk-srv lk-cl").stdout == "lk-srv\nlk-cl\n"
    r = lab("docker start lk-srv")
    assert r.stderr == ("Error response from daemon: No such container: lk-srv\n"
                        "Error: failed to start containers: lk-srv\n")
    for verb in ("stop", "restart", "rm"):
        r = lab(f"docker {verb} lk-srv")
        assert (r.exit_code, r.stderr) == (1, "Error response from daemon: No such container: lk-srv\n")


def test_inspect_kinds_and_missing(lab):
    lab.ok("docker network create lk-insp")
    lab.ok(f"docker run -d --name lk-i --network lk-insp {CURL} sleep 300")
    objs = json.loads(lab.ok("docker inspect lk-i python:3.13-slim lk-insp").stdout)
    assert objs[0]["Name"] == "/lk-i" and "python:3.13-slim" in objs[1]["RepoTags"] and objs[2]["Name"] == "lk-insp"
    r = lab("docker inspect lk-nothing")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "[]\n", "Error: No such object: lk-nothing\n")


def test_run_errors(lab, images_built):
    r = lab("docker run -d labkit-no-such-image")
    assert r.exit_code == 125
    assert r.stderr.startswith("Unable to find image 'labkit-no-such-image:latest' locally\n"
                               "docker: Error response from daemon: No such image: labkit-no-such-image:latest")
    assert "labkit never pulls" in r.stderr
    lab.ok(f"docker run -d --name lk-dup {CURL} sleep 300")
    r = lab(f"docker run -d --name lk-dup {CURL} sleep 300")
    assert r.exit_code == 125
    assert r.stderr.startswith('docker: Error response from daemon: Conflict. The container name "/lk-dup" is already in use')
    r = lab(f"docker run --rm {images_built['fixed']} lk-nosuchcmd")
    assert r.exit_code == 127 and "executable file not found" in r.stderr
    r = lab(f"docker run --rm --network-alias api {CURL} true")
    assert (r.exit_code, r.stderr.splitlines()[0]) == (125, "docker: network-scoped aliases are only supported for "
                                                             "user-defined networks")
    r = lab("docker run -d -p notaport lk")
    assert r.exit_code == 125 and "invalid port format" in r.stderr
