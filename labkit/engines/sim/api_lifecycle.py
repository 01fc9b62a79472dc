"""The embedded engine's Engine API routes for a container's lifecycle: kill, rename, top, pause/unpause, the
container and network prunes, and pull (which an offline daemon answers with its registry lookup's failure).

Each takes the request it answers (an api_streams.Exchange) and the path's captured parts, as api_routes' do.
"""

from __future__ import annotations

import re
import signal
import time

from labkit.engines.sim import api_streams as streams
from labkit.engines.sim.api_routes import filters
from labkit.engines.sim.api_streams import Exchange
from labkit.engines.sim.listfilters import labels_match
from labkit.errors import BadRequest, EngineError, NotFound, engine_error


def container_kill(h: Exchange, ref: str) -> None:
    """POST /containers/ID/kill?signal=S: dockerd's words for a missing or stopped container, an unknown signal."""
    sig = _signal(h.q("signal") or "KILL")
    try:
        h.engine.kill(ref, sig)
    except NotFound as err:
        raise NotFound(f"Cannot kill container: {ref}: {err.message}") from None
    h.send_empty(204)


def _signal(name: str) -> int:
    """A signal by number or name (KILL, SIGKILL, kill), as dockerd's signal.ParseSignal reads it."""
    try:
        return signal.Signals(int(name)) if name.isdigit() else signal.Signals["SIG" + name.upper().removeprefix("SIG")]
    except (KeyError, ValueError):
        raise BadRequest(f"Invalid signal: {name}") from None


def container_rename(h: Exchange, ref: str) -> None:
    h.engine.rename(ref, h.q("name"))
    h.send_empty(204)


def container_top(h: Exchange, ref: str) -> None:
    h.send_json(200, h.engine.top(ref, h.q("ps_args") or None))


def container_pause(h: Exchange, ref: str) -> None:
    h.engine.pause(ref)
    h.send_empty(204)


def container_unpause(h: Exchange, ref: str) -> None:
    h.engine.unpause(ref)
    h.send_empty(204)


# -- logs ------------------------------------------------------------------------------------------
def container_logs(h: Exchange, ref: str) -> None:
    """GET /containers/ID/logs: what the container printed (framed unless TTY); with follow, until it stops."""
    c = streams.container(h, ref)
    wanted = {streams.STDOUT: h.flag("stdout"), streams.STDERR: h.flag("stderr")}
    if not any(wanted.values()):
        raise BadRequest("Bad parameters: you must choose at least one stream")
    for name in ("since", "until"):  # checked before the stream's headers go out: an error is then a 400, not a cut
        if h.q(name):
            _seconds(h.q(name), name)
    tty, stamps, tail = bool(c.config.get("Tty")), h.flag("timestamps"), h.q("tail", "all")
    logs = streams.LogTail((c.stdout_path, c.stderr_path), from_start=True)
    out = h.chunked(streams.RAW if tty else streams.MUX)

    def send(stream: int, data: bytes, lines: int | None = None) -> None:
        if tty:  # one terminal: both streams are its output, each line ended \r\n (streams.onlcr)
            stream, data = streams.STDOUT, streams.onlcr(data)
        if wanted[stream]:
            data = streams.stamp(data, lines, stamps)
            # dockerd's log driver keeps a message per line, and sends a frame per message
            out.write(b"".join(streams.frame(stream, line, tty) for line in ([data] if tty else _lines(data))))

    if not _in_window(c, h.q("since"), h.q("until")):
        logs.close()
        logs = streams.LogTail((c.stdout_path, c.stderr_path), from_start=False)
    else:
        for stream, data in logs.read():  # the tail applies to each stream: the files do not say how they interleave
            send(stream, data, int(tail) if tail.isdigit() else None)
    if h.flag("follow") and c.running and not (h.q("until") and _seconds(h.q("until")) <= time.time()):
        streams.pump(logs, send, done=lambda: not c.running, gone=h.gone)
    logs.close()
    out.end()


