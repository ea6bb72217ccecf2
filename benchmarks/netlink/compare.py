#!/usr/bin/python3
"""
Runs the netlink churn side by side: cni-netlink-churn (one request per sendto, and --batch), `ip -batch` and
pyroute2, each in a fresh throwaway network namespace, and prints a Markdown table of ns/op and ratios.

Usage (root): benchmarks/netlink/compare.py [N] [VETH_N] [ROUNDS]   (defaults 1000, 200 and 3)
Every round runs all tools one after another (in a rotating order); the table shows each tool's median round.
Needs artifacts/bin/cni-netlink-churn (eng/publish.sh) and python3-pyroute2.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHURN = os.path.join(ROOT, "artifacts", "bin", "cni-netlink-churn")
PYDRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "churn_pyroute2.py")
PAIRS = [("veth-add", "veth-del"), ("addr-add", "addr-del"), ("route-add", "route-del")]


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def make_ns(tag):
    name = f"cnb-{tag}-{os.getpid()}"
    sh("ip", "netns", "add", name)
    for cmd in (["link", "set", "lo", "up"], ["link", "add", "bpbr0", "type", "veth", "peer", "name", "bpbr1"],
                ["link", "set", "bpbr0", "up"], ["link", "set", "bpbr1", "up"], ["addr", "add", "10.0.0.1/24", "dev", "bpbr0"]):
        sh("ip", "-n", name, *cmd)
    return name


def inner(out):
    for line in out.splitlines():
        if line.startswith("inner_ns="):
            return int(line.split("=", 1)[1])
    raise RuntimeError(f"no inner_ns in {out!r}")


def ip_batch_lines(op, n):
    lines = []
    for i in range(n):
        a = 0x0A400000 + i + 1
        r = 0x0A800000 + i + 1
        dot = lambda v: ".".join(str((v >> s) & 255) for s in (24, 16, 8, 0))
        lines.append({
            "veth-add": f"link add bpa{i} type veth peer name bpb{i}",
            "veth-del": f"link del bpa{i}",
            "addr-add": f"addr add {dot(a)}/32 dev bpbr0",
            "addr-del": f"addr del {dot(a)}/32 dev bpbr0",
            "route-add": f"route add {dot(r)}/32 via 10.0.0.2 dev bpbr0",
            "route-del": f"route del {dot(r)}/32 via 10.0.0.2 dev bpbr0",
        }[op])
    return "\n".join(lines) + "\n"


def run_ip_batch(ns, op, n):
    with tempfile.NamedTemporaryFile("w", suffix=".ipbatch", delete=False) as f:
        f.write(ip_batch_lines(op, n))
        path = f.name
    with tempfile.NamedTemporaryFile("w", suffix=".ipbatch", delete=False) as f:
        f.write("link show dev lo\n")
        empty = f.name
    try:
        # ip has no inner timer: wall time minus the wall time of a one-line batch (process start-up).
        start = time.perf_counter_ns()
        sh("ip", "-n", ns, "-batch", empty)
        startup = time.perf_counter_ns() - start
        start = time.perf_counter_ns()
        sh("ip", "-n", ns, "-batch", path)
        return max(time.perf_counter_ns() - start - startup, 1)
    finally:
        os.unlink(path)
        os.unlink(empty)


def run_tool(tool, ns, op, n):
    if tool == "churn":
        return inner(sh("ip", "netns", "exec", ns, CHURN, op, str(n)).stdout)
    if tool == "churn-batch":
        return inner(sh("ip", "netns", "exec", ns, CHURN, op, str(n), "--batch").stdout)
    if tool == "ip-batch":
        return run_ip_batch(ns, op, n)
    if tool == "pyroute2":
        return inner(sh("ip", "netns", "exec", ns, "/usr/bin/python3", PYDRIVER, op, str(n)).stdout)
    raise ValueError(tool)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    veth_n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    tools = ["churn", "churn-batch", "ip-batch", "pyroute2"]
    samples = {}
    load_start = os.getloadavg()[0]
    for r in range(rounds):
        for add, delete in PAIRS:
            count = veth_n if add.startswith("veth") else n
            for tool in tools[r % len(tools):] + tools[:r % len(tools)]:
                ns = make_ns(tool.replace("-", ""))
                try:
                    samples.setdefault((add, tool), []).append(run_tool(tool, ns, add, count) / count)
                    samples.setdefault((delete, tool), []).append(run_tool(tool, ns, delete, count) / count)
                finally:
                    subprocess.run(["ip", "netns", "delete", ns], check=False)
    results = {k: statistics.median(v) for k, v in samples.items()}
    load = os.getloadavg()[0]
    print(f"N = {n} (veth: {veth_n}), median of {rounds} rounds; load average {load_start:.1f} at the start, "
          f"{load:.1f} at the end, on {os.cpu_count()} CPUs\n")
    print("| operation | cni-netlink-churn ns/op | --batch ns/op | ip -batch ns/op | pyroute2 ns/op | ip -batch ÷ churn | pyroute2 ÷ churn | churn ÷ --batch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for add, delete in PAIRS:
        for op in (add, delete):
            c, b, i, p = (results[(op, t)] for t in tools)
            print(f"| {op} | {c:,.0f} | {b:,.0f} | {i:,.0f} | {p:,.0f} | {i / c:.2f} | {p / c:.2f} | {c / b:.2f} |")


if __name__ == "__main__":
    main()
