#!/usr/bin/env python3
"""Pods coming and going: each step deletes the node's oldest pod and adds a new one right after, as a node does when
pods are replaced. Chain bridge(host-local, ipMasq) -> portmap -> bandwidth, per side and layout:

- ours in-process (Cni.Net.Benchmarks pod-chain-driver: CniChainExecutor in one long-lived process), iptables layout
  (the reference's default) and native nftables layouts (`ipMasqBackend`/`backend` "nftables");
- ours exec'd (artifacts/cni/bin), both layouts;
- the reference exec'd (/usr/lib/cni; Debian's 1.1.1 has only the iptables layout).

Each side keeps POOL pods on the node; STEPS steps, sides interleaved in a seeded shuffled order per step; GAP_MS
milliseconds between a step's DEL and its ADD (0 by default: the replacement comes at once). Printed per side: the
median (and p90) of the ADD that follows a DEL, of the DEL, and of the ADD's plugins.

What it shows: a long-lived host returns from a DEL before the kernel has released the rules it deleted (nf_tables
frees them after an RCU grace period, in a work item). The next rule that uses an xtables compat expression — the
iptables layout's comment matches, MASQUERADE and DNAT — waits in the kernel for that work
(`nft_compat_wait_for_destructors`), so an ADD right after a DEL pays the rest of the grace period; the native
layouts use no compat expression. An exec'd DEL waits for it itself, at exit.

usage: unshare --net --mount /usr/bin/python3 benchmarks/churn_bench.py     (POOL=5 STEPS=30 GAP_MS=0; needs
       eng/publish.sh and dotnet build benchmarks/Cni.Net.Benchmarks -c Release). With python3-matplotlib it also
       draws every step's ADD and DEL per side into OUT/churn.svg (OUT defaults to benchmarks/figures).
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from charts import pyplot, save, shade
from private_namespace import require_private_namespace
from fresh_plugins import fresh_copy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS_BIN = os.path.join(ROOT, "artifacts", "cni", "bin")
REF_BIN = "/usr/lib/cni"
DRIVER = os.path.join(ROOT, "artifacts", "build", "bin", "Cni.Net.Benchmarks", "release", "Cni.Net.Benchmarks")
POOL = int(os.environ.get("POOL", "5"))
STEPS = int(os.environ.get("STEPS", "30"))
GAP = float(os.environ.get("GAP_MS", "0")) / 1000
OUT = os.environ.get("OUT", os.path.join(ROOT, "benchmarks", "figures"))
PLUGINS = ["bridge", "portmap", "bandwidth"]
RUNTIME = {"bandwidth": {"ingressRate": 10000000, "ingressBurst": 1000000, "egressRate": 10000000, "egressBurst": 1000000}}


def plugins(index, native, data):
    bridge = {"type": "bridge", "bridge": f"cnch{index}", "isGateway": True, "ipMasq": True,
              "ipam": {"type": "host-local", "subnet": f"10.{100 + index}.0.0/16", "dataDir": data}}
    portmap = {"type": "portmap", "capabilities": {"portMappings": True}}
    if native:
        bridge["ipMasqBackend"] = "nftables"
        portmap["backend"] = "nftables"
    return [bridge, portmap, {"type": "bandwidth", "capabilities": {"bandwidth": True}}]


class Side:
    def __init__(self, name, index, native):
        self.name, self.index = name, index
        self.network = f"churn{index}"
        self.data = tempfile.mkdtemp(prefix="cni-churn-ipam-")
        self.plugins = plugins(index, native, self.data)
        self.pods = []
        self.add_ms, self.del_ms = [], []
        self.per_plugin = {p: [] for p in PLUGINS}
        self.next = 0

    def pod_name(self, pod):
        return f"cnt-churn-{self.index}-{pod}"

    def runtime_config(self, pod):
        return {"portMappings": [{"hostPort": 20000 + 1000 * self.index + pod % 1000, "containerPort": 80, "protocol": "tcp"}],
                **RUNTIME}

    def add_pod(self, measured):
        pod = self.next
        self.next += 1
        subprocess.run(["ip", "netns", "add", self.pod_name(pod)], check=True)
        start = time.perf_counter()
        plugin_ms = self.add(pod)
        elapsed = (time.perf_counter() - start) * 1000
        if measured:
            self.add_ms.append(elapsed)
            for name, ms in plugin_ms.items():
                self.per_plugin[name].append(ms)
        self.pods.append(pod)

    def delete_oldest(self, measured):
        pod = self.pods.pop(0)
        start = time.perf_counter()
        self.delete(pod)
        elapsed = (time.perf_counter() - start) * 1000
        if measured:
            self.del_ms.append(elapsed)
        subprocess.run(["ip", "netns", "del", self.pod_name(pod)], check=True)

    def cleanup(self):
        while self.pods:
            self.delete_oldest(False)
        shutil.rmtree(self.data, ignore_errors=True)


class ExecSide(Side):
    """The chain exec'd as libcni runs it: name, cniVersion, runtimeConfig and prevResult injected."""

    def __init__(self, name, index, native, bindir):
        super().__init__(name, index, native)
        self.bindir = fresh_copy(bindir, "cni-churn-bin-")
        self.results = {}

    def run(self, command, pod, plugin, prev):
        config = dict(plugin, name=self.network, cniVersion="1.0.0")
        capabilities = config.pop("capabilities", None)
        if capabilities:
            runtime = self.runtime_config(pod)
            config["runtimeConfig"] = {k: runtime[k] for k in capabilities}
        if prev is not None:
            config["prevResult"] = prev
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": f"churn-{self.index}-{pod}",
               "CNI_NETNS": f"/run/netns/{self.pod_name(pod)}", "CNI_IFNAME": "eth0", "CNI_PATH": self.bindir,
               "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        start = time.perf_counter()
        run = subprocess.run([os.path.join(self.bindir, plugin["type"])], input=json.dumps(config).encode(),
                             capture_output=True, env=env)
        elapsed = (time.perf_counter() - start) * 1000
        if run.returncode != 0:
            sys.exit(f"{self.name}: {plugin['type']} {command} of pod {pod} failed: {run.stdout.decode()} {run.stderr.decode()}")
        return run.stdout, elapsed

    def add(self, pod):
        prev, times = None, {}
        for plugin in self.plugins:
            out, times[plugin["type"]] = self.run("ADD", pod, plugin, prev)
            prev = json.loads(out)
        self.results[pod] = prev
        return times

    def delete(self, pod):
        for plugin in reversed(self.plugins):
            self.run("DEL", pod, plugin, self.results.get(pod))
        self.results.pop(pod, None)

    def cleanup(self):
        super().cleanup()
        shutil.rmtree(self.bindir, ignore_errors=True)


