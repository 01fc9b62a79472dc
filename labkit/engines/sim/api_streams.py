"""The streaming half of the embedded engine's Engine API server (api.py): bodies, frames, streams, hijacks.

- Request bodies come with a Content-Length or, from Go clients streaming a tar (`docker build`,
  `docker import -`), with chunked Transfer-Encoding: `read_body` takes both.
- A container's output travels in frames: an 8-byte header (stream 1 stdout / 2 stderr, three zero
  bytes, the payload's length as a big-endian uint32) and the payload. A container with a TTY has one
  stream and sends bare bytes.
- `Chunked` writes an answer of unknown length (build output, a followed log, wait) as HTTP chunks; the
  connection serves the next request once the last, empty chunk is sent.
- `LogTail` reads a container's two log files from where it was opened, and `pump` forwards what they
  gain until the container is done (follow, attach). The engine writes a real program's output as it
  comes and a built-in tool's when it ends, so a followed log is as live as the program.
- The routes that take an upload, stream or hijack live here too: build, image create, wait, logs, attach
  and exec.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import io
import json
import os
import select
import socket
import struct
import tarfile
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

from labkit.engines.sim import api_fields, api_shapes, stdinfeed
from labkit.errors import BadRequest, Conflict, EngineError, NotFound

STDOUT, STDERR = 1, 2
RAW, MUX = "application/vnd.docker.raw-stream", "application/vnd.docker.multiplexed-stream"
POLL = 0.05  # how often a followed log or a wait looks again


class Exchange(Protocol):
    """What a route needs of the request it answers (labkit.engines.sim.api.Handler is the one implementation)."""

    engine: Any
    server: Any
    body: bytes
    query: dict[str, list[str]]
    close_connection: bool

    def q(self, name: str, default: str = "") -> str:
        """A query parameter's value."""

    def flag(self, name: str) -> bool:
        """A boolean query parameter (1, true)."""

    def number(self, name: str) -> int | None:
        """An integer query parameter, or None."""

    def json_body(self) -> dict:
        """The request body as a JSON object (BadRequest when it is not one)."""

    def json_param(self, name: str, default: Any) -> Any:
        """A query parameter holding JSON."""

    def send_json(self, status: int, obj: Any) -> None:
        """Answer with a JSON document."""

    def send_empty(self, status: int = 204) -> None:
        """Answer with no body."""

    def chunked(self, content_type: str | None) -> Chunked:
        """Start a chunked answer."""

    def hijack(self) -> Any:
        """Take the connection over (101 UPGRADED or 200) and return it."""

    def gone(self) -> bool:
        """True when the client hung up or the server is closing."""


# -- bytes -----------------------------------------------------------------------------------------
class BodyRefused(EngineError):
    """A request body the server will not read (too large, or its framing is broken): the answer closes the
    connection, since what is left of the body cannot be told from the next request."""


def read_body(rfile, headers, limit: int) -> bytes:
    """The request body: Content-Length bytes, or the chunks of a chunked body put together. One larger than
    limit is refused before it is read (413), a broken length or chunk header is a 400 (BodyRefused)."""
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        parts, total = [], 0
        while True:
            try:
                size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            except ValueError:
                raise BodyRefused("invalid byte in chunk length", 400) from None
            total += size
            if size < 0 or total > limit:
                raise _too_large(limit, "a chunked body larger than that")
            if size == 0:
                while rfile.readline(65537) not in (b"\r\n", b"\n", b""):  # trailers, then the blank line
                    pass
                return b"".join(parts)
            parts.append(rfile.read(size))
            rfile.readline(1024)  # the CRLF after each chunk
    text = (headers.get("Content-Length") or "0").strip()
    if not text.isdigit():
        raise BodyRefused(f"invalid Content-Length: {text!r}", 400)
    length = int(text)
    if length > limit:
        raise _too_large(limit, f"this one is {length} bytes")
    return rfile.read(length) if length > 0 else b""


def _too_large(limit: int, what: str) -> BodyRefused:
    size = f"{limit // 2 ** 20} MiB" if limit >= 2 ** 20 else f"{limit} bytes"
    return BodyRefused(f"labkit's embedded engine reads request bodies of {size} at most here ({what})", 413)


