"""Images of the embedded engine: the course's base images and what `docker build` makes.

An image is a config (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Labels) plus a folder
of the files its Dockerfile copied in, and the set of programs it provides (python3 in the
python image; curl and busybox's tools in the curl image).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import time
from dataclasses import dataclass, field

from labkit.courseimages import BUILT_IN, BUSYBOX_APPLETS, STANDIN_LABEL

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMMON_TOOLS = {"sh", "cat", "sleep", "echo", "true", "false", "env", "printenv", "id", "pwd", "ls", "hostname", "getent",
                "printf", "test", "[", "grep", "sort", "head", "tail", "wc",
                "whoami", "mkdir", "touch", "rm", "tee", "cut", "tr", "seq", "basename", "dirname", "uname", "which"}
PYTHON_TOOLS = COMMON_TOOLS | {"python3", "python"}
CURL_TOOLS = COMMON_TOOLS | {"curl", *BUSYBOX_APPLETS}


@dataclass
class SimImage:
    """One image: its ID, tags, config, copied files and programs."""

    id: str
    tags: list[str]
    config: dict
    tools: set[str]
    files: str | None = None  # folder with the files COPY/ADD put in (paths relative to /)
    created: float = field(default_factory=time.time)
    size: int = 0
    parent: str = ""

    def inspect(self) -> dict:
        """The image's Engine API inspect document."""
        return {
            "Id": self.id,
            "RepoTags": list(self.tags),
            "RepoDigests": [],
            "Parent": self.parent,
            "Comment": "",
            "Created": _rfc3339(self.created),
            "Container": "",
            "DockerVersion": "20.10.24+dfsg1",
            "Author": "",
            "Config": self.config,
            "Architecture": "amd64",
            "Os": "linux",
            "Size": self.size,
            "VirtualSize": self.size,
            "Metadata": {"LastTagTime": _rfc3339(self.created)},
        }

    def summary(self) -> dict:
        """The image as GET /images/json lists it."""
        return {"Id": self.id, "RepoTags": list(self.tags), "Created": int(self.created), "Size": self.size,
                "Labels": self.config.get("Labels") or {}}


def _rfc3339(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e9):09d}Z"


def _config(env: list[str], cmd: list[str] | None, entrypoint: list[str] | None, workdir: str, user: str,
            labels: dict[str, str]) -> dict:
    return {"Hostname": "", "Domainname": "", "User": user, "AttachStdin": False, "AttachStdout": False,
            "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": env,
            "Cmd": cmd, "Image": "", "Volumes": None, "WorkingDir": workdir, "Entrypoint": entrypoint,
            "OnBuild": None, "Labels": labels}


def base_images() -> list[SimImage]:
    """The course's base images, as the offline stand-ins define them."""
    def iid(name: str) -> str:
        return "sha256:" + hashlib.sha256(f"labkit-sim-base:{name}".encode()).hexdigest()

    py = SimImage(iid("python:3.13-slim"), ["python:3.13-slim"],
                  _config([f"PATH={PATH}", "LANG=C.UTF-8"], ["python3"], None, "", "",
                          {STANDIN_LABEL: BUILT_IN}),
                  set(PYTHON_TOOLS), created=1_750_000_000, size=158_000_000)
    curl = SimImage(iid("curlimages/curl:8.14.1"), ["curlimages/curl:8.14.1"],
                    _config([f"PATH={PATH}"], ["curl"], ["/entrypoint.sh"], "/home/curl_user", "curl_user",
                            {STANDIN_LABEL: BUILT_IN}),
                    set(CURL_TOOLS), created=1_750_000_060, size=138_000_000)  # built after the python image
    return [py, curl]


class BuildError(Exception):
    """A Dockerfile instruction failed (the message is what the builder prints)."""


def _sources(context_dir: str, srcs: list[str]) -> list[str]:
    """The context files COPY's sources name, wildcards (`*.py`) expanded as the builder does; never outside
    the context."""
    import glob

    root = os.path.realpath(context_dir)
    found = []
    for src in srcs:
        source = os.path.normpath(os.path.join(root, src.lstrip("/")))
        if os.path.commonpath([root, os.path.realpath(source)]) != root:
            raise BuildError(f"COPY failed: forbidden path outside the build context: {src} ()")
        if glob.has_magic(src):
            matches = sorted(glob.glob(source))
            if not matches:
                raise BuildError("COPY failed: no source files were specified")
            found.extend(matches)
        elif not os.path.exists(source):
            raise BuildError(f"COPY failed: file not found in build context or excluded by "
                             f".dockerignore: stat {src}: file does not exist")
        else:
            found.append(source)
    return found


def _words(rest: str) -> list[str]:
    rest = rest.strip()
    if rest.startswith("["):
        try:
            value = json.loads(rest)
            if isinstance(value, list):
                return [str(v) for v in value]
        except ValueError:
            pass
    return ["/bin/sh", "-c", rest]


def _subst(text: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), text)


METADATA_OPS = {"WORKDIR", "ENV", "EXPOSE", "CMD", "ENTRYPOINT", "USER", "LABEL", "RUN", "ARG"}


def _step_key(parent: str, op: str, rest: str, context_dir: str) -> str:
    h = hashlib.sha256(f"{parent}\0{op}\0{rest}".encode())
    if op in ("COPY", "ADD"):
        for src in [p for p in shlex.split(rest) if not p.startswith("--")][:-1]:
            path = os.path.join(context_dir, src)
            found = sorted(os.walk(path)) if os.path.isdir(path) else [(os.path.dirname(path), [],
                                                                                          [os.path.basename(path)])]
            for root, _, names in found:
                for name in sorted(names):
                    full = os.path.join(root, name)
                    try:
                        with open(full, "rb") as f:
                            h.update(os.path.relpath(full, context_dir).encode() + f.read())
                    except OSError:
                        pass
    return "sha256:" + h.hexdigest()


