"""Benchmark: grading 20 submissions with --jobs 2 against --jobs 1, on the same machine in the same run.

The submissions are solved and unsolved copies of lessons 02, 05, 09 and 11 (five of each), so they do
real work: servers, clients, builds, published ports. Each run grades all 20 on the embedded engine
(the grader's default) and checks that both runs give the same scores.

    .venv/bin/python bench/grade_jobs.py [--count 20] [--max-ratio 0.65]

Writes bench/results/grade_jobs.json; exits 1 when the scores differ or the ratio exceeds --max-ratio.
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
        nbformat.write(nb, folder / f"learner{i:02d}-{lesson}.ipynb")


def timed(folder: Path, jobs: int) -> tuple[float, dict[str, int]]:
    """Grade the folder with N jobs; wall seconds and each learner's points."""
    from labkit.grading.run import grade

    with tempfile.TemporaryDirectory() as out:
        start = time.monotonic()
        results = grade([str(folder)], out, jobs=jobs, say=lambda s: None)
        wall = time.monotonic() - start
    return wall, {r["learner"]: sum(e["points"] for e in r["exercises"]) for r in results}


def main(argv: list[str] | None = None) -> int:
    """Run both, print the table, check the limit."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--max-ratio", type=float, default=None)
    ap.add_argument("--output", default=str(ROOT / "bench" / "results" / "grade_jobs.json"))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_submissions(folder, args.count)
        one, scores_one = timed(folder, 1)
        two, scores_two = timed(folder, 2)
    ratio = two / one
    print(f"{'jobs':<6} {'wall s':>8}")
    print(f"{1:<6} {one:>8.1f}\n{2:<6} {two:>8.1f}")
    print(f"ratio jobs2/jobs1: {ratio:.3f}")
    same = scores_one == scores_two
    if not same:
        print("grade_jobs: the two runs gave different scores")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                             "count": args.count, "jobs1_s": round(one, 2), "jobs2_s": round(two, 2),
                                             "ratio": round(ratio, 3), "same_scores": same}, indent=1) + "\n")
    too_slow = args.max_ratio is not None and ratio > args.max_ratio
    return 1 if too_slow or not same else 0


if __name__ == "__main__":
    sys.exit(main())