def jline(obj, end: bytes = b"\n") -> bytes:
    """One JSON document as Go's encoder writes it: no spaces, then a line end."""
    return json.dumps(obj, separators=(",", ":")).encode() + end


def onlcr(data: bytes) -> bytes:
    """Output as a container's terminal passes it on: its line discipline (onlcr) writes each \n as \r\n, as
    dockerd's logs and attach of a `-t` container carry it (recorded on 20.10)."""
    return data.replace(b"\n", b"\r\n")


def frame(stream: int, data: bytes, tty: bool = False) -> bytes:
    """One piece of output as the stream carries it: framed, or bare for a TTY."""
    return data if tty else struct.pack(">BxxxL", stream, len(data)) + data


def stamp(data: bytes, tail: int | None = None, timestamps: bool = False) -> bytes:
    """The last `tail` lines of data (all when None), each prefixed with a timestamp if asked.

    The log files keep no time per line: the timestamp is the moment the line is read.
    """
    lines = data.splitlines(keepends=True)
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    if timestamps:
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f000Z ").encode()
        lines = [now + line for line in lines]
    return b"".join(lines)


class Chunked:
    """Writes a streamed answer as HTTP chunks (the headers are already sent)."""

    def __init__(self, wfile) -> None:
        self.wfile = wfile

    def write(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class LogTail:
    """A container's stdout and stderr log files, read from where they were when opened (or the start).

    The files are opened once: the engine deletes them with an auto-removed container, and an open
    file can still be read to its end. They are created empty if the program has written nothing yet.
    """

    def __init__(self, paths: tuple[str, str], from_start: bool) -> None:
        self.files = []
        for path in paths:
            try:
                open(path, "ab").close()
                f = open(path, "rb")
            except OSError:  # the container is gone
                f = None
            if f is not None and not from_start:
                f.seek(0, os.SEEK_END)
            self.files.append(f)

    def read(self) -> list[tuple[int, bytes]]:
        """What each stream gained since the last read: [(stream, bytes)]."""
        gained = [(stream, f.read() if f is not None else b"") for stream, f in zip((STDOUT, STDERR), self.files,
                                                                                        strict=True)]
        return [(stream, data) for stream, data in gained if data]

    def close(self) -> None:
        for f in self.files:
            if f is not None:
                f.close()


def pump(tail: LogTail, send: Callable[[int, bytes], None], done: Callable[[], bool],
         gone: Callable[[], bool] = lambda: False) -> None:
    """Send what the log files gain until done() (then what they hold at that moment) or gone()."""
    try:
        while True:
            finished = done()  # asked before reading, so the last read sees all a finished program wrote
            for stream, data in tail.read():
                send(stream, data)
            if finished or gone():
                return
            time.sleep(POLL)
    finally:
        tail.close()


def client_gone(sock: socket.socket) -> bool:
    """True when the client has closed the connection (hung up both ways).

    Half-closing is not leaving: the CLI shuts its writing side as soon as it has no stdin to send,
    and still reads the stream. A Unix socket reports a hang-up (POLLHUP) only once both sides are shut.
    """
    poller = select.poll()
    poller.register(sock, select.POLLHUP)
    return any(events & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, events in poller.poll(0))


def wait_read(sock: socket.socket, deadline: float = 1.0) -> None:
    """Wait until the client has read everything sent so far (the unread count of a Unix socket is 0).

    After a hijack's 101 the client reads the rest from the bare socket. docker-py parses the headers
    through a buffered reader: bytes that arrive with the headers land in its buffer and are lost to
    its raw reads. So the frames go out only once the headers have been read.
    """
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            unread = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
        except OSError:
            time.sleep(POLL)
            return
        if unread == 0:
            return
        time.sleep(0.002)


# -- helpers the routes share -----------------------------------------------------------------------
def container(h: Exchange, ref: str):
    """The engine's container object for a name, ID or ID prefix (404 in the daemon's words)."""
    cid = h.engine.inspect_container(ref)["Id"]
    c = h.engine.containers.get(cid)
    if c is None:
        raise NotFound(f"No such container: {ref}")
    return c


def strings(value) -> list[str]:
    """An Engine API string list: Go's StrSlice also takes one string as a one-element list ("" as none)."""
    return ([value] if value else []) if isinstance(value, str) else list(value or [])


# -- images: uploads and JSON-line progress ---------------------------------------------------------
def build(h: Exchange) -> None:
    """POST /build: the legacy builder's answer, one JSON object per line as the build goes."""
    if h.q("remote"):
        raise BadRequest("the embedded engine builds only from an uploaded context")
    tags = [t for t in h.query.get("t", []) if t]
    args = {k: v for k, v in (h.json_param("buildargs", {}) or {}).items() if v is not None}
    steps = h.engine.build(io.BytesIO(h.body), tags[0] if tags else None, h.q("dockerfile") or "Dockerfile", args,
                           h.json_param("labels", {}) or {})
    try:
        first = next(steps, None)  # a context that is no tar is refused before the stream begins
    except tarfile.TarError as err:
        raise BadRequest(f"failed to read the build context: {err}") from None
    out, quiet, image_id = h.chunked("application/json"), h.flag("q"), None

    def say(item: dict) -> None:
        if not (quiet and "stream" in item):  # quiet: errors and the image ID only
            out.write(jline(item, b"\r\n"))

    for item in [first, *steps] if first else []:
        image_id = (item.get("aux") or {}).get("ID", image_id)
        say(item)
    for extra in tags[1:] if image_id else []:  # the engine tags the first; `-t a -t b` asks for more
        h.engine.tag_image(image_id, extra)
        say({"stream": f"Successfully tagged {extra}\n"})
    if image_id and quiet:
        out.write(jline({"stream": image_id + "\n"}, b"\r\n"))
    out.end()


def image_create(h: Exchange) -> None:
    """POST /images/create?fromSrc=-: import a root filesystem tar (a pull is api_lifecycle's)."""
    if h.q("fromSrc") == "-":
        repo, tag = h.q("repo"), h.q("tag") or "latest"
        with tempfile.NamedTemporaryFile(prefix="labkit-import-", suffix=".tar") as tar:
            tar.write(h.body)
            tar.flush()
            h.engine.import_image(tar.name, repo, tag, h.query.get("changes", []))
        h.send_json(200, {"status": h.engine.inspect_image(f"{repo}:{tag}")["Id"] if repo else ""})
        return
    raise BadRequest("the embedded engine imports only an uploaded tar (fromSrc=-); it never pulls")


# -- containers: wait, logs, attach -------------------------------------------------------------------
def container_wait(h: Exchange, ref: str) -> None:
    """Headers at once (the CLI starts the container only once they came), the exit status when the condition holds."""
    c, since, condition = container(h, ref), time.time(), h.q("condition") or "not-running"
    tests = {"not-running": lambda: not c.running, "removed": lambda: False,
             "next-exit": lambda: c.status in ("exited", "restarting") and c.finished >= since}
    if condition not in tests:
        raise BadRequest(f"invalid condition: {condition!r}")
    out = h.chunked("application/json")
    while not (c.id not in h.engine.containers or tests[condition]()):
        if h.gone():  # `docker run -d` asks for a wait, starts the container, and hangs up
            h.close_connection = True
            return
        time.sleep(POLL)
    out.write(jline({"Error": None, "StatusCode": c.exit_code}))
    out.end()


def container_attach(h: Exchange, ref: str) -> None:
    """Hijack the connection and send the container's output until its run (the next one if stopped) ends."""
    c, since = container(h, ref), time.time()
    wanted, tty = {STDOUT: h.flag("stdout"), STDERR: h.flag("stderr")}, bool(c.config.get("Tty"))
    logs = LogTail((c.stdout_path, c.stderr_path), from_start=h.flag("logs"))
    feeding = h.flag("stdin") and bool(c.config.get("OpenStdin"))
    keys = stdinfeed.detach_sequence(h.q("detachKeys")) if feeding and tty else b""  # dockerd: with a TTY only
    feed = stdinfeed.StdinFeed()
    if feeding:  # in place before the 101 goes out: the client starts the container as soon as it reads it
        c.stdin_feed = feed
    raw = h.hijack()
    detached = threading.Event()
    if feeding:
        threading.Thread(target=_feed_stdin, args=(h, c, feed, keys, detached), daemon=True,
                         name=f"sim-stdin-{c.name}").start()

    def send(stream: int, data: bytes) -> None:
        if tty:  # one terminal: both streams are its output, each line ended \r\n
            stream, data = STDOUT, onlcr(data)
        if wanted[stream]:
            raw(frame(stream, data, tty))

    def finished() -> bool:
        ended = c.status in ("exited", "restarting") and c.finished >= since  # this run (a policy may restart it)
        return not h.flag("stream") or c.id not in h.engine.containers or ended

    pump(logs, send, done=finished, gone=lambda: detached.is_set() or h.gone())


def _feed_stdin(h: Exchange, c, feed: stdinfeed.StdinFeed, keys: bytes, detached: threading.Event) -> None:
    """Copy the attached client's stdin into the container's (stdinfeed); the detach keys end the attach and leave
    the program running, as dockerd does (the connection closes)."""
    how = stdinfeed.copy_stdin(h.rfile, feed, keys, once=bool(c.config.get("StdinOnce")))
    if how == "eof":
        return
    if c.stdin_feed is feed and not feed.ended.is_set():
        c.stdin_feed = None  # the program's read waits on, for the next client
    if how == "detach":
        detached.set()
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)


