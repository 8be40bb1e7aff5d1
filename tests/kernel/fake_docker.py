#!/usr/bin/env python3
# A stand-in for Docker's Engine API on a unix socket, for the services test.
#   fake_docker.py SOCKET answer ID NAME [POD NAMESPACE]
#       GET /containers/ID/json -> {"Id", "Name": "/NAME", "Config": {"Labels": {...}}};
#       any other path -> 404. Each request is logged to stdout (one line).
#   fake_docker.py SOCKET hang
#       accepts connections and never answers.
import http.server
import json
import os
import socket
import socketserver
import sys
import time

path, mode = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)

if mode == "hang":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    print("ready", flush=True)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # keep it open, say nothing
        print("held", flush=True)

ident, name = sys.argv[3], sys.argv[4]
labels = {}
if len(sys.argv) > 6:
    labels = {"io.kubernetes.pod.name": sys.argv[5], "io.kubernetes.pod.namespace": sys.argv[6]}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("GET", self.path, flush=True)
        if self.path.rstrip("/") != "/containers/%s/json" % ident:
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"message":"No such container"}')
            return
        body = json.dumps({"Id": ident, "Name": "/" + name, "Config": {"Labels": labels}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

    # http.server wants a client address to log; a unix socket has none.
    def address_string(self):
        return "unix"


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


srv = Server(path, Handler)
print("ready", flush=True)
srv.serve_forever()
