"""Benchmark: the resident memory the embedded engine (sim) adds for a whole-course-like workload.

In a fresh Python process (a subprocess of this script) the IPython-like baseline is imported
(`import labkit, labkit.contract.commands`) and its RSS recorded. Then the course's whole story runs
through a private `labkit sim` daemon with labkit command lines (run_command on the engine that reaches it):

  network create; build the day8 server (bound to 127.0.0.1) and run it; curl it by name from a
  client container (exit 7) and on localhost (exit 7); ps -a; fix it to 0.0.0.0 (rebuild from a
  second copy), rerun, curl succeeds; network inspect; a published port (-p PORT:3000, a free one) curled
  from a host line; a two-service compose project (up -d, curl by service name, down -t 0); two servers
  sharing a network alias; --network container:NAME; finally remove everything.

After every step the RSS of every process is sampled: the client (as a kernel), the daemon, and the
containers' programs (real host processes, children of the daemon). The result is the daemon's own
peak RSS — what the engine costs, as dockerd's RSS excludes its containers; the whole tree's peak
increase over the baseline is reported beside it. The per-process breakdown of every sample is kept
in the JSON.

    .venv/bin/python bench/sim_memory.py [--max-mb N] [--output PATH]

Prints a table, writes bench/results/sim_memory.json, exits 1 when --max-mb is given and the
daemon's peak exceeds it (2 when the workload itself failed). The daemon is private to the child
process and stopped at its end, even on error, which ends every program it ran.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from labkit import coursefiles

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "sim_memory.json"
DAY8_ASSETS = coursefiles.assets_dir() / "day8"
TARGET_MB = 100.0
CHILD_TIMEOUT_S = 300.0
EXPECTED = "Hello from inside the container"
MB = 1024 * 1024

P = "lkbench-mem-"
NET, SERVER, CLIENT, PUB = P + "net", P + "server", P + "client", P + "pub"
ALIAS1, ALIAS2, ALIAS, JOINER = P + "alias1", P + "alias2", P + "api", P + "joiner"
PROJECT = "lkbench-mem"
IMAGE = "lkbench-day8"
CURL_IMAGE = "curlimages/curl:8.14.1"
COMPOSE = f"""name: {PROJECT}
services:
  db:
    image: python:3.13-slim
    command: ["python3", "-m", "http.server", "5432"]
  client:
    image: {CURL_IMAGE}
    command: ["sleep", "300"]