# -- exec ------------------------------------------------------------------------------------------
@dataclass
class Exec:
    """An exec instance: created by POST /containers/ID/exec, run by POST /exec/ID/start."""

    id: str
    cid: str
    cmd: list[str]
    env: list[str]
    tty: bool
    stdout: bool
    stderr: bool
    user: str = ""  # docker exec -u (the container's user when empty)
    workdir: str = ""  # docker exec -w (the container's working folder when empty)
    stdin: bool = False  # docker exec -i: the client's stdin is the program's (stdinfeed)
    detach_keys: str = ""
    running: bool = False
    exit_code: int | None = None

    def inspect(self) -> dict:
        return {"ID": self.id, "Running": self.running, "ExitCode": self.exit_code,
                "ProcessConfig": {"tty": self.tty, "entrypoint": self.cmd[0], "arguments": self.cmd[1:],
                                  "privileged": False, "user": self.user},
                "OpenStdin": self.stdin, "OpenStdout": self.stdout, "OpenStderr": self.stderr, "CanRemove": False,
                "ContainerID": self.cid, "DetachKeys": "", "Pid": 0}

    def run(self, engine, detach: bool = False, stdin=None) -> tuple[bytes, bytes]:
        """Run to the end (the engine hands over an exec's output when it ends): stdout and stderr."""
        code, out, err = 126, "", ""
        try:
            code, out, err = engine.exec_run(self.cid, self.cmd, self.tty, self.env, detach, self.user, self.workdir,
                                             stdin=stdin)
        except EngineError as error:
            err = error.message + "\n"
        finally:
            self.exit_code, self.running = code, False
        return out.encode(), err.encode()