class InProcessSide(Side):
    """The chain through CniChainExecutor in a long-lived process (one JSON line each way per request)."""

    def __init__(self, name, index, native):
        super().__init__(name, index, native)
        self.driver = subprocess.Popen([DRIVER, "pod-chain-driver"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True, bufsize=1, env={**os.environ, "DOTNET_TieredCompilation": "0"})
        conflist = {"cniVersion": "1.0.0", "name": self.network, "plugins": self.plugins}
        self.cache = tempfile.mkdtemp(prefix="cni-churn-cache-")
        self.ask({"conflist": conflist, "cniPath": OURS_BIN, "cacheDir": self.cache})

    def ask(self, message):
        self.driver.stdin.write(json.dumps(message) + "\n")
        self.driver.stdin.flush()
        answer = json.loads(self.driver.stdout.readline() or '{"ok":false,"error":"driver exited"}')
        if not answer["ok"]:
            sys.exit(f"{self.name}: {message.get('cmd')} failed: {answer.get('error')}")
        return answer

    def request(self, command, pod):
        return self.ask({"cmd": command, "containerId": f"churn-{self.index}-{pod}",
                         "netns": f"/run/netns/{self.pod_name(pod)}", "capabilityArgs": self.runtime_config(pod)})

    def add(self, pod):
        return self.request("ADD", pod)["plugins"]

    def delete(self, pod):
        self.request("DEL", pod)

    def cleanup(self):
        super().cleanup()
        self.driver.stdin.close()
        self.driver.wait()
        shutil.rmtree(self.cache, ignore_errors=True)


def main():
    subprocess.run("mkdir -p /run/netns && mount -t tmpfs none /run/netns", shell=True, check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
        f.write("1")
    sides = []
    try:
        sides.append(InProcessSide("ours in-process, iptables layout", 0, False))
        sides.append(InProcessSide("ours in-process, native layouts", 1, True))
        sides.append(ExecSide("ours exec'd, iptables layout", 2, False, OURS_BIN))
        sides.append(ExecSide("ours exec'd, native layouts", 3, True, OURS_BIN))
        sides.append(ExecSide("reference exec'd, iptables layout", 4, False, REF_BIN))
        for side in sides:
            for _ in range(POOL + 2):
                side.add_pod(False)
            for _ in range(2):
                side.delete_oldest(False)
        rng = random.Random(17)
        for _ in range(STEPS):
            order = sides[:]
            rng.shuffle(order)
            for side in order:
                side.delete_oldest(True)
                if GAP:
                    time.sleep(GAP)
                side.add_pod(True)
    finally:
        for side in sides:
            side.cleanup()

    def p90(values):
        return sorted(values)[int(len(values) * 0.9)]

    print(f"{STEPS} steps per side, {POOL} pods kept on the node per side, sides interleaved (shuffled, seeded); "
          f"each step a DEL of the oldest pod, {GAP * 1000:.0f} ms, then an ADD")
    print()
    print("| side | ADD after a DEL, median | p90 | DEL median | p90 | ADD bridge / portmap / bandwidth |")
    print("|---|---:|---:|---:|---:|---:|")
    for side in sides:
        parts = " / ".join(f"{statistics.median(side.per_plugin[p]):.1f}" for p in PLUGINS)
        print(f"| {side.name} | {statistics.median(side.add_ms):.1f} ms | {p90(side.add_ms):.1f} ms | "
              f"{statistics.median(side.del_ms):.1f} ms | {p90(side.del_ms):.1f} ms | {parts} ms |")
    chart(sides)


def chart(sides):
    """Every step's ADD (after a DEL) and DEL per side, as box plots on a log scale."""
    plt = pyplot(OUT)
    if plt is None:
        return
    colours = ["tab:blue", "tab:cyan", "tab:purple", "tab:green", "tab:red"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for ax, (title, values) in zip(axes, (("ADD right after a DEL", lambda s: s.add_ms), ("DEL", lambda s: s.del_ms))):
        box = ax.boxplot([values(side) for side in sides], whis=(1, 99), showfliers=True, patch_artist=True,
                         flierprops={"markersize": 2})
        shade(box, colours)
        ax.set_xticks(range(1, len(sides) + 1), [side.name.replace(", ", "\n") for side in sides], fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("ms per pod (log); whiskers p1–p99", fontsize=8)
        ax.set_title(f"chain {title}", fontsize=9)
        ax.grid(True, axis="y", which="both", alpha=0.3)
    fig.suptitle(f"pods replaced: {STEPS} steps per side, {GAP * 1000:.0f} ms between a DEL and the next ADD", fontsize=10)
    save(fig, OUT, "churn.svg")


if __name__ == "__main__":
    require_private_namespace()
    main()
