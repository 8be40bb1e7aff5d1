#!/usr/bin/env python3
# DNS client for tests/kernel/dns.t.sh: sends exact queries, one at a time,
# and prints one line per query: "name transport family rcode rtt_ns"
# (rcode -1: no answer within the wait). Usage:
#   dns_client.py SERVER PORT TRANSPORT(udp|tcp) QTYPE WAIT_S NAME COUNT [NAME COUNT ...]
import socket
import struct
import sys
import time


def query(qid, name, qtype):
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + b"\0" + struct.pack(">HH", qtype, 1)


def main():
    server, port, transport, qtype, wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    pairs = sys.argv[6:]
    qid = 100
    udp = None
    if transport == "udp":
        # One socket for all: one source port, so rows differ only by question and rcode.
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.settimeout(wait)
    for i in range(0, len(pairs), 2):
        name, count = pairs[i], int(pairs[i + 1])
        for _ in range(count):
            qid += 1
            msg = query(qid, name, qtype)
            t0 = time.monotonic_ns()
            rcode = -1
            try:
                if udp:
                    udp.sendto(msg, (server, port))
                    while True:
                        r = udp.recv(4096)
                        if struct.unpack(">H", r[:2])[0] == qid:
                            break
                else:
                    s = socket.create_connection((server, port), timeout=wait)
                    s.sendall(struct.pack(">H", len(msg)) + msg)
                    r = b""
                    while len(r) < 2 or len(r) < 2 + struct.unpack(">H", r[:2])[0]:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        r += chunk
                    s.close()
                    r = r[2:]
                rcode = r[3] & 15
            except socket.timeout:
                pass
            rtt = time.monotonic_ns() - t0
            print(name, transport, "IPv6" if family == socket.AF_INET6 else "IPv4", rcode, rtt, flush=True)


main()
