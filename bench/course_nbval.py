"""Benchmark: the whole course re-executed by nbval (every notebook, every cell, outputs compared).

Runs tests/nbval_run.py (nbval over a scratch copy of notebooks/, as `make test` does) once per engine
(the embedded engine always; Docker when a daemon answers or --engine docker is given), in a
fresh process each, and reports the wall time and the pytest outcome. The goal on the embedded
engine is under 60 s on a 2-core machine.

    .venv/bin/python bench/course_nbval.py [--engine sim|docker|both] [--max-sim-seconds 60]

Writes bench/results/course_nbval.json. Exits 1 when a run fails or the sim run exceeds its limit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def docker_answers() -> bool:
    """True when a Docker daemon answers within 2 s."""
    from labkit.engines.apiclient.connect import ping

    return ping(2.0).ok


def run_course(engine: str) -> dict:
    """Re-execute every notebook under nbval on one engine; wall time and outcome."""
    env = dict(os.environ, LABKIT_ENGINE=engine)
    cmd = [PYTHON, "tests/nbval_run.py", "-q"]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    summary = (proc.stdout.strip().splitlines() or [""])[-1]
    failures = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    result = {"engine": engine, "seconds": round(wall, 1), "exit_code": proc.returncode, "summary": summary,
              "failed": failures}
    if proc.returncode:
        log = ROOT / "bench" / "results" / f"course_nbval-{engine}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(proc.stdout + proc.stderr)
        result["log"] = str(log)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a small table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=["sim", "docker", "both"], default="both")
    ap.add_argument("--max-sim-seconds", type=float, default=None)
    ap.add_argument("--output", default=str(ROOT / "bench" / "results" / "course_nbval.json"))
    args = ap.parse_args(argv)
    engines = ["sim"] if args.engine == "sim" else ["docker"] if args.engine == "docker" else ["sim"]
    if args.engine == "both" and docker_answers():
        engines.append("docker")
    results = [run_course(e) for e in engines]
    print(f"{'engine':<8} {'wall s':>8}  outcome")
    for r in results:
        print(f"{r['engine']:<8} {r['seconds']:>8.1f}  {r['summary']}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                             "results": results}, indent=1) + "\n")
    failed = any(r["exit_code"] != 0 for r in results)
    slow = args.max_sim_seconds is not None and any(
        r["engine"] == "sim" and r["seconds"] > args.max_sim_seconds for r in results)
    if slow:
        print(f"course_nbval: the embedded engine took longer than {args.max_sim_seconds:g} s")
    return 1 if failed or slow else 0


if __name__ == "__main__":
    sys.exit(main())