def exec_create(h: Exchange, ref: str) -> None:
    """POST /containers/ID/exec: the body's shape (api_shapes), what the engine does not implement refused
    (api_fields: --privileged); -u and -w are applied when it runs."""
    body, c = api_shapes.body(h.json_body(), api_shapes.EXEC_CREATE), container(h, ref)
    if c.restarting:
        raise Conflict(f"Container {c.id} is restarting, wait until the container is running")
    if not c.running:
        raise Conflict(f"Container {c.id} is not running")
    if c.paused:
        raise Conflict(f"Container {ref} is paused, unpause the container before exec")
    cmd = strings(body.get("Cmd"))
    if not cmd:
        raise BadRequest("No exec command specified")
    api_fields.exec_refusals(body)
    execs = h.server.execs
    for stale in [e for e in execs.values() if e.cid not in h.engine.containers]:
        del execs[stale.id]
    ex = Exec(os.urandom(32).hex(), c.id, cmd, strings(body.get("Env")), bool(body.get("Tty")),
              bool(body.get("AttachStdout")), bool(body.get("AttachStderr")), body.get("User") or "",
              body.get("WorkingDir") or "", bool(body.get("AttachStdin")), _detach_keys(body))
    if ex.stdin and ex.tty:
        stdinfeed.detach_sequence(ex.detach_keys)  # a bad spec is refused here, as dockerd refuses it
    execs[ex.id] = ex
    h.send_json(201, {"Id": ex.id})


