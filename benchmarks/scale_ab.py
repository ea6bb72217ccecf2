#!/usr/bin/env python3
"""Exec'd chain A/B on a crowded node: BASE pods are added first with build B, then N more pods alternate between
builds A and B on the same node, so both see the same node (its bridge ports, nat rules and pod namespaces).

usage: unshare --net --mount benchmarks/scale_ab.py BASE N A_DIR B_DIR

Chain bridge(host-local, ipMasq) -> portmap -> bandwidth, one bridge and one host-local store shared by all pods, the
iptables layout (the reference's default). Each DIR holds bridge, host-local, portmap and bandwidth; both builds run
fresh copies of them, made at the start. The node is this process's network namespace; the pods are namespaces under a
private /run/netns, all dropped with the process. Printed: per build, the median chain ADD of its N/2 pods and of each
plugin; then N pods picked at random (seeded) from the whole node are deleted, alternating between the builds, and the
median chain DEL of each build is printed the same way (a pod's jumps sit anywhere in the shared chains, as on a node
where pods come and go)."""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from fresh_plugins import fresh_copy

PLUGINS = ["bridge", "portmap", "bandwidth"]


def configs(data):
    return [
        {"type": "bridge", "bridge": "cnb0", "isGateway": True, "ipMasq": True,
         "ipam": {"type": "host-local", "subnet": "10.88.0.0/16", "dataDir": data}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
        {"type": "bandwidth", "capabilities": {"bandwidth": True}},
    ]


def run_plugin(command, pod, bindir, config):
    """Execs the config's plugin for the pod; its stdout and how long it took (ms). Exits on a failure."""
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": f"c{pod}", "CNI_NETNS": f"/run/netns/p{pod}", "CNI_IFNAME": "eth0",
           "CNI_PATH": bindir, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    start = time.perf_counter()
    run = subprocess.run([os.path.join(bindir, config["type"])], input=json.dumps(config).encode(), capture_output=True, env=env)
    elapsed = (time.perf_counter() - start) * 1000
    if run.returncode != 0:
        sys.exit(f"{config['type']} {command} of pod {pod} failed: {run.stdout.decode()} {run.stderr.decode()}")
    return run.stdout, elapsed


def add(pod, bindir, plugins, times):
    subprocess.run(["ip", "netns", "add", f"p{pod}"], check=True)
    runtime = {"portMappings": [{"hostPort": 20000 + pod, "containerPort": 80, "protocol": "tcp"}],
               "bandwidth": {"ingressRate": 10000000, "ingressBurst": 1000000, "egressRate": 10000000, "egressBurst": 1000000}}
    prev, chain = None, 0.0
    for plugin in plugins:
        config = dict(plugin, name="scale", cniVersion="1.0.0")
        capabilities = config.pop("capabilities", None)
        if capabilities:
            config["runtimeConfig"] = {k: runtime[k] for k in capabilities}
        if prev is not None:
            config["prevResult"] = prev
        out, elapsed = run_plugin("ADD", pod, bindir, config)
        prev = json.loads(out)
        chain += elapsed
        if times is not None:
            times[plugin["type"]].append(elapsed)
    if times is not None:
        times["chain"].append(chain)


def delete(pod, bindir, plugins, times):
    """The chain's DEL in reverse order, as libcni runs it, with the ADD's configuration (no prevResult)."""
    chain = 0.0
    for plugin in reversed(plugins):
        config = dict(plugin, name="scale", cniVersion="1.0.0")
        config.pop("capabilities", None)
        _, elapsed = run_plugin("DEL", pod, bindir, config)
        chain += elapsed
        times[plugin["type"]].append(elapsed)
    times["chain"].append(chain)
    subprocess.run(["ip", "netns", "del", f"p{pod}"], check=True)


def main():
    base, n = int(sys.argv[1]), int(sys.argv[2])
    dirs = {"A": fresh_copy(sys.argv[3], "cni-scale-ab-bin-"), "B": fresh_copy(sys.argv[4], "cni-scale-ab-bin-")}
    subprocess.run("mkdir -p /run/netns && mount -t tmpfs none /run/netns", shell=True, check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    data = tempfile.mkdtemp(prefix="cni-scale-ab-ipam-")
    plugins = configs(data)
    times = {side: {"chain": [], **{p: [] for p in PLUGINS}} for side in dirs}
    for pod in range(base):
        add(pod, dirs["B"], plugins, None)
    for i in range(n):
        side = "AB"[i % 2]
        add(base + i, dirs[side], plugins, times[side])
    for side in "AB":
        print(side, "ADD", " ".join(f"{k} {statistics.median(v):.2f} ms" for k, v in times[side].items()))
    deletes = {side: {"chain": [], **{p: [] for p in PLUGINS}} for side in dirs}
    for i, pod in enumerate(random.Random(17).sample(range(base + n), n)):
        side = "AB"[i % 2]
        delete(pod, dirs[side], plugins, deletes[side])
    for side in "AB":
        print(side, "DEL", " ".join(f"{k} {statistics.median(v):.2f} ms" for k, v in deletes[side].items()))
    for directory in [*dirs.values(), data]:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
