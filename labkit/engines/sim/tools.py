"""Programs inside the embedded engine's containers: the course's tools, and real Python.

`python3 …` runs the learner's real program (through the socket shim, as a real process). The
small tools the lessons use (curl, nslookup, getent, ping, cat, hostname, sleep, sh -c …) are
implemented here over the same network model, printing what the course images print.
"""

from __future__ import annotations

import ipaddress
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from labkit.engines.sim.images import COMMON_TOOLS
from labkit.engines.sim.netmodel import HOST_LOOPBACK, Topology
from labkit.images import BUSYBOX_APPLETS
from labkit.netrules import is_address, is_loopback

CURL_VERSION = "8.14.1"


@dataclass
class Ctx:
    """Where a program runs: which container (None for the host), its files, env and output."""

    engine: object
    cid: str | None
    cwd: str
    env: dict[str, str]
    tools: set[str]
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    stdin_open: bool = False
    stdin: str | None = None
    settled: threading.Event = field(default_factory=threading.Event)
    on_process: object = None  # callback(Popen) so stop/kill can reach a real process
    logs: tuple[str, str] | None = None  # (stdout path, stderr path) for a main process

    def settle(self) -> None:
        """The program has started and now waits (or serves): its start is complete."""
        self.settled.set()

    def write(self, text: str) -> None:
        self.out.append(text)

    def error(self, text: str) -> None:
        self.err.append(text)


class NotFound(Exception):
    """The program does not exist in this image (exit 127, OCI runtime wording)."""


def run(ctx: Ctx, argv: list[str]) -> int:
    """Run argv in ctx; the exit code."""
    if not argv:
        return 0
    name = os.path.basename(argv[0])
    if argv[0] == "/entrypoint.sh":
        rest = argv[1:]
        if not rest or rest[0].startswith("-") or os.path.basename(rest[0]) not in ctx.tools:
            rest = ["curl", *rest]
        return run(ctx, rest)
    if ctx.cid is not None and name not in ctx.tools:
        raise NotFound(argv[0])
    fn = TOOLS.get(name)
    if fn is None:
        raise NotFound(argv[0])
    return fn(ctx, argv)


