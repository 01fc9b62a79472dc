"""labkit.contract.normalise masks exactly IDs, timestamps, durations, MACs and allocated subnets; nothing else."""

from __future__ import annotations

import pytest

from labkit.contract.normalise import Normaliser, normalise, normalise_result, render_table

FULL = "f21ea0754c83bdebc3a9261fb5670ea92657fb2fe3a8371e2556a9caba67edac"
OTHER = "441b62f2c7bdbd1080ae2d5c6ffd500876e2b5b9fdcc565c5d4558be6be847fe"


def test_ids_numbered_by_first_appearance_full_and_short_linked():
    text = f"{OTHER}\n{FULL}\n{FULL[:12]}   cf-x\n{OTHER}\n"
    assert normalise(text) == "<id1>\n<id2>\n<id2:short>   cf-x\n<id1>\n"


def test_sha256_ids_keep_their_prefix():
    assert normalise(f"sha256:{FULL}\n") == "sha256:<id1>\n"


def test_placeholders_are_shared_across_one_run_only():
    state = Normaliser()
    a = normalise_result({"cmd": "docker run -d x", "exit_code": 0, "stdout": FULL + "\n", "stderr": ""}, state)
    b = normalise_result({"cmd": "docker ps -q", "exit_code": 0, "stdout": OTHER[:12] + "\n" + FULL[:12] + "\n",
                          "stderr": ""}, state)
    assert a["stdout"] == "<id1>\n"
    assert b["stdout"] == "<id2:short>\n<id1:short>\n"
    assert b["cmd"] == "docker ps -q" and b["exit_code"] == 0
    assert normalise(OTHER) == "<id1>"  # a new run starts again at 1


@pytest.mark.parametrize("stamp", ["2026-11-27T19:03:59.123456789Z", "2026-11-27T19:03:59Z",
                                   "2026-11-27T20:03:59.5+01:00"])
def test_rfc3339_timestamps(stamp):
    assert normalise(f'"Created": "{stamp}",') == '"Created": "<time>",'


def test_server_log_time_and_http_date():
    log = '172.18.0.3 - - [27/Nov/2026 19:03:59] "GET / HTTP/1.1" 200 -'
    assert normalise(log) == '<net1>.0.3 - - [<time>] "GET / HTTP/1.1" 200 -'
    assert normalise("Date: Fri, 27 Nov 2026 19:59:00 GMT") == "Date: <time>"


@pytest.mark.parametrize("raw,masked", [
    ("curl: (7) Failed to connect to cf-x port 3000 after 1 ms: Could not connect to server",
     "curl: (7) Failed to connect to cf-x port 3000 after <n> ms: Could not connect to server"),
    ("curl: (28) Connection timed out after 2002 milliseconds",
     "curl: (28) Connection timed out after <n> milliseconds"),
    ("5 seconds ago", "<duration> ago"),
    ("Less than a second ago", "<duration> ago"),
    ("About a minute ago", "<duration> ago"),
    ("Up 3 seconds", "Up <duration>"),
    ("Up Less than a second", "Up <duration>"),
    ("Exited (0) 2 seconds ago", "Exited (0) <duration> ago"),
    ("Exited (137) About an hour ago", "Exited (137) <duration> ago"),
    ("64 bytes from 10.0.0.2: seq=0 ttl=64 time=0.081 ms", "64 bytes from 10.0.0.2: seq=0 ttl=64 time=<n> ms"),
    ("round-trip min/avg/max = 0.081/0.081/0.081 ms", "round-trip min/avg/max = <n> ms"),
])
def test_durations(raw, masked):
    assert normalise(raw) == masked


def test_mac_addresses():
    assert normalise('"MacAddress": "02:42:ac:12:00:02",') == '"MacAddress": "<mac>",'


def test_allocated_subnets_keep_the_host_part():
    text = "172.18.0.0/16 172.18.0.1 172.18.0.2 172.17.0.3 172.18.0.3"
    assert normalise(text) == "<net1>.0.0/<len> <net1>.0.1 <net1>.0.2 <net2>.0.3 <net1>.0.3"


def test_fallback_pool_reads_like_the_172_pool():
    # Docker falls back to 192.168.0.0/16 cut into /20s once 172.16-31 are taken.
    assert normalise("192.168.112.0/20 192.168.112.2 192.168.113.7") == "<net1>.0.0/<len> <net1>.0.2 <net1>.1.7"
    assert normalise("172.19.0.0/16 172.19.0.2") == normalise("192.168.32.0/20 192.168.32.2")


