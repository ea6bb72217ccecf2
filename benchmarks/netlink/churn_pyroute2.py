#!/usr/bin/python3
"""pyroute2 twin of cni-netlink-churn: same OP and N, prints inner_ns=<loop nanoseconds>."""
import ipaddress
import sys
import time

from pyroute2 import IPRoute


def main() -> int:
    op, n = sys.argv[1], int(sys.argv[2])
    with IPRoute() as ipr:
        uplink = 0 if op.startswith("veth") else ipr.link_lookup(ifname="bpbr0")[0]
        base64 = int(ipaddress.IPv4Address("10.64.0.0"))
        base128 = int(ipaddress.IPv4Address("10.128.0.0"))
        start = time.perf_counter_ns()
        for i in range(n):
            if op == "veth-add":
                ipr.link("add", ifname=f"bpa{i}", kind="veth", peer=f"bpb{i}")
            elif op == "veth-del":
                ipr.link("del", ifname=f"bpa{i}")
            elif op == "addr-add":
                ipr.addr("add", index=uplink, address=str(ipaddress.IPv4Address(base64 + i + 1)), prefixlen=32)
            elif op == "addr-del":
                ipr.addr("del", index=uplink, address=str(ipaddress.IPv4Address(base64 + i + 1)), prefixlen=32)
            elif op == "route-add":
                ipr.route("add", dst=f"{ipaddress.IPv4Address(base128 + i + 1)}/32", gateway="10.0.0.2", oif=uplink)
            elif op == "route-del":
                ipr.route("del", dst=f"{ipaddress.IPv4Address(base128 + i + 1)}/32", gateway="10.0.0.2", oif=uplink)
            else:
                print(f"unknown op {op}", file=sys.stderr)
                return 2
        elapsed = time.perf_counter_ns() - start
    print(f"inner_ns={elapsed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
