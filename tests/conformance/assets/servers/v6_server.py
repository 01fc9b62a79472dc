"""An IPv6 server on [::]:3000; V6ONLY=1 sets IPV6_V6ONLY (IPv6 only), V6ONLY=0 clears it (IPv4 too)."""

import os
import socket
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"Hello over IPv6\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class Server(HTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(os.environ["V6ONLY"]))
        super().server_bind()


server = Server(("::", 3000), Handler)
print("V6ONLY", server.socket.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), flush=True)
server.serve_forever()
