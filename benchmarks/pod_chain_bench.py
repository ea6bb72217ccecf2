#!/usr/bin/env python3
"""Per-pod ADD/DEL latency of the chain bridge(host-local, ipMasq) -> portmap -> bandwidth, exec'd as a runtime
does (libcni injection of name, cniVersion, runtimeConfig and prevResult), ours and the reference side by side,
plus ours in-process: a long-lived .NET runtime process (Cni.Net.Benchmarks pod-chain-driver) running the same chain
through CniChainExecutor with the sample handlers registered in-process (host-local too: bridge's IPAM
delegation stays in-process; CNI_BENCH_EXEC_IPAM=1 execs it as before). INPROC=0 leaves that side out.
And ours through the resident plugin server: artifacts/bin/cni-server serves the same handlers over a unix socket and
the runtime execs artifacts/bin/cni-shim under each plugin's name, exactly as a node with the server installed does.
SERVER=0 leaves that side out.

BEFORE_BIN=<dir> adds another exec'd side with the plugins of that directory (an older build of ours), interleaved
pod by pod with the others: an A/B inside this benchmark, whose run-to-run spread is larger than many changes.

NODES=shared (the default) runs every side in one node namespace, so each side's pods share the node with the other
sides' (bridges, veths, nat rules); NODES=own gives each side a node namespace of its own, empty but for its own
pods, as the issue-17 targets are stated ("empty node"). Sides stay interleaved pod by pod either way.

Run through benchmarks/pod-chain-bench.sh, which puts it in a private network namespace (the "node")."""
import contextlib, ctypes, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS_BIN = os.path.join(ROOT, "artifacts", "cni", "bin")
REF_BIN = "/usr/lib/cni"
PODS = int(os.environ.get("PODS", "50"))
VERSION_RUNS = int(os.environ.get("VERSION_RUNS", "200"))
DRIVER = os.path.join(ROOT, "artifacts", "build", "bin", "Cni.Net.Benchmarks", "release", "Cni.Net.Benchmarks")
INPROC = os.environ.get("INPROC", "1") != "0"
INPROC_WARMUP = 3
SERVER = os.environ.get("SERVER", "1") != "0"
OWN_NODES = os.environ.get("NODES", "shared") == "own"
BEFORE_BIN = os.environ.get("BEFORE_BIN")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
SERVER_BIN = os.path.join(ROOT, "artifacts", "bin", "cni-server")
SHIM_BIN = os.path.join(ROOT, "artifacts", "bin", "cni-shim")


def plugin_dir(kind):
    """A CNI_PATH directory for one side: ours (exec'd or in-process) takes every plugin artifacts/cni/bin has (the
    "before" side every plugin BEFORE_BIN has), the reference the rest."""
    d = tempfile.mkdtemp(prefix=f"cni-bench-{kind}-")
    chosen = {}
    for name in ("bridge", "host-local", "portmap", "bandwidth", "loopback"):
        ours = os.path.join(BEFORE_BIN if kind == "before" else OURS_BIN, name)
        src = ours if kind in ("ours", "inproc", "before") and os.path.exists(ours) else os.path.join(REF_BIN, name)
        if kind == "server":
            # The shim takes the plugin type from the name it is invoked under; the server has every handler.
            src = ours = SHIM_BIN
        # A copy, not a link: every side's binaries made in the same minute (why: benchmarks/fresh_plugins.py).
        shutil.copy2(src, os.path.join(d, name))
        chosen[name] = "ours" if src == ours else "reference"
    return d, chosen