# -- python: the real program -------------------------------------------------------------
def python(ctx: Ctx, argv: list[str]) -> int:
    """Run the learner's Python as a real process inside the container's network model."""
    env = dict(ctx.env)
    env.update(ctx.engine.process_env(ctx.cid))
    cmd = [sys.executable, "-m", "labkit.engines.sim.shim", "--", *argv]
    if ctx.logs is not None:
        with open(ctx.logs[0], "ab") as out, open(ctx.logs[1], "ab") as err:
            proc = subprocess.Popen(cmd, cwd=ctx.cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    start_new_session=True, preexec_fn=_die_with_parent)
        if ctx.on_process:
            ctx.on_process(proc)
        ctx.settle()
        return _exit_code(proc.wait())
    proc = subprocess.Popen(cmd, cwd=ctx.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
    if ctx.on_process:
        ctx.on_process(proc)
    out, err = proc.communicate()
    ctx.write(out.decode(errors="replace"))
    ctx.error(err.decode(errors="replace"))
    return _exit_code(proc.returncode)


def _die_with_parent() -> None:
    """In the child: be killed when the engine's process dies (no orphans), Linux only."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _exit_code(code: int) -> int:
    return 128 - code if code < 0 else code


# -- shell --------------------------------------------------------------------------------
def sh(ctx: Ctx, argv: list[str]) -> int:
    """`sh -c SCRIPT` (;, &&, ||, |, $VAR, quotes, redirects, exit N); a bare sh reads its (empty) stdin."""
    if "-c" not in argv[1:2]:
        if ctx.stdin_open:
            ctx.settle()
            ctx.stop.wait()
            return 137
        return 0
    script = argv[2] if len(argv) > 2 else ""
    shell_vars = {"0": argv[3] if len(argv) > 3 else argv[0]}
    return run_script(ctx, script, shell_vars)


_OPS = ("&&", "||", ";", "|", ">>", "2>&1", "2>", ">&2", "1>&2", ">")


def _tokens(script: str) -> list:
    """Words (lists of (text, expandable) parts) and operator strings, as a POSIX shell reads them."""
    out: list = []
    word: list = []
    in_word = False
    i, n = 0, len(script)

    def end_word() -> None:
        nonlocal word, in_word
        if in_word:
            merged: list = []
            for text, exp in word:  # join neighbours of one kind so that $NAME expands as a whole
                if merged and merged[-1][1] == exp:
                    merged[-1] = (merged[-1][0] + text, exp)
                else:
                    merged.append((text, exp))
            out.append(merged)
        word, in_word = [], False

    while i < n:
        ch = script[i]
        if ch in " \t\n":
            end_word()
            i += 1
            continue
        op = next((o for o in _OPS if script.startswith(o, i)), None)
        if op and not (op in ("2>", "2>&1") and in_word):
            end_word()
            out.append(op)
            i += len(op)
            continue
        in_word = True
        if ch == "\\" and i + 1 < n:
            word.append((script[i + 1], False))
            i += 2
        elif ch == "'":
            j = script.find("'", i + 1)
            if j < 0:
                raise ValueError("unterminated quoted string")
            word.append((script[i + 1:j], False))
            i = j + 1
        elif ch == '"':
            i += 1
            buf = ""
            while i < n and script[i] != '"':
                if script[i] == "\\" and i + 1 < n and script[i + 1] in '$`"\\':
                    word.append((buf, True))
                    word.append((script[i + 1], False))
                    buf = ""
                    i += 2
                    continue
                buf += script[i]
                i += 1
            if i >= n:
                raise ValueError("unterminated quoted string")
            word.append((buf, True))
            i += 1
        else:
            word.append((ch, True))
            i += 1
    end_word()
    return out


def run_script(ctx: Ctx, script: str, shell_vars: dict[str, str]) -> int:
    """Interpret a small POSIX shell script in ctx."""
    try:
        tokens = _tokens(script)
    except ValueError:
        ctx.error("sh: 1: Syntax error: Unterminated quoted string\n")
        return 2
    # split into and-or lists of pipelines of simple commands
    status = 0
    pipeline: list[list] = [[]]
    skip = False
    try:
        for tok in tokens + [";"]:
            if isinstance(tok, str) and tok in ("&&", "||", ";"):
                if not skip and pipeline[0]:
                    status = _pipeline(ctx, pipeline, shell_vars, status)
                pipeline = [[]]
                skip = (tok == "&&" and status != 0) or (tok == "||" and status == 0)
            elif tok == "|":
                pipeline.append([])
            else:
                pipeline[-1].append(tok)
    except _Exit as e:
        return e.code
    return status


def _pipeline(ctx: Ctx, commands: list[list], shell_vars: dict[str, str], status: int) -> int:
    data: str | None = None
    code = status
    for k, cmd in enumerate(commands):
        last = k == len(commands) - 1
        code, out = _simple(ctx, cmd, shell_vars, status, data)
        data = out
        if last and out:
            ctx.write(out)
    return code


def _simple(ctx: Ctx, cmd: list, shell_vars: dict[str, str], status: int, stdin: str | None) -> tuple[int, str]:
    """Run one simple command; its exit code and what it wrote to stdout (after redirections)."""
    words: list[str] = []
    to_err = quiet = err_quiet = err_to_out = False
    i = 0
    while i < len(cmd):
        tok = cmd[i]
        if isinstance(tok, str):
            target = cmd[i + 1] if i + 1 < len(cmd) and not isinstance(cmd[i + 1], str) else None
            if tok in (">&2", "1>&2"):
                to_err = True
            elif tok == "2>&1":
                err_to_out = True
            elif tok == "2>" and target is not None:
                err_quiet = True
                i += 1
            elif tok in (">", ">>") and target is not None:
                quiet = True  # written to a file, not to the terminal
                i += 1
            i += 1
            continue
        words.append("".join(_expand(text, ctx.env, shell_vars, status) if exp else text for text, exp in tok))
        i += 1
    if not words:
        return status, ""
    if words[0] == "exit":
        raise _Exit(int(words[1]) if len(words) > 1 else status)
    if words[:2] == ["command", "-v"]:
        found = [w for w in words[2:] if w in ctx.tools or (ctx.cid is None and w in TOOLS)]
        return (0 if found and len(found) == len(words[2:]) else 127), "".join(f"{_tool_path(w)}\n" for w in found)
    sub = Ctx(ctx.engine, ctx.cid, ctx.cwd, ctx.env, ctx.tools, stop=ctx.stop, on_process=ctx.on_process,
              stdin=stdin)
    try:
        code = run(sub, words)
    except NotFound:
        sub.error(f"sh: 1: {words[0]}: not found\n")
        code = 127
    out, err = "".join(sub.out), "".join(sub.err)
    if err_to_out:
        out, err = out + err, ""
    if to_err:
        ctx.error(out)
        out = ""
    if quiet:
        out = ""
    if not err_quiet:
        ctx.error(err)
    return code, out


def _tool_path(name: str) -> str:
    """Where a program lives in the course images (busybox applets are linked into /usr/local/bin)."""
    if (name in BUSYBOX_APPLETS and name not in COMMON_TOOLS) or name in ("python", "python3"):
        return f"/usr/local/bin/{name}"
    return f"/usr/bin/{name}"


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def _expand(word: str, env: dict[str, str], shell_vars: dict[str, str], status: int) -> str:
    def sub(m: re.Match) -> str:
        key = m.group(1) or m.group(2)
        if key == "?":
            return str(status)
        return shell_vars.get(key, env.get(key, ""))

    return re.sub(r"\$\{(\w+|\?)\}|\$(\w+|\?)", sub, word)


# -- text tools -----------------------------------------------------------------------------
def _lines(ctx: Ctx, files: list[str], name: str = "grep") -> tuple[list[str], int]:
    if not files:
        return _split_lines(ctx.stdin or ""), 0
    out, code = [], 0
    for f in files:
        text = ctx.engine.read_file(ctx.cid, f)
        if text is None:
            ctx.error(f"{name}: {f}: No such file or directory\n")
            code = 2
        else:
            out.extend(_split_lines(text))
    return out, code


def _split_lines(text: str) -> list[str]:
    """Lines as the text tools see them: split at newlines only (a carriage return stays)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _bre(pattern: str) -> str:
    """A POSIX basic regular expression as a Python one."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out += nxt if nxt in "+?|(){}" else "\\" + nxt
            i += 2
            continue
        out += "\\" + c if c in "+?|(){}" else c
        i += 1
    return out


def grep(ctx: Ctx, argv: list[str]) -> int:
    """grep [-v -i -c -q -E -F -x] PATTERN [FILE…]."""
    flags, args = set(), []
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1 and not args:
            flags.update(a[1:])
        else:
            args.append(a)
    if not args:
        ctx.error("Usage: grep [OPTION]... PATTERNS [FILE]...\n")
        return 2
    pattern = re.escape(args[0]) if "F" in flags else (args[0] if "E" in flags else _bre(args[0]))
    if "x" in flags:
        pattern = f"(?:{pattern})\\Z"
    rx = re.compile(pattern, re.I if "i" in flags else 0)
    lines, code = _lines(ctx, args[1:])
    hits = [line for line in lines if bool(rx.search(line) if "x" not in flags else rx.match(line)) != ("v" in flags)]
    if "c" in flags:
        ctx.write(f"{len(hits)}\n")
    elif "q" not in flags:
        ctx.write("".join(line + "\n" for line in hits))
    return code or (0 if hits else 1)


def sort_tool(ctx: Ctx, argv: list[str]) -> int:
    """sort [-r -n -u] [FILE…]."""
    flags = {c for a in argv[1:] if a.startswith("-") for c in a[1:]}
    lines, code = _lines(ctx, [a for a in argv[1:] if not a.startswith("-")])
    key = (lambda s: float(re.match(r"\s*-?\d*\.?\d*", s).group() or 0)) if "n" in flags else None
    lines = sorted(lines, key=key, reverse="r" in flags)
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    ctx.write("".join(line + "\n" for line in lines))
    return code


def head(ctx: Ctx, argv: list[str]) -> int:
    """head [-n N] [FILE…]."""
    n, files = _count_arg(argv)
    lines, code = _lines(ctx, files)
    ctx.write("".join(line + "\n" for line in lines[:n]))
    return code


def tail(ctx: Ctx, argv: list[str]) -> int:
    """tail [-n N] [FILE…]."""
    n, files = _count_arg(argv)
    lines, code = _lines(ctx, files)
    ctx.write("".join(line + "\n" for line in lines[-n:] if n))
    return code


def _count_arg(argv: list[str]) -> tuple[int, list[str]]:
    n, files, args = 10, [], argv[1:]
    i = 0
    while i < len(args):
        if args[i] == "-n" and i + 1 < len(args):
            n = int(args[i + 1])
            i += 2
            continue
        if re.fullmatch(r"-n?\d+", args[i]):
            n = int(args[i].lstrip("-n"))
        else:
            files.append(args[i])
        i += 1
    return n, files


def wc(ctx: Ctx, argv: list[str]) -> int:
    """wc -l."""
    lines, code = _lines(ctx, [a for a in argv[1:] if not a.startswith("-")])
    ctx.write(f"{len(lines)}\n")
    return code


# -- small tools ----------------------------------------------------------------------------
def sleep(ctx: Ctx, argv: list[str]) -> int:
    """sleep N[smhd] or sleep infinity (a stop interrupts it, as SIGKILL would)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    total = 0.0
    for word in argv[1:] or ["0"]:
        unit = units.get(word[-1:], None) if not word[-1:].isdigit() and word not in ("inf", "infinity") else None
        try:
            total += float(word[:-1] if unit else word) * (unit or 1)
        except ValueError:
            ctx.error(f"sleep: invalid number '{word}'\n")
            return 1
    ctx.settle()
    return 137 if ctx.stop.wait(None if total == float("inf") else total) else 0


def echo(ctx: Ctx, argv: list[str]) -> int:
    """echo ARGS."""
    args = argv[1:]
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    ctx.write(" ".join(args) + ("\n" if newline else ""))
    return 0


def true(ctx: Ctx, argv: list[str]) -> int:
    """true."""
    return 0


def false(ctx: Ctx, argv: list[str]) -> int:
    """false."""
    return 1


def env_tool(ctx: Ctx, argv: list[str]) -> int:
    """env: the environment."""
    ctx.write("".join(f"{k}={v}\n" for k, v in ctx.env.items() if not k.startswith("LABKIT_")))
    return 0


def pwd(ctx: Ctx, argv: list[str]) -> int:
    """pwd: the working directory inside the container."""
    ctx.write((ctx.env.get("PWD") or "/") + "\n")
    return 0


def id_tool(ctx: Ctx, argv: list[str]) -> int:
    """id -un / id: the container's user."""
    user = ctx.env.get("LABKIT_USER") or "root"
    if "-un" in argv or "-nu" in argv:
        ctx.write(user + "\n")
    else:
        uid = 0 if user == "root" else 100
        ctx.write(f"uid={uid}({user}) gid={uid}({user}) groups={uid}({user})\n")
    return 0


def cat(ctx: Ctx, argv: list[str]) -> int:
    """cat FILE…: /etc/hosts, /etc/resolv.conf, /etc/hostname, or files in the image."""
    code = 0
    if len(argv) == 1:
        ctx.write(ctx.stdin or "")
    for path in argv[1:]:
        text = ctx.engine.read_file(ctx.cid, path)
        if text is None:
            ctx.error(f"cat: {path}: No such file or directory\n")
            code = 1
        else:
            ctx.write(text)
    return code


def hostname(ctx: Ctx, argv: list[str]) -> int:
    """hostname [-i]."""
    info = ctx.engine.container_view(ctx.cid)
    if "-i" in argv[1:]:
        ips = [n["ip"] for n in info["networks"].values()]
        if not ips:
            ctx.error("hostname: Temporary failure in name resolution\n")
            return 1
        ctx.write(" ".join(ips) + "\n")
    else:
        ctx.write(info["hostname"] + "\n")
    return 0


def getent(ctx: Ctx, argv: list[str]) -> int:
    """getent hosts NAME."""
    if len(argv) < 3 or argv[1] not in ("hosts", "ahosts"):
        ctx.error("Unknown database\n" if len(argv) > 1 else "Usage: getent [OPTION...] database [key ...]\n")
        return 1
    code = 0
    for name in argv[2:]:
        ips = _resolve_all(ctx, name)
        if not ips:
            code = 2
            continue
        for ip in ips[:1] if argv[1] == "hosts" else ips:
            ctx.write(f"{ip:<15} {name}\n")
    return code


def nslookup(ctx: Ctx, argv: list[str]) -> int:
    """busybox nslookup NAME [SERVER]."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    qtype = next((a.split("=", 1)[1].lower() for a in argv[1:] if a.startswith("-type=") or a.startswith("-query=")),
                 None)
    if not args:
        ctx.error("BusyBox v1.37.0 (Debian 1:1.37.0-6) multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] "
                  "[-debug] HOST [DNS_SERVER]\n")
        return 1
    name = args[0]
    server = args[1] if len(args) > 1 else ctx.engine.nameserver(ctx.cid)
    ctx.write(f"Server:\t\t{server}\nAddress:\t{server}:53\n\n")
    try:
        ip = ipaddress.ip_address(name)
        ctx.write(f"** server can't find {ip.reverse_pointer}: NXDOMAIN\n\n")
        return 1
    except ValueError:
        pass
    ips = Topology.load(ctx.engine.topology_file).dns(ctx.cid, name) if ctx.cid else []
    if not ips:
        once = f"** server can't find {name}: NXDOMAIN\n\n"
        ctx.write(once if qtype == "a" else once * 2)
        return 1
    ctx.write("Non-authoritative answer:\n")
    for ip in ips:
        ctx.write(f"Name:\t{name}\nAddress: {ip}\n")
    ctx.write("\n" if qtype == "a" else "\nNon-authoritative answer:\n\n")
    return 0


def ping(ctx: Ctx, argv: list[str]) -> int:
    """busybox ping -c N [-W S] NAME: ICMP modelled as reachability in the topology."""
    count, wait, target = 1, 10.0, None
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-c", "-W", "-w") and i + 1 < len(args):
            if a == "-c":
                count = int(args[i + 1])
            else:
                wait = float(args[i + 1])
            i += 2
            continue
        target = a
        i += 1
    if target is None:
        ctx.error("BusyBox v1.37.0 (Debian 1:1.37.0-6) multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n")
        return 1
    ips = _resolve_all(ctx, target)
    if not ips:
        ctx.error(f"ping: bad address '{target}'\n")
        return 1
    ip = ips[0]
    if ctx.env.get("LABKIT_USER", "root") != "root":  # no raw sockets, and this engine grants no ping group
        ctx.write(f"PING {target} ({ip}): 56 data bytes\n")
        ctx.error("ping: permission denied (are you root?)\n")
        return 1
    kind, real = _route(ctx, ip)
    ctx.write(f"PING {target} ({ip}): 56 data bytes\n")
    received = 0
    times = []
    for seq in range(count):
        if kind == "real":
            t = _round_trip_ms(real)
            times.append(t)
            received += 1
            ctx.write(f"64 bytes from {ip}: seq={seq} ttl=64 time={t:.3f} ms\n")
        else:
            if ctx.stop.wait(wait if count == 1 else 1.0):
                break
    loss = int(round(100 * (count - received) / count)) if count else 0
    ctx.write(f"\n--- {target} ping statistics ---\n{count} packets transmitted, {received} packets received, "
              f"{loss}% packet loss\n")
    if times:
        avg = sum(times) / len(times)
        ctx.write(f"round-trip min/avg/max = {min(times):.3f}/{avg:.3f}/{max(times):.3f} ms\n")
    return 0 if received else 1


def _round_trip_ms(real: str) -> float:
    """A real round trip to the target's namespace (a TCP probe answered by its kernel), in ms."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t0 = time.perf_counter()
    try:
        s.connect((real, 9))
    except OSError:
        pass
    finally:
        s.close()
    return (time.perf_counter() - t0) * 1000


def _resolve_all(ctx: Ctx, name: str) -> list[str]:
    if ctx.cid is None:  # the host: its own /etc/hosts, no embedded DNS
        return [name] if is_address(name) else (["127.0.0.1"] if is_loopback(name) else [])
    return Topology.load(ctx.engine.topology_file).resolve(ctx.cid, name)


def _route(ctx: Ctx, ip: str) -> tuple[str, str | None]:
    topo = Topology.load(ctx.engine.topology_file)
    if ctx.cid is not None:
        return topo.route(ctx.cid, ip)
    r = topo.lab().route_from_host(ip)  # the host reaches container addresses over the bridges
    if r.verdict == "loopback":
        return "real", "127.0.0.1"
    if r.verdict == "direct" and r.target is not None:
        return "real", topo.containers[r.target.id]["iface"]
    return "timeout", None


# -- curl -----------------------------------------------------------------------------------
class _CurlError(Exception):
    def __init__(self, code: int, message: str, verbose: str = ""):
        self.code = code
        self.message = message
        self.verbose = verbose


def curl(ctx: Ctx, argv: list[str]) -> int:
    """curl URL with -s -S -v -i -I -m --connect-timeout -o -w -f, over the network model."""
    opts = {"silent": False, "show_error": False, "include": False, "head": False, "max_time": None,
            "connect_timeout": None, "output": None, "write_out": None, "fail": False, "verbose": False}
    urls: list[str] = []
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--version", "-V"):
            ctx.write(f"curl {CURL_VERSION} (x86_64-pc-linux-gnu) libcurl/{CURL_VERSION}\n")
            return 0
        if a.startswith("--"):
            name = a[2:]
            if name in ("max-time", "connect-timeout", "output", "write-out"):
                val = args[i + 1] if i + 1 < len(args) else None
                if val is None:
                    ctx.error(f"curl: option {a}: requires parameter\n")
                    return 2
                opts[name.replace("-", "_")] = val
                i += 2
                continue
            flag = {"silent": "silent", "show-error": "show_error", "include": "include", "head": "head",
                    "fail": "fail", "verbose": "verbose"}.get(name)
            if flag is None:
                ctx.error(f"curl: option {a}: is unknown\n")
                return 2
            opts[flag] = True
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            letters = a[1:]
            j = 0
            while j < len(letters):
                ch = letters[j]
                if ch in "mow":
                    val = letters[j + 1:] or (args[i + 1] if i + 1 < len(args) else None)
                    if not letters[j + 1:]:
                        i += 1
                    key = {"m": "max_time", "o": "output", "w": "write_out"}[ch]
                    opts[key] = val
                    break
                key = {"s": "silent", "S": "show_error", "i": "include", "I": "head", "f": "fail", "v": "verbose"}.get(ch)
                if key is None:
                    ctx.error(f"curl: option -{ch}: is unknown\n")
                    return 2
                opts[key] = True
                j += 1
            i += 1
            continue
        urls.append(a)
        i += 1
    if not urls:
        ctx.error("curl: no URL specified\n")
        return 2
    code = 0
    for url in urls:
        code = _curl_one(ctx, url, opts) or code
    return code


def _curl_one(ctx: Ctx, url: str, opts: dict) -> int:
    start = time.monotonic()
    info: dict = {"remote_ip": ""}
    verbose = ctx.error if opts["verbose"] else (lambda text: None)
    try:
        status, headers, body = _http(ctx, url, opts, start, verbose, info)
    except _CurlError as err:
        verbose(err.verbose)
        if not opts["silent"] or opts["show_error"]:
            ctx.error(f"curl: ({err.code}) {err.message}\n")
        if opts["write_out"] is not None:
            ctx.write(_write_out(opts["write_out"], 0, info))
        return err.code
    text = (headers if opts["include"] or opts["head"] else "") + ("" if opts["head"] else body)
    if opts["fail"] and status >= 400:
        if not opts["silent"] or opts["show_error"]:
            ctx.error(f"curl: (22) The requested URL returned error: {status}\n")
        return 22
    if opts["output"] and opts["output"] != "-":
        if opts["output"] != "/dev/null":
            with open(os.path.join(ctx.cwd, opts["output"]), "w", encoding="utf-8") as f:
                f.write(text)
    else:
        ctx.write(text)
    if opts["write_out"] is not None:
        ctx.write(_write_out(opts["write_out"], status, info))
    return 0


def _write_out(fmt: str, status: int, info: dict) -> str:
    out = fmt.replace("%{http_code}", f"{status:03d}").replace("%{response_code}", f"{status:03d}")
    out = out.replace("%{remote_ip}", info.get("remote_ip", "")).replace("%{remote_port}", str(info.get("port", "")))
    out = out.replace("%{size_download}", str(info.get("size_download", 0)))
    return out.replace("\\n", "\n")


_URL = re.compile(r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[^\]]+\]|[^/:?#]+)(?::(?P<port>\d+))?(?P<path>[^#]*)")


def _http(ctx: Ctx, url: str, opts: dict, start: float, verbose, info: dict) -> tuple[int, str, str]:
    """One HTTP exchange as curl 8.14.1 makes it; verbose() receives curl's -v lines."""
    m = _URL.match(url)
    if not m:
        raise _CurlError(3, "URL rejected: Malformed input to a URL function")
    scheme = m.group("scheme") or "http"
    if scheme != "http":
        raise _CurlError(1, f'Protocol "{scheme}" not supported')
    host = m.group("host").strip("[]")
    port = int(m.group("port") or 80)
    path = m.group("path") or "/"
    info["port"] = port
    literal = True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        literal = False
    ips = _resolve_all(ctx, host)
    if not ips:
        raise _CurlError(6, f"Could not resolve host: {host}",
                         f"* Could not resolve host: {host}\n* shutting down connection #0\n")
    if not literal:
        verbose(f"* Host {host}:{port} was resolved.\n* IPv6: (none)\n* IPv4: {', '.join(ips)}\n")
    ip = ips[0]
    info["remote_ip"] = ip
    verbose(f"*   Trying {ip}:{port}...\n")
    limit = min(x for x in (_num(opts["max_time"]), _num(opts["connect_timeout"]), 300.0) if x is not None)
    kind, real = _route(ctx, ip)

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    def refused(reason: str) -> _CurlError:
        ms = elapsed()
        src = _source_ip(ctx, ip)
        lines = (f"* connect to {ip} port {port} from {src} port {random.randint(32768, 60999)} failed: {reason}\n"
                 f"* Failed to connect to {host} port {port} after {ms} ms: Could not connect to server\n"
                 "* closing connection #0\n")
        return _CurlError(7, f"Failed to connect to {host} port {port} after {ms} ms: Could not connect to server", lines)

    if kind == "timeout":
        ctx.stop.wait(limit)
        ms = elapsed()
        raise _CurlError(28, f"Connection timed out after {ms} milliseconds",
                         f"* Connection timed out after {ms} milliseconds\n* closing connection #0\n")
    if kind == "unreachable":
        raise refused("Network is unreachable")
    if kind == "refused":
        raise refused("Connection refused")
    view = ctx.engine.container_view(ctx.cid) if ctx.cid else None
    source = HOST_LOOPBACK if view is None else (view["loopback"] if real == view["loopback"] else view["iface"])
    sock = _connect(real, port, source, view)
    if sock is None:
        raise refused("Connection refused")
    verbose(f"* Connected to {host} ({ip}) port {port}\n* using HTTP/1.x\n")
    host_header = host if port == 80 else f"{host}:{port}"
    method = "HEAD" if opts["head"] else "GET"
    request = (f"{method} {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: curl/{CURL_VERSION}\r\n"
               "Accept: */*\r\n\r\n")
    verbose("".join(f"> {line}\n" for line in request.split("\r\n")[:-1]))
    verbose("* Request completely sent off\n")
    sock.settimeout(max(0.001, (_num(opts["max_time"]) or 300.0) - (time.monotonic() - start)))
    data = b""
    try:
        sock.sendall(request.encode())
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if _complete(data, method):
                break
    except ConnectionResetError:
        raise _CurlError(56, "Recv failure: Connection reset by peer",
                         "* Recv failure: Connection reset by peer\n* closing connection #0\n") from None
    except TimeoutError:
        ms = elapsed()
        raise _CurlError(28, f"Operation timed out after {ms} milliseconds with {len(data)} bytes received") from None
    finally:
        sock.close()
    if not data:
        raise _CurlError(52, "Empty reply from server", "* Empty reply from server\n* shutting down connection #0\n")
    head, _, body = data.partition(b"\r\n\r\n")
    head_lines = head.decode(errors="replace").split("\r\n")
    try:
        status = int(head_lines[0].split()[1])
    except (IndexError, ValueError):
        raise _CurlError(1, "Received HTTP/0.9 when not allowed") from None
    if head_lines[0].startswith("HTTP/1.0"):
        verbose("* HTTP 1.0, assume close after body\n")
    verbose("".join(f"< {line}\n" for line in head_lines) + "< \n")
    if body and method != "HEAD":
        verbose(f"{{ [{len(body)} bytes data]\n")
    verbose("* shutting down connection #0\n")
    info["size_download"] = len(body) if method != "HEAD" else 0
    return status, "\r\n".join(head_lines) + "\r\n\r\n", body.decode(errors="replace")


def _source_ip(ctx: Ctx, target: str) -> str:
    """The address a connection from ctx to target leaves from (the container's own on that network)."""
    if ctx.cid is None:
        return "127.0.0.1"
    if ipaddress.ip_address(target).is_loopback:
        return "127.0.0.1"
    view = ctx.engine.container_view(ctx.cid)
    ips = [n["ip"] for n in view["networks"].values()]
    return ips[0] if ips else "0.0.0.0"


def _complete(data: bytes, method: str) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    if method == "HEAD":
        return True
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(m) and len(body) >= int(m.group(1))


def _connect(real: str, port: int, source: str, view: dict | None) -> socket.socket | None:
    targets = [real]
    if view is not None and real == view["loopback"] and view["networks"]:
        targets.append(view["iface"])  # a 0.0.0.0 listener also serves the container's 127.0.0.1
    for target in targets:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((source, 0))
            s.settimeout(5)
            s.connect((target, port))
            return s
        except OSError:
            s.close()
    return None


def _num(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


TOOLS = {
    "python3": python, "python": python, "sh": sh, "bash": sh, "ash": sh, "sleep": sleep, "echo": echo,
    "true": true, "false": false, "env": env_tool, "pwd": pwd, "id": id_tool, "cat": cat, "grep": grep,
    "sort": sort_tool, "head": head, "tail": tail, "wc": wc,
    "hostname": hostname, "getent": getent, "nslookup": nslookup, "ping": ping, "curl": curl,
}
