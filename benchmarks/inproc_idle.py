#!/usr/bin/env python3
"""The in-process chain after idle: bridge(host-local, ipMasq) -> portmap -> bandwidth through CniChainExecutor in one
long-lived process (Cni.Net.Benchmarks pod-chain-driver), each pod's ADD either right after the previous one or after
GAP_MS milliseconds of nothing, the two kinds alternated in blocks of BLOCK pods in the same process so that both meet
the same node and the same warm code. Blocks, not single pods: alternated pod by pod, idle showed less
(2.66 against 3.47 ms and 2.53 against 2.75 ms in two runs; 0.6-0.8 ms more per pod in blocks of ten).

What it shows (benchmarks/README.md, "An in-process chain after idle"): a long-lived host whose pods arrive one at a
time pays more per pod than one driven back to back, most of it in bridge's handler; the official benchmark, which runs
every side between the others' pods, measures the former.

usage: unshare --net --mount benchmarks/inproc_idle.py     (PODS=60 BLOCK=10 GAP_MS=20; needs eng/publish.sh for the plugins
       the chain names and dotnet build benchmarks/Cni.Net.Benchmarks -c Release)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS_BIN = os.path.join(ROOT, "artifacts", "cni", "bin")
DRIVER = os.path.join(ROOT, "artifacts", "build", "bin", "Cni.Net.Benchmarks", "release", "Cni.Net.Benchmarks")
PODS = int(os.environ.get("PODS", "60"))
BLOCK = int(os.environ.get("BLOCK", "10"))
GAP_MS = float(os.environ.get("GAP_MS", "20"))
WARMUP = 3


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


if __name__ == "__main__":
    main()
