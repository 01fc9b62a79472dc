"""Benchmark: grading 40 submissions on a local Dask cluster with 1 worker, then with 2 workers, in the same run.

A scheduler on loopback and worker processes (one thread each, `dask worker --nthreads 1`) are started from this
environment, afresh for each run (1 worker, 2, 1, 2: the faster of each pair counts); `labkit grade --scheduler`
sends them one task per submission (solved and released copies of lessons 02, 05, 09 and 11, so the work is
real: servers, clients, builds, published ports). The scores of the runs must be the same. Prints submissions
per minute per worker and, from that figure, the wall time of a course for a class (4,500 runs: 300 learners ×
15 notebooks) on 1, 8 and 64 such workers.

    .venv/bin/python bench/grade_cluster.py [--count 40] [--min-ratio 1.7]

Writes bench/results/grade_cluster.json; exits 1 when the scores differ or the throughput ratio (2 workers
against 1) is below --min-ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.grade_jobs import make_submissions  # noqa: E402 - after the path is set

DASK = str(Path(sys.executable).with_name("dask"))
CLASS_RUNS = 4500


def start_cluster(folder: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler on loopback and `workers` single-threaded worker processes; its address and the processes."""
    from distributed import Client

    log = open(folder / f"dask-{workers}.log", "w")
    sched_file = folder / f"scheduler-{workers}.json"
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(sched_file)], stdout=log, stderr=log, cwd=folder)]
    deadline = time.monotonic() + 60
    while not sched_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    address = json.loads(sched_file.read_text())["address"]
    for i in range(workers):
        procs.append(subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-dashboard",
                                       "--name", f"w{i}"], stdout=log, stderr=log, cwd=folder))
    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def timed(folder: Path, workers: int) -> tuple[float, dict[str, int]]:
    """Grade the folder on a fresh cluster of N workers; wall seconds and each learner's points."""
    from labkit.grading.run import grade

    address, procs = start_cluster(folder.parent, workers)
    try:
        with tempfile.TemporaryDirectory() as out:
            start = time.monotonic()
            results = grade([str(folder)], out, say=lambda s: None, scheduler=address)
            wall = time.monotonic() - start
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
    return wall, {r["learner"]: sum(e["points"] for e in r["exercises"]) for r in results}


def main(argv: list[str] | None = None) -> int:
    """Run both, print the table, check the limit."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--min-ratio", type=float, default=None)
    ap.add_argument("--output", default=str(ROOT / "bench" / "results" / "grade_cluster.json"))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "subs"
        folder.mkdir()
        make_submissions(folder, args.count)
        # alternated, the faster of two runs each: a first run pays one-time costs, and a shared machine is noisy
        one, scores_one = timed(folder, 1)
        two, scores_two = timed(folder, 2)
        one = min(one, timed(folder, 1)[0])
        two = min(two, timed(folder, 2)[0])
    ratio = one / two  # throughput with 2 workers over throughput with 1
    per_worker = args.count / (one / 60)  # submissions per minute on one worker
    print(f"{'workers':<8} {'wall s':>8} {'submissions/min':>16}")
    for n, wall in ((1, one), (2, two)):
        print(f"{n:<8} {wall:>8.1f} {args.count / (wall / 60):>16.1f}")
    print(f"throughput ratio 2 workers / 1 worker: {ratio:.2f}")
    print(f"one worker grades {per_worker:.1f} submissions per minute; a course for a class ({CLASS_RUNS} runs):")
    projection = {}
    for n in (1, 8, 64):
        minutes = CLASS_RUNS / (per_worker * n)
        projection[n] = round(minutes, 1)
        print(f"  on {n:>2} worker(s): {minutes / 60:6.1f} h ({minutes:.0f} min)")
    same = scores_one == scores_two
    if not same:
        print("grade_cluster: the two runs gave different scores")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                             "count": args.count, "one_worker_s": round(one, 2),
                                             "two_workers_s": round(two, 2), "ratio": round(ratio, 3),
                                             "per_worker_per_min": round(per_worker, 2),
                                             "class_minutes_by_workers": projection, "same_scores": same},
                                            indent=1) + "\n")
    return 1 if not same or (args.min_ratio is not None and ratio < args.min_ratio) else 0


if __name__ == "__main__":
    sys.exit(main())
