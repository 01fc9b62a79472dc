"""Benchmark: with the `labkit sim` daemon already up, a new kernel's first command costs what later ones do.

Each round starts a fresh Python process (a kernel after a restart) that does what `%load_ext labkit`
does — chooses the engine and says which (which connects to the daemon) — and then times its first
`labkit.docker("ps")` and nine more. The result is the median, over rounds, of first minus the median
of the later ones: the cost a learner pays for being first.

    .venv/bin/python bench/first_command.py [--rounds N] [--max-extra-ms MS] [--output PATH]

Prints one line per round and a summary, writes bench/results/first_command.json, exits 1 when the
median extra cost exceeds --max-extra-ms (2 when a round failed). The daemon is a private one, stopped
at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "first_command.json"
ROUND = """
import json, statistics, time
import labkit
from labkit import session
session.current().reason()  # what %load_ext labkit does
import labkit.contract.commands  # noqa: F401
times = []
for _ in range(10):
    t0 = time.perf_counter()
    r = labkit.docker("ps")
    times.append(time.perf_counter() - t0)
    assert r.exit_code == 0, r.stderr
print(json.dumps({"first": times[0], "later": statistics.median(times[1:])}))
"""


def main(argv: list[str] | None = None) -> int:
    """Run the rounds; the exit status (0, 1 over --max-extra-ms, 2 on failure)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-extra-ms", type=float, default=None)
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    from labkit.engines.sim import daemon

    folder = tempfile.mkdtemp(prefix="lkb-first-")
    env = {**os.environ, "LABKIT_ENGINE": "sim", "LABKIT_SIM_DIR": folder, "PYTHONPATH": str(REPO)}
    daemon.start(os.path.join(folder, "engine.sock"))
    rounds = []
    try:
        for i in range(args.rounds):
            proc = subprocess.run([sys.executable, "-c", ROUND], env=env, capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                print(f"round {i + 1} failed: {proc.stderr.strip()[-500:]}", file=sys.stderr)
                return 2
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            rounds.append(r)
            print(f"round {i + 1}: first {r['first'] * 1000:.1f} ms, later (median) {r['later'] * 1000:.1f} ms")
    finally:
        daemon.stop(os.path.join(folder, "engine.sock"))
    extra_ms = statistics.median((r["first"] - r["later"]) * 1000 for r in rounds)
    passed = args.max_extra_ms is None or extra_ms <= args.max_extra_ms
    print(f"the first command's extra cost (median over {len(rounds)} fresh processes): {extra_ms:.1f} ms")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "benchmark": "first_command", "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rounds": rounds, "median_extra_ms": extra_ms, "max_extra_ms": args.max_extra_ms, "passed": passed,
    }, indent=1))
    if not passed:
        print(f"FAIL: the first command costs {extra_ms:.1f} ms more than later ones (--max-extra-ms "
              f"{args.max_extra_ms:g})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
