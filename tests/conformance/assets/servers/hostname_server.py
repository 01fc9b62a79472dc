"""A learner's fix: bind the container's own name, socket.gethostname(), on port 3000."""

import socket
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"Hello from inside the container\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


server = HTTPServer((socket.gethostname(), 3000), Handler)
print("bound to", server.server_address[0] == socket.gethostbyname(socket.gethostname()), flush=True)
server.serve_forever()