class Side:
    def __init__(self, kind, index):
        self.kind = kind
        self.node = None
        if OWN_NODES:
            self.node = f"cnt-bench-node-{kind[:3]}"
            subprocess.run(["ip", "netns", "add", self.node], check=True)
            subprocess.run(["ip", "-n", self.node, "link", "set", "lo", "up"], check=True)
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
        self.extra_env = {}
        self.add_ms, self.del_ms = [], []
        self.per_plugin = {"ADD": {p["type"]: [] for p in self.plugins}, "DEL": {p["type"]: [] for p in self.plugins}}

    @contextlib.contextmanager
    def in_node(self):
        """Processes started inside are in this side's node namespace (this thread moves there and back)."""
        if self.node is None:
            yield
            return
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        node = os.open(f"/run/netns/{self.node}", os.O_RDONLY)
        try:
            if _libc.setns(node, CLONE_NEWNET) != 0:
                sys.exit(f"setns {self.node}: errno {ctypes.get_errno()}")
            yield
        finally:
            if _libc.setns(home, CLONE_NEWNET) != 0:
                sys.exit("could not return to the benchmark's namespace")
            os.close(node)
            os.close(home)

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
               "CNI_IFNAME": "eth0", "CNI_PATH": self.dir, "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               **self.extra_env}
        stdin = self.config(plugin, pod, prev)
        with self.in_node():
            t = time.perf_counter()
            r = subprocess.run([os.path.join(self.dir, plugin["type"])], input=stdin, env=env, capture_output=True)
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
        if self.node is not None:
            subprocess.run(["ip", "netns", "del", self.node], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.data, ignore_errors=True)


class ServerSide(Side):
    """Ours through the resident plugin server: the runtime execs the shim under each plugin's name, and the shim
    forwards the invocation to cni-server over its unix socket (host-local delegation stays inside the server)."""

    def __init__(self, index):
        super().__init__("server", index)
        self.socket_dir = tempfile.mkdtemp(prefix="cni-bench-server-")
        self.socket = os.path.join(self.socket_dir, "plugin-server.sock")
        self.extra_env = {"CNI_NET_PLUGIN_SERVER": self.socket}
        with self.in_node():
            self.server = subprocess.Popen([SERVER_BIN, self.socket], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.server.poll() is not None or time.monotonic() > deadline:
                self.cleanup()
                sys.exit(f"cni-server did not start: {self.server.stderr.read().decode()}")
            time.sleep(0.01)

    def warm_up(self, names):
        """As for the in-process side: a long-lived server has its paths warm (NativeAOT: page cache, first sockets)."""
        for i in range(INPROC_WARMUP):
            name = f"cnt-bench-srw-{i}"
            names.append(name)
            self.add(2000 + i, netns(name))
            self.delete(2000 + i, f"/run/netns/{name}")
        self.add_ms, self.del_ms = [], []
        self.per_plugin = {c: {p: [] for p in v} for c, v in self.per_plugin.items()}

    def cleanup(self):
        if self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=60)
        self.server.stderr.close()
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        super().cleanup()


