"""Benchmark: the course's core scenario, raw docker-py (A), labkit on docker (B), labkit on the embedded engine (C).

The scenario, timed end to end for each variant:

  1. create a bridge network;
  2. run a server container (detached) from lkbench-day8 on it;
  3. run a client container (curlimages/curl:8.14.1 running `sleep 300`) on it;
  4. from the client, `curl -sS -m 2 http://SERVER:3000` until it answers
     "Hello from inside the container" (retry with a deadline, short poll interval on failure);
  5. force-remove both containers and remove the network.

Variant A uses docker-py's low-level docker.APIClient directly (the honest fastest equivalent);
variant B goes through `labkit.docker("...")` command lines only; variant C runs the same
command lines through `run_command` on the embedded engine (a SimEngine, no daemon: the server
is a real host process, networking is modelled over loopback), with lkbench-day8 built on the sim
too, from the same context folder (untimed). The variants are interleaved round by round
(A B C A B C ...) so that drift of the machine affects all alike, after one untimed warm-up round
of each. Every docker resource is named `lkbench-<run id>-...`; only those are ever touched, and
they are removed even on Ctrl-C or error (the sim's containers are removed too, and the sim ends
its processes at interpreter exit).

    .venv/bin/python bench/core_scenario.py [--rounds N] [--max-ratio R] [--max-sim-ratio R]

Writes bench/results/core_scenario.json and exits 1 when --max-ratio is given and the median
ratio B/A exceeds it, or when --max-sim-ratio is given and the median ratio C/A exceeds it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import docker

from labkit import coursefiles

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "core_scenario.json"
DAY8_ASSETS = coursefiles.assets_dir() / "day8"
SERVER_IMAGE = "lkbench-day8"
CLIENT_IMAGE = "curlimages/curl:8.14.1"
BASE_IMAGE = "python:3.13-slim"
PREFIX = "lkbench-"
EXPECTED = "Hello from inside the container"
CURL_DEADLINE_S = 30.0
CURL_POLL_S = 0.05
STEPS = ("network", "server", "client", "curl", "cleanup")


class BenchError(RuntimeError):
    """A step of the scenario failed (the message says which and why)."""


class Registry:
    """The names of every resource this run created, so that cleanup touches only those."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.containers: list[str] = []
        self.networks: list[str] = []
        self.sim_containers: list[str] = []  # variant C's, on the embedded engine (never on docker)
        self.sim_networks: list[str] = []

    def name(self, variant: str, round_no: int | str, kind: str) -> str:
        """A unique, lkbench- prefixed name for one resource of one round."""
        return f"{PREFIX}{self.run_id}-{variant}{round_no}-{kind}"

    def cleanup(self, api: docker.APIClient) -> list[str]:
        """Force-remove every recorded container and network still present; the names removed."""
        removed = []
        for name in self.containers:
            assert name.startswith(PREFIX)
            try:
                api.remove_container(name, force=True)
                removed.append(name)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as err:
                print(f"cleanup: could not remove container {name}: {err.explanation}", file=sys.stderr)
        for name in self.networks:
            assert name.startswith(PREFIX)
            try:
                api.remove_network(name)
                removed.append(name)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as err:
                print(f"cleanup: could not remove network {name}: {err.explanation}", file=sys.stderr)
        return removed

    def cleanup_sim(self, engine) -> list[str]:
        """Remove every recorded sim container and network still present on the embedded engine; the names removed."""
        from labkit.contract.commands import run_command

        removed = []
        for kind, names in (("rm -f", self.sim_containers), ("network rm", self.sim_networks)):
            for name in names:
                assert name.startswith(PREFIX)
                if run_command(engine, f"docker {kind} {name}").exit_code == 0:
                    removed.append(f"sim:{name}")
        return removed


def build_server_image(api: docker.APIClient, sim=None) -> str:
    """Build lkbench-day8: the day8 lesson server, bound to 0.0.0.0 instead of 127.0.0.1; its image id.

    When sim (an embedded engine) is given, the same context folder is also built there with
    `docker build -t lkbench-day8 DIR` through run_command.
    """
    api.inspect_image(BASE_IMAGE)  # fails fast (no pull) when the base image is missing
    with tempfile.TemporaryDirectory(prefix="lkbench-day8-") as tmp:
        ctx = Path(tmp) / "day8"
        shutil.copytree(DAY8_ASSETS, ctx)
        server = ctx / "server.py"
        server.write_text(server.read_text().replace("127.0.0.1", "0.0.0.0"))
        if sim is not None:
            from labkit.contract.commands import run_command

            r = run_command(sim, f"docker build -t {SERVER_IMAGE} {ctx}")
            if r.exit_code != 0:
                raise BenchError(f"building {SERVER_IMAGE} on the embedded engine failed (exit {r.exit_code}): "
                                 f"{(r.stderr or r.stdout).strip()[-300:]}")
        image_id = None
        for chunk in api.build(path=str(ctx), tag=SERVER_IMAGE, rm=True, pull=False, decode=True):
            if "error" in chunk:
                raise BenchError(f"building {SERVER_IMAGE} failed: {chunk['error'].strip()}")
            aux = chunk.get("aux")
            if isinstance(aux, dict) and aux.get("ID"):
                image_id = aux["ID"]
    return image_id or api.inspect_image(SERVER_IMAGE)["Id"]


