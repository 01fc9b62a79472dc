"""The one renderer: CLI tables, durations, sizes, ports and JSON, from Engine API data."""

from __future__ import annotations

import json

from labkit import units
from labkit.contract import render


def test_human_duration_matches_go_units():
    cases = {0.2: "Less than a second", 1: "1 second", 59: "59 seconds", 60: "About a minute",
             150: "2 minutes", 3600: "About an hour", 2 * 3600: "2 hours", 3 * 86400: "3 days",
             15 * 86400: "2 weeks", 70 * 86400: "2 months", 800 * 86400: "2 years"}
    for seconds, text in cases.items():
        assert units.human_duration(seconds) == text, seconds


def test_human_size_is_decimal_with_three_digits():
    assert units.human_size(172_213_760) == "172MB"
    assert units.human_size(1_234_567_890) == "1.23GB"
    assert units.human_size(999) == "999B"


def test_table_uses_tabwriter_widths():
    out = render.table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], [["d8e8d8d8c61a", "bridge", "bridge", "local"]])
    assert out == ("NETWORK ID     NAME      DRIVER    SCOPE\n"
                   "d8e8d8d8c61a   bridge    bridge    local\n")


def test_ports_column_groups_like_the_cli():
    ports = [
        {"PrivatePort": 3000, "Type": "tcp"},
        {"PrivatePort": 3001, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 9000, "PublicPort": 9000, "Type": "tcp"},
    ]
    assert render.ports_column(ports) == "3000-3001/tcp, 0.0.0.0:9000->9000/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
    assert render.ports_column([{"PrivatePort": 3000, "Type": "tcp"}]) == "3000/tcp"


def test_ps_table_quotes_and_truncates_the_command():
    c = {"Id": "a" * 64, "Image": "day8", "Command": "/entrypoint.sh sh -c 'exit 3'", "Created": 100,
         "Status": "Exited (3) 2 seconds ago", "Ports": [], "Names": ["/done"]}
    lines = render.ps_table([c], now=105).splitlines()
    assert ' "/entrypoint.sh sh -…" ' in lines[1]
    assert "5 seconds ago" in lines[1] and lines[1].endswith("done")
    assert render.ps_table([c], quiet=True) == "a" * 12 + "\n"


def test_inspect_json_is_indented_and_go_escaped():
    out = render.inspect_json([{"Name": "a<b>&c", "Labels": {}, "List": []}])
    assert json.loads(out) == [{"Name": "a<b>&c", "Labels": {}, "List": []}]
    assert "\\u003c" in out and "\\u0026" in out and out.startswith("[\n    {\n        \"Name\"")
    assert render.inspect_json([]) == "[]\n"


def test_port_lines_are_naturally_sorted():
    c = {"NetworkSettings": {"Ports": {"3000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18081"},
                                                     {"HostIp": "0.0.0.0", "HostPort": "18082"}],
                                       "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "9"}], "4000/tcp": None}}}
    assert render.port_lines(c) == ("80/tcp -> 0.0.0.0:9\n3000/tcp -> 0.0.0.0:18082\n3000/tcp -> 127.0.0.1:18081\n")
    assert render.port_lines(c, only="3000/tcp") == "0.0.0.0:18082\n127.0.0.1:18081\n"