def _detach_keys(body: dict) -> str:
    """An exec body's DetachKeys, its name in any case as Go's JSON decoder matches it (docker-py sends detachKeys)."""
    value = next((v for k, v in body.items() if k.lower() == "detachkeys"), "") or ""
    if not isinstance(value, str):
        raise BadRequest("invalid value for DetachKeys: expected a string")
    return value


def _exec(h: Exchange, eid: str) -> Exec:
    ex = h.server.execs.get(eid)
    if ex is None:
        raise NotFound(f"No such exec instance: {eid}")
    return ex


def exec_start(h: Exchange, eid: str) -> None:
    """Detached: 200 at once. Else hijack, run, send stdout and stderr frames, close (then the client inspects)."""
    ex, body = _exec(h, eid), api_shapes.body(h.json_body(), api_shapes.EXEC_START)
    if ex.running or ex.exit_code is not None:
        raise Conflict(f"Error: Exec command {eid} " + ("is already running" if ex.running else "has already run"))
    c = container(h, ex.cid)
    if not c.running:
        raise Conflict(f"Container {c.id} is not running")
    ex.running, tty = True, bool(body.get("Tty", ex.tty))
    if body.get("Detach"):
        threading.Thread(target=ex.run, args=(h.engine, True), daemon=True).start()
        h.send_empty(200)
        return
    if ex.stdin:
        out, err = _run_fed(h, ex, tty)
        if out is None:
            return  # detached: the exec has ended and the stream said why
    else:
        h.hijack()
        out, err = ex.run(h.engine)
    raw = _raw_sender(h)
    raw(frame(STDOUT, out, tty) if ex.stdout and out else b"")
    if ex.tty:  # the program's stderr is its terminal too: dockerd sends it on stdout (framed or not, as asked)
        raw(frame(STDOUT, err, tty) if ex.stdout and err else b"")
    else:
        raw(frame(STDERR, err, tty) if ex.stderr and err else b"")


def _raw_sender(h: Exchange) -> Callable[[bytes], None]:
    """Sends bytes on a hijacked connection as they are (nothing for none)."""
    def send(data: bytes) -> None:
        if data:
            h.wfile.write(data)
            h.wfile.flush()
    return send


DETACHED_EXEC = b"exec attach failed: error on attach stdin: read escape sequence\r\n"  # dockerd's, on the stream


def _run_fed(h: Exchange, ex: Exec, tty: bool) -> tuple[bytes | None, bytes | None]:
    """An exec with the client's stdin (-i): hijack, copy the client's bytes to the program (their end is its
    stdin's end, as dockerd closes an exec's stdin), run it. With a TTY the detach keys end the exec as dockerd
    ends it: its stdin closes, its exit code is 126 and the stream says why (None, None: nothing else to send)."""
    feed, keys = stdinfeed.StdinFeed(), stdinfeed.detach_sequence(ex.detach_keys) if tty else b""
    holder = SimpleNamespace(stdin_feed=feed)
    h.hijack()
    detached, result = threading.Event(), {}

    def copy() -> None:
        how = stdinfeed.copy_stdin(h.rfile, feed, keys, once=True)
        if how == "detach":
            detached.set()
        if how != "eof":
            feed.ended.set()

    def run() -> None:
        out = ex.run(h.engine, stdin=holder)
        if detached.is_set():
            ex.exit_code = 126
        result["out"] = out

    threading.Thread(target=copy, daemon=True, name=f"sim-exec-stdin-{ex.id[:12]}").start()
    runner = threading.Thread(target=run, daemon=True, name=f"sim-exec-{ex.id[:12]}")
    runner.start()
    while runner.is_alive() and not h.server.closing.is_set():
        runner.join(POLL)
    if detached.is_set():
        h.wfile.write(DETACHED_EXEC)
        h.wfile.flush()
        return None, None
    return result.get("out", (b"", b""))


def exec_inspect(h: Exchange, eid: str) -> None:
    h.send_json(200, _exec(h, eid).inspect())


def exec_resize(h: Exchange, eid: str) -> None:
    _exec(h, eid)
    h.send_empty(200)
