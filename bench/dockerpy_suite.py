"""Yardstick: docker-py's own integration tests, run against the embedded engine's daemon and against dockerd.

docker-py's tests are not in its PyPI sdist: give a checkout (a clone or an export of github.com/docker/docker-py,
the folder holding tests/integration) with --checkout or DOCKERPY_CHECKOUT. Without one the script says so and
exits 0. Nothing of docker-py is copied into labkit: its tests run from the checkout, with the checkout's own
`docker` package, in a Python that has pytest and paramiko (--python, default this one; pytest-timeout is used
when present, so that a hang is one failed test).

    .venv/bin/python bench/dockerpy_suite.py --checkout /tmp/dockerpy [--python PY] [--target sim|dockerd]...
                                             [--diff] [--timeout S] [-k EXPR]

The selection is the one issue 22 measures (api_container, api_exec, api_network, models_containers,
models_networks, errors), the swarm and prune tests deselected. Each target gets the image docker-py tests
with, alpine:3.10 (and busybox, alpine:latest), as tags of curlimages/curl:8.14.1; tags added to dockerd are
removed at the end, with what docker-py's tests left there (leftovers_removed). The sim target is a private
daemon (its own socket), stopped at the end; dockerd is DOCKER_HOST or /var/run/docker.sock. Prints
passed/failed/errors/skipped per target and, with --diff, the tests dockerd passes and the sim does not. Exit
status 0 (2 when a target could not be run).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SELECTION = ("api_container_test.py", "api_exec_test.py", "api_network_test.py", "models_containers_test.py",
             "models_networks_test.py", "errors_test.py")
DESELECT = "not swarm and not prune"
SOURCE = "curlimages/curl:8.14.1"
TAGS = ("alpine:3.10", "alpine:latest", "busybox:latest")


def checkout_from(given: str | None) -> Path | None:
    """The docker-py checkout to use (--checkout, else DOCKERPY_CHECKOUT), or None when none is given."""
    path = given or os.environ.get("DOCKERPY_CHECKOUT")
    return Path(path) if path else None


def _client(url: str):
    import docker

    return docker.APIClient(base_url=url, version="auto", timeout=60)


@contextlib.contextmanager
def tagged(url: str) -> Iterator[None]:
    """The images docker-py's tests use, as tags of the curl image, for the run; only the tags added go after."""
    api = _client(url)
    added = []
    for ref in TAGS:
        try:
            api.inspect_image(ref)
        except Exception:  # noqa: BLE001 - docker.errors.NotFound: missing, so ours to add
            repo, tag = ref.split(":")
            api.tag(SOURCE, repo, tag)
            added.append(ref)
    try:
        yield
    finally:
        for ref in added:
            with contextlib.suppress(Exception):
                api.remove_image(ref)
        api.close()


@contextlib.contextmanager
def leftovers_removed(url: str) -> Iterator[None]:
    """After the run, what docker-py's tests left on the daemon (they remove only what passes): the containers made
    from the tagged images during the run, and the networks, volumes and untagged images made during it that carry
    no labkit label (docker_gwbridge, somevolume, dockerpytest_*, commits). Enter it inside tagged(): a container's
    image is still named then."""
    api = _client(url)
    since = api.info().get("SystemTime") or ""
    source = api.inspect_image(SOURCE)["Id"]
    try:
        yield
    finally:
        def made_now(created: str) -> bool:
            return created[:19] >= since[:19]  # to the second: containers, networks and volumes write it apart

        def ours(labels: dict | None) -> bool:
            return not any(k.startswith("labkit.") and k != "labkit.standin" for k in labels or {})

        for c in api.containers(all=True):
            doc = _inspected(api.inspect_container, c["Id"])  # None: another client removed it meanwhile
            if doc and made_now(doc["Created"]) and ours(doc["Config"].get("Labels")) and \
                    (doc["Config"].get("Image") in TAGS or doc["Image"] == source):
                with contextlib.suppress(Exception):
                    api.remove_container(c["Id"], force=True, v=True)
        for net in api.networks():
            if made_now(net.get("Created") or "") and ours(net.get("Labels")) and \
                    (net["Name"] == "docker_gwbridge" or net["Name"].startswith("dockerpytest")):
                with contextlib.suppress(Exception):
                    api.remove_network(net["Id"])
        for vol in api.volumes().get("Volumes") or []:
            if made_now(vol.get("CreatedAt") or "") and ours(vol.get("Labels")):
                with contextlib.suppress(Exception):
                    api.remove_volume(vol["Name"])
        for img in api.images(all=True):
            doc = _inspected(api.inspect_image, img["Id"])
            if doc and (not img.get("RepoTags") or img["RepoTags"] == ["<none>:<none>"]):
                if made_now(doc.get("Created") or "") and doc.get("Parent") == source:
                    with contextlib.suppress(Exception):
                        api.remove_image(img["Id"])
        api.close()


def _inspected(inspect, ref: str) -> dict | None:
    try:
        return inspect(ref)
    except Exception:  # noqa: BLE001 - docker.errors.NotFound: gone since it was listed
        return None


