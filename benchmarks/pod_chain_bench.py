#!/usr/bin/env python3
"""Per-pod ADD/DEL latency of the chain bridge(host-local, ipMasq) -> portmap -> bandwidth, exec'd as a runtime
does (libcni injection of name, cniVersion, runtimeConfig and prevResult), ours and the reference side by side.

Run through benchmarks/pod-chain-bench.sh, which puts it in a private network namespace (the "node")."""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS_BIN = os.path.join(ROOT, "artifacts", "cni", "bin")
REF_BIN = "/usr/lib/cni"
PODS = int(os.environ.get("PODS", "50"))
VERSION_RUNS = int(os.environ.get("VERSION_RUNS", "200"))


def plugin_dir(kind):
    """A CNI_PATH directory for one side: ours takes every plugin artifacts/cni/bin has, the reference the rest."""
    d = tempfile.mkdtemp(prefix=f"cni-bench-{kind}-")
    chosen = {}
    for name in ("bridge", "host-local", "portmap", "bandwidth", "loopback"):
        ours = os.path.join(OURS_BIN, name)
        src = ours if kind == "ours" and os.path.exists(ours) else os.path.join(REF_BIN, name)
        os.symlink(src, os.path.join(d, name))
        chosen[name] = "ours" if src == ours else "reference"
    return d, chosen


class Side:
    def __init__(self, kind, index):
        self.kind = kind
        self.dir, self.chosen = plugin_dir(kind)
        self.data = tempfile.mkdtemp(prefix=f"cni-bench-{kind}-ipam-")
        self.network = f"bench-{kind}"
        self.bridge = f"cnbench{index}"
        self.subnet = f"10.{88 + index}.0.0/16"
        self.port_base = 20000 + 5000 * index
        self.plugins = [
            {"type": "bridge", "bridge": self.bridge, "isGateway": True, "ipMasq": True,
             "ipam": {"type": "host-local", "subnet": self.subnet, "dataDir": self.data}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "bandwidth", "capabilities": {"bandwidth": True}},
        ]
        self.results = {}
        self.add_ms, self.del_ms = [], []
        self.per_plugin = {"ADD": {p["type"]: [] for p in self.plugins}, "DEL": {p["type"]: [] for p in self.plugins}}

    def runtime_config(self, pod):
        return {
            "portMappings": [{"hostPort": self.port_base + pod, "containerPort": 80, "protocol": "tcp"},
                             {"hostPort": self.port_base + pod, "containerPort": 53, "protocol": "udp"}],
            "bandwidth": {"ingressRate": 10_000_000, "ingressBurst": 1_000_000,
                          "egressRate": 10_000_000, "egressBurst": 1_000_000},
        }

    def config(self, plugin, pod, prev):
        c = dict(plugin)
        c["name"] = self.network
        c["cniVersion"] = "1.0.0"
        caps = c.pop("capabilities", None)
        if caps:
            rc = self.runtime_config(pod)
            c["runtimeConfig"] = {k: rc[k] for k in caps if k in rc}
        if prev is not None:
            c["prevResult"] = prev
        return json.dumps(c).encode()

    def exec(self, plugin, command, pod, netns, prev):
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": f"{self.kind}-pod-{pod}", "CNI_NETNS": netns,
               "CNI_IFNAME": "eth0", "CNI_PATH": self.dir, "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
        t = time.perf_counter()
        r = subprocess.run([os.path.join(self.dir, plugin["type"])], input=self.config(plugin, pod, prev), env=env,
                           capture_output=True)
        ms = (time.perf_counter() - t) * 1000
        if r.returncode != 0:
            sys.exit(f"{self.kind} {plugin['type']} {command} pod {pod} failed: {r.stdout.decode()}{r.stderr.decode()}")
        self.per_plugin[command][plugin["type"]].append(ms)
        return r.stdout

    def add(self, pod, netns):
        t = time.perf_counter()
        prev = None
        for p in self.plugins:
            prev = json.loads(self.exec(p, "ADD", pod, netns, prev))
        self.add_ms.append((time.perf_counter() - t) * 1000)
        self.results[pod] = prev

    def delete(self, pod, netns):
        t = time.perf_counter()
        for p in reversed(self.plugins):
            self.exec(p, "DEL", pod, netns, self.results[pod])
        self.del_ms.append((time.perf_counter() - t) * 1000)

    def cleanup(self):
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.data, ignore_errors=True)


