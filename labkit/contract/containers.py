"""The container commands of the contract: run, ps, logs, exec, start/stop/restart/rm, inspect, port."""

from __future__ import annotations

import threading

from labkit import ownership, session
from labkit.contract import filters, render
from labkit.contract.cmdline import Parsed
from labkit.contract.options import env_list, parse_publish
from labkit.contract.result import Out
from labkit.courseimages import CURL_IMAGE, PYTHON_IMAGE, with_tag
from labkit.engines.base import Engine
from labkit.errors import CommandError, Conflict, EngineError, ImageNotFound, LabkitError, NotFound

# the CLI's refusal of -it when its input is not a terminal (labkit never has one to give)
NOT_A_TTY = "the input device is not a TTY\n"


# -- helpers -------------------------------------------------------------------------------
def owned_container(engine: Engine, name: str, fix: str) -> dict:
    info = engine.inspect_container(name)
    if not ownership.is_owned(info):
        raise CommandError(ownership.not_owned_message("container", name, fix), 1)
    return info


def start_error_code(message: str) -> int:
    """The exit code `docker run` gives a container that failed to start: the CLI itself reads the daemon's
    message (runStartContainerErr in docker/cli): 127 for a missing command, 126 for one it may not run."""
    if "executable file not found" in message or "no such file or directory" in message:
        return 127
    if "permission denied" in message:
        return 126
    return 125


