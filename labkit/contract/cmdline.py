"""Parse docker CLI command lines the way the docker CLI (cobra) does, with its error wording.

Only the course's subset of commands and flags is known. A real docker command or flag outside it is
refused in labkit's own words (`labkit does not implement ...`, exit 125; dockercli holds the CLI's
lists); a word that is no docker command or flag gets the CLI's own "unknown" message and exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit.contract import dockercli, filters
from labkit.errors import CommandError, HelpShown


@dataclass(frozen=True)
class Flag:
    """One flag of a command: its names, whether it takes a value, whether it repeats."""

    long: str
    short: str | None = None
    value: bool = False
    repeat: bool = False


@dataclass(frozen=True)
class Spec:
    """One docker subcommand: usage line, flags and how many positional arguments it takes."""

    path: tuple[str, ...]
    usage: str
    flags: tuple[Flag, ...] = ()
    min_args: int = 0
    max_args: int | None = 0
    interspersed: bool = True  # False: flags stop at the first positional (run, exec)


B = Flag
V = lambda long, short=None, repeat=False: Flag(long, short, True, repeat)  # noqa: E731
LISTING = (V("format"), V("filter", "f", True), B("no-trunc"))  # ps, network ls: --format, --filter, --no-trunc
IMAGE_LS = (B("quiet", "q"), V("format"), B("no-trunc"))

SPECS: dict[tuple[str, ...], Spec] = {
    s.path: s
    for s in [
        Spec(("version",), "docker version [OPTIONS]"),
        Spec(
            ("network", "create"),
            "docker network create [OPTIONS] NETWORK",
            (V("driver", "d"), B("internal"), V("subnet", repeat=True), V("label", repeat=True)),
            1,
            1,
        ),
        Spec(("network", "ls"), "docker network ls [OPTIONS]", (B("quiet", "q"), *LISTING)),
        Spec(("network", "inspect"), "docker network inspect [OPTIONS] NETWORK [NETWORK...]", (V("format", "f"),), 1, None),
        Spec(("network", "rm"), "docker network rm NETWORK [NETWORK...]", (B("force", "f"),), 1, None),
        Spec(
            ("network", "connect"),
            "docker network connect [OPTIONS] NETWORK CONTAINER",
            (V("alias", repeat=True),),
            2,
            2,
        ),
        Spec(
            ("network", "disconnect"),
            "docker network disconnect [OPTIONS] NETWORK CONTAINER",
            (B("force", "f"),),
            2,
            2,
        ),
        Spec(
            ("build",),
            "docker build [OPTIONS] PATH | URL | -",
            (V("tag", "t", repeat=True), V("file", "f"), V("build-arg", repeat=True), B("quiet", "q")),
            1,
            1,
        ),
        Spec(("images",), "docker images [OPTIONS] [REPOSITORY[:TAG]]", IMAGE_LS, 0, 1),
        Spec(("image", "ls"), "docker image ls [OPTIONS] [REPOSITORY[:TAG]]", IMAGE_LS, 0, 1),
        Spec(
            ("run",),
            "docker run [OPTIONS] IMAGE [COMMAND] [ARG...]",
            (
                B("detach", "d"),
                B("interactive", "i"),
                B("tty", "t"),
                B("rm"),
                V("name"),
                V("network"),
                V("net"),
                V("network-alias", repeat=True),
                V("publish", "p", repeat=True),
                V("env", "e", repeat=True),
                V("expose", repeat=True),
                V("hostname", "h"),
                V("label", "l", repeat=True),
            ),
            1,
            None,
            interspersed=False,
        ),
        Spec(("ps",), "docker ps [OPTIONS]", (B("all", "a"), B("quiet", "q"), *LISTING)),
        Spec(("logs",), "docker logs [OPTIONS] CONTAINER",
             (B("follow", "f"), V("tail", "n"), V("since"), V("until"), B("timestamps", "t")), 1, 1),
        Spec(
            ("exec",),
            "docker exec [OPTIONS] CONTAINER COMMAND [ARG...]",
            (B("interactive", "i"), B("tty", "t"), B("detach", "d"), V("env", "e", repeat=True)),
            2,
            None,
            interspersed=False,
        ),
        Spec(("stop",), "docker stop [OPTIONS] CONTAINER [CONTAINER...]", (V("time", "t"),), 1, None),
        Spec(("start",), "docker start [OPTIONS] CONTAINER [CONTAINER...]", (), 1, None),
        Spec(("restart",), "docker restart [OPTIONS] CONTAINER [CONTAINER...]", (V("time", "t"),), 1, None),
        Spec(("rm",), "docker rm [OPTIONS] CONTAINER [CONTAINER...]", (B("force", "f"),), 1, None),
        Spec(("inspect",), "docker inspect [OPTIONS] NAME|ID [NAME|ID...]", (V("format", "f"),), 1, None),
        Spec(("port",), "docker port CONTAINER [PRIVATE_PORT[/PROTO]]", (), 1, 2),
        # lifecycle commands (contract.lifecycle)
        Spec(("kill",), "docker kill [OPTIONS] CONTAINER [CONTAINER...]", (V("signal", "s"),), 1, None),
        Spec(("rename",), "docker rename CONTAINER NEW_NAME", (), 2, 2),
        Spec(("top",), "docker top CONTAINER [ps OPTIONS]", (), 1, None, interspersed=False),
        Spec(("info",), "docker info [OPTIONS]"),
        *[Spec((v,), f"docker {v} CONTAINER [CONTAINER...]", (), 1, None) for v in ("pause", "unpause", "wait")],
        Spec(("pull",), "docker pull [OPTIONS] NAME[:TAG|@DIGEST]", (B("quiet", "q"),), 1, 1),
        Spec(("network", "prune"), "docker network prune [OPTIONS]", (V("filter", repeat=True), B("force", "f"))),
        Spec(("container", "prune"), "docker container prune [OPTIONS]", (V("filter", repeat=True), B("force", "f"))),
        Spec(("compose", "up"), "docker compose up [OPTIONS] [SERVICE...]", (B("detach", "d"),), 0, None),
        Spec(("compose", "ps"), "docker compose ps [OPTIONS] [SERVICE...]", (B("all", "a"),), 0, None),
        Spec(("compose", "down"), "docker compose down [OPTIONS] [SERVICES]", (V("timeout", "t"),), 0, None),
    ]
}

GROUPS = {"network", "image", "compose", "container"}
# Commands whose argument-count error says "See" rather than "Run" (cobra's RequiresMinArgs).
_SEE_STYLE = {("rm",), ("exec",), ("run",), ("stop",), ("start",), ("restart",), ("inspect",),
              ("network", "inspect"), ("network", "rm"), ("kill",), ("pause",), ("unpause",), ("wait",), ("top",)}


@dataclass
class Parsed:
    """A parsed docker command line: which subcommand, its flag values and positionals."""

    path: tuple[str, ...]
    opts: dict[str, object] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    compose_file: str | None = None
    compose_project: str | None = None

    def flag(self, name: str):
        """The value of a flag (bool, str, list or None)."""
        return self.opts.get(name)


def _usage_error(spec: Spec, message: str, code: int = 125) -> CommandError:
    cmd = "docker " + " ".join(spec.path)
    return CommandError(
        f"{message}\n\nUsage:  {spec.usage}\n\nRun '{cmd} --help' for more information\n", code
    )


def _args_error(spec: Spec, n: int) -> CommandError:
    cmd = "docker " + " ".join(spec.path)
    lo, hi = spec.min_args, spec.max_args
    word = "See" if spec.path in _SEE_STYLE else "Run"
    if hi == 0:
        first = f"docker: '{cmd}' accepts no arguments"
    elif lo == 0:
        first = f"docker: '{cmd}' requires at most {hi} argument" + ("s" if hi != 1 else "")
        word = "SRun"  # sic: docker CLI 28 prints this stray S for RequiresMaxArgs
    elif hi is None:
        first = f"docker: '{cmd}' requires at least {lo} argument" + ("s" if lo != 1 else "")
    elif lo == hi:
        first = f"docker: '{cmd}' requires {lo} argument" + ("s" if lo != 1 else "")
    else:
        first = f"docker: '{cmd}' requires at least {lo} and at most {hi} arguments"
    return CommandError(f"{first}\n\nUsage:  {spec.usage}\n\n{word} '{cmd} --help' for more information\n", 1)


GROUP_HELP = {
    "network": ("Manage networks", [
        ("connect", "Connect a container to a network"),
        ("create", "Create a network"),
        ("disconnect", "Disconnect a container from a network"),
        ("inspect", "Display detailed information on one or more networks"),
        ("ls", "List networks"),
        ("prune", "Remove all unused networks"),
        ("rm", "Remove one or more networks"),
    ]),
    "image": ("Manage images", [
        ("build", "Build an image from a Dockerfile"),
        ("history", "Show the history of an image"),
        ("import", "Import the contents from a tarball to create a filesystem image"),
        ("inspect", "Display detailed information on one or more images"),
        ("load", "Load an image from a tar archive or STDIN"),
        ("ls", "List images"),
        ("prune", "Remove unused images"),
        ("pull", "Download an image from a registry"),
        ("push", "Upload an image to a registry"),
        ("rm", "Remove one or more images"),
        ("save", "Save one or more images to a tar archive (streamed to STDOUT by default)"),
        ("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
    ]),
}


def group_help(group: str) -> str:
    """What the docker CLI prints for a bare `docker network` / `docker image` (on stderr, exit 0)."""
    title, commands = GROUP_HELP[group]
    lines = [f"Usage:  docker {group} COMMAND", "", title, "", "Commands:"]
    lines += [f"  {name:<11} {text}" for name, text in commands]
    lines += ["", f"Run 'docker {group} COMMAND --help' for more information on a command."]
    return "\n".join(lines) + "\n"


def split(line: str) -> list[str]:
    """Split a command line into words as a POSIX shell does: quotes, and backslash escapes
    (inside double quotes a backslash escapes only $ ` " \\ and newline). No expansion happens."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch in " \t\n":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            i += 1
            continue
        in_word = True
        if ch == "\\":
            if i + 1 < n:
                word.append(line[i + 1])
            i += 2
        elif ch == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise CommandError("labkit: cannot read this command line (No closing quotation); check its quotes\n", 1)
            word.append(line[i + 1:end])
            i = end + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= n:
                    raise CommandError("labkit: cannot read this command line (No closing quotation); check its quotes\n",
                                       1)
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and line[i + 1] in '$`"\\\n':
                    word.append(line[i + 1])
                    i += 2
                    continue
                word.append(c)
                i += 1
        else:
            word.append(ch)
            i += 1
    if in_word:
        words.append("".join(word))
    return words


def _unknown_command(words: list[str], group: str | None) -> CommandError:
    shown = " ".join(["docker", *words])
    if group:
        return CommandError(
            f"docker: unknown command: {shown}\n\nUsage:  {dockercli.group_usage(group)}\n\n"
            f"Run 'docker {group} --help' for more information\n",
            1,
        )
    return CommandError(f"docker: unknown command: {shown}\n\nRun 'docker --help' for more information\n", 1)


def parse(words: list[str]) -> Parsed:
    """Parse the words after `docker` into a Parsed command or raise the CLI's error."""
    if not words:
        raise CommandError("labkit: give a docker command, for example: docker ps\n", 1)
    compose_file = project = None
    if words[0] == "compose":
        rest = list(words[1:])
        while rest and rest[0].startswith("-"):
            opt = rest.pop(0)
            name, eq, val = opt.partition("=")
            if name in ("-f", "--file", "-p", "--project-name"):
                if not eq:
                    if not rest:
                        raise CommandError(f"flag needs an argument: {name}\n", 1)
                    val = rest.pop(0)
                if name in ("-f", "--file"):
                    compose_file = val
                else:
                    project = val
            else:
                raise CommandError(f"unknown flag: {name}\n", 1)
        if not rest:
            raise CommandError("labkit: say what compose should do: up -d, ps or down\n", 1)
        words = ["compose", *rest]
    if words[0] == "image" and len(words) > 1 and words[1] == "list":
        words = ["image", "ls", *words[2:]]
    if words[:2] in (["image", "pull"], ["system", "info"]):  # aliases of the top-level verbs
        words = words[1:]
    if words[0] == "network" and len(words) > 1 and words[1] == "list":
        words = ["network", "ls", *words[2:]]
    if words[0] == "container" and len(words) > 1 and words[1] not in ("prune",):
        if not words[1].startswith("-") and words[1] not in dockercli.GROUPS["container"]:
            raise _unknown_command(words[:2], "container")
        words = words[1:]  # docker container ls/run/... are aliases of the top-level verbs
        if words[0] == "ls":
            words = ["ps", *words[1:]]
    if words[0] in GROUP_HELP and len(words) == 1:
        raise HelpShown(group_help(words[0]))
    if words[0] in GROUPS:
        if len(words) < 2 or words[1].startswith("-"):
            raise _unknown_command(words, words[0])
        path = (words[0], words[1])
        rest = words[2:]
        if path not in SPECS:
            if dockercli.is_real_command(words[:2]):
                raise dockercli.not_implemented(words[:2])
            raise _unknown_command(words[:2], words[0])
    else:
        path = (words[0],)
        rest = words[1:]
        if path not in SPECS:
            if dockercli.is_real_command(words):
                raise dockercli.not_implemented(words)
            if words[0] in dockercli.GROUPS and len(words) > 1:
                raise _unknown_command(words[:2], words[0])
            raise _unknown_command(words[:1], None)
    spec = SPECS[path]
    parsed = Parsed(path, compose_file=compose_file, compose_project=project)
    by_long = {f.long: f for f in spec.flags}
    by_short = {f.short: f for f in spec.flags if f.short}

    def put(flag: Flag, value) -> None:
        key = "network" if flag.long == "net" else flag.long
        if flag.long == "filter":  # the CLI's FilterOpt: a bad value is a usage error as the flag is read
            try:
                filters.read(value)
            except ValueError as bad:
                shown = f"-{flag.short}, --filter" if flag.short else "--filter"
                raise _usage_error(spec, f'invalid argument "{value}" for "{shown}" flag: {bad}') from None
        if flag.repeat:
            parsed.opts.setdefault(key, []).append(value)
        else:
            parsed.opts[key] = value

    i = 0
    positional_only = False
    while i < len(rest):
        w = rest[i]
        i += 1
        if positional_only or w == "-" or not w.startswith("-"):
            parsed.args.append(w)
            if not spec.interspersed:
                parsed.args.extend(rest[i:])
                break
            continue
        if w == "--":
            positional_only = True
            continue
        if w.startswith("--"):
            name, eq, val = w[2:].partition("=")
            flag = by_long.get(name)
            if flag is None:
                raise dockercli.flag_not_implemented(path, f"--{name}") or _usage_error(spec, f"unknown flag: --{name}")
            if flag.value:
                if not eq:
                    if i >= len(rest):
                        raise _usage_error(spec, f"flag needs an argument: --{name}")
                    val = rest[i]
                    i += 1
                put(flag, val)
            else:
                if eq and val.lower() not in ("true", "false", "1", "0"):
                    raise _usage_error(spec, f'invalid argument "{val}" for "--{name}" flag: '
                                       f'strconv.ParseBool: parsing "{val}": invalid syntax')
                put(flag, not eq or val.lower() in ("true", "1"))
            continue
        letters = w[1:]
        j = 0
        while j < len(letters):
            ch = letters[j]
            flag = by_short.get(ch)
            if flag is None:
                raise (dockercli.flag_not_implemented(path, f"-{ch}")
                       or _usage_error(spec, f"unknown shorthand flag: '{ch}' in -{letters[j:]}"))
            if flag.value:
                val = letters[j + 1:]
                if val.startswith("="):
                    val = val[1:]
                if not val:
                    if i >= len(rest):
                        raise _usage_error(spec, f"flag needs an argument: '{ch}' in -{ch}")
                    val = rest[i]
                    i += 1
                put(flag, val)
                break
            put(flag, True)
            j += 1
    n = len(parsed.args)
    if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
        raise _args_error(spec, n)
    return parsed
