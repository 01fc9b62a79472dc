"""The tools server: HTTP on 8080 for curl and wget, a line echo on 9000 for nc (and for curl's HTTP/0.9 error).

HTTP on 8080:
- GET /          one line of text;
- GET /redirect  302 to /;
- GET /headers   the request's method, User-Agent, Accept and X-* headers, one a line;
- GET /missing   404 with a one-line body;
- POST, PUT, DELETE, PATCH on any path: the method, the path, the Content-Type and the body.
The Server header is fixed ("toolsrv") so it names no Python version.

On 9000 the server reads one line, answers it upper-cased, and closes the connection.
On 9001 it greets every connection with one line at once and keeps it open until the client closes it.
"""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def version_string(self):
        return "toolsrv"

    def _reply(self, status, body, extra=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        if self.path == "/redirect":
            self._reply(302, "moved\n", [("Location", "/")])
        elif self.path == "/headers":
            lines = [f"method: {self.command}", f"user-agent: {self.headers.get('User-Agent')}",
                     f"accept: {self.headers.get('Accept')}"]
            lines += [f"{k.lower()}: {v}" for k, v in self.headers.items() if k.lower().startswith("x-")]
            self._reply(200, "\n".join(lines) + "\n")
        elif self.path == "/missing":
            self._reply(404, "no such page\n")
        else:
            self._reply(200, "hello from toolsrv\n")

    do_HEAD = do_GET

    def _echo(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self._reply(200, f"{self.command} {self.path}\ncontent-type: {self.headers.get('Content-Type')}\n"
                         f"body: {body}\n")

    do_POST = do_PUT = do_DELETE = do_PATCH = _echo

    def log_message(self, format, *args):
        pass


def line_server(port, handle):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def echo_one(conn):
    with conn:
        data = b""
        while b"\n" not in data:
            chunk = conn.recv(1024)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\n", 1)[0]
        conn.sendall(line.upper() + b"\n")


def greet_one(conn):
    with conn:
        conn.sendall(b"hello from a greeter\n")
        while conn.recv(1024):
            pass


threading.Thread(target=line_server, args=(9000, echo_one), daemon=True).start()
threading.Thread(target=line_server, args=(9001, greet_one), daemon=True).start()
ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
