#!/usr/bin/env python3
"""Start-up A/B of CNI plugin binaries: VERSION and a bandwidth-style ADD that only reads its config.

usage: unshare --net --mount benchmarks/startup_ab.py N name=path [name=path ...]

Each round execs every binary once, in turn, so a change in the machine's load falls on all of them alike. Reported:
the median wall time and the median CPU time of the child (user + sys, from wait4). ADD is timed only for binaries
named after bandwidth (its ADD without rates returns prevResult): it needs a namespace other than the plugin's own,
made here under /run/netns, so run the script in private network and mount namespaces.
"""
import os
import statistics
import subprocess
import sys
import time

NETNS = "/run/netns/startup-ab"
ADD_CONFIG = ('{"cniVersion":"1.0.0","name":"ab","type":"bandwidth","capabilities":{"bandwidth":true},'
              '"prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"%s"}],'
              '"ips":[{"address":"10.1.0.2/24","interface":0}]}}' % NETNS).encode()


def run_once(path, command):
    env = {"CNI_COMMAND": command}
    stdin = b'{"cniVersion":"1.0.0"}'
    if command == "ADD":
        env.update(CNI_CONTAINERID="startup-ab", CNI_NETNS=NETNS, CNI_IFNAME="eth0", CNI_PATH="/nonexistent")
        stdin = ADD_CONFIG
    started = time.perf_counter()
    child = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    child.stdin.write(stdin)
    child.stdin.close()
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit(f"{path} {command} failed: {out.decode(errors='replace')}")
    return (time.perf_counter() - started) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds = int(sys.argv[1])
    binaries = [arg.split("=", 1) for arg in sys.argv[2:]]
    commands = ["VERSION"]
    if any(os.path.basename(path) == "bandwidth" for _, path in binaries):
        os.makedirs("/run/netns", exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/netns"], check=True)
        subprocess.run(["ip", "netns", "add", os.path.basename(NETNS)], check=True)
        commands.append("ADD")
    for command in commands:
        cases = [(name, path) for name, path in binaries if command == "VERSION" or os.path.basename(path) == "bandwidth"]
        samples = {name: ([], []) for name, _ in cases}
        for _ in range(rounds):
            for name, path in cases:
                wall, cpu = run_once(path, command)
                samples[name][0].append(wall)
                samples[name][1].append(cpu)
        for name, _ in cases:
            wall, cpu = samples[name]
            print(f"{command:7} {name:24} wall median {statistics.median(wall):6.2f} ms   cpu median {statistics.median(cpu):6.2f} ms")


if __name__ == "__main__":
    main()
