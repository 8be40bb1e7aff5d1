#!/usr/bin/env python3
# A stand-in for a CRI runtime (containerd, CRI-O) on a unix socket, for the
# services test: runtime.v1.RuntimeService/ContainerStatus answered for one
# container, NOT_FOUND for any other. Messages are encoded by hand (no
# generated code): ContainerStatusResponse{status: ContainerStatus{id,
# metadata{name}, labels{io.kubernetes.pod.name, .namespace}}}.
#   fake_cri.py SOCKET ID NAME POD NAMESPACE
# Each request is logged to stdout (one line).
import sys
import time
from concurrent import futures

import grpc

path, ident, name, pod, namespace = sys.argv[1:6]


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def request_id(req):
    # ContainerStatusRequest{container_id = 1}: the first field, a string.
    if len(req) < 2 or req[0] != 0x0A:
        return None
    return req[2 : 2 + req[1]].decode(errors="replace")


def status(req, ctx):
    cid = request_id(req)
    print("ContainerStatus", cid, flush=True)
    if cid != ident:
        ctx.abort(grpc.StatusCode.NOT_FOUND, "container not found")
    labels = field(12, field(1, b"io.kubernetes.pod.name") + field(2, pod.encode()))
    labels += field(12, field(1, b"io.kubernetes.pod.namespace") + field(2, namespace.encode()))
    labels += field(12, field(1, b"io.kubernetes.container.name") + field(2, name.encode()))
    st = field(1, ident.encode()) + field(2, field(1, name.encode()) + b"\x10\x00") + b"\x18\x01" + labels
    return field(1, st)


handler = grpc.method_handlers_generic_handler(
    "runtime.v1.RuntimeService", {"ContainerStatus": grpc.unary_unary_rpc_method_handler(status)}
)
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port("unix:" + path)
server.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