def _timed(steps: dict[str, float], step: str, fn: Callable[[], object]) -> object:
    t0 = time.perf_counter()
    try:
        return fn()
    finally:
        steps[step] = steps.get(step, 0.0) + time.perf_counter() - t0


def _curl_until_hello(attempt: Callable[[], tuple[int, str, str]]) -> int:
    """Call attempt() until its stdout holds the greeting; the number of attempts (BenchError on deadline)."""
    end = time.monotonic() + CURL_DEADLINE_S
    tries = 0
    last = ""
    while True:
        tries += 1
        code, out, err = attempt()
        if code == 0 and EXPECTED in out:
            return tries
        last = f"exit {code}: {(out + err).strip()[:200]}"
        if time.monotonic() >= end:
            raise BenchError(f"the server never answered within {CURL_DEADLINE_S:g} s ({tries} tries; last {last})")
        time.sleep(CURL_POLL_S)


def scenario_raw(api: docker.APIClient, reg: Registry, round_no: int | str) -> dict:
    """Variant A: the core scenario with docker.APIClient calls only; step timings and curl attempts."""
    net, server, client = (reg.name("a", round_no, k) for k in ("net", "server", "client"))
    steps: dict[str, float] = {}
    reg.networks.append(net)
    _timed(steps, "network", lambda: api.create_network(net, driver="bridge"))

    def run(name: str, image: str, command: list[str] | None) -> None:
        reg.containers.append(name)
        host_config = api.create_host_config(network_mode=net)
        cid = api.create_container(image, command=command, name=name, host_config=host_config, detach=True)["Id"]
        api.start(cid)

    _timed(steps, "server", lambda: run(server, SERVER_IMAGE, None))
    _timed(steps, "client", lambda: run(client, CLIENT_IMAGE, ["sleep", "300"]))

    def attempt() -> tuple[int, str, str]:
        ex = api.exec_create(client, ["curl", "-sS", "-m", "2", f"http://{server}:3000"], stdout=True, stderr=True)
        out, err = api.exec_start(ex["Id"], demux=True)
        code = api.exec_inspect(ex["Id"])["ExitCode"]
        return code, (out or b"").decode(errors="replace"), (err or b"").decode(errors="replace")

    tries = _timed(steps, "curl", lambda: _curl_until_hello(attempt))

    def cleanup() -> None:
        api.remove_container(server, force=True)
        api.remove_container(client, force=True)
        api.remove_network(net)

    _timed(steps, "cleanup", cleanup)
    return {"steps": steps, "curl_tries": tries}


def scenario_labkit(reg: Registry, round_no: int | str, sim=None) -> dict:
    """Variant B (or C when sim, an embedded engine, is given): the core scenario through labkit command lines only.

    B runs each line with labkit.docker("...") on the process's engine (docker); C runs the same
    lines with run_command(sim, "docker ..."). Returns step timings, curl attempts and per-call times.
    """
    import labkit
    from labkit.contract.commands import run_command

    net, server, client = (reg.name("c" if sim is not None else "b", round_no, k) for k in ("net", "server", "client"))
    containers, networks = (reg.sim_containers, reg.sim_networks) if sim is not None else (reg.containers, reg.networks)
    steps: dict[str, float] = {}
    calls: list[dict] = []

    def docker_line(line: str, check: bool = True):
        t0 = time.perf_counter()
        r = labkit.docker(line) if sim is None else run_command(sim, "docker " + line)
        calls.append({"line": line, "s": time.perf_counter() - t0, "exit_code": r.exit_code})
        if check and r.exit_code != 0:
            raise BenchError(f"labkit: `docker {line}` exited {r.exit_code}: {(r.stderr or r.stdout).strip()[:300]}")
        return r

    networks.append(net)
    _timed(steps, "network", lambda: docker_line(f"network create {net}"))
    containers.append(server)
    _timed(steps, "server", lambda: docker_line(f"run -d --name {server} --network {net} {SERVER_IMAGE}"))
    containers.append(client)
    _timed(steps, "client", lambda: docker_line(f"run -d --name {client} --network {net} {CLIENT_IMAGE} sleep 300"))

    def attempt() -> tuple[int, str, str]:
        r = docker_line(f"exec {client} curl -sS -m 2 http://{server}:3000", check=False)
        return r.exit_code, r.stdout, r.stderr

    tries = _timed(steps, "curl", lambda: _curl_until_hello(attempt))

    def cleanup() -> None:
        docker_line(f"rm -f {server} {client}")
        docker_line(f"network rm {net}")

    _timed(steps, "cleanup", cleanup)
    return {"steps": steps, "curl_tries": tries, "calls": calls}


