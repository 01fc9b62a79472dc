"""Benchmark: grading 20 submissions with --jobs 2 against --jobs 1, and the sandbox's cost, in the same run.

The submissions are solved and unsolved copies of lessons 02, 05, 09 and 11 (five of each), so they do
real work: servers, clients, builds, published ports. Runs grade all 20 on the embedded engine (the grader's
default): --jobs 1 and --jobs 2 in the default sandbox (bubblewrap), then --jobs 2 with `--sandbox none
--trust-submissions` and in the sandbox again, alternated (the fastest of each pair counts); the scores must
be the same.

    .venv/bin/python bench/grade_jobs.py [--count 20] [--max-ratio 0.65] [--max-sandbox-cost 0.15]

Writes bench/results/grade_jobs.json; exits 1 when the scores differ, the jobs ratio exceeds --max-ratio, or
the sandbox costs more than --max-sandbox-cost (a share of the time per submission without one).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LESSONS = ("02", "05", "09", "11")


def make_submissions(folder: Path, count: int) -> None:
    """count notebooks, alternating solved and released copies of a few lessons."""
    import nbformat

    from tests.grading.corpus import released, solve

    for i in range(count):
        lesson = LESSONS[i % len(LESSONS)]
        nb = solve(released(lesson)) if i % 2 == 0 else released(lesson)
        nbformat.write(nb, folder / f"learner{i:03d}-{lesson}.ipynb")  # three digits: no lesson number


def timed(folder: Path, jobs: int, sandbox: str = "bwrap") -> tuple[float, dict[str, int]]:
    """Grade the folder with N jobs in a sandbox; wall seconds and each learner's points."""
    from labkit.grading.run import grade

    with tempfile.TemporaryDirectory() as out:
        start = time.monotonic()
        results = grade([str(folder)], out, jobs=jobs, say=lambda s: None, sandbox_name=sandbox,
                        trust=sandbox == "none")
        wall = time.monotonic() - start
    return wall, {r["learner"]: sum(e["points"] for e in r["exercises"]) for r in results}


def main(argv: list[str] | None = None) -> int:
    """Run both, print the table, check the limit."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--max-ratio", type=float, default=None)
    ap.add_argument("--max-sandbox-cost", type=float, default=None)
    ap.add_argument("--output", default=str(ROOT / "bench" / "results" / "grade_jobs.json"))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_submissions(folder, args.count)
        one, scores_one = timed(folder, 1)
        two, scores_two = timed(folder, 2)
        # the sandbox's cost: runs with and without it, alternated, the fastest of each (a shared machine is noisy)
        bare, scores_bare = timed(folder, 2, "none")
        again, _ = timed(folder, 2)
        bare2, _ = timed(folder, 2, "none")
        boxed, bare = min(two, again), min(bare, bare2)
    ratio = two / one
    cost = boxed / bare - 1
    print(f"{'run':<28} {'wall s':>8} {'s/submission':>13}")
    for label, wall in (("bwrap, --jobs 1", one), ("bwrap, --jobs 2", two), ("bwrap, --jobs 2 (best)", boxed),
                        ("no sandbox, --jobs 2 (best)", bare)):
        print(f"{label:<28} {wall:>8.1f} {wall / args.count:>13.2f}")
    print(f"ratio jobs2/jobs1: {ratio:.3f}")
    print(f"sandbox cost: {100 * cost:+.1f}% ({(boxed - bare) / args.count:+.2f} s per submission at --jobs 2, "
          "fastest of two runs each)")
    same = scores_one == scores_two == scores_bare
    if not same:
        print("grade_jobs: the two runs gave different scores")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                             "count": args.count, "jobs1_s": round(one, 2), "jobs2_s": round(two, 2),
                                             "ratio": round(ratio, 3), "no_sandbox_jobs2_s": round(bare, 2),
                                             "sandbox_cost": round(cost, 3), "same_scores": same}, indent=1) + "\n")
    too_slow = args.max_ratio is not None and ratio > args.max_ratio
    too_slow = too_slow or (args.max_sandbox_cost is not None and cost > args.max_sandbox_cost)
    return 1 if too_slow or not same else 0


if __name__ == "__main__":
    sys.exit(main())
