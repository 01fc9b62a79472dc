"""The embedded engine's network tools (curl, wget, nc, ip, ps, ping) print exactly what Docker's did.

Every expected text below was copied from Docker 20.10 running the course images (curl 8.14.1 and
BusyBox 1.37.0-6+b9 in curlimages/curl:8.14.1; python:3.13-slim has none of these tools), against the
conformance suite's tools server (tests/conformance/assets/toolsrv). Only what Docker itself varies is
matched loosely here: curl's speeds, and the host kernel's interface numbers and exec PIDs.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from labkit.contract.commands import run_command
from labkit.engines.sim.engine import SimEngine

pytestmark = pytest.mark.sim_pass

ROOT = Path(__file__).resolve().parents[2]
SRV = "nt-srv"
URL = f"http://{SRV}:8080"
METER_HEAD = ("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
              "                                 Dload  Upload   Total   Spent    Left  Speed\n")
ZERO = "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
OCI_EXEC = ('OCI runtime exec failed: exec failed: unable to start container process: exec: "{}": executable file '
            "not found in $PATH: unknown\r\n")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """An engine with the tools server on 10.213.90.2 and an idle curl container (10.213.90.3) beside it."""
    eng = SimEngine()
    ctx = tmp_path_factory.mktemp("toolsrv")
    shutil.copytree(ROOT / "tests" / "conformance" / "assets" / "toolsrv", ctx, dirs_exist_ok=True)
    for line in ("docker network create --subnet 10.213.90.0/24 nt-net",
                 "docker network create --subnet 10.213.91.0/24 nt-net2",
                 f"docker build -q -t nt-toolsrv {ctx}",
                 f"docker run -d --name {SRV} --network nt-net nt-toolsrv",
                 "docker run -d --name nt-c --network nt-net curlimages/curl:8.14.1 sleep 3000",
                 "docker run -d --name nt-py python:3.13-slim sleep 3000"):
        r = run_command(eng, line)
        assert r.exit_code == 0, (line, r.stderr)
    eng.wait_ready(eng.inspect_container(SRV)["Id"])
    yield eng
    eng.shutdown()


def ex(eng, *argv: str) -> tuple[int, str, str]:
    """docker exec nt-c ARGV: exit code, stdout, stderr."""
    return eng.exec_run(eng.inspect_container("nt-c")["Id"], list(argv), False, [])


def sh(eng, script: str) -> tuple[int, str, str]:
    return ex(eng, "sh", "-c", script)


_runs = iter(range(1000))


def run(eng, args: str) -> tuple[int, str, str]:
    """`docker run ARGS` as a detached container that is waited for: exit code, stdout, stderr (its logs)."""
    r = run_command(eng, f"docker run -d --name nt-run{next(_runs)} {args}")
    assert r.exit_code == 0, r.stderr
    cid = r.stdout.strip()
    code = eng.wait(cid)
    return (code, *eng.logs(cid))


def test_curl_request_options(sim):
    """-X, -d/--data (form type unless -H sets one), -H adding, replacing and removing headers, combined flags."""
    assert ex(sim, "curl", "-sS", "-X", "POST", f"{URL}/x") == (0, "POST /x\ncontent-type: None\nbody: \n", "")
    assert ex(sim, "curl", "-sSXDELETE", f"{URL}/x")[1].startswith("DELETE /x\n")
    assert ex(sim, "curl", "-sS", "-d", "a=1&b=2", f"{URL}/form") == (
        0, "POST /form\ncontent-type: application/x-www-form-urlencoded\nbody: a=1&b=2\n", "")
    assert ex(sim, "curl", "-sS", "--data", '{"k":1}', "-H", "Content-Type: application/json", f"{URL}/j")[1] == (
        'POST /j\ncontent-type: application/json\nbody: {"k":1}\n')
    assert ex(sim, "curl", "-sS", "-X", "PUT", "-d", "hello", f"{URL}/p")[1].startswith("PUT /p\n")
    assert ex(sim, "curl", "-sS", "-H", "X-Demo: yes", "-H", "User-Agent: me", f"{URL}/headers")[1] == (
        "method: GET\nuser-agent: me\naccept: */*\nx-demo: yes\n")
    assert ex(sim, "curl", "-sS", "-H", "Accept:", f"{URL}/headers")[1] == (
        "method: GET\nuser-agent: curl/8.14.1\naccept: None\n")


def test_curl_head_fail_and_redirects(sim):
    """-I prints the headers of a HEAD; -f makes a 404 exit 22; -L follows a 302, -i shows both header blocks."""
    code, out, err = ex(sim, "curl", "-sS", "-I", f"{URL}/")
    assert (code, err) == (0, "")
    assert re.fullmatch(r"HTTP/1.0 200 OK\r\nServer: toolsrv\r\nDate: [^\r]+ GMT\r\nContent-Type: text/plain\r\n"
                        r"Content-Length: 19\r\n\r\n", out)
    assert ex(sim, "curl", "-sSf", f"{URL}/missing") == (22, "", "curl: (22) The requested URL returned error: 404\n")
    assert ex(sim, "curl", "-sf", f"{URL}/missing") == (22, "", "")
    assert ex(sim, "curl", "-sS", f"{URL}/redirect") == (0, "moved\n", "")
    assert ex(sim, "curl", "-sSL", f"{URL}/redirect") == (0, "hello from toolsrv\n", "")
    code, out, _ = ex(sim, "curl", "-sS", "-L", "-i", f"{URL}/redirect")
    assert code == 0 and out.count("HTTP/1.0 ") == 2 and "Location: /\r\n" in out and out.endswith("hello from toolsrv\n")


def test_curl_option_errors(sim):
    try_line = "curl: try 'curl --help' or 'curl --manual' for more information\n"
    assert ex(sim, "curl", "--bogus", URL) == (2, "", f"curl: option --bogus: is unknown\n{try_line}")
    assert ex(sim, "curl", "-X") == (2, "", f"curl: option -X: requires parameter\n{try_line}")


def test_curl_progress_meter_without_s(sim):
    """No -s: the meter on stderr, a zero row then the final one; speeds are the only free values."""
    code, out, err = ex(sim, "curl", f"{URL}/")
    assert (code, out) == (0, "hello from toolsrv\n")
    speed = r"[ \d]{4}[\dk]"
    assert re.fullmatch(re.escape(METER_HEAD + "\r" + ZERO + "\r100    19  100    19    0     0  ") + speed
                        + re.escape("      0 --:--:-- --:--:-- --:--:-- ") + speed + "\n", err), err
    _, _, err = ex(sim, "curl", "-I", f"{URL}/")
    assert err == METER_HEAD + "\r" + ZERO + "\r  0    19    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\n"
    _, _, err = ex(sim, "curl", "-d", "hello", f"{URL}/p")
    assert re.search(r"\r100    73  100    68  100     5 ", err), err


def test_curl_meter_on_failures(sim):
    """Refused and -f: the zero row twice, then the error; an unknown name: one zero row, no newline."""
    code, _, err = ex(sim, "curl", f"http://{SRV}:8081/")
    assert code == 7
    assert re.fullmatch(re.escape(METER_HEAD + "\r" + ZERO + "\r" + ZERO + "\n") +
                        rf"curl: \(7\) Failed to connect to {SRV} port 8081 after \d+ ms: Could not connect to server\n",
                        err)
    assert ex(sim, "curl", "http://nt-nope/") == (6, "", METER_HEAD + "\r" + ZERO + "curl: (6) Could not resolve host: nt-nope\n")
    assert ex(sim, "curl", "-f", f"{URL}/missing") == (
        22, "", METER_HEAD + "\r" + ZERO + "\r" + ZERO + "\ncurl: (22) The requested URL returned error: 404\n")


def test_curl_wrong_protocol(sim):
    """https:// to plain HTTP is a TLS error (35); a reply without a status line is (1) at once, not a timeout."""
    assert ex(sim, "curl", "-sS", f"https://{SRV}:8080/") == (
        35, "", "curl: (35) TLS connect error: error:0A00010B:SSL routines::wrong version number\n")
    assert ex(sim, "curl", "-sS", "-m", "60", f"http://{SRV}:9000/") == (
        1, "", "curl: (1) Received HTTP/0.9 when not allowed\n")