def build(context_dir: str, dockerfile: str, buildargs: dict[str, str], find_image, store_dir: str,
          say, cache: dict[str, str]) -> SimImage:
    """Run a Dockerfile's instructions the way the classic builder does, printing its steps."""
    with open(os.path.join(context_dir, dockerfile), encoding="utf-8") as f:
        lines = _logical_lines(f.read())
    steps = len(lines)
    image: SimImage | None = None
    args: dict[str, str] = {}
    files = os.path.join(store_dir, f"layer-{time.time_ns()}")
    os.makedirs(files)
    for n, (op, rest) in enumerate(lines, 1):
        say(f"Step {n}/{steps} : {op} {rest}\n")
        if op == "ARG":
            key, eq, default = rest.partition("=")
            args[key.strip()] = buildargs.get(key.strip(), default)
            if image is None:
                continue
        elif op == "FROM":
            name = _subst(rest.split()[0], args)
            base = find_image(name)
            if base is None:
                raise BuildError(f"pull access denied for {name.split(':')[0]}, repository does not exist")
            image = SimImage(base.id, [], json.loads(json.dumps(base.config)), set(base.tools), files,
                             parent=base.id, size=base.size)
            if base.files:
                shutil.copytree(base.files, files, dirs_exist_ok=True, symlinks=True)
            say(f" ---> {base.id.split(':')[1][:12]}\n")
            continue
        if image is None:
            raise BuildError("no build stage in current context")
        env = dict(e.split("=", 1) for e in image.config.get("Env") or [] if "=" in e)
        env.update({k: v for k, v in args.items()})
        cfg = image.config
        if op in ("COPY", "ADD"):
            parts = [p for p in shlex.split(rest) if not p.startswith("--")]
            if len(parts) < 2:
                raise BuildError(f"{op} requires at least two arguments")
            dest = _subst(parts[-1], env)
            workdir = cfg.get("WorkingDir") or "/"
            target = dest if dest.startswith("/") else os.path.join(workdir, dest)
            sources = _sources(context_dir, parts[:-1])
            for source in sources:
                into = files + target
                if os.path.isdir(source):
                    shutil.copytree(source, files + target, dirs_exist_ok=True)
                else:
                    if target.endswith("/") or len(sources) > 1 or dest in (".", "./"):
                        into = os.path.join(files + target, os.path.basename(source))
                    os.makedirs(os.path.dirname(into), exist_ok=True)
                    shutil.copy2(source, into)
        elif op == "WORKDIR":
            wd = _subst(rest.strip(), env)
            cfg["WorkingDir"] = wd if wd.startswith("/") else os.path.join(cfg.get("WorkingDir") or "/", wd)
            os.makedirs(files + cfg["WorkingDir"], exist_ok=True)
        elif op == "ENV":
            pairs = _env_pairs(rest)
            current = [e for e in cfg.get("Env") or [] if e.split("=", 1)[0] not in {k for k, _ in pairs}]
            cfg["Env"] = current + [f"{k}={_subst(v, env)}" for k, v in pairs]
        elif op == "EXPOSE":
            ports = cfg.get("ExposedPorts") or {}
            for p in rest.split():
                ports[p if "/" in p else p + "/tcp"] = {}
            cfg["ExposedPorts"] = ports
        elif op == "CMD":
            cfg["Cmd"] = _words(rest)
        elif op == "ENTRYPOINT":
            cfg["Entrypoint"] = _words(rest)
            cfg["Cmd"] = None
        elif op == "USER":
            cfg["User"] = rest.strip()
        elif op == "LABEL":
            labels = cfg.get("Labels") or {}
            labels.update(dict(_env_pairs(rest)))
            cfg["Labels"] = labels
        elif op == "ARG":
            pass
        elif op == "RUN":
            cfg.setdefault("Labels", {})
            say(" ---> labkit: RUN is recorded, not executed, by the embedded engine\n")
        else:
            raise BuildError(f"dockerfile parse error line {n}: unknown instruction: {op}")
        key = _step_key(image.id, op, rest, context_dir)
        if key in cache:
            say(" ---> Using cache\n")
        else:
            cache[key] = "sha256:" + hashlib.sha256(f"{key}{time.time_ns()}".encode()).hexdigest()
            if op in METADATA_OPS:
                temp = hashlib.sha256(f"tmp{time.time_ns()}".encode()).hexdigest()[:12]
                say(f" ---> Running in {temp}\n")
                say(f"Removing intermediate container {temp}\n")
        image.id = cache[key]
        say(f" ---> {image.id.split(':')[1][:12]}\n")
    if image is None:
        raise BuildError("the Dockerfile has no FROM")
    unused = sorted(set(buildargs) - set(args))
    if unused:
        say(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n")
    image.created = time.time()
    return image


def _env_pairs(rest: str) -> list[tuple[str, str]]:
    words = shlex.split(rest)
    if len(words) >= 2 and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [tuple(w.split("=", 1)) if "=" in w else (w, "") for w in words]  # type: ignore[misc]


def _logical_lines(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        op, _, rest = buf.partition(" ")
        out.append((op.upper(), rest.strip()))
        buf = ""
    return out
