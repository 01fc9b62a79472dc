"""The values docker options take: KEY=VALUE lists, -p publish specs, build contexts and a Dockerfile's bases.

Shared by `docker run`/`docker build` (contract.containers, contract.commands) and `docker compose`.
"""

from __future__ import annotations

import io
import os
import re
import tarfile

from labkit.errors import CommandError


def kv_pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, eq, val = item.partition("=")
        if not key:
            raise CommandError(f"invalid argument \"{item}\" for \"--{what}\" flag: invalid {what}\n", 125)
        out[key] = val if eq else os.environ.get(key, "")
    return out


def env_list(items: list[str] | None) -> list[str]:
    """-e values as the CLI sends them: KEY=VALUE as given; a bare KEY takes the caller's value, and is left out
    when the caller's environment has no KEY (the CLI's ReadKVEnvStrings)."""
    out = []
    for item in items or []:
        key, eq, _ = item.partition("=")
        if not key:
            raise CommandError(f"invalid argument \"{item}\" for \"-e, --env\" flag: invalid environment variable: "
                               f"{item}\n", 125)
        if eq:
            out.append(item)
        elif key in os.environ:
            out.append(f"{key}={os.environ[key]}")
    return out


_PORT_RE = re.compile(
    r"^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:(?P<host>\d*):)?(?P<port>\d+)(?:/(?P<proto>tcp|udp|sctp))?$"
)


def parse_publish(spec: str) -> tuple[str, str, str]:
    """A -p value: (container port/proto, host IP, host port); raises the CLI's error if invalid."""
    m = _PORT_RE.match(spec)
    if not m:
        raise CommandError(
            f"invalid argument \"{spec}\" for \"-p, --publish\" flag: invalid port format: {spec}\n\n"
            "Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
            "Run 'docker run --help' for more information\n", 125)
    ip = (m.group("ip") or "").strip("[]")
    for what, value in (("hostPort", m.group("host")), ("containerPort", m.group("port"))):
        if value and int(value) > 65535:
            raise CommandError(f"docker: invalid {what}: {value}\n\nRun 'docker run --help' for more information\n", 125)
    return f"{m.group('port')}/{m.group('proto') or 'tcp'}", ip, m.group("host") or ""


def build_context(directory: str, dockerfile: str | None) -> tuple[io.BytesIO, str, int]:
    """A tar of a build context (the Dockerfile added if it lives outside) and its size as the CLI counts it."""
    buf = io.BytesIO()
    df_name = "Dockerfile"
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for root, dirs, files in os.walk(directory):
            dirs.sort()
            for d in dirs:
                full = os.path.join(root, d)
                tar.add(full, arcname=os.path.relpath(full, directory), recursive=False)
            for f in sorted(files):
                full = os.path.join(root, f)
                tar.add(full, arcname=os.path.relpath(full, directory), recursive=False)
        if dockerfile:
            full = os.path.abspath(dockerfile)
            rel = os.path.relpath(full, os.path.abspath(directory))
            if rel.startswith(".."):
                df_name = ".dockerfile.labkit"
                tar.add(full, arcname=df_name)
            else:
                df_name = rel
        size = tar.offset + 1024  # Go's tar writer ends with two zero blocks and no record padding
    buf.seek(0)
    return buf, df_name, size


def dockerfile_bases(text: str, buildargs: dict[str, str]) -> list[str]:
    """The images a Dockerfile's FROM lines name (stage aliases and scratch excluded)."""
    args: dict[str, str] = {}
    stages: set[str] = set()
    bases: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        op = words[0].upper()
        if op == "ARG" and len(words) > 1 and not bases:
            key, _, default = words[1].partition("=")
            args[key] = buildargs.get(key, default)
        elif op == "FROM" and len(words) > 1:
            ws = [w for w in words[1:] if not w.startswith("--")]
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), ws[0])
            if len(ws) >= 3 and ws[1].upper() == "AS":
                stages.add(ws[2].lower())
            if image.lower() not in stages and image != "scratch":
                bases.append(image)
    return bases
