#!/usr/bin/env python3
"""The in-process chain after idle: bridge(host-local, ipMasq) -> portmap -> bandwidth through CniChainExecutor in one
long-lived process (Cni.Net.Benchmarks pod-chain-driver), each pod's ADD either right after the previous one or after
GAP_MS milliseconds of nothing, the two kinds alternated in blocks of BLOCK pods in the same process so that both meet
the same node and the same warm code. Blocks, not single pods: alternated pod by pod, idle showed less
(2.66 against 3.47 ms and 2.53 against 2.75 ms in two runs; 0.6-0.8 ms more per pod in blocks of ten).

What it shows (benchmarks/README.md, "An in-process chain after idle"): a long-lived host whose pods arrive one at a
time pays more per pod than one driven back to back, most of it in bridge's handler; the official benchmark, which runs
every side between the others' pods, measures the former.

usage: unshare --net --mount /usr/bin/python3 benchmarks/inproc_idle.py     (PODS=60 BLOCK=10 GAP_MS=20; needs
       eng/publish.sh for the plugins the chain names and dotnet build benchmarks/Cni.Net.Benchmarks -c Release). With
       python3-matplotlib it draws every pod's chain ADD and the handlers per kind into OUT/inproc-idle.svg (OUT
       defaults to benchmarks/figures).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from charts import pyplot, save, shade
from private_namespace import require_private_namespace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS_BIN = os.path.join(ROOT, "artifacts", "cni", "bin")
DRIVER = os.path.join(ROOT, "artifacts", "build", "bin", "Cni.Net.Benchmarks", "release", "Cni.Net.Benchmarks")
PODS = int(os.environ.get("PODS", "60"))
BLOCK = int(os.environ.get("BLOCK", "10"))
GAP_MS = float(os.environ.get("GAP_MS", "20"))
WARMUP = 3
OUT = os.environ.get("OUT", os.path.join(ROOT, "benchmarks", "figures"))


def main():
    subprocess.run("mkdir -p /run/netns && mount -t tmpfs cni-idle /run/netns", shell=True, check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    data, cache = tempfile.mkdtemp(prefix="cni-idle-ipam-"), tempfile.mkdtemp(prefix="cni-idle-cache-")
    plugins = [
        {"type": "bridge", "bridge": "cnidle0", "isGateway": True, "ipMasq": True,
         "ipam": {"type": "host-local", "subnet": "10.88.0.0/16", "dataDir": data}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
        {"type": "bandwidth", "capabilities": {"bandwidth": True}},
    ]
    # Optimised code from the first call, as in pod_chain_bench.py.
    driver = subprocess.Popen([DRIVER, "pod-chain-driver"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              bufsize=1, env={**os.environ, "DOTNET_TieredCompilation": "0"})

    def ask(message):
        driver.stdin.write(json.dumps(message) + "\n")
        driver.stdin.flush()
        answer = json.loads(driver.stdout.readline() or "{}")
        if not answer.get("ok"):
            sys.exit(f"{message.get('cmd')} {message.get('containerId')} failed: {answer.get('error')}")
        return answer

    results = {"back to back": [], f"after {GAP_MS:g} ms idle": []}
    order = []
    pods = []
    try:
        ask({"conflist": {"cniVersion": "1.0.0", "name": "idle", "plugins": plugins}, "cniPath": OURS_BIN, "cacheDir": cache})
        for i in range(WARMUP + PODS):
            name = f"cni-idle-{i}"
            subprocess.run(["ip", "netns", "add", name], check=True)
            pods.append(name)
            idle = i >= WARMUP and (i - WARMUP) // BLOCK % 2 == 1
            if idle:
                time.sleep(GAP_MS / 1000)
            runtime = {"portMappings": [{"hostPort": 20000 + i, "containerPort": 80, "protocol": "tcp"}],
                       "bandwidth": {"ingressRate": 10_000_000, "ingressBurst": 1_000_000,
                                     "egressRate": 10_000_000, "egressBurst": 1_000_000}}
            answer = ask({"cmd": "ADD", "containerId": name, "netns": f"/run/netns/{name}", "capabilityArgs": runtime})
            if i >= WARMUP:
                results[list(results)[1 if idle else 0]].append(answer)
                order.append((idle, answer["ms"]))
    finally:
        for name in pods:
            try:
                ask({"cmd": "DEL", "containerId": name, "netns": f"/run/netns/{name}", "capabilityArgs": {}})
            except SystemExit as e:
                print(e, file=sys.stderr)
            subprocess.run(["ip", "netns", "del", name], check=False)
        driver.stdin.close()
        driver.wait()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    for kind, answers in results.items():
        per_plugin = " ".join(f"{p} {statistics.median(a['plugins'][p] for a in answers):.2f}" for p in answers[0]["plugins"])
        print(f"{kind:<22} chain ADD {statistics.median(a['ms'] for a in answers):5.2f} ms ({per_plugin}), {len(answers)} pods")
    chart(results, order)


def chart(results, order):
    """Every pod's chain ADD in the order it came, and each handler's time per kind of pod."""
    plt = pyplot(OUT)
    if plt is None:
        return
    colours = {False: "tab:blue", True: "tab:orange"}
    kinds = list(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    for idle in (False, True):
        points = [(n, ms) for n, (was_idle, ms) in enumerate(order, 1) if was_idle == idle]
        left.scatter([n for n, _ in points], [ms for _, ms in points], s=10, color=colours[idle], label=kinds[idle])
    left.set_xlabel("pod (in the order added)", fontsize=8)
    left.set_ylabel("chain ADD, ms", fontsize=8)
    left.set_ylim(bottom=0)
    left.legend(fontsize=8)
    left.grid(True, alpha=0.3)
    left.set_title(f"in blocks of {BLOCK} pods", fontsize=9)
    handlers = list(results[kinds[0]][0]["plugins"])
    positions, data, box_colours = [], [], []
    for h, handler in enumerate(handlers):
        for k, kind in enumerate(kinds):
            positions.append(h * 3 + k + 1)
            data.append([a["plugins"][handler] for a in results[kind]])
            box_colours.append(colours[k == 1])
    box = right.boxplot(data, positions=positions, whis=(1, 99), patch_artist=True, flierprops={"markersize": 2})
    shade(box, box_colours)
    right.set_xticks([h * 3 + 1.5 for h in range(len(handlers))], handlers, fontsize=8)
    right.set_ylabel("handler, ms (whiskers p1–p99)", fontsize=8)
    right.set_ylim(bottom=0)
    right.grid(True, axis="y", alpha=0.3)
    right.set_title("each handler, back to back (blue) and after idle (orange)", fontsize=9)
    fig.suptitle(f"in-process chain ADD, one long-lived process, pods back to back and after {GAP_MS:g} ms idle", fontsize=10)
    save(fig, OUT, "inproc-idle.svg")


if __name__ == "__main__":
    require_private_namespace()
    main()