@pytest.mark.parametrize("text", [
    "10.213.13.2", "10.213.13.0/24", "127.0.0.11", "0.0.0.0:18101", "127.0.0.1:18102", "172.15.0.2", "172.32.0.2",
    "3000/tcp -> 0.0.0.0:18103", "curl: (6) Could not resolve host: cf-dns-x", "exit status 1",
    "Error response from daemon: network cf-x not found", "Exited (3)", "cf-story-srv", "cf-abcdef-net",
    "Python/3.13.5", "Sending build context to Docker daemon  3.584kB", "HTTP/1.0 200 OK", "Content-Length: 32",
    "Hello from inside the container", "deadbeef", "abcdef1234567", "Step 1/2 : FROM ${BASE}", "seq=0 ttl=64",
    "3 seconds", "Up", "[exit 7]", "labkit.session",
])
def test_leaves_everything_else_alone(text):
    assert normalise(text) == text


def test_exit_codes_and_commands_are_not_normalised():
    r = {"cmd": f"docker rm {FULL[:12]} after 5 ms", "exit_code": 137, "stdout": "", "stderr": "x"}
    out = normalise_result(r)
    assert out["cmd"] == r["cmd"] and out["exit_code"] == 137 and out["stderr"] == "x"


def test_tables_are_realigned_after_masking():
    raw = (
        "CONTAINER ID   IMAGE         COMMAND               CREATED                  STATUS                  PORTS      NAMES\n"
        f"{FULL[:12]}   cf-x-img:v1   \"python3 server.py\"   Less than a second ago   Up Less than a second   3000/tcp   cf-x\n"
    )
    other = "\n".join(render_table([
        ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
        [FULL[:12], "cf-x-img:v1", '"python3 server.py"', "2 seconds ago", "Up 1 second", "3000/tcp", "cf-x"],
    ])) + "\n"
    assert other != raw
    assert normalise(raw) == (
        "CONTAINER ID   IMAGE         COMMAND               CREATED          STATUS          PORTS      NAMES\n"
        "<id1:short>    cf-x-img:v1   \"python3 server.py\"   <duration> ago   Up <duration>   3000/tcp   cf-x\n"
    )
    assert normalise(other) == normalise(raw)


def test_a_misaligned_table_is_not_realigned():
    raw = "NETWORK ID     NAME      DRIVER    SCOPE\n0d8d13b0789e  bridge    bridge    local\n"
    assert normalise(raw) == "NETWORK ID     NAME      DRIVER    SCOPE\n<id1:short>  bridge    bridge    local\n"


@pytest.mark.parametrize("sep", ["\r", "\n"], ids=["as-curl-writes", "as-a-text-reader-sees"])
def test_a_curl_meter_row_repeated_when_a_second_ticks_counts_once(sep):
    """curl adds a row each time the wall clock enters a new second: a racy repeat, whichever newline a reader sees."""
    zero = "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
    done = "100    19  100    19    0     0   6350      0 --:--:-- --:--:-- --:--:--  9500"
    head = "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
    once = Normaliser().normalise(head + sep + zero + sep + done + "\n")
    assert Normaliser().normalise(head + sep + zero + sep + zero + sep + done + "\n") == once
    assert Normaliser().normalise(head + sep + done + "\n") != once  # a missing row is still a difference


def test_a_slow_transfers_rows_in_between_are_dropped_its_first_and_last_kept():
    """On a busy machine curl prints rows with the progress of the moment (6 %, upload done, no answer yet)."""
    head = "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
    zero = "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\n"
    mid = "  6    76    0     0  100     5      0      4 --:--:-- --:--:-- --:--:--     4\n"
    done = "100    76  100    71  100     5   6350    447 --:--:-- --:--:-- --:--:--  9500\n"
    quick = Normaliser().normalise(head + zero + done)
    assert Normaliser().normalise(head + zero + mid + done) == quick
    assert Normaliser().normalise(head + zero + mid + mid + done) == quick
    assert Normaliser().normalise(head + zero + mid) != quick  # where it ended still counts
    assert Normaliser().normalise(head + done) != quick  # and where it began