def test_curl_verbose_request_lines_end_in_crlf(sim):
    _, _, err = ex(sim, "curl", "-sv", f"{URL}/")
    assert f"> GET / HTTP/1.1\r\n> Host: {SRV}:8080\r\n> User-Agent: curl/8.14.1\r\n> Accept: */*\r\n> \r\n" in err
    assert "< HTTP/1.0 200 OK\r\n" in err and "* HTTP 1.0, assume close after body\n" in err


def test_wget(sim):
    assert ex(sim, "wget", "-qO-", f"{URL}/") == (0, "hello from toolsrv\n", "")
    assert ex(sim, "wget", "-O-", f"{URL}/redirect") == (
        0, "hello from toolsrv\n",
        f"Connecting to {SRV}:8080 (10.213.90.2:8080)\nwriting to stdout\n"
        "-                    100% |********************************|    19  0:00:00 ETA\nwritten to stdout\n")
    assert ex(sim, "wget", "-O", "/tmp/page", f"{URL}/") == (
        0, "", f"Connecting to {SRV}:8080 (10.213.90.2:8080)\nsaving to '/tmp/page'\n"
        "page                 100% |********************************|    19  0:00:00 ETA\n'/tmp/page' saved\n")
    assert ex(sim, "cat", "/tmp/page") == (0, "hello from toolsrv\n", "")
    assert ex(sim, "wget", "--spider", f"{URL}/") == (
        0, "", f"Connecting to {SRV}:8080 (10.213.90.2:8080)\nremote file exists\n")
    assert ex(sim, "wget", "-qO-", "--header", "X-Demo: 1", f"{URL}/headers") == (
        0, "method: GET\nuser-agent: Wget\naccept: None\nx-demo: 1\n", "")
    assert ex(sim, "wget", "-qO-", "--post-data", "a=1", f"{URL}/x")[1] == (
        "POST /x\ncontent-type: application/x-www-form-urlencoded\nbody: a=1\n")


