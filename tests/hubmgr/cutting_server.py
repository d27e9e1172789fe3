#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A static file server on 127.0.0.1 for the hub manager's HTTP tests.

  cutting_server.py DIR [CUT_PATH | hang:PATH ...]

Serves DIR like `python3 -m http.server`, plus:
- an ETag on every file (sha256 of its bytes) and 304 Not Modified on If-None-Match;
- for each CUT_PATH (URL path, e.g. /scenarios/a/b.yaml): announces the full
  Content-Length, sends half of the body, then closes the connection;
- for each hang:PATH: sends the headers and a few bytes, then nothing for 30 s.
With CW_TLS_CERT and CW_TLS_KEY set, serves https with that certificate.
Prints "port N" on its first line once listening (port chosen by the system).
"""
import hashlib
import http.server
import os
import ssl
import sys
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    cut = set()
    hang = set()

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        if self.path in self.hang:
            self.wfile.write(body[:4])
            self.wfile.flush()
            time.sleep(30)
            return
        if self.path in self.cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


def main():
    root = sys.argv[1]
    Handler.cut = {p for p in sys.argv[2:] if not p.startswith("hang:")}
    Handler.hang = {p[5:] for p in sys.argv[2:] if p.startswith("hang:")}
    os.chdir(root)
    http.server.ThreadingHTTPServer.daemon_threads = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if os.environ.get("CW_TLS_CERT"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.environ["CW_TLS_CERT"], os.environ["CW_TLS_KEY"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("port", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
