"""The course's base images without a registry: stand-ins built from Debian packages.

`labkit images --offline` builds `python:3.13-slim` and `curlimages/curl:8.14.1` with mmdebstrap
(Debian trixie ships Python 3.13 and curl 8.14.1) and imports them into the engine under exactly
those names. Each stand-in carries the label labkit.standin=<recipe> so doctor can tell.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from labkit.courseimages import BUILT_IN, BUSYBOX_APPLETS, CURL_IMAGE, PYTHON_IMAGE, STANDIN_LABEL
from labkit.errors import CommandError, NotFound

RECIPE_VERSION = "1"
MIRROR = os.environ.get("LABKIT_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = "trixie"
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# curlimages/curl's entrypoint: a first argument that starts with '-', or that is not a
# command, means curl.
CURL_ENTRYPOINT = """#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ]; then
  set -- curl "$@"
fi
exec "$@"
"""


@dataclass(frozen=True)
class StandIn:
    """How to build one stand-in image: Debian packages, a customize script, image config."""

    name: str
    packages: tuple[str, ...]
    customize: str
    changes: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.name} from Debian {SUITE} (recipe {RECIPE_VERSION})"


STANDINS = [
    StandIn(
        PYTHON_IMAGE,
        ("python3", "ca-certificates"),
        'ln -sf /usr/bin/python3 "$1"/usr/local/bin/python; ln -sf /usr/bin/python3 "$1"/usr/local/bin/python3',
        (f"ENV PATH={_PATH}", "ENV LANG=C.UTF-8", 'CMD ["python3"]'),
    ),
    StandIn(
        CURL_IMAGE,
        ("curl", "busybox", "ca-certificates"),
        "set -e; root=\"$1\"; "
        + "for a in " + " ".join(BUSYBOX_APPLETS) + "; do "
        + "if ! chroot \"$root\" sh -c \"command -v $a\" >/dev/null 2>&1 && "
        + "chroot \"$root\" busybox --list | grep -qx \"$a\"; then ln -s /usr/bin/busybox \"$root/usr/local/bin/$a\"; fi; "
        + "done; "
        + "printf '%s' \"$LABKIT_CURL_ENTRYPOINT\" > \"$root/entrypoint.sh\"; chmod 755 \"$root/entrypoint.sh\"; "
        + "chroot \"$root\" useradd -u 100 -U -m -d /home/curl_user -s /bin/sh curl_user",
        (f"ENV PATH={_PATH}", 'ENTRYPOINT ["/entrypoint.sh"]', 'CMD ["curl"]', "USER curl_user",
         "WORKDIR /home/curl_user"),
    ),
]


def status(engine, standin: StandIn) -> str:
    """'missing', 'stand-in' (ours, current recipe), 'old stand-in', 'real' or 'built in' (sim) for one image."""
    try:
        info = engine.inspect_image(standin.name)
    except NotFound:
        return "missing"
    label = ((info.get("Config") or {}).get("Labels") or {}).get(STANDIN_LABEL)
    if label is None:
        return "real"
    if label == BUILT_IN:
        return "built in"
    return "stand-in" if label == standin.label else "old stand-in"


def build_standin(engine, standin: StandIn, say: Callable[[str], None]) -> None:
    """Build one stand-in with mmdebstrap and import it into the engine under its name."""
    if shutil.which("mmdebstrap") is None:
        raise CommandError("labkit: mmdebstrap is not installed; install it (`sudo apt-get install "
                           "mmdebstrap`) or pull the real images on a machine with a registry\n", 1)
    with tempfile.TemporaryDirectory(prefix="labkit-img-") as tmp:
        tar = os.path.join(tmp, "rootfs.tar")
        cmd = ["mmdebstrap", "--variant=minbase", "--format=tar", "--include=" + ",".join(standin.packages),
               f"--customize-hook={standin.customize}",
               "--customize-hook=rm -rf \"$1\"/var/cache/apt/* \"$1\"/var/lib/apt/lists/*",
               SUITE, tar, MIRROR]
        env = dict(os.environ, LABKIT_CURL_ENTRYPOINT=CURL_ENTRYPOINT)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                stdin=subprocess.DEVNULL)
        tail: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-15:]
            if line.startswith("I: "):
                say(f"  {standin.name}: {line[3:]}")
        if proc.wait() != 0:
            raise CommandError(f"labkit: mmdebstrap failed for {standin.name}:\n" + "\n".join(tail) + "\n", 1)
        say(f"  {standin.name}: importing into the engine")
        repo, _, tag = standin.name.rpartition(":")
        changes = list(standin.changes) + [f'LABEL {STANDIN_LABEL}="{standin.label}"']
        engine.import_image(tar, repo, tag, changes)


def ensure_offline(engine, say: Callable[[str], None] = print, force: bool = False) -> int:
    """Build every course stand-in that is missing (or all with force); how many were built."""
    built = 0
    for standin in STANDINS:
        state = status(engine, standin)
        if state in ("stand-in", "real", "built in") and not force:
            say(f"{standin.name}: present ({state}), nothing to do")
            continue
        say(f"{standin.name}: building a stand-in from Debian {SUITE} packages")
        build_standin(engine, standin, say)
        say(f"{standin.name}: ready (stand-in)")
        built += 1
    return built


def report(engine) -> list[tuple[str, str]]:
    """(image, status) for every course base image."""
    return [(s.name, status(engine, s)) for s in STANDINS]
