#!/usr/bin/env python3
# Writes the seed frames of fuzz_flows_packet into corpus/flows_packet/: one
# file per frame, named after what it holds. Rerun after editing; the files
# are kept in the tree so that `make fuzz` and `make test` need no Python.
import os
import socket
import struct
import sys

MACS = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
V4A, V4B = socket.inet_aton("10.0.0.1"), socket.inet_aton("10.0.0.2")
V6A = socket.inet_pton(socket.AF_INET6, "2001:db8::1")
V6B = socket.inet_pton(socket.AF_INET6, "2001:db8::2")


def eth(ethertype, *tags):
    """Ethernet header; each tag is (tpid, vid): the outer one first."""
    out = MACS
    types = [t[0] for t in tags] + [ethertype]
    out += struct.pack("!H", types[0])
    for i, (_, vid) in enumerate(tags):
        out += struct.pack("!HH", vid, types[i + 1])
    return out


def ipv4(proto, payload, ihl=5, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + payload, 1, frag, 64, proto, 0,
                    V4A, V4B)
    return h + bytes(max(ihl, 5) * 4 - 20)


def ipv6(next_header, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, payload, next_header, 64, V6A, V6B)


def ext(next_header, len8):
    """A generic extension header of (len8 + 1) * 8 bytes."""
    return bytes([next_header, len8]) + bytes((len8 + 1) * 8 - 2)


def ah(next_header):
    return bytes([next_header, 2]) + bytes(14)  # (2 + 2) * 4 = 16 bytes


def frag6(next_header, offset, more):
    return struct.pack("!BBHI", next_header, 0, offset << 3 | more, 7)


def ports(sport, dport, hdr=8):
    return struct.pack("!HH", sport, dport) + bytes(hdr - 4)


SEEDS = {
    "v4_tcp": eth(0x0800) + ipv4(6, 20) + ports(1234, 80, 20),
    "v4_udp": eth(0x0800) + ipv4(17, 8) + ports(5000, 53),
    "v4_icmp_echo": eth(0x0800) + ipv4(1, 8) + bytes([8, 0]) + bytes(6),
    "v4_options_ihl7": eth(0x0800) + ipv4(6, 20, ihl=7) + ports(1, 2, 20),
    "v4_ihl15_cut": eth(0x0800) + ipv4(6, 0, ihl=15)[:40],
    "v4_ihl4_bad": eth(0x0800) + ipv4(6, 20, ihl=4) + bytes(20),
    "v4_frag_later": eth(0x0800) + ipv4(17, 40, frag=185) + bytes(40),
    "v4_frag_first": eth(0x0800) + ipv4(17, 16, frag=0x2000) + ports(111, 222) + bytes(8),
    "v4_cut_l4": eth(0x0800) + ipv4(6, 20) + bytes(3),
    "v4_sctp": eth(0x0800) + ipv4(132, 12) + ports(36412, 36412, 12),
    "v6_tcp": eth(0x86DD) + ipv6(6, 20) + ports(40000, 443, 20),
    "v6_icmp": eth(0x86DD) + ipv6(58, 8) + bytes([128, 0]) + bytes(6),
    "v6_hbh_routing_udp": eth(0x86DD) + ipv6(0, 40) + ext(43, 0) + ext(17, 2) + ports(7, 9),
    "v6_dstopts_ah_tcp": eth(0x86DD) + ipv6(60, 44) + ext(51, 0) + ah(6) + ports(22, 2222, 20),
    "v6_mobility_udplite": eth(0x86DD) + ipv6(135, 16) + ext(136, 0) + ports(5, 6),
    "v6_frag_first": eth(0x86DD) + ipv6(44, 16) + frag6(17, 0, 1) + ports(333, 444),
    "v6_frag_later": eth(0x86DD) + ipv6(44, 48) + frag6(17, 100, 0) + bytes(40),
    "v6_nine_ext": eth(0x86DD) + ipv6(60, 80) + b"".join(ext(60 if i < 8 else 17, 0)
                                                          for i in range(9)) + ports(1, 2),
    "v6_ext_cut": eth(0x86DD) + ipv6(0, 8) + bytes(1),
    "v6_ext_len_past_end": eth(0x86DD) + ipv6(0, 8) + bytes([17, 255]) + bytes(6),
    "vlan_v4_udp": eth(0x0800, (0x8100, 100)) + ipv4(17, 8) + ports(1000, 2000),
    "qinq_v6_tcp": eth(0x86DD, (0x88A8, 10), (0x8100, 20)) + ipv6(6, 20) + ports(3000, 4000, 20),
    "qinq_9100_v4": eth(0x0800, (0x9100, 1), (0x8100, 2)) + ipv4(17, 8) + ports(1, 2),
    "three_tags": eth(0x0800, (0x8100, 1), (0x8100, 2), (0x8100, 3)) + ipv4(17, 8) + ports(1, 2),
    "vlan_cut": MACS + struct.pack("!HH", 0x8100, 5),
    "vlan_v6_cut": eth(0x86DD, (0x8100, 5)) + bytes(39),
    "arp": eth(0x0806) + bytes(28),
    "lldp": eth(0x88CC) + bytes(46),
    "llc_8023": eth(0x0026) + bytes([0x42, 0x42, 3]) + bytes(35),
    "raw_ipx_8023": eth(0x0026) + bytes([0xFF, 0xFF]) + bytes(36),
    "eth_only": eth(0x0800),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "flows_packet")
os.makedirs(out, exist_ok=True)
for name, frame in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(frame)
print(f"{len(SEEDS)} frames in {out}", file=sys.stderr)