def netns(name):
    subprocess.run(["ip", "netns", "add", name], check=True)
    return f"/run/netns/{name}"


def version_ms(binary):
    samples = []
    env = {"CNI_COMMAND": "VERSION"}
    for _ in range(VERSION_RUNS):
        t = time.perf_counter()
        subprocess.run([binary], input=b'{"cniVersion":"1.0.0"}', env=env, capture_output=True, check=True)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[int(len(xs) * 0.9) - 1], statistics.mean(xs)


def main():
    if os.readlink("/proc/self/ns/net") == os.environ.get("CNI_BENCH_OUTER_NETNS"):
        sys.exit("refusing to run in the machine's own network namespace; use benchmarks/pod-chain-bench.sh")
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        forward = f.read().strip()
    ours, ref = Side("ours", 0), Side("reference", 1)
    names = []
    try:
        # Interleaved, so both sides see the same machine load; each pod has its own namespace.
        for pod in range(PODS):
            for side in (ours, ref):
                name = f"cnt-bench-{side.kind[:3]}-{pod}"
                names.append(name)
                side.add(pod, netns(name))
        for pod in range(PODS):
            for side in (ours, ref):
                side.delete(pod, f"/run/netns/cnt-bench-{side.kind[:3]}-{pod}")
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        ours.cleanup()
        ref.cleanup()
        subprocess.run(["iptables-nft", "-t", "nat", "-F"], capture_output=True)
        subprocess.run(["iptables-nft", "-t", "nat", "-X"], capture_output=True)
        with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
            f.write(forward)

    print(f"pods: {PODS} per side, interleaved; chain bridge(host-local, ipMasq) -> portmap -> bandwidth, cniVersion 1.0.0")
    print("ours uses: " + ", ".join(f"{k}={v}" for k, v in ours.chosen.items() if k != "loopback"))
    print()
    print("| per pod | ours median | ours p90 | reference median | reference p90 | reference/ours (median) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, a, b in (("ADD (chain)", ours.add_ms, ref.add_ms), ("DEL (chain)", ours.del_ms, ref.del_ms)):
        (om, o9, _), (rm, r9, _) = stats(a), stats(b)
        print(f"| {label} | {om:.1f} ms | {o9:.1f} ms | {rm:.1f} ms | {r9:.1f} ms | {rm / om:.1f}x |")
    for command in ("ADD", "DEL"):
        for plugin in ("bridge", "portmap", "bandwidth"):
            om = statistics.median(ours.per_plugin[command][plugin])
            rm = statistics.median(ref.per_plugin[command][plugin])
            who = ours.chosen[plugin]
            print(f"| {command} {plugin} ({who}) | {om:.1f} ms | | {rm:.1f} ms | | {rm / om:.1f}x |")
    print()
    print(f"VERSION start-up (median of {VERSION_RUNS} execs):")
    print("| plugin | ours | reference (Go) | ratio |")
    print("|---|---:|---:|---:|")
    for plugin in ("portmap", "bandwidth", "host-local", "bridge"):
        mine = os.path.join(OURS_BIN, plugin)
        if not os.path.exists(mine):
            continue
        o, r = version_ms(mine), version_ms(os.path.join(REF_BIN, plugin))
        print(f"| {plugin} | {o:.2f} ms | {r:.2f} ms | {r / o:.1f}x |")


if __name__ == "__main__":
    main()
