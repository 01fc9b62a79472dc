"""Run a command on a stand-in for a Mac's loopback: a network namespace whose `lo` holds only 127.0.0.1/32.

    python tests/sim/one_loopback.py -- COMMAND ARG…      # exit code: the command's (2: no namespace here)

Used by tests/sim/test_ports_mode.py and by a CI pass of the embedded engine in ports mode (issue 27), e.g.

    python tests/sim/one_loopback.py -- env LABKIT_ENGINE=sim .venv/bin/python -m pytest -q \\
        tests/conformance/test_conformance.py tests/sim/test_ports_mode.py -k "not docker"
    python tests/sim/one_loopback.py -- env LABKIT_ENGINE=sim .venv/bin/python tests/nbval_run.py

`unshare -rn` needs no privilege where unprivileged user namespaces are allowed (as root it is plain `-n`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

SETUP = "ip link set lo up && ip addr del 127.0.0.1/8 dev lo && ip addr add 127.0.0.1/32 dev lo && exec \"$@\""
PROBE = ("import socket, sys\ns = socket.socket()\ntry:\n    s.bind(('127.77.0.1', 0))\nexcept OSError as e:\n"
         "    sys.exit(0 if e.errno == 99 else 3)\nsys.exit(4)")


def wrap(cmd: list[str]) -> list[str]:
    """cmd, run inside a fresh one-loopback network namespace."""
    return ["unshare", "-rn", "sh", "-c", SETUP, "sh", *cmd]


def problem() -> str | None:
    """Why no one-loopback namespace can be made here (None when it can, and 127.77.0.1 fails there to bind)."""
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"no one-loopback namespace: `{tool}` is not installed"
    try:
        r = subprocess.run(wrap([sys.executable, "-c", PROBE]), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"no one-loopback namespace: {err}"
    if r.returncode != 0:
        why = r.stderr.strip().splitlines()[-1:] or [f"exit {r.returncode}"]
        return f"no one-loopback namespace: unshare -rn / ip addr are not permitted here ({why[0][:120]})"
    return None


def main(argv: list[str]) -> int:
    """Run argv (after `--`) in a one-loopback namespace."""
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python tests/sim/one_loopback.py -- COMMAND ARG…", file=sys.stderr)
        return 2
    why = problem()
    if why:
        print(why, file=sys.stderr)
        return 2
    return subprocess.run(wrap(argv)).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
