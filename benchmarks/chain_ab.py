#!/usr/bin/env python3
"""Exec'd chain A/B: bridge(host-local, ipMasq) -> portmap -> bandwidth, ADD then DEL, for several builds of the
plugins interleaved pod by pod, so a change in the machine's load falls on every side alike.

usage: unshare --net --mount benchmarks/chain_ab.py PODS name=DIR [name=DIR ...]

Each DIR holds bridge, host-local, portmap and bandwidth (for example a copy of artifacts/cni/bin from an older
commit, and artifacts/cni/bin itself); each side runs fresh copies of them, made at the start. Each side has its own
bridge, subnet and host-local store; the runtime's part (libcni's injection of name, cniVersion, runtimeConfig and
prevResult) is done here. Run it in private network and mount namespaces: the node is this process's namespace, the
pods are namespaces made under a private /run/netns. Printed: the median chain ADD and DEL per side, and per plugin."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from fresh_plugins import fresh_copy

PLUGINS = ("bridge", "portmap", "bandwidth")


def side_plugins(index, data_dir):
    return [
        {"type": "bridge", "bridge": f"cnab{index}", "isGateway": True, "ipMasq": True,
         "ipam": {"type": "host-local", "subnet": f"10.{88 + index}.0.0/16", "dataDir": data_dir}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
        {"type": "bandwidth", "capabilities": {"bandwidth": True}},
    ]


def run(side, plugin, command, pod, prev):
    config = dict(plugin, name=f"ab{side['index']}", cniVersion="1.0.0")
    capabilities = config.pop("capabilities", None)
    port = 20000 + 1000 * side["index"] + pod
    runtime = {"portMappings": [{"hostPort": port, "containerPort": 80, "protocol": "tcp"},
                                {"hostPort": port, "containerPort": 53, "protocol": "udp"}],
               "bandwidth": {"ingressRate": 10_000_000, "ingressBurst": 1_000_000,
                             "egressRate": 10_000_000, "egressBurst": 1_000_000}}
    if capabilities:
        config["runtimeConfig"] = {k: runtime[k] for k in capabilities}
    if prev is not None:
        config["prevResult"] = prev
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": f"ab{side['index']}-{pod}",
           "CNI_NETNS": f"/run/netns/ab{side['index']}-{pod}", "CNI_IFNAME": "eth0", "CNI_PATH": side["dir"],
           "PATH": os.environ["PATH"]}
    started = time.perf_counter()
    r = subprocess.run([os.path.join(side["dir"], plugin["type"])], input=json.dumps(config).encode(),
                       capture_output=True, env=env)
    elapsed = (time.perf_counter() - started) * 1000
    if r.returncode != 0:
        sys.exit(f"{side['name']} {plugin['type']} {command} failed: {r.stdout.decode()} {r.stderr.decode()}")
    return elapsed, (json.loads(r.stdout) if r.stdout.strip() else None)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    pods = int(sys.argv[1])
    subprocess.run("mkdir -p /run/netns && mount -t tmpfs cni-ab /run/netns", shell=True, check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    sides = []
    for index, arg in enumerate(sys.argv[2:]):
        name, directory = arg.split("=", 1)
        sides.append({"name": name, "dir": fresh_copy(directory, "cni-ab-bin-"), "index": index,
                      "data": (data := tempfile.mkdtemp(prefix="cni-ab-")), "plugins": side_plugins(index, data),
                      "ADD": {p: [] for p in PLUGINS}, "DEL": {p: [] for p in PLUGINS},
                      "chain": {"ADD": [], "DEL": []}, "results": {}})
    for pod in range(pods):
        for side in sides:
            subprocess.run(["ip", "netns", "add", f"ab{side['index']}-{pod}"], check=True)
            prev, total = None, 0.0
            for plugin in side["plugins"]:
                elapsed, prev = run(side, plugin, "ADD", pod, prev)
                side["ADD"][plugin["type"]].append(elapsed)
                total += elapsed
            side["chain"]["ADD"].append(total)
            side["results"][pod] = prev
    for pod in range(pods):
        for side in sides:
            total = 0.0
            for plugin in reversed(side["plugins"]):
                elapsed, _ = run(side, plugin, "DEL", pod, side["results"][pod])
                side["DEL"][plugin["type"]].append(elapsed)
                total += elapsed
            side["chain"]["DEL"].append(total)
            subprocess.run(["ip", "netns", "del", f"ab{side['index']}-{pod}"], check=True)
    for side in sides:
        for verb in ("ADD", "DEL"):
            per_plugin = " ".join(f"{p} {statistics.median(side[verb][p]):.2f}" for p in PLUGINS)
            print(f"{side['name']:<10} {verb} {statistics.median(side['chain'][verb]):7.2f} ms ({per_plugin})")
        shutil.rmtree(side["dir"])
        shutil.rmtree(side["data"], ignore_errors=True)


if __name__ == "__main__":
    main()