class InProcessSide(Side):
    """The same chain through CniChainExecutor in one long-lived process; each request is one JSON line each way."""

    def __init__(self, index):
        super().__init__("inproc", index)
        self.cache = tempfile.mkdtemp(prefix="cni-bench-inproc-cache-")
        self.cold = None
        # Optimised code from the first call, as a long-lived host runs once warm (the plugin server is NativeAOT):
        # with tiered compilation the few warm-up pods leave most paths at tier 0, unoptimised.
        with self.in_node():
            self.driver = subprocess.Popen([DRIVER, "pod-chain-driver"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           text=True, bufsize=1, env={**os.environ, "DOTNET_TieredCompilation": "0"})
        conflist = {"cniVersion": "1.0.0", "name": self.network, "plugins": self.plugins}
        try:
            self.ask({"conflist": conflist, "cniPath": self.dir, "cacheDir": self.cache})
        except BaseException:
            self.cleanup()
            raise

    def ask(self, message):
        self.driver.stdin.write(json.dumps(message) + "\n")
        self.driver.stdin.flush()
        line = self.driver.stdout.readline()
        if not line:
            sys.exit("in-process driver exited")
        answer = json.loads(line)
        if not answer["ok"]:
            sys.exit(f"in-process {message.get('cmd')} {message.get('containerId')} failed: {answer.get('error')}")
        return answer

    def request(self, command, pod, netns):
        t = time.perf_counter()
        answer = self.ask({"cmd": command, "containerId": f"{self.kind}-pod-{pod}", "netns": netns,
                           "capabilityArgs": self.runtime_config(pod)})
        ms = (time.perf_counter() - t) * 1000
        for plugin, elapsed in answer["plugins"].items():
            self.per_plugin[command][plugin].append(elapsed)
        return ms

    def add(self, pod, netns):
        self.add_ms.append(self.request("ADD", pod, netns))

    def delete(self, pod, netns):
        self.del_ms.append(self.request("DEL", pod, netns))

    def warm_up(self, names):
        """A few pods first (not counted): the first runs JIT-compile the code paths a long-lived runtime has warm."""
        for i in range(INPROC_WARMUP):
            name = f"cnt-bench-inw-{i}"
            names.append(name)
            add = self.request("ADD", 1000 + i, netns(name))
            delete = self.request("DEL", 1000 + i, f"/run/netns/{name}")
            if self.cold is None:
                self.cold = (add, delete)
        self.per_plugin = {c: {p: [] for p in v} for c, v in self.per_plugin.items()}

    def cleanup(self):
        if self.driver.poll() is None:
            self.driver.stdin.close()
            self.driver.wait(timeout=30)
        self.driver.stdout.close()
        shutil.rmtree(self.cache, ignore_errors=True)
        super().cleanup()


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


def shuffled(sides, pod):
    """The sides in the order pod number pod runs them: a permutation drawn from a generator seeded with the pod, so a
    run can be repeated and every side follows every other about equally often."""
    order = list(sides)
    random.Random(1000 + pod).shuffle(order)
    return order


def main():
    if os.readlink("/proc/self/ns/net") == os.environ.get("CNI_BENCH_OUTER_NETNS"):
        sys.exit("refusing to run in the machine's own network namespace; use benchmarks/pod-chain-bench.sh")
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        forward = f.read().strip()
    sides, names = [], []
    inproc = server = before = None
    try:
        ours = Side("ours", 0)
        sides.append(ours)
        ref = Side("reference", 1)
        sides.append(ref)
        before = None
        if BEFORE_BIN:
            before = Side("before", 4)
            sides.append(before)
        if INPROC and not os.path.exists(DRIVER):
            print(f"in-process side skipped: {DRIVER} is not built (dotnet build benchmarks/Cni.Net.Benchmarks -c Release)")
        elif INPROC:
            inproc = InProcessSide(2)
            sides.append(inproc)
        if SERVER and not (os.path.exists(SERVER_BIN) and os.path.exists(SHIM_BIN)):
            print(f"plugin-server side skipped: {SERVER_BIN} or {SHIM_BIN} is not published (eng/publish.sh)")
        elif SERVER:
            server = ServerSide(3)
            sides.append(server)
        if inproc:
            inproc.warm_up(names)
        if server:
            server.warm_up(names)
        # Interleaved, so all sides see the same machine load; each pod has its own namespace. The order is shuffled
        # pod by pod (seeded): a side run right after another meets what that one left the kernel doing (a server's
        # deferred teardown, the reference's process exits, a new pod's IPv6 traffic flooded to every bridge port),
        # and in a fixed order that cost fell on the same side every time (an A/A run, BEFORE_BIN the same build:
        # ADD 0.91x, DEL 1.29x); rotating the order kept each side's predecessor.
        for pod in range(PODS):
            for side in shuffled(sides, pod):
                name = f"cnt-bench-{side.kind[:3]}-{pod}"
                names.append(name)
                side.add(pod, netns(name))
        for pod in range(PODS):
            for side in shuffled(sides, pod):
                side.delete(pod, f"/run/netns/cnt-bench-{side.kind[:3]}-{pod}")
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        for side in sides:
            side.cleanup()
        subprocess.run(["iptables-nft", "-t", "nat", "-F"], capture_output=True)
        subprocess.run(["iptables-nft", "-t", "nat", "-X"], capture_output=True)
        with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
            f.write(forward)

    print(f"pods: {PODS} per side, interleaved; chain bridge(host-local, ipMasq) -> portmap -> bandwidth, cniVersion 1.0.0; "
          + ("each side in a node namespace of its own" if OWN_NODES else "all sides in one node namespace"))
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
    if before:
        print()
        print(f"ours against an older build of ours (BEFORE_BIN={BEFORE_BIN}), exec'd, interleaved pod by pod:")
        print()
        print("| per pod | ours median | before median | ours / before |")
        print("|---|---:|---:|---:|")
        for label, a, b in (("ADD (chain)", ours.add_ms, before.add_ms), ("DEL (chain)", ours.del_ms, before.del_ms)):
            om, bm = stats(a)[0], stats(b)[0]
            print(f"| {label} | {om:.2f} ms | {bm:.2f} ms | {om / bm:.3f} |")
        for command in ("ADD", "DEL"):
            for plugin in ("bridge", "portmap", "bandwidth"):
                om = statistics.median(ours.per_plugin[command][plugin])
                bm = statistics.median(before.per_plugin[command][plugin])
                print(f"| {command} {plugin} | {om:.2f} ms | {bm:.2f} ms | {om / bm:.3f} |")
    if inproc:
        print()
        print("ours in-process (CniChainExecutor in one long-lived process; bridge, portmap, bandwidth handlers in-process,"
              " host-local in-process too since in-process IPAM) against ours exec'd:")
        print()
        print("| per pod | in-process median | in-process p90 | exec'd median | exec'd p90 | exec'd/in-process (median) |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, a, b in (("ADD (chain)", inproc.add_ms, ours.add_ms), ("DEL (chain)", inproc.del_ms, ours.del_ms)):
            (im, i9, _), (om, o9, _) = stats(a), stats(b)
            print(f"| {label} | {im:.1f} ms | {i9:.1f} ms | {om:.1f} ms | {o9:.1f} ms | {om / im:.1f}x |")
        for command in ("ADD", "DEL"):
            for plugin in ("bridge", "portmap", "bandwidth"):
                im = statistics.median(inproc.per_plugin[command][plugin])
                om = statistics.median(ours.per_plugin[command][plugin])
                print(f"| {command} {plugin} (inside the handler / exec'd) | {im:.1f} ms | | {om:.1f} ms | | {om / im:.1f}x |")
        print()
        print(f"in-process first pod (cold JIT, not counted above): ADD {inproc.cold[0]:.1f} ms, DEL {inproc.cold[1]:.1f} ms;"
              f" {INPROC_WARMUP} warm-up pods before the {PODS} measured")
    if server:
        print()
        print("ours through the resident plugin server (the runtime execs cni-shim under each plugin's name; the"
              " handlers run in cni-server) against ours exec'd and the reference:")
        print()
        print("| per pod | via server median | via server p90 | exec'd median | reference median | via server / reference |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, a, b, c in (("ADD (chain)", server.add_ms, ours.add_ms, ref.add_ms),
                               ("DEL (chain)", server.del_ms, ours.del_ms, ref.del_ms)):
            (sm, s9, _), (om, _, _), (rm, _, _) = stats(a), stats(b), stats(c)
            print(f"| {label} | {sm:.1f} ms | {s9:.1f} ms | {om:.1f} ms | {rm:.1f} ms | {sm / rm:.3f}x |")
        for command in ("ADD", "DEL"):
            for plugin in ("bridge", "portmap", "bandwidth"):
                sm = statistics.median(server.per_plugin[command][plugin])
                om = statistics.median(ours.per_plugin[command][plugin])
                rm = statistics.median(ref.per_plugin[command][plugin])
                print(f"| {command} {plugin} (shim exec + server) | {sm:.1f} ms | | {om:.1f} ms | {rm:.1f} ms | {sm / rm:.3f}x |")
    print()
    print("ratios to the reference (median per pod, this run): " + ", ".join(
        f"{label} {stats(getattr(side, attr))[0] / stats(getattr(ref, attr))[0]:.3f}x"
        for side, name in ((ours, "exec'd"), (before, "before (BEFORE_BIN) exec'd"), (server, "via server"), (inproc, "in-process")) if side
        for attr, label in (("add_ms", f"{name} ADD"), ("del_ms", f"{name} DEL"))))
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