def test_wget_errors(sim):
    assert ex(sim, "wget", "-q", "-O", "-", f"{URL}/missing") == (
        1, "", "wget: server returned error: HTTP/1.0 404 Not Found\n")
    assert ex(sim, "wget", "-qO-", f"http://{SRV}:8081/") == (
        1, "", "wget: can't connect to remote host (10.213.90.2): Connection refused\n")
    assert ex(sim, "wget", "-qO-", "http://nope:8081/") == (1, "", "wget: bad address 'nope:8081'\n")
    assert ex(sim, "wget", "-qO-", f"http://{SRV}:9000/") == (1, "", "wget: error getting response\n")


def test_nc(sim):
    """BusyBox nc: stdin to HOST PORT and the reply back; no -z in this build."""
    assert sh(sim, f"echo hello | nc {SRV} 9000") == (0, "HELLO\n", "")
    assert ex(sim, "nc", SRV, "8081") == (1, "", "nc: can't connect to remote host (10.213.90.2): Connection refused\n")
    assert ex(sim, "nc", "nope", "80") == (1, "", "nc: bad address 'nope'\n")
    code, out, err = ex(sim, "nc", "-z", SRV, "8080")
    assert (code, out) == (1, "") and err.startswith(
        "nc: invalid option -- 'z'\nBusyBox v1.37.0 (Debian 1:1.37.0-6+b9) multi-call binary.\n\n"
        "Usage: nc [-iN] [-wN] [-l] [-p PORT] [-f FILE|IPADDR PORT] [-e PROG]\n")


def test_ip_addr_and_route(sim):
    """eth0 with the container's address, Docker's MAC (02:42 + the address), then a second network as eth1."""
    code, out, _ = ex(sim, "ip", "addr")
    assert code == 0
    assert re.fullmatch(
        re.escape("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n"
                  "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
                  "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n")
        + r"(\d+): eth0@if(\d+)"
        + re.escape(": <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue \n"
                    "    link/ether 02:42:0a:d5:5a:03 brd ff:ff:ff:ff:ff:ff\n"
                    "    inet 10.213.90.3/24 brd 10.213.90.255 scope global eth0\n"
                    "       valid_lft forever preferred_lft forever\n"), out), out
    assert ex(sim, "ip", "route") == (0, "default via 10.213.90.1 dev eth0 \n"
                                         "10.213.90.0/24 dev eth0 scope link  src 10.213.90.3 \n", "")
    assert ex(sim, "ip", "addr", "show", "eth9") == (1, "", "ip: can't find device 'eth9'\n")
    assert ex(sim, "ip", "addr", "bogus") == (1, "", "ip: invalid argument 'bogus' to 'ip'\n")
    r = run_command(sim, "docker run -d --name nt-two --network nt-net curlimages/curl:8.14.1 sleep 3000")
    assert r.exit_code == 0
    assert run_command(sim, "docker network connect nt-net2 nt-two").exit_code == 0
    code, out, _ = sim.exec_run(r.stdout.strip(), ["ip", "route"], False, [])
    assert out == ("default via 10.213.90.1 dev eth0 \n10.213.90.0/24 dev eth0 scope link  src 10.213.90.4 \n"
                   "10.213.91.0/24 dev eth1 scope link  src 10.213.91.2 \n")
    code, out, _ = sim.exec_run(r.stdout.strip(), ["sh", "-c", "ip -4 addr | grep inet"], False, [])
    assert out == ("    inet 127.0.0.1/8 scope host lo\n    inet 10.213.90.4/24 brd 10.213.90.255 scope global eth0\n"
                   "    inet 10.213.91.2/24 brd 10.213.91.255 scope global eth1\n")
    assert run(sim, "--network none curlimages/curl:8.14.1 ip route") == (0, "", "")