def run(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    image, command = p.args[0], p.args[1:]
    name = p.flag("name")
    network = p.flag("network")
    exposed = list(p.flag("expose") or [])
    exposed = [e if "/" in e else e + "/tcp" for e in exposed]
    bindings: dict[str, list[tuple[str, str]]] = {}
    for spec in p.flag("publish") or []:
        port, ip, host = parse_publish(spec)
        bindings.setdefault(port, []).append((ip, host))
        if port not in exposed:
            exposed.append(port)
    if network == "host" and bindings:  # the CLI's own rule: the ports stay exposed, their bindings go
        o.err("WARNING: Published ports are discarded when using host network mode\n")
        bindings = {}
    env = env_list(p.flag("env"))
    detach, tty, rm = bool(p.flag("detach")), bool(p.flag("tty")), bool(p.flag("rm"))
    if tty and p.flag("interactive") and not detach:
        raise CommandError(NOT_A_TTY, 1)  # labkit has no terminal to give the container
    if p.flag("network-alias") and (not network or network in ("default", "bridge", "host", "none")
                                    or network.startswith("container:")):
        raise CommandError("docker: network-scoped aliases are only supported for user-defined networks\n\n"
                           "Run 'docker run --help' for more information\n", 125)
    try:
        cid = engine.create_container(
            image=image, command=command or None, name=name, env=env, exposed=exposed, bindings=bindings,
            network=network, aliases=p.flag("network-alias") or [], tty=tty,
            labels=session.current().labels({k: v for k, _, v in (item.partition("=") for item in p.flag("label") or [])}),
            stdin_open=bool(p.flag("interactive")) and detach, auto_remove=rm and detach,
            hostname=p.flag("hostname"),
        )
    except EngineError as err:
        create_failed(engine, err, image, name, o)
        return
    try:
        engine.start(cid)
    except EngineError as err:
        if detach:  # the CLI has printed the created container's ID before starting it
            o.out(cid + "\n")
        o.err(render.run_error(err.message), start_error_code(err.message))
        if rm:
            quiet_remove(engine, cid)
        return
    if detach:
        engine.wait_ready(cid)
        o.out(cid + "\n")
        return
    code = attached(engine, cid, o, tty, name or cid[:12], rm)
    o.code = code
    if rm:
        quiet_remove(engine, cid)


def attached(engine: Engine, cid: str, o: Out, tty: bool, shown: str, rm: bool) -> int:
    """`docker run` without -d: print the container's output as it comes, until it exits; its exit code.

    An interrupt (the notebook's stop button, Ctrl-C) is forwarded to the container as SIGINT, as the docker CLI
    forwards it; the rest of its output follows. If it is still running a few seconds later, labkit stops waiting
    and says so in one line, leaving it running, as the CLI would."""
    try:
        _follow(engine, cid, o, tty)
        return _rest(engine, cid, o, tty)  # and what the follow missed: a last line with no newline can lag it
    except KeyboardInterrupt:
        pass
    try:
        engine.kill(cid, "SIGINT")
    except EngineError:
        pass
    done: list[int] = []
    gave_up = threading.Event()
    printing = threading.Lock()
    waiter = threading.Thread(target=_rest_unless_abandoned, args=(engine, cid, o, tty, done, gave_up, printing),
                              name=f"labkit-wait-{shown}", daemon=True)
    waiter.start()
    try:
        waiter.join(5.0)
    except KeyboardInterrupt:
        pass
    with printing:  # from here on the waiter prints nothing: this cell is over, and a later cell is not its own
        gave_up.set()
    if done:
        kept = "" if rm else f"; the container is kept: `docker rm {shown}` removes it"
        o.err(f"labkit: interrupted: {shown} got SIGINT, as `docker run` forwards it, and exited ({done[0]}){kept}\n")
        return done[0]
    o.err(f"labkit: stopped waiting; {shown} keeps running (it did not stop on SIGINT): `docker rm -f {shown}` "
          "removes it\n")
    return 130


def _rest_unless_abandoned(engine: Engine, cid: str, o: Out, tty: bool, done: list[int],
                           gave_up: threading.Event, printing: threading.Lock) -> None:
    """The waiter after an interrupt: the container's last output and exit code, while its cell still waits.

    Once the cell has stopped waiting, the waiter ends quietly whatever happens to the container: stopped, or
    removed (`docker rm -f`, as the cell's last line advises, ends the wait with the container gone)."""
    try:
        code = engine.wait(cid)
        with printing:
            if not gave_up.is_set():
                done.append(_rest(engine, cid, o, tty, code))
    except (LabkitError, OSError):
        pass  # removed meanwhile (or the engine went away): nothing left to print, and no one waits for it


def _follow(engine: Engine, cid: str, o: Out, tty: bool) -> None:
    """Print the container's log as it grows, stdout and stderr as they come, until the container stops."""
    for stream, data in engine.log_frames(cid, follow=True, tty=tty):
        text = data.decode("utf-8", errors="replace")
        if tty:
            text = text.replace("\r\n", "\n")
        (o.out if stream == 1 else o.err)(text)


def _rest(engine: Engine, cid: str, o: Out, tty: bool, code: int | None = None) -> int:
    """Print what the container added to its log that the follow has not printed, once it exits (code: its exit
    code when already waited for); its exit code."""
    out, err = "".join(o.stdout), "".join(o.stderr)
    code = engine.wait(cid) if code is None else code
    full_out, full_err = engine.logs(cid)
    if tty:
        full_out = full_out.replace("\r\n", "\n")
    o.out(full_out[len(out):] if full_out.startswith(out) else "")
    o.err(full_err[len(err):] if full_err.startswith(err) else "")
    return code


def _other_tags(engine: Engine, ref: str) -> list[str]:
    """The tags this engine has of ref's repository (curlimages/curl:8.14.1 for curlimages/curl:latest)."""
    repo = ref.rpartition(":")[0]
    try:
        images = engine.list_images()
    except EngineError:
        return []
    return sorted(t for i in images for t in i.get("RepoTags") or [] if t.rpartition(":")[0] == repo and t != ref)


def create_failed(engine: Engine, err: EngineError, image: str, name: str | None, o: Out) -> None:
    """Explain a failed create: a missing image (labkit never pulls) or a name clash (whose is it?)."""
    if isinstance(err, ImageNotFound):
        ref = with_tag(image)
        o.err(f"Unable to find image '{ref}' locally\n" + render.run_error(f"No such image: {ref}"), 125)
        others = _other_tags(engine, ref)
        if others:  # `curlimages/curl` as the notes write it: no tag means :latest, which is not here
            course = [t for t in others if t in (PYTHON_IMAGE, CURL_IMAGE)]
            o.err(f"labkit: this machine has no {ref}, only {', '.join(others)}"
                  + (" (the course's)" if course else "") + ": write the tag (a name without one means :latest)\n")
            return
        o.err("labkit: labkit never pulls from a registry; build it (`docker build -t "
              f"{image} DIR`) or run `labkit images --offline` for the course's base images\n")
        return
    o.err(render.run_error(err.message), 125)
    if isinstance(err, Conflict) and name:
        try:
            if not ownership.is_owned(engine.inspect_container(name)):
                o.err(ownership.not_owned_message("container", name, f"docker rm -f {name}"))
        except EngineError:
            pass


def quiet_remove(engine: Engine, cid: str, stop_only: bool = False) -> None:
    try:
        if stop_only:
            engine.stop(cid, timeout=1)
        else:
            engine.remove_container(cid, force=True)
    except EngineError:
        pass


def ps(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    wanted = filters.wanted(p.flag("filter"))
    all_ = bool(p.flag("all"))
    listed = engine.list_containers(all=all_, filters=wanted or None)  # the daemon filters, as for the CLI
    quiet, fmt = bool(p.flag("quiet")), p.flag("format")
    if quiet and fmt:
        o.err("WARNING: Ignoring custom format, because both --format and --quiet are set.\n")
    o.out(render.ps_output(listed, quiet, fmt, trunc=not p.flag("no-trunc")))


def logs(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    info = engine.inspect_container(p.args[0])
    out, err = engine.logs(info["Id"])
    if (info.get("Config") or {}).get("Tty"):
        out = out.replace("\r\n", "\n")
    o.out(out)
    o.err(err)


def exec_in(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    name, cmd = p.args[0], p.args[1:]
    info = owned_container(engine, name, f"docker exec {name} ...")
    if not (info.get("State") or {}).get("Running"):
        raise CommandError(render.daemon_error(f"Container {info['Id']} is not running"), 1)
    if p.flag("tty") and p.flag("interactive") and not p.flag("detach"):
        raise CommandError(NOT_A_TTY, 1)
    env = env_list(p.flag("env"))
    code, out, err = engine.exec_run(name, cmd, bool(p.flag("tty")), env, bool(p.flag("detach")))
    if p.flag("tty"):
        out = out.replace("\r\n", "\n")
    o.out(out)
    o.err(err, code)


def each_container(verb: str, action):
    def handler(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
        failed = []
        for name in p.args:
            try:
                info = engine.inspect_container(name)
                if not ownership.is_owned(info):
                    flag = " -f" if verb == "rm" else ""
                    o.err(ownership.not_owned_message("container", name, f"docker {verb}{flag} {name}"), 1)
                    failed.append(name)
                    continue
                action(engine, info["Id"], p)
                o.out(name + "\n")
            except EngineError as err:
                # CLI 28's `rm -f` prints a missing container's error and still exits 0
                missing_ok = verb == "rm" and p.flag("force") and isinstance(err, NotFound)
                o.err(render.daemon_error(err.message), None if missing_ok else 1)
                failed.append(name)
        if failed and verb == "start":
            o.err(f"Error: failed to start containers: {', '.join(failed)}\n")

    return handler


def stop_timeout(p: Parsed) -> int | None:
    t = p.flag("time")
    if t is None:
        return None
    try:
        return int(t)
    except ValueError:
        raise CommandError(f'invalid argument "{t}" for "-t, --time" flag: strconv.ParseInt: parsing '
                           f'"{t}": invalid syntax\n', 125) from None


def do_start(engine: Engine, cid: str, p: Parsed) -> None:
    engine.start(cid)
    engine.wait_ready(cid)


def do_restart(engine: Engine, cid: str, p: Parsed) -> None:
    engine.restart(cid, stop_timeout(p))
    engine.wait_ready(cid)


def inspect(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    found: list[dict | str] = []
    for name in p.args:
        for lookup in (engine.inspect_container, engine.inspect_image, engine.inspect_network):
            try:
                found.append(lookup(name))
                break
            except EngineError:
                continue
        else:
            found.append(f"Error: No such object: {name}")
    print_inspected(o, found, p.flag("format"))


def print_inspected(o: Out, found: list[dict | str], fmt: str | None) -> None:
    """`inspect`'s output for what was found (documents, and error lines for what was not), as the CLI prints it:
    the JSON array or each document through --format, then every error in order (exit 1 if any)."""
    if fmt:
        text, errors = render.inspect_formatted(fmt, found)
        o.out(text)
    else:
        o.out(render.inspect_json([f for f in found if isinstance(f, dict)]))
        errors = [f for f in found if isinstance(f, str)]
    for line in errors:
        o.err(line + "\n", 1)


def port(engine: Engine, p: Parsed, o: Out, cwd: str) -> None:
    info = engine.inspect_container(p.args[0])
    if len(p.args) == 1:
        o.out(render.port_lines(info))
        return
    typed = p.args[1]
    port, _, proto = typed.partition("/")
    if not port.isdigit() or int(port) > 65535:
        why = "value out of range" if port.isdigit() else "invalid syntax"
        raise CommandError(f'Error: invalid port ({port}): strconv.ParseUint: parsing "{port}": {why}\n', 1)
    want = f"{int(port)}/{proto or 'tcp'}"
    ports = (info.get("NetworkSettings") or {}).get("Ports") or {}
    if not ports.get(want):
        raise CommandError(f"Error: No public port '{typed}' published for {p.args[0]}\n", 1)
    o.out(render.port_lines(info, only=want))
