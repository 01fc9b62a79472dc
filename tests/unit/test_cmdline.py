"""The docker CLI's parsing and its error wording, with no engine involved."""

from __future__ import annotations

import pytest

from labkit.contract.cmdline import parse, split
from labkit.errors import CommandError


def test_flags_values_and_positionals():
    p = parse(split("run -dit --rm --name server --network=day8-net -p 8080:3000 -p127.0.0.1:81:80 "
                    "-e A=1 --network-alias api day8 python3 server.py --port 3000"))
    assert p.path == ("run",)
    assert p.flag("detach") and p.flag("interactive") and p.flag("tty") and p.flag("rm")
    assert p.flag("name") == "server" and p.flag("network") == "day8-net"
    assert p.flag("publish") == ["8080:3000", "127.0.0.1:81:80"]
    assert p.flag("env") == ["A=1"] and p.flag("network-alias") == ["api"]
    # flags after the image belong to the container's command
    assert p.args == ["day8", "python3", "server.py", "--port", "3000"]


def test_interspersed_flags_and_aliases():
    p = parse(split("network create day8-net --internal"))
    assert p.args == ["day8-net"] and p.flag("internal") is True
    assert parse(split("image ls")).path == ("image", "ls")
    assert parse(split("container ls -a")).path == ("ps",)
    assert parse(split("run --net none x")).flag("network") == "none"


def test_compose_global_options():
    p = parse(split("compose -f deploy/compose.yaml -p shop up -d"))
    assert p.path == ("compose", "up") and p.compose_file == "deploy/compose.yaml" and p.compose_project == "shop"
    assert p.flag("detach") is True


@pytest.mark.parametrize(
    "line, code, first",
    [
        ("foo", 1, "docker: unknown command: docker foo"),
        ("network foo", 1, "docker: unknown command: docker network foo"),
        ("run -z x", 125, "unknown shorthand flag: 'z' in -z"),
        ("run --name", 125, "flag needs an argument: --name"),
        ("run -p", 125, "flag needs an argument: 'p' in -p"),
        ("ps --bogus", 125, "unknown flag: --bogus"),
        ("rm", 1, "docker: 'docker rm' requires at least 1 argument"),
        ("logs", 1, "docker: 'docker logs' requires 1 argument"),
        ("exec x", 1, "docker: 'docker exec' requires at least 2 arguments"),
        ("port", 1, "docker: 'docker port' requires at least 1 and at most 2 arguments"),
        ("network connect a", 1, "docker: 'docker network connect' requires 2 arguments"),
        ("network create", 1, "docker: 'docker network create' requires 1 argument"),
    ],
)
def test_errors_match_the_cli(line, code, first):
    with pytest.raises(CommandError) as err:
        parse(split(line))
    assert err.value.exit_code == code
    assert err.value.stderr.splitlines()[0] == first
    assert err.value.stderr.rstrip().endswith("for more information")


def test_unbalanced_quotes_are_one_clear_line():
    with pytest.raises(CommandError) as err:
        split("exec client sh -c 'echo")
    assert err.value.stderr.count("\n") == 1 and "quotes" in err.value.stderr