@contextlib.contextmanager
def sim_daemon() -> Iterator[str]:
    """A private embedded-engine daemon on a socket of its own; its DOCKER_HOST."""
    folder = tempfile.mkdtemp(prefix="lkb-dpy-", dir="/tmp")
    sock = os.path.join(folder, "engine.sock")
    log = open(os.path.join(folder, "daemon.log"), "ab")  # noqa: SIM115 - handed to the daemon
    from labkit.engines.sim.daemon import serve_command

    proc = subprocess.Popen(serve_command(sock, idle=100000), cwd=REPO, stdout=log, stderr=log, start_new_session=True)
    log.close()
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(sock) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not os.path.exists(sock):
            raise RuntimeError(f"the sim daemon did not start (see {folder}/daemon.log)")
        yield "unix://" + sock
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def dockerd_url() -> str:
    """Where dockerd answers: DOCKER_HOST, else the default socket."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def has_timeout_plugin(python: str) -> bool:
    """Whether python has pytest-timeout."""
    probe = subprocess.run([python, "-c", "import pytest_timeout"], capture_output=True)
    return probe.returncode == 0


def run_suite(checkout: Path, python: str, url: str, keyword: str, timeout: int) -> dict[str, str]:
    """Run the selection against url; each test's outcome (passed, failed, error, skipped) by its node id."""
    folder = checkout / "tests" / "integration"
    files = [str(folder / name) for name in SELECTION if (folder / name).exists()]
    if not files:
        raise RuntimeError(f"{folder} holds none of {', '.join(SELECTION)}")
    junit = tempfile.NamedTemporaryFile(prefix="lkb-dpy-", suffix=".xml", delete=False)
    junit.close()
    cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", keyword, f"--junitxml={junit.name}", *files]
    if timeout and has_timeout_plugin(python):
        cmd += [f"--timeout={timeout}"]
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")}
    env.update(DOCKER_HOST=url, PYTHONPATH=str(checkout))
    subprocess.run(cmd, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return outcomes(junit.name)
    finally:
        os.unlink(junit.name)


def outcomes(junit_path: str) -> dict[str, str]:
    """Each test case of a JUnit XML report: passed, failed, error or skipped."""
    out = {}
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        state = next((k for k in ("error", "failure", "skipped") if k in kinds), "passed")
        out[f"{case.get('classname')}::{case.get('name')}"] = {"failure": "failed"}.get(state, state)
    return out


def counts(results: dict[str, str]) -> dict[str, int]:
    """How many tests had each outcome."""
    return {k: sum(v == k for v in results.values()) for k in ("passed", "failed", "error", "skipped")}


def main(argv: list[str] | None = None) -> int:
    """Run the selection on each target; print the counts (and, with --diff, what only dockerd passes)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkout", help="docker-py checkout (default: $DOCKERPY_CHECKOUT)")
    ap.add_argument("--python", default=sys.executable, help="a Python with pytest and paramiko")
    ap.add_argument("--target", action="append", choices=("sim", "dockerd"))
    ap.add_argument("-k", dest="keyword", default=DESELECT)
    ap.add_argument("--timeout", type=int, default=60, help="per test, when pytest-timeout is there (0: none)")
    ap.add_argument("--diff", action="store_true", help="list the tests dockerd passes and the sim does not")
    args = ap.parse_args(argv)
    checkout = checkout_from(args.checkout)
    if checkout is None:
        print("dockerpy_suite: skipped: no docker-py checkout given (--checkout or DOCKERPY_CHECKOUT)")
        return 0
    if not (checkout / "tests" / "integration").is_dir():
        print(f"dockerpy_suite: {checkout} has no tests/integration (a docker-py checkout, not its sdist)")
        return 2
    results: dict[str, dict[str, str]] = {}
    status = 0
    for target in args.target or ["sim", "dockerd"]:
        try:
            with contextlib.ExitStack() as stack:
                url = stack.enter_context(sim_daemon()) if target == "sim" else dockerd_url()
                stack.enter_context(tagged(url))
                if target == "dockerd":
                    stack.enter_context(leftovers_removed(url))
                results[target] = run_suite(checkout, args.python, url, args.keyword, args.timeout)
        except Exception as err:  # noqa: BLE001 - a target that cannot be run is reported, the other still runs
            print(f"{target:8} not run: {type(err).__name__}: {err}")
            status = 2
            continue
        c = counts(results[target])
        print(f"{target:8} passed {c['passed']:4}  failed {c['failed']:4}  errors {c['error']:4}  "
              f"skipped {c['skipped']:4}  (of {len(results[target])})")
    if args.diff and {"sim", "dockerd"} <= results.keys():
        only = sorted(t for t, v in results["dockerd"].items() if v == "passed" and results["sim"].get(t) != "passed")
        print(f"passed on dockerd, not on the sim ({len(only)}):")
        for test in only:
            print(f"  {test}  [{results['sim'].get(test, 'not run')}]")
    return status


if __name__ == "__main__":
    sys.exit(main())
