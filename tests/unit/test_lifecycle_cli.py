"""The CLI layer of the lifecycle commands, without an engine: what labkit does not implement versus what is no
docker command at all, --since/--until values, `docker top`'s table and its normalisation.

Expected texts are the docker CLI 28.2.2's, run on the course machine.
"""

from __future__ import annotations

import pytest

from labkit.contract import filters
from labkit.contract.cmdline import parse, split
from labkit.contract.lifecycle import info_text, top_table
from labkit.contract.normalise import normalise
from labkit.contract.since import timestamp
from labkit.errors import CommandError


def _error(line: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        parse(split(line))
    return caught.value


@pytest.mark.parametrize("line, shown", [
    ("stats", "docker stats"), ("stats --no-stream", "docker stats"), ("volume ls", "docker volume ls"),
    ("image rm x", "docker image rm"), ("system prune -f", "docker system prune"), ("cp a:/x .", "docker cp"),
])
def test_a_real_command_labkit_skips_is_said_in_labkit_words(line, shown):
    err = _error(line)
    assert (err.exit_code, err.stderr) == (125, f"labkit does not implement `{shown}` (a docker command outside the "
                                                "course's subset)\n")


@pytest.mark.parametrize("line, shown", [
    ("run --memory 1g img", "docker run --memory"), ("run -m 1g img", "docker run -m"),
    ("run --privileged img", "docker run --privileged"), ("build --no-cache .", "docker build --no-cache"),
    ("logs --details x", "docker logs --details"),
])
def test_a_real_flag_labkit_skips_is_said_in_labkit_words(line, shown):
    err = _error(line)
    assert (err.exit_code, err.stderr) == (125, f"labkit does not implement `{shown}` (a docker flag outside the "
                                                "course's subset)\n")


@pytest.mark.parametrize("line, stderr", [
    ("frobnicate", "docker: unknown command: docker frobnicate\n\nRun 'docker --help' for more information\n"),
    ("container frob", "docker: unknown command: docker container frob\n\nUsage:  docker container\n\n"
                       "Run 'docker container --help' for more information\n"),
    ("volume frob", "docker: unknown command: docker volume frob\n\nUsage:  docker volume COMMAND\n\n"
                    "Run 'docker volume --help' for more information\n"),
    ("kill --frob x", "unknown flag: --frob\n\nUsage:  docker kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                      "Run 'docker kill --help' for more information\n"),
])
def test_typos_are_the_clis_unknown_command_or_flag(line, stderr):
    err = _error(line)
    assert err.stderr == stderr
    assert err.exit_code == (1 if "command" in stderr else 125)


def test_new_commands_parse():
    p = parse(split("kill -s TERM a b"))
    assert (p.path, p.flag("signal"), p.args) == (("kill",), "TERM", ["a", "b"])
    p = parse(split("top x -o pid,comm"))
    assert p.args == ["x", "-o", "pid,comm"]  # ps options are the command's arguments
    p = parse(split("container prune -f --filter label=a=1"))
    assert (p.path, p.flag("force"), p.flag("filter")) == (("container", "prune"), True, ["label=a=1"])
    p = parse(split("logs -f -n 3 --since 1h -t x"))
    assert (p.flag("follow"), p.flag("tail"), p.flag("since"), p.flag("timestamps")) == (True, "3", "1h", True)
    assert _error("rename x").stderr.startswith("docker: 'docker rename' requires 2 arguments\n")
    assert _error("pause").stderr.endswith("See 'docker pause --help' for more information\n")


def test_since_values_as_the_cli_sends_them():
    now = 1_700_000_000.0
    assert timestamp("42m", "since", now) == "1699997480.000000000"
    assert timestamp("1h30m", "until", now) == "1699994600.000000000"
    assert timestamp("2013-01-02T13:23:37Z", "since") == "1357133017.000000000"
    assert timestamp("2013-01-02T13:23:37+01:00", "since") == "1357129417.000000000"
    assert timestamp("1357133017", "since") == "1357133017"
    assert timestamp(None, "since") is None
    with pytest.raises(CommandError) as caught:
        timestamp("bogus", "since")
    assert caught.value.stderr == 'invalid value for "since": failed to parse value as time or duration: "bogus"\n'


# `docker top` of a container on dockerd (docker CLI 28.2.2)
DOCKER_TOP = (
    "UID                 PID                 PPID                C                   STIME               TTY       "
    "          TIME                CMD\n"
    "root                10942               10923               1                   15:39               ?         "
    "          00:00:00            python3 -c import time; print('hi', flush=True); time.sleep(1000)\n"
)


def test_top_table_is_the_clis():
    titles = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    row = ["root", "10942", "10923", "1", "15:39", "?", "00:00:00",
           "python3 -c import time; print('hi', flush=True); time.sleep(1000)"]
    assert top_table(titles, [row]) == DOCKER_TOP


def test_top_numbers_are_masked_and_the_rest_kept():
    masked = normalise(DOCKER_TOP)
    assert masked.splitlines()[1].split(None, 7) == ["root", "<n>", "<n>", "<n>", "<n>", "?", "<n>",
                                                     "python3 -c import time; print('hi', flush=True); time.sleep(1000)"]
    other = top_table(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
                      [["root", "7", "1234567", "12", "Dec01", "?", "01:02:03",
                        "python3 -c import time; print('hi', flush=True); time.sleep(1000)"]])
    assert normalise(other) == masked


def test_info_text_lays_out_the_fields_it_has():
    text = info_text({"Version": "labkit 1", "Context": "default"},
                     {"Containers": 3, "ContainersRunning": 1, "ContainersPaused": 1, "ContainersStopped": 1,
                      "Images": 2, "ServerVersion": "20.10.24+dfsg1", "MemTotal": 25275486208, "NCPU": 2})
    assert text.startswith("Client:\n Version:    labkit 1\n Context:    default\n Debug Mode: false\n\nServer:\n"
                           " Containers: 3\n  Running: 1\n  Paused: 1\n  Stopped: 1\n Images: 2\n"
                           " Server Version: 20.10.24+dfsg1\n")
    assert " CPUs: 2\n Total Memory: 23.54GiB\n" in text


# what docker CLI 28.2.2 printed for each (exit code 125), before it sent anything to the daemon
FILTER_ERRORS = {
    "network prune -f --filter foo": ('invalid argument "foo" for "--filter" flag: bad format of filter '
                                      "(expected name=value)", "docker network prune [OPTIONS]"),
    "container prune --filter=foo": ('invalid argument "foo" for "--filter" flag: bad format of filter '
                                     "(expected name=value)", "docker container prune [OPTIONS]"),
    "ps --filter foo": ('invalid argument "foo" for "-f, --filter" flag: bad format of filter (expected name=value)',
                        "docker ps [OPTIONS]"),
    "network ls -f foo": ('invalid argument "foo" for "-f, --filter" flag: bad format of filter '
                          "(expected name=value)", "docker network ls [OPTIONS]"),
}


@pytest.mark.parametrize("line", FILTER_ERRORS)
def test_every_filter_is_read_by_one_rule_as_the_cli_reads_it(line):
    first, usage = FILTER_ERRORS[line]
    err = _error(line)
    assert err.stderr.startswith(f"{first}\n\nUsage:  {usage}\n\nRun 'docker ")
    assert err.exit_code == 125


def test_filters_as_the_api_takes_them():
    assert filters.wanted([" Name = x ", "", "label=a=1", "label=b"]) == {"name": ["x"], "label": ["a=1", "b"]}