def summarize(times: list[float]) -> dict:
    """Median, mean, min, max and population stdev of a list of seconds."""
    return {
        "median_s": statistics.median(times),
        "mean_s": statistics.fmean(times),
        "min_s": min(times),
        "max_s": max(times),
        "stdev_s": statistics.pstdev(times) if len(times) > 1 else 0.0,
        "n": len(times),
    }


def step_medians(rounds: list[dict]) -> dict[str, float]:
    """Per step, the median over rounds of its seconds."""
    return {s: statistics.median(r["steps"].get(s, 0.0) for r in rounds) for s in STEPS}


def print_table(a: dict, b: dict, ratio: float, steps_a: dict, steps_b: dict,
                c: dict | None = None, sim_ratio: float | None = None, steps_c: dict | None = None) -> None:
    """Print the per-variant summary and the per-step medians (variant C's when given)."""
    print()
    print(f"{'variant':<22}{'median ms':>11}{'mean ms':>11}{'min ms':>10}{'max ms':>10}{'n':>4}")
    rows = [("A raw docker.APIClient", a), ("B labkit.docker", b)] + ([("C labkit on sim", c)] if c else [])
    for label, s in rows:
        print(f"{label:<22}{s['median_s'] * 1e3:>11.1f}{s['mean_s'] * 1e3:>11.1f}"
              f"{s['min_s'] * 1e3:>10.1f}{s['max_s'] * 1e3:>10.1f}{s['n']:>4}")
    print(f"ratio B/A (median): {ratio:.3f}")
    if sim_ratio is not None:
        print(f"ratio C/A (median): {sim_ratio:.3f}")
    print()
    print(f"{'step (median ms)':<22}{'A':>9}{'B':>9}{'B-A':>9}" + (f"{'C':>9}{'C/A':>7}" if steps_c else ""))
    for step in STEPS:
        extra = ""
        if steps_c:
            rel = steps_c[step] / steps_a[step] if steps_a[step] else float("nan")
            extra = f"{steps_c[step] * 1e3:>9.1f}{rel:>7.2f}"
        print(f"{step:<22}{steps_a[step] * 1e3:>9.1f}{steps_b[step] * 1e3:>9.1f}"
              f"{(steps_b[step] - steps_a[step]) * 1e3:>9.1f}" + extra)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per variant (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed warm-up rounds per variant (default 1)")
    ap.add_argument("--max-ratio", type=float, default=None,
                    help="exit 1 when the median ratio B/A exceeds this (the project's target is 1.15)")
    ap.add_argument("--max-sim-ratio", type=float, default=None,
                    help="exit 1 when the median ratio C/A (embedded engine against raw docker-py) exceeds this "
                         "(the project's target is 0.2)")
    ap.add_argument("--output", type=Path, default=RESULTS, help=f"JSON result path (default {RESULTS.relative_to(REPO)})")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.warmup < 0:
        ap.error("--warmup must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status (0, 1 when --max-ratio or --max-sim-ratio is exceeded, 2 on failure, 130 on Ctrl-C)."""
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (cmd &)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    os.environ.setdefault("LABKIT_ENGINE", "docker")
    import labkit
    from labkit.engines.apiclient.connect import connect
    from labkit.engines.sim import daemon
    from labkit.engines.simclient import EmbeddedEngine

    api = connect()  # the same engine labkit talks to (DOCKER_HOST / context honoured)
    sim_sock = os.path.join(tempfile.mkdtemp(prefix="lkb-"), "engine.sock")
    daemon.start(sim_sock)  # a private `labkit sim` daemon (variant C), reached through the Docker SDK
    sim = EmbeddedEngine(sim_sock, restart=False)
    sim_version = sim.version().get("Version")
    reg = Registry(uuid.uuid4().hex[:8])
    a_rounds: list[dict] = []
    b_rounds: list[dict] = []
    c_rounds: list[dict] = []
    variants = {"A": (a_rounds, lambda i: scenario_raw(api, reg, i)),
                "B": (b_rounds, lambda i: scenario_labkit(reg, i)),
                "C": (c_rounds, lambda i: scenario_labkit(reg, i, sim=sim))}
    try:
        print(f"building {SERVER_IMAGE} from {DAY8_ASSETS.relative_to(REPO)} (bound to 0.0.0.0) on docker and on "
              "the embedded engine ...", flush=True)
        image_id = build_server_image(api, sim=sim)
        api.inspect_image(CLIENT_IMAGE)
        labkit.docker("version")  # labkit picks and connects its engine once per process: not part of the scenario
        for w in range(args.warmup):
            for _, run in variants.values():
                run(f"w{w}")
        print(f"run {reg.run_id}: {args.warmup} warm-up + {args.rounds} timed rounds, A B C interleaved", flush=True)
        for i in range(args.rounds):
            for variant, (sink, run) in variants.items():
                t0 = time.perf_counter()
                res = run(i)
                res["total_s"] = time.perf_counter() - t0
                sink.append(res)
                print(f"  round {i + 1}/{args.rounds} {variant}: {res['total_s'] * 1e3:8.1f} ms"
                      f"  (curl tries {res['curl_tries']})", flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    except (BenchError, docker.errors.APIError, docker.errors.DockerException) as err:
        print(f"benchmark failed: {err}", file=sys.stderr)
        print("(if a container vanished mid-round, something else removed it, e.g. an unfiltered `labkit clean` "
              "run concurrently on the same daemon; rerun)", file=sys.stderr)
        return 2
    finally:
        # a second Ctrl-C (or a TERM) must not stop the cleanup
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        left = reg.cleanup(api) + reg.cleanup_sim(sim)
        daemon.stop(sim_sock)
        if left:
            print(f"cleanup removed leftovers: {', '.join(left)}", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_interrupt)

    a = summarize([r["total_s"] for r in a_rounds])
    b = summarize([r["total_s"] for r in b_rounds])
    c = summarize([r["total_s"] for r in c_rounds])
    ratio = b["median_s"] / a["median_s"]
    sim_ratio = c["median_s"] / a["median_s"]
    steps_a, steps_b, steps_c = step_medians(a_rounds), step_medians(b_rounds), step_medians(c_rounds)
    print_table(a, b, ratio, steps_a, steps_b, c, sim_ratio, steps_c)
    passed_ratio = args.max_ratio is None or ratio <= args.max_ratio
    passed_sim = args.max_sim_ratio is None or sim_ratio <= args.max_sim_ratio
    passed = passed_ratio and passed_sim

    version = api.version()
    result = {
        "benchmark": "core_scenario",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run_id": reg.run_id,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "order": "A B C interleaved per round",
        "scenario": ["network create", f"run -d {SERVER_IMAGE}", f"run -d {CLIENT_IMAGE} sleep 300",
                     f"exec curl until '{EXPECTED}'", "rm -f both, network rm"],
        "curl_poll_interval_s": CURL_POLL_S,
        "A": {"label": "docker.APIClient (raw)", **a, "step_median_s": steps_a,
              "rounds": [{"total_s": r["total_s"], "steps": r["steps"], "curl_tries": r["curl_tries"]} for r in a_rounds]},
        "B": {"label": "labkit.docker", **b, "step_median_s": steps_b,
              "rounds": [{"total_s": r["total_s"], "steps": r["steps"], "curl_tries": r["curl_tries"], "calls": r["calls"]}
                         for r in b_rounds]},
        "C": {"label": "labkit run_command on a labkit sim daemon (Docker SDK)", **c, "step_median_s": steps_c,
              "rounds": [{"total_s": r["total_s"], "steps": r["steps"], "curl_tries": r["curl_tries"], "calls": r["calls"]}
                         for r in c_rounds]},
        "ratio_median_b_over_a": ratio,
        "max_ratio": args.max_ratio,
        "passed_ratio": passed_ratio,
        "ratio_median_c_over_a": sim_ratio,
        "max_sim_ratio": args.max_sim_ratio,
        "passed_sim_ratio": passed_sim,
        "passed": passed,
        "environment": {
            "python": platform.python_version(),
            "docker_sdk": docker.__version__,
            "labkit": labkit.__version__,
            "engine": version.get("Version"),
            "engine_api": version.get("ApiVersion"),
            "sim_engine": sim_version,
            "server_image_id": image_id,
            "host": platform.node(),
            "cpus": os.cpu_count(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.output}")
    if not passed_ratio:
        print(f"FAIL: median ratio {ratio:.3f} exceeds --max-ratio {args.max_ratio:g}", file=sys.stderr)
    if not passed_sim:
        print(f"FAIL: median ratio C/A {sim_ratio:.3f} exceeds --max-sim-ratio {args.max_sim_ratio:g}", file=sys.stderr)
    if not passed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
