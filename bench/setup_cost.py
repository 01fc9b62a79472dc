"""Benchmark: what the course's set-up costs a newcomer: the size of `make lab`'s venv and the time from a first
`make lab` to JupyterLab serving.

Each round copies the checkout (no .venv, workspace, build output or caches) to a new temporary folder and runs
`make lab` there as a newcomer's first one: make the venv, upgrade pip, install the runtime (`pip install -e .`),
make the workspace, start JupyterLab. The round's time runs from `make lab`'s start until JupyterLab answers
`/lab` with its page (HTTP 200); then the server is stopped and the venv's size on disk is measured (as `du`
counts it: allocated blocks, each file once). With --lesson NN (default 05) one lesson then runs from the new
workspace on the embedded engine (`jupyter nbconvert --execute`) and the venv is measured again: Python writes the
bytecode of what it imports into the venv, so that is the size a learner's venv settles at. Python runs as it does
by default (PYTHONDONTWRITEBYTECODE unset). pip's own cache is used as it is, so a warm-up round that is not counted
fills it first: the figures are those of a warm pip cache. JupyterLab's configuration, data and runtime folders are
the round's own (never yours), and it opens no browser. Each round also records the CPU seconds its processes used
and the machine's load average when it started: on a busy machine the wall time grows, the CPU time much less.

    .venv/bin/python bench/setup_cost.py [--rounds N] [--checkout DIR] [--lesson NN|""] [--max-mb 350] [--max-seconds 60]

Prints each round and the median, the largest installed distributions of the last round, writes
bench/results/setup_cost.json, and exits 1 when the median time or the venv's size (after serving, or after the
lesson when one runs) is over its limit (2 when a round failed). --checkout measures another checkout (say, an
older commit's `git archive`) the same way.

Measured here (2 cores, warm pip cache, median of 3 rounds; an idle machine, load under 1):

    before (83289e3: nbval in the runtime, every module compiled at install, pip upgraded)
        JupyterLab served after 39 s; venv 435 MiB (435 MiB after lesson 05)
    after (nbval in the `test` extra, `pip install --no-compile`, pip upgraded only when older than 23)
        JupyterLab served after 34 s; venv 363 MiB, 381 MiB after lesson 05 (the bytecode of what it imports)
    after that (no pip or setuptools in the venv when this machine's pip can install into it from outside)
        JupyterLab served after 22 s; venv 339 MiB, 356 MiB after lesson 05 (one round, load 0.3)

On a loaded machine (load 10-12) the same first `make lab` took 100 s before and 37-45 s after. What is left is
the runtime's own weight: babel 35 MiB and jedi 32 (JupyterLab's and IPython's), debugpy (ipykernel's), and
numpy, fontTools, pillow, kiwisolver, contourpy and matplotlib itself (about 140 MiB, for the course's diagrams).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "setup_cost.json"
NOT_COPIED = {".venv", ".git", "workspace", "build", "dist", "artifacts", "__pycache__", ".pytest_cache",
              ".ruff_cache", ".ipynb_checkpoints", "results"}
URL = re.compile(r"(http://(?:127\.0\.0\.1|localhost):\d+/lab\?token=[0-9a-f]+)")
SERVE_DEADLINE = 900.0  # seconds a round may take before it is called failed


def disk_mb(path: Path) -> float:
    """The space `path` takes on disk, in MiB, as `du` counts it: allocated blocks, each inode once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            st = os.lstat(os.path.join(folder, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total / 2**20


def largest(venv: Path, count: int = 8) -> list[tuple[str, float]]:
    """The `count` largest entries of the venv's site-packages, with their size in MiB."""
    [site] = venv.glob("lib/python*/site-packages")
    sizes = [(p.name, disk_mb(p) if p.is_dir() else p.stat().st_size / 2**20) for p in site.iterdir()
             if not p.name.endswith((".dist-info", ".pth"))]
    return sorted(sizes, key=lambda s: -s[1])[:count]


def _copy(checkout: Path, dest: Path) -> Path:
    shutil.copytree(checkout, dest, symlinks=True,
                    ignore=lambda d, names: [n for n in names if n in NOT_COPIED or n.endswith(".egg-info")])
    return dest


def _served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _cpu_seconds() -> float:
    """User and system seconds used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_lesson(src: Path, env: dict, lesson: str) -> float:
    """Run one lesson from the round's workspace with the round's venv on a private embedded engine; its seconds."""
    [name] = [p.name for p in (src / "workspace").glob(f"{lesson}-*.ipynb")]
    env = {**env, "LABKIT_ENGINE": "sim", "LABKIT_SIM_DIR": str(src.parent / "sim")}
    start = time.monotonic()
    try:
        subprocess.run([str(src / ".venv" / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                        "--output", f"ran-{name}", name], cwd=src / "workspace", env=env, check=True,
                       capture_output=True, timeout=SERVE_DEADLINE)
    finally:
        subprocess.run([str(src / ".venv" / "bin" / "labkit"), "sim", "stop"], env=env, capture_output=True)
    return time.monotonic() - start


def one_round(checkout: Path, lesson: str = "") -> dict:
    """Run a first `make lab` on a fresh copy of `checkout`: seconds until JupyterLab serves, the venv's MiB (and,
    given a lesson, its MiB after that lesson ran)."""
    with tempfile.TemporaryDirectory(prefix="lkb-setup-") as tmp:
        src = _copy(checkout, Path(tmp) / "src")
        jupyter = Path(tmp) / "jupyter"
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(jupyter / "config"), "JUPYTER_DATA_DIR": str(jupyter / "data"),
               "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"), "JUPYTER_PORT": "0", "BROWSER": "true",
               "LABKIT_ENGINE": os.environ.get("LABKIT_ENGINE", "sim")}
        for name in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"):  # a newcomer's Python writes its bytecode
            env.pop(name, None)
        log = Path(tmp) / "make-lab.log"
        load = os.getloadavg()[0]
        cpu = _cpu_seconds()
        start = time.monotonic()
        with log.open("wb") as out:
            proc = subprocess.Popen(["make", "-C", str(src), "lab", f"PYTHON={sys.executable}"], cwd=src, env=env,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            seconds = None
            while time.monotonic() - start < SERVE_DEADLINE and proc.poll() is None:
                found = URL.search(log.read_text(errors="replace"))
                if found and _served(found.group(1)):
                    seconds = time.monotonic() - start
                    break
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)  # JupyterLab's own shut-down on the first ^C … and a second
                time.sleep(0.5)
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        if seconds is None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"`make lab` did not serve JupyterLab (exit {proc.returncode}):\n{tail}")
        venv = src / ".venv"
        result = {"seconds": round(seconds, 1), "cpu_seconds": round(_cpu_seconds() - cpu, 1), "load": round(load, 1),
                  "venv_mb": round(disk_mb(venv), 1), "largest": [(name, round(mb, 1)) for name, mb in largest(venv)]}
        if lesson:
            result["lesson_seconds"] = round(_run_lesson(src, env, lesson), 1)
            result["venv_mb_after_lesson"] = round(disk_mb(venv), 1)
        return result


def main(argv: list[str] | None = None) -> int:
    """Run the warm-up and the rounds; the exit status (0, 1 over a limit, 2 on failure)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--checkout", type=Path, default=REPO, help="the checkout to set up (default: this one)")
    ap.add_argument("--no-warm-up", action="store_true", help="count every round (pip's cache is warm already)")
    ap.add_argument("--lesson", default="05", help="run this lesson after serving and measure the venv again "
                    "(\"\" for none)")
    ap.add_argument("--max-mb", type=float, default=None, help="the venv's largest allowed size (MiB)")
    ap.add_argument("--max-seconds", type=float, default=None, help="the longest allowed time to first serve")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    rounds = []
    try:
        if not args.no_warm_up:
            warm = one_round(args.checkout)  # no lesson: it only fills pip's cache
            print(f"warm-up (fills pip's cache, not counted): {warm['seconds']} s, venv {warm['venv_mb']} MiB")
        for i in range(args.rounds):
            r = one_round(args.checkout, args.lesson)
            rounds.append(r)
            after = f", {r['venv_mb_after_lesson']} MiB after lesson {args.lesson}" if args.lesson else ""
            print(f"round {i + 1}: JupyterLab served after {r['seconds']} s ({r['cpu_seconds']} CPU s, load "
                  f"{r['load']}); venv {r['venv_mb']} MiB{after}")
    except (RuntimeError, OSError, ValueError, subprocess.CalledProcessError) as err:
        print(f"setup_cost: {err}", file=sys.stderr)
        return 2
    seconds = statistics.median(r["seconds"] for r in rounds)
    mb = statistics.median(r["venv_mb"] for r in rounds)
    settled = statistics.median(r["venv_mb_after_lesson"] for r in rounds) if args.lesson else None
    print(f"first `make lab` (median of {len(rounds)}, warm pip cache): JupyterLab served after {seconds:.1f} s; "
          f"venv {mb:.0f} MiB" + (f", {settled:.0f} MiB after lesson {args.lesson}" if args.lesson else ""))
    print("largest in site-packages: " + ", ".join(f"{name} {size:.0f}" for name, size in rounds[-1]["largest"]))
    biggest = max(mb, settled or 0)
    over = []
    if args.max_mb is not None and biggest > args.max_mb:
        over.append(f"the venv takes {biggest:.0f} MiB (--max-mb {args.max_mb:g})")
    if args.max_seconds is not None and seconds > args.max_seconds:
        over.append(f"JupyterLab served after {seconds:.1f} s (--max-seconds {args.max_seconds:g})")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "benchmark": "setup_cost", "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "checkout": str(args.checkout), "rounds": rounds, "median_seconds": seconds, "median_venv_mb": mb,
        "median_venv_mb_after_lesson": settled,
        "max_seconds": args.max_seconds, "max_mb": args.max_mb, "passed": not over,
    }, indent=1))
    for line in over:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