"""


# -- the child: the workload and the samples ------------------------------------------------
class StepFailed(RuntimeError):
    """A command of the workload did not do what the course says it does."""


def _tree_memory(engine=None) -> dict:
    """RSS (and USS) of this process and all its children, with a per-process breakdown."""
    import psutil

    me = psutil.Process()
    procs = []
    for proc in [me, *me.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
            cmd = proc.cmdline()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if proc.pid == me.pid:
            label = "client process (python + labkit, as a kernel)"
        elif "labkit.engines.sim.daemon" in cmd:
            label = "the labkit sim daemon (python + labkit + the engine)"
        else:
            argv = cmd[cmd.index("--") + 1:] if "--" in cmd else cmd
            label = f"container program: {' '.join(argv)[:60]}"
        procs.append({"pid": proc.pid, "what": label, "rss": info.rss, "uss": getattr(info, "uss", 0)})
    return {"rss": sum(p["rss"] for p in procs), "uss": sum(p["uss"] for p in procs), "procs": procs}


def _free_port() -> int:
    """A TCP port nothing on this machine's loopback listens on (the kernel's choice), for the published port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def child_main() -> int:
    """Run the workload in this (fresh) process, printing one JSON line per sample on stdout."""
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(143))  # run the finally blocks and the sim's atexit
    import gc
    import shutil
    import tempfile

    import psutil  # noqa: F401  (the measuring tool is part of the baseline)

    import labkit
    import labkit.contract.commands  # noqa: F401  (the IPython-like baseline: what a notebook imports)

    gc.collect()
    t_start = time.perf_counter()
    _emit({"step": "baseline (import labkit, labkit.contract.commands)", "lines": [], "s": 0.0, **_tree_memory()})

    from labkit.contract.commands import run_command
    from labkit.contract.transcript import run_line
    from labkit.engines.sim import daemon
    from labkit.engines.simclient import EmbeddedEngine

    tmp = tempfile.mkdtemp(prefix="lkbench-mem-")
    sock = os.path.join(tmp, "engine.sock")
    eng = None
    try:
        daemon.start(sock)  # a private `labkit sim` daemon: the engine process measured, with its containers
        eng = EmbeddedEngine(sock, restart=False)
        lines: list[dict] = []

        def do(line: str, expect: int | None = 0, want: str | None = None, retry_s: float = 0.0):
            """Run a line (docker lines through the sim, others as host lines); check its exit code/output."""
            end = time.monotonic() + retry_s
            while True:
                t0 = time.perf_counter()
                r = run_command(eng, line) if line.startswith("docker ") else run_line(line, engine=eng)
                ok = (expect is None or r.exit_code == expect) and (want is None or want in r.stdout)
                if ok or time.monotonic() >= end:
                    break
                time.sleep(0.05)
            lines.append({"line": line, "exit_code": r.exit_code, "s": round(time.perf_counter() - t0, 4)})
            if not ok:
                raise StepFailed(f"`{line}` exited {r.exit_code} (expected {expect}"
                                 f"{f' and {want!r} in its output' if want else ''}): "
                                 f"{(r.stderr or r.stdout).strip()[:300]}")
            return r

        def step(name: str, fn) -> None:
            lines.clear()
            t0 = time.perf_counter()
            fn()
            _emit({"step": name, "lines": list(lines), "s": round(time.perf_counter() - t0, 4), **_tree_memory(eng)})

        def copy(dirname: str, bind: str) -> str:
            ctx = os.path.join(tmp, dirname)
            shutil.copytree(DAY8_ASSETS, ctx)
            server = os.path.join(ctx, "server.py")
            with open(server, encoding="utf-8") as f:
                text = f.read()
            with open(server, "w", encoding="utf-8") as f:
                f.write(text.replace("127.0.0.1", bind))
            return ctx

        compose_file = os.path.join(tmp, "compose.yaml")
        with open(compose_file, "w", encoding="utf-8") as f:
            f.write(COMPOSE)
        curl = f"docker exec {CLIENT} curl -sS -m 2"

        step("network create", lambda: do(f"docker network create {NET}"))
        step("build day8 (127.0.0.1)", lambda: do(f"docker build -t {IMAGE} {copy('day8', '127.0.0.1')}"))
        step("run server", lambda: do(f"docker run -d --name {SERVER} --network {NET} {IMAGE}"))
        step("run client", lambda: do(f"docker run -d --name {CLIENT} --network {NET} {CURL_IMAGE} sleep 300"))
        step("curl by name (exit 7)", lambda: do(f"{curl} http://{SERVER}:3000", expect=7))
        step("curl localhost (exit 7)", lambda: do(f"{curl} http://localhost:3000", expect=7))
        step("ps -a", lambda: do("docker ps -a"))

        def fix() -> None:
            do(f"docker build -t {IMAGE} {copy('day8-fixed', '0.0.0.0')}")
            do(f"docker rm -f {SERVER}")
            do(f"docker run -d --name {SERVER} --network {NET} {IMAGE}")
            do(f"{curl} http://{SERVER}:3000", want=EXPECTED)

        step("fix to 0.0.0.0, rerun, curl", fix)
        step("network inspect", lambda: do(f"docker network inspect {NET}"))

        def publish() -> None:
            port = _free_port()  # a fixed one may be another program's, or a second run's on this machine
            do(f"docker run -d --name {PUB} -p {port}:3000 {IMAGE}")
            do(f"curl -sS http://localhost:{port}", want=EXPECTED)

        step("publish -p PORT:3000, host curl", publish)

        def compose_up() -> None:
            do(f"docker compose -f {compose_file} up -d")
            do(f"docker exec {PROJECT}-client-1 curl -sS -m 2 -o /dev/null -w %{{http_code}} http://db:5432",
               want="200", retry_s=15.0)

        step("compose up -d, curl by service", compose_up)
        step("compose down -t 0", lambda: do(f"docker compose -f {compose_file} down -t 0"))

        def aliases() -> None:
            for name in (ALIAS1, ALIAS2):
                do(f"docker run -d --name {name} --network {NET} --network-alias {ALIAS} {IMAGE}")
            do(f"{curl} http://{ALIAS}:3000", want=EXPECTED)
            do(f"docker exec {CLIENT} nslookup {ALIAS}")

        step("network alias (two servers)", aliases)

        def joiner() -> None:
            do(f"docker run -d --name {JOINER} --network container:{SERVER} {CURL_IMAGE} sleep 300")
            do(f"docker exec {JOINER} curl -sS -m 2 http://localhost:3000", want=EXPECTED)

        step("--network container:NAME", joiner)

        def remove_all() -> None:
            do(f"docker rm -f {JOINER} {ALIAS1} {ALIAS2} {PUB} {CLIENT} {SERVER}")
            do(f"docker network rm {NET}")
            gc.collect()

        step("remove everything", remove_all)
        _emit({"done": True, "s": round(time.perf_counter() - t_start, 3)})
        return 0
    except StepFailed as err:
        _emit({"error": str(err)})
        return 2
    finally:
        daemon.stop(sock)  # ends every program the daemon started

        shutil.rmtree(tmp, ignore_errors=True)


# -- the parent: run the child, report ------------------------------------------------------
def _mb(n: int | float) -> float:
    return n / MB


def _daemon_rss(sample: dict) -> int:
    """RSS of the daemon process in one sample."""
    return sum(p["rss"] for p in sample["procs"] if p["what"].startswith("the labkit sim daemon"))