def test_ps(sim):
    """BusyBox ps: the container's own processes, PID 1 its main program, USER cut to eight characters."""
    assert run(sim, "curlimages/curl:8.14.1 ps") == (0, "PID   USER     COMMAND\n    1 curl_use ps\n", "")
    assert run(sim, "curlimages/curl:8.14.1 ps -o comm,user,args")[1] == (
        "COMMAND          USER     COMMAND\nps               curl_use ps -o comm,user,args\n")
    assert run(sim, 'curlimages/curl:8.14.1 sh -c "ps -o comm,user; echo done"')[1] == (
        "COMMAND          USER\nsh               curl_use\nps               curl_use\ndone\n")
    code, out, _ = ex(sim, "ps")
    assert code == 0 and re.fullmatch(r"PID   USER     COMMAND\n    1 curl_use sleep 3000\n +\d+ curl_use ps\n", out)
    assert ex(sim, "ps", "-o", "bogus") == (1, "", "ps: bad -o argument 'bogus', supported arguments: user,group,comm,"
                                                   "args,pid,ppid,pgid,nice,rgroup,ruser,tty,vsz,sid,stat,rss\n")


def test_ping_as_the_curl_images_user(sim):
    assert ex(sim, "ping", "-c", "1", SRV) == (1, f"PING {SRV} (10.213.90.2): 56 data bytes\n",
                                               "ping: permission denied (are you root?)\n")
    assert ex(sim, "ping", "-c", "1", "nope") == (1, "", "ping: bad address 'nope'\n")


@pytest.mark.parametrize("tool", ["ping", "ip", "ps", "wget", "nc", "curl"])
def test_the_python_image_has_no_network_tools(sim, tool):
    py = sim.inspect_container("nt-py")["Id"]
    assert sim.exec_run(py, [tool], False, []) == (126, OCI_EXEC.format(tool), "")
    assert sim.exec_run(py, ["sh", "-c", f"{tool} x"], False, []) == (127, "", f"sh: 1: {tool}: not found\n")


def test_netstat_and_route(sim):
    """netstat: the namespace's listeners (and, on a user network, the embedded DNS on 127.0.0.11); route: its table."""
    code, out, _ = run(sim, f"--network container:{SRV} curlimages/curl:8.14.1 netstat -tln")
    lines = out.splitlines()
    assert code == 0 and lines[:2] == ["Active Internet connections (only servers)",
                                       "Proto Recv-Q Send-Q Local Address           Foreign Address         State       "]
    assert "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      " in lines
    assert any(re.fullmatch(r"tcp        0      0 127\.0\.0\.11:\d{5} +0\.0\.0\.0:\* +LISTEN {6}", ln) for ln in lines)
    assert run(sim, "--network none curlimages/curl:8.14.1 netstat -tln")[1] == (
        "Active Internet connections (only servers)\n"
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State       \n")
    assert ex(sim, "route") == (0, "Kernel IP routing table\n"
                                   "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n"
                                   "default         10.213.90.1     0.0.0.0         UG    0      0        0 eth0\n"
                                   "10.213.90.0     *               255.255.255.0   U     0      0        0 eth0\n", "")
    assert ex(sim, "netstat", "-rn")[1].splitlines()[2] == (
        "0.0.0.0         10.213.90.1     0.0.0.0         UG        0 0          0 eth0")
    assert ex(sim, "route", "add", "default", "gw", "10.213.90.9") == (1, "", "route: SIOCADDRT: Operation not permitted\n")
