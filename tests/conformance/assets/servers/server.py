"""The lesson's server as learners change it: BIND (default 0.0.0.0) and PORT (default 3000) from the environment."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"Hello from inside the container\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


BIND = os.environ.get("BIND", "0.0.0.0")
PORT = int(os.environ.get("PORT", "3000"))
server = HTTPServer((BIND, PORT), Handler)
print(f"Server listening on {BIND}:{PORT}", flush=True)
server.serve_forever()
