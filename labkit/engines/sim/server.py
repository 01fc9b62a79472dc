"""One embedded engine in its own process, shared over a Unix socket.

`python -m labkit.engines.sim.server SOCKET` runs a SimEngine (with a private host address) and serves the
Backend protocol as JSON lines. `RemoteSim(SOCKET)` is a Backend that forwards every call there. The
grader uses it: the learner's kernel and the grader's own checks talk to the same engine, while
neither runs inside the other's process — so the notebook cannot tamper with how it is graded.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import sys
import threading

from labkit.engines.base import Backend, LabProbe
from labkit.errors import CommandError, EngineError, EngineUnreachable, engine_error

TUPLE_RESULTS = {"exec_run", "logs"}
# only the Engine API (the Backend protocol) is served: not the engine's own housekeeping
CALLS = {name for proto in (Backend, LabProbe) for name in vars(proto)
         if not name.startswith("_") and callable(getattr(proto, name))}


def _handle(engine, request: dict) -> dict:
    method, args, kwargs = request["method"], request.get("args", []), request.get("kwargs", {})
    if method == "_host_address":
        return {"ok": engine.host_address}
    if method not in CALLS:
        return {"error": [400, f"no such engine call: {method}"]}
    if method == "build":
        args = [io.BytesIO(base64.b64decode(args[0])), *args[1:]]
    try:
        result = getattr(engine, method)(*args, **kwargs)
        if method == "build":
            result = list(result)
        return {"ok": result}
    except EngineError as err:
        return {"error": [err.status, err.message]}
    except CommandError as err:
        return {"command_error": [err.stderr, err.exit_code, err.stdout]}


def _serve_connection(engine, conn: socket.socket) -> None:
    with conn, conn.makefile("rwb") as stream:
        for line in stream:
            try:
                reply = _handle(engine, json.loads(line))
            except Exception as err:  # noqa: BLE001 - one bad call must not take the engine down
                reply = {"error": [500, f"embedded engine: {type(err).__name__}: {err}"]}
            stream.write(json.dumps(reply).encode() + b"\n")
            stream.flush()


def serve(path: str) -> None:
    """Run an embedded engine and answer calls on the Unix socket at path until terminated."""
    from labkit.engines.sim.engine import SimEngine

    engine = SimEngine(private_host=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            conn, _ = server.accept()
            threading.Thread(target=_serve_connection, args=(engine, conn), daemon=True).start()
    finally:
        server.close()  # the engine's own exit handler ends the containers' programs


class RemoteSim:
    """A Backend that forwards every call to an embedded engine served at a Unix socket."""

    name = "sim"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self.host_address = self._call("_host_address")

    def _stream(self):
        stream = getattr(self._local, "stream", None)
        if stream is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
            except OSError as err:
                raise EngineUnreachable(f"labkit: the embedded engine at {self.path} does not answer "
                                        f"({err.strerror})\n", 1) from None
            stream = self._local.stream = sock.makefile("rwb")
        return stream

    def _call(self, method: str, *args, **kwargs):
        stream = self._stream()
        try:
            stream.write(json.dumps({"method": method, "args": list(args), "kwargs": kwargs}).encode() + b"\n")
            stream.flush()
            line = stream.readline()
        except OSError:
            line = b""
        if not line:
            self._local.stream = None
            raise EngineUnreachable(f"labkit: the embedded engine at {self.path} went away\n", 1)
        reply = json.loads(line)
        if "error" in reply:
            raise engine_error(*reply["error"])
        if "command_error" in reply:
            raise CommandError(*reply["command_error"])
        result = reply["ok"]
        if method in TUPLE_RESULTS:
            return tuple(result)
        if method == "listeners":
            return [tuple(item) for item in result]
        return result

    def build(self, context, tag, dockerfile, buildargs, labels):
        """Send the build context's bytes; the build's stream comes back whole."""
        return iter(self._call("build", base64.b64encode(context.read()).decode(), tag, dockerfile, buildargs, labels))

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self._call(method, *args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """`python -m labkit.engines.sim.server SOCKET`."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m labkit.engines.sim.server SOCKET", file=sys.stderr)
        return 2
    if os.path.exists(argv[0]):
        os.unlink(argv[0])
    serve(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