def print_table(samples: list[dict], base: dict) -> None:
    """Print one row per sample: total RSS, its increase over the baseline, the engine process and the children."""
    print()
    print(f"{'step':<34}{'RSS MB':>9}{'+MB':>8}{'USS +MB':>9}{'engine MB':>11}{'children':>10}{'child MB':>10}{'s':>7}")
    for s in samples:
        main = s["procs"][0]["rss"] if s["procs"] else 0
        kids = s["procs"][1:]
        print(f"{s['step'][:33]:<34}{_mb(s['rss']):>9.1f}{_mb(s['rss'] - base['rss']):>8.1f}"
              f"{_mb(s['uss'] - base['uss']):>9.1f}{_mb(main):>11.1f}{len(kids):>10}"
              f"{_mb(sum(k['rss'] for k in kids)):>10.1f}{s['s']:>7.2f}")


def print_peak(peak: dict) -> None:
    """Print what the processes alive at the peak sample cost."""
    print(f"\nat the peak ({peak['step']}):")
    for p in peak["procs"]:
        print(f"  {_mb(p['rss']):7.1f} MB RSS {_mb(p['uss']):7.1f} MB USS  pid {p['pid']:<8} {p['what']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-mb", type=float, default=None,
                    help=f"exit 1 when the daemon's peak RSS exceeds this (the project's target is "
                         f"{TARGET_MB:g})")
    ap.add_argument("--output", type=Path, default=RESULTS, help=f"JSON result path (default {RESULTS.relative_to(REPO)})")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the workload in a fresh process and report; the exit status (0, 1 over --max-mb, 2 on failure, 130)."""
    args = parse_args(argv)
    if args.child:
        return child_main()
    env = {**os.environ, "LABKIT_ENGINE": "sim", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    samples: list[dict] = []
    error = None
    total_s = None
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    try:
        for raw in proc.stdout:
            rec = json.loads(raw)
            if "error" in rec:
                error = rec["error"]
            elif rec.get("done"):
                total_s = rec["s"]
            else:
                samples.append(rec)
                print(f"  {rec['step']:<44} {_mb(rec['rss']):7.1f} MB", flush=True)
            if time.monotonic() > deadline:
                error = f"the workload did not finish within {CHILD_TIMEOUT_S:g} s"
                break
        proc.wait(timeout=30)
    except KeyboardInterrupt:
        print("\ninterrupted; ending the workload", file=sys.stderr)
        return 130
    finally:
        if proc.poll() is None:  # the child's own group only; its containers' programs die with it
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    if error is None and (proc.returncode != 0 or not samples):
        error = f"the workload process exited {proc.returncode}: {stderr.strip()[-800:]}"
    if error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 2

    base = samples[0]
    peak = max(samples[1:], key=lambda s: s["rss"])
    tree_mb = _mb(peak["rss"] - base["rss"])
    daemon = max(samples[1:], key=_daemon_rss)
    peak_mb = _mb(_daemon_rss(daemon))
    print_table(samples, base)
    print_peak(peak)
    print(f"\nthe daemon's own RSS at its peak: {peak_mb:.1f} MB (at: {daemon['step']}); with the client and the "
          f"containers' programs, the whole tree's peak increase over the baseline: {tree_mb:.1f} MB RSS "
          f"({_mb(peak['uss'] - base['uss']):.1f} MB USS); baseline {_mb(base['rss']):.1f} MB")
    passed = args.max_mb is None or peak_mb <= args.max_mb
    import psutil

    import labkit

    result = {
        "benchmark": "sim_memory",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metric": "RSS of the labkit sim daemon process (its containers' programs apart, as dockerd's RSS excludes "
                  "its containers), sampled after every step; the whole tree's increase is reported too",
        "tree_peak_increase_mb": tree_mb,
        "baseline_step": base["step"],
        "baseline_mb": _mb(base["rss"]),
        "peak_increase_mb": peak_mb,
        "peak_step": peak["step"],
        "peak_uss_increase_mb": _mb(peak["uss"] - base["uss"]),
        "final_increase_mb": _mb(samples[-1]["rss"] - base["rss"]),
        "target_mb": TARGET_MB,
        "max_mb": args.max_mb,
        "passed": passed,
        "workload_s": total_s,
        "steps": [{"step": s["step"], "rss_mb": _mb(s["rss"]), "increase_mb": _mb(s["rss"] - base["rss"]),
                   "uss_increase_mb": _mb(s["uss"] - base["uss"]), "s": s["s"], "lines": s["lines"],
                   "processes": [{"pid": p["pid"], "what": p["what"], "rss_mb": round(_mb(p["rss"]), 2),
                                  "uss_mb": round(_mb(p["uss"]), 2)} for p in s["procs"]]} for s in samples],
        "environment": {"python": platform.python_version(), "labkit": labkit.__version__,
                        "psutil": psutil.__version__, "host": platform.node(), "cpus": os.cpu_count()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.output}")
    if not passed:
        print(f"FAIL: the daemon's peak RSS {peak_mb:.1f} MB exceeds --max-mb {args.max_mb:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