def _lines(data: bytes) -> list[bytes]:
    """data cut after each newline (the last piece may have none)."""
    pieces = data.split(b"\n")
    return [p + b"\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


_TIMESTAMP = re.compile(r"-?\d+(\.\d+)?")


def _seconds(value: str, name: str = "since/until") -> float:
    """A since/until parameter as dockerd reads it: seconds since 1970, with a fraction or not (the CLI turns
    `10m` or a date into that before it asks)."""
    if not _TIMESTAMP.fullmatch(value):
        raise BadRequest(f"invalid value for {name}: {value!r} (seconds since 1970, as 1700000000 or "
                         "1700000000.5)")
    return float(value)


def _in_window(c, since: str, until: str) -> bool:
    """Whether the container's logged lines fall in --since/--until. The log files keep no time per line, so
    the lines are taken as written while the container ran: from its start to its end (or now)."""
    end = c.finished if not c.running and c.finished else time.time()
    if since and _seconds(since) > end:
        return False
    return not (until and c.started and _seconds(until) < c.started)


# -- prune ------------------------------------------------------------------------------------------
_PRUNE_FILTERS = ("label", "label!", "until")


def _prune_filters(h: Exchange) -> dict[str, list[str]]:
    wanted = filters(h)
    for key in wanted:
        if key not in _PRUNE_FILTERS:
            raise BadRequest(f"Invalid filter '{key}'")
    return wanted


def _labels_match(labels: dict | None, wanted: dict[str, list[str]]) -> bool:
    """Every label= filter matches and no label!= filter does, as dockerd's prune reads them."""
    return labels_match(labels, wanted.get("label", []), wanted.get("label!", []))


def _until(wanted: dict[str, list[str]]) -> float | None:
    """The `until` filter as a UNIX time: a timestamp, or a Go duration before now (10m, 1h30m)."""
    values = wanted.get("until") or []
    if not values:
        return None
    value = values[-1]
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    parts = re.findall(r"(\d+(?:\.\d*)?)(h|m|s|ms)", value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise BadRequest(f"failed to parse value as time or duration: \"{value}\"")
    return time.time() - sum(float(n) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3}[u] for n, u in parts)


def containers_prune(h: Exchange) -> None:
    """POST /containers/prune: remove the stopped containers the filters select; their IDs and their bytes."""
    wanted = _prune_filters(h)
    until = _until(wanted)
    deleted, reclaimed = [], 0
    for doc in h.engine.list_containers(all=True):
        if doc["State"] in ("running", "paused") or not _labels_match(doc.get("Labels"), wanted):
            continue
        if until is not None and doc.get("Created", 0) >= until:
            continue
        try:
            size = h.engine.rw_size(doc["Id"])
            h.engine.remove_container(doc["Id"])
        except EngineError:
            continue
        deleted.append(doc["Id"])
        reclaimed += size
    h.send_json(200, {"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed})


def networks_prune(h: Exchange) -> None:
    """POST /networks/prune: remove the user-defined networks with no container attached that the filters select."""
    wanted = _prune_filters(h)
    until = _until(wanted)
    deleted = []
    for net in h.engine.list_networks():
        if net["Name"] in ("bridge", "host", "none") or net.get("Containers"):
            continue
        if not _labels_match(net.get("Labels"), wanted):
            continue
        if until is not None and h.engine.networks[net["Id"]].created >= until:
            continue
        try:
            h.engine.remove_network(net["Id"])
        except EngineError:
            continue
        h.server.ipam_options.pop(net["Id"], None)
        deleted.append(net["Name"])
    h.send_json(200, {"NetworksDeleted": deleted or None})


# -- pull -------------------------------------------------------------------------------------------
def pull_offline(image: str) -> EngineError:
    """What an offline dockerd answers to a pull: the registry's address cannot be looked up. The embedded engine
    never reaches a network, so it is always that daemon (the name server is this machine's first one)."""
    first = image.split("/", 1)[0]
    registry = first if "/" in image and ("." in first or ":" in first or first == "localhost") else "docker.io"
    host = "registry-1.docker.io" if registry == "docker.io" else registry.split(":")[0]
    url = "https://registry-1.docker.io/v2/" if registry == "docker.io" else f"https://{registry}/v2/"
    return engine_error(500, f'Get "{url}": dial tcp: lookup {host} on {_nameserver()}: no such host')


def _nameserver() -> str:
    try:
        with open("/etc/resolv.conf") as f:
            for line in f:
                words = line.split()
                if len(words) > 1 and words[0] == "nameserver":
                    return f"[{words[1]}]:53" if ":" in words[1] else f"{words[1]}:53"
    except OSError:
        pass
    return "127.0.0.1:53"  # Go's resolver with no name server configured


def image_create(h: Exchange) -> None:
    """POST /images/create: an import (fromSrc=-) is made; a pull (fromImage) is refused before the stream begins,
    as by a daemon without a network."""
    if h.q("fromSrc") == "-" or not h.q("fromImage"):
        streams.image_create(h)
        return
    raise pull_offline(h.q("fromImage"))
