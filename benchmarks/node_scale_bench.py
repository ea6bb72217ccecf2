#!/usr/bin/env python3
"""Per-pod chain ADD/DEL at node scale: the chain bridge(host-local, ipMasq) -> portmap -> bandwidth, ours (NativeAOT,
artifacts/cni/bin) and the reference Go plugins (/usr/lib/cni) in one run, on a node namespace first with an empty
nat table and then pre-loaded with kube-proxy-style nat rules (KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-*, one
iptables-restore) and a busy conntrack table; PODS pods added one after another (the two sides interleaved pod by pod)
and PARALLEL at a time, then deleted in reverse order. Then ALLOC host-local allocations on a /20, ours and the
reference interleaved. Writes results.json and SVG charts into OUT and prints Markdown tables.

Run through benchmarks/node-scale-bench.sh, which puts it in a private network namespace (the "node").
Environment: PODS (250), PARALLEL (8), RULES (5000), CONNTRACK (10000), ALLOC (1000), OUT (benchmarks/figures),
BEFORE_BIN (a directory of older builds of our plugins: measured as a third side, "before"), PHASES (seq,par),
SIDES (which of ours,reference,before,ours-nft to run; default ours,reference,before as available; ours-nft is ours
with the native nf_tables layouts, bridge ipMasqBackend and portmap backend "nftables"), TAG (pod namespace prefix, so two runs can share
the machine)."""
import concurrent.futures, json, os, shutil, statistics, subprocess, sys, tempfile, time

from charts import pyplot, save, shade

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS_BIN = os.environ.get("OURS_BIN", os.path.join(ROOT, "artifacts", "cni", "bin"))
REF_BIN = "/usr/lib/cni"
PODS = int(os.environ.get("PODS", "250"))
PARALLEL = int(os.environ.get("PARALLEL", "8"))
RULES = int(os.environ.get("RULES", "5000"))
CONNTRACK = int(os.environ.get("CONNTRACK", "10000"))
ALLOC = int(os.environ.get("ALLOC", "1000"))
OUT = os.environ.get("OUT", os.path.join(ROOT, "benchmarks", "figures"))
BEFORE_BIN = os.environ.get("BEFORE_BIN")
PHASES = os.environ.get("PHASES", "seq,par").split(",")
MARKS = sorted({m for m in (1, 100, 250) if m <= PODS} | {PODS})
PATH = os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
TAG = "scl" + os.environ.get("TAG", "")
SIDES = os.environ.get("SIDES", "ours,reference,before").split(",")


def sh(*args, stdin=None):
    r = subprocess.run(list(args), input=stdin, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {r.stderr.decode()}")
    return r.stdout


class Side:
    """One set of plugins with its own bridge, subnet, host-local store and port range."""

    def __init__(self, kind, binaries, index, nftables=False):
        self.kind = kind
        self.short = "nft" if nftables else kind[:3]
        self.dir = tempfile.mkdtemp(prefix=f"cni-scale-{kind}-")
        for name in ("bridge", "host-local", "portmap", "bandwidth"):
            src = os.path.join(binaries, name)
            if not os.path.exists(src):
                src = os.path.join(REF_BIN, name)
                print(f"{kind}: {name} not in {binaries}, the reference stands in")
            # A copy, not a link: every side's binaries made in the same minute (why: benchmarks/fresh_plugins.py).
            shutil.copy2(src, os.path.join(self.dir, name))
        self.data = tempfile.mkdtemp(prefix=f"cni-scale-{kind}-ipam-")
        self.network = f"scale-{kind}"
        self.bridge = f"cnscale{index}"
        self.subnet = f"10.{100 + index}.0.0/16"
        self.port_base = 20000 + 3000 * index
        self.plugins = [
            {"type": "bridge", "bridge": self.bridge, "isGateway": True, "ipMasq": True,
             "ipam": {"type": "host-local", "subnet": self.subnet, "dataDir": self.data}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "bandwidth", "capabilities": {"bandwidth": True}},
        ]
        if nftables:
            # The native nf_tables layouts of plugins v1.9.1: bridge's cni_plugins_masquerade and portmap's
            # cni_hostport tables, apart from the iptables-nft nat table that kube-proxy fills.
            self.plugins[0]["ipMasqBackend"] = "nftables"
            self.plugins[1]["backend"] = "nftables"
        self.results = {}

    def config(self, plugin, pod, prev):
        c = dict(plugin)
        c["name"] = self.network
        c["cniVersion"] = "1.0.0"
        caps = c.pop("capabilities", None)
        if caps:
            rc = {"portMappings": [{"hostPort": self.port_base + pod, "containerPort": 80, "protocol": "tcp"},
                                   {"hostPort": self.port_base + pod, "containerPort": 53, "protocol": "udp"}],
                  "bandwidth": {"ingressRate": 10_000_000, "ingressBurst": 1_000_000,
                                "egressRate": 10_000_000, "egressBurst": 1_000_000}}
            c["runtimeConfig"] = {k: rc[k] for k in caps if k in rc}
        if prev is not None:
            c["prevResult"] = prev
        return json.dumps(c).encode()

    def exec(self, plugin, command, pod, prev):
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": f"{self.kind}-{pod}", "CNI_NETNS": self.netns(pod),
               "CNI_IFNAME": "eth0", "CNI_PATH": self.dir, "PATH": PATH}
        r = subprocess.run([os.path.join(self.dir, plugin["type"])], input=self.config(plugin, pod, prev), env=env,
                           capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"{self.kind} {plugin['type']} {command} pod {pod}: {r.stdout.decode()}{r.stderr.decode()}")
        return r.stdout

    def netns(self, pod):
        return f"/run/netns/{TAG}-{self.short}-{pod}"

    def add(self, pod):
        """Creates the pod's namespace (not timed), then times the chain's ADD."""
        sh("ip", "netns", "add", os.path.basename(self.netns(pod)))
        t = time.perf_counter()
        prev = None
        for p in self.plugins:
            prev = json.loads(self.exec(p, "ADD", pod, prev))
        ms = (time.perf_counter() - t) * 1000
        self.results[pod] = prev
        return ms

    def delete(self, pod):
        t = time.perf_counter()
        for p in reversed(self.plugins):
            self.exec(p, "DEL", pod, self.results[pod])
        ms = (time.perf_counter() - t) * 1000
        subprocess.run(["ip", "netns", "del", os.path.basename(self.netns(pod))], capture_output=True)
        return ms

    def allocate(self, n, command):
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": f"alloc-{self.kind}-{n}", "CNI_NETNS": "/run/netns/none",
               "CNI_IFNAME": "eth0", "CNI_PATH": self.dir, "PATH": PATH}
        conf = {"cniVersion": "1.0.0", "name": f"alloc-{self.kind}", "type": "host-local",
                "ipam": {"type": "host-local", "subnet": "10.200.0.0/20", "dataDir": self.data}}
        t = time.perf_counter()
        r = subprocess.run([os.path.join(self.dir, "host-local")], input=json.dumps(conf).encode(), env=env,
                           capture_output=True)
        ms = (time.perf_counter() - t) * 1000
        if r.returncode != 0:
            raise RuntimeError(f"{self.kind} host-local {command} {n}: {r.stdout.decode()}{r.stderr.decode()}")
        return ms

    def cleanup(self):
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.data, ignore_errors=True)


def kube_proxy_rules(count):
    """iptables-restore input for a nat table shaped like kube-proxy's: per service one KUBE-SERVICES match jumping to
    its KUBE-SVC chain, which picks one of two endpoints' KUBE-SEP chains at random; each SEP marks hairpin traffic
    and DNATs. Seven rules per service (plus the fixed chains) until `count` rules are written."""
    lines = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
             ":POSTROUTING ACCEPT [0:0]", ":KUBE-SERVICES - [0:0]", ":KUBE-POSTROUTING - [0:0]", ":KUBE-MARK-MASQ - [0:0]"]
    rules = ["-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
             "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
             "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING",
             "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
             "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
             "-A KUBE-POSTROUTING -j MASQUERADE"]
    chains = []
    s = 0
    while len(rules) < count:
        svc = f"KUBE-SVC-{s:016X}"
        cip = f"10.96.{s // 250}.{s % 250 + 1}"
        chains.append(svc)
        rules.append(f"-A KUBE-SERVICES -d {cip}/32 -p tcp -m comment --comment \"ns{s % 40}/svc{s}:http cluster IP\" "
                     f"-m tcp --dport 80 -j {svc}")
        for e in range(2):
            sep = f"KUBE-SEP-{s:015X}{e}"
            ep = f"10.244.{s // 120}.{(s % 120) * 2 + e + 2}"
            chains.append(sep)
            prob = " -m statistic --mode random --probability 0.50000000000" if e == 0 else ""
            rules.append(f"-A {svc} -m comment --comment \"ns{s % 40}/svc{s}:http -> {ep}:8080\"{prob} -j {sep}")
            rules.append(f"-A {sep} -s {ep}/32 -m comment --comment \"ns{s % 40}/svc{s}:http\" -j KUBE-MARK-MASQ")
            rules.append(f"-A {sep} -p tcp -m comment --comment \"ns{s % 40}/svc{s}:http\" -m tcp -j DNAT "
                         f"--to-destination {ep}:8080")
        s += 1
    lines += [f":{c} - [0:0]" for c in chains] + rules + ["COMMIT", ""]
    return "\n".join(lines), len(rules)


def load_node(rules, flows):
    text, written = kube_proxy_rules(rules)
    t = time.perf_counter()
    sh("iptables-nft-restore", "--noflush", stdin=text.encode())
    loaded = (time.perf_counter() - t) * 1000
    lines = []
    for i in range(flows):
        lines.append(f"-I -p tcp -s 10.244.{(i >> 8) & 0xff}.{i & 0xff} -d 10.96.{(i >> 10) & 0x3}.{i % 250 + 1} "
                     f"--sport {10000 + i % 50000} --dport 80 -t 3600 --state ESTABLISHED")
    with tempfile.NamedTemporaryFile("w", prefix="cni-scale-ct-", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        if flows:
            sh("conntrack", "-R", f.name)
    finally:
        os.unlink(f.name)
    count = int(sh("conntrack", "-C").decode().strip() or 0)
    print(f"node loaded: {written} nat rules (one restore, {loaded:.0f} ms), {count} conntrack entries")
    return written, count


def run_sequential(sides, pods):
    """ADD pods 1..N (sides interleaved pod by pod), then DEL N..1: the i-th sample ran with i pods present."""
    add = {s.kind: [] for s in sides}
    dele = {s.kind: [] for s in sides}
    for pod in range(pods):
        for s in sides:
            add[s.kind].append(s.add(pod))
    for pod in reversed(range(pods)):
        for s in sides:
            dele[s.kind].append(s.delete(pod))
    for s in sides:
        dele[s.kind].reverse()
    return add, dele


def run_parallel(sides, pods, width):
    """Each side on its own: N pods ADDed `width` at a time, then DELed `width` at a time; samples in start order."""
    add, dele = {}, {}
    for s in sides:
        with concurrent.futures.ThreadPoolExecutor(width) as pool:
            add[s.kind] = list(pool.map(s.add, range(pods)))
            dele[s.kind] = list(pool.map(s.delete, range(pods)))
    return add, dele


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def window(xs, mark):
    """Samples around the mark-th pod (±5 pods), so 'at pod 100' is not one noisy sample."""
    lo, hi = max(0, mark - 5), min(len(xs), mark + 5)
    if mark == 1:
        lo, hi = 0, min(len(xs), 10)
    return xs[lo:hi]


def summary(xs):
    return {"median": statistics.median(xs), "p99": pct(xs, 99), "n": len(xs),
            "at": {str(m): {"median": statistics.median(window(xs, m)), "p99": pct(window(xs, m), 99)} for m in MARKS}}


def table(results, kinds):
    out = []
    head = "| phase | verb | side | median | p99 | " + " | ".join(f"pod {m} median (p99)" for m in MARKS) + f" | pod {MARKS[-1]} ÷ pod 1 |"
    out.append(head)
    out.append("|" + "---|" * (head.count("|") - 1))
    for phase, data in results.items():
        for verb in ("ADD", "DEL"):
            for k in kinds:
                s = data[verb].get(k)
                if s is None:
                    continue
                at = " | ".join(f"{s['at'][str(m)]['median']:.1f} ({s['at'][str(m)]['p99']:.1f})" for m in MARKS)
                ratio = s['at'][str(MARKS[-1])]['median'] / s['at'][str(MARKS[0])]['median']
                out.append(f"| {phase} | {verb} | {k} | {s['median']:.1f} | {s['p99']:.1f} | {at} | {ratio:.2f} |")
    return "\n".join(out)


def charts(raw, results, alloc, kinds):
    plt = pyplot(OUT)
    if plt is None:
        return
    colours = {"ours": "tab:blue", "reference": "tab:red", "before": "tab:gray", "ours-nft": "tab:green"}
    # Latency against the number of pods present, per phase.
    phases = list(raw)
    fig, axes = plt.subplots(2, len(phases), figsize=(4.2 * len(phases), 6.5), squeeze=False, sharey="row")
    for col, phase in enumerate(phases):
        for row, verb in enumerate(("ADD", "DEL")):
            ax = axes[row][col]
            for k in kinds:
                xs = raw[phase][verb].get(k)
                if xs:
                    ax.plot(range(1, len(xs) + 1), xs, ".", ms=2.5, alpha=0.45, color=colours.get(k))
                    roll = [statistics.median(xs[max(0, i - 10):i + 11]) for i in range(len(xs))]
                    ax.plot(range(1, len(xs) + 1), roll, "-", lw=1.4, color=colours.get(k), label=k)
            ax.set_yscale("log")
            ax.set_title(f"{verb}, {phase}", fontsize=9)
            ax.set_xlabel("pods on the node" if "parallel" not in phase else "pod (start order)", fontsize=8)
            ax.grid(True, which="both", alpha=0.3)
            if col == 0:
                ax.set_ylabel("chain latency per pod (ms, log)", fontsize=8)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("bridge(host-local, ipMasq) → portmap → bandwidth: per-pod latency against pods present", fontsize=10)
    save(fig, OUT, "node-scale-latency-vs-pods.svg")
    # Distributions: every pod's ADD/DEL, per phase and side.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, verb in zip(axes, ("ADD", "DEL")):
        data, labels, cols = [], [], []
        for phase in phases:
            for k in kinds:
                xs = raw[phase][verb].get(k)
                if xs:
                    data.append(xs)
                    labels.append(f"{k}\n{phase}")
                    cols.append(colours.get(k))
        bp = ax.boxplot(data, whis=(1, 99), showfliers=False, patch_artist=True)
        shade(bp, cols)
        ax.set_xticks(range(1, len(labels) + 1), labels, fontsize=6, rotation=45, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("ms per pod (log); whiskers p1–p99", fontsize=8)
        ax.set_title(f"chain {verb}", fontsize=9)
        ax.grid(True, axis="y", which="both", alpha=0.3)
    save(fig, OUT, "node-scale-distribution.svg")
    # Median against rule count (sequential phases).
    seq = [(p, results[p]["rules"]) for p in phases if "sequential" in p]
    if len(seq) > 1:
        fig, ax = plt.subplots(figsize=(6, 4))
        for k in kinds:
            for verb, style in (("ADD", "o-"), ("DEL", "s--")):
                pts = [(rules, results[p][verb][k]["median"]) for p, rules in seq if k in results[p][verb]]
                ax.plot([r for r, _ in pts], [v for _, v in pts], style, color=colours.get(k), label=f"{k} {verb}")
        ax.set_yscale("log")
        ax.set_xlabel("kube-proxy nat rules on the node", fontsize=8)
        ax.set_ylabel("median ms per pod (log)", fontsize=8)
        ax.set_title("per-pod chain latency against nat table size", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        save(fig, OUT, "node-scale-latency-vs-rules.svg")
    if alloc:
        fig, ax = plt.subplots(figsize=(6, 4))
        for k, xs in alloc.items():
            ax.plot(range(1, len(xs) + 1), xs, ".", ms=2, alpha=0.4, color=colours.get(k))
            roll = [statistics.median(xs[max(0, i - 20):i + 21]) for i in range(len(xs))]
            ax.plot(range(1, len(xs) + 1), roll, "-", color=colours.get(k), label=k)
        ax.set_yscale("log")
        ax.set_xlabel("addresses allocated in the /20", fontsize=8)
        ax.set_ylabel("host-local ADD (ms, log)", fontsize=8)
        ax.set_title(f"{len(next(iter(alloc.values())))} host-local allocations", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        save(fig, OUT, "node-scale-host-local.svg")
    print(f"charts written to {OUT}")


def report(results, kinds):
    """Prints the pod phases' tables and saves them (before the allocations run)."""
    print()
    print(table(results, kinds))
    seq = [p for p in results if "sequential" in p]
    if len(seq) == 2:
        print()
        print(f"{seq[1]} ÷ {seq[0]} (median):")
        for k in kinds:
            a0, a1 = (results[p]["ADD"][k]["median"] for p in seq)
            d0, d1 = (results[p]["DEL"][k]["median"] for p in seq)
            print(f"- {k}: ADD {a1 / a0:.2f}x, DEL {d1 / d0:.2f}x")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "node-scale-pods.json"), "w") as f:
        json.dump(results, f, indent=1)
    sys.stdout.flush()


def main():
    if os.readlink("/proc/self/ns/net") == os.environ.get("CNI_BENCH_OUTER_NETNS"):
        sys.exit("refusing to run in the machine's own network namespace; use benchmarks/node-scale-bench.sh")
    sides = []
    raw, results = {}, {}
    alloc = {}
    try:
        if "ours" in SIDES:
            sides.append(Side("ours", OURS_BIN, 0))
        if "reference" in SIDES:
            sides.append(Side("reference", REF_BIN, 1))
        if BEFORE_BIN and "before" in SIDES:
            sides.append(Side("before", BEFORE_BIN, 2))
        if "ours-nft" in SIDES:
            sides.append(Side("ours-nft", OURS_BIN, 3, nftables=True))
        kinds = [s.kind for s in sides]
        print(f"{PODS} pods per side; chain bridge(host-local, ipMasq) -> portmap -> bandwidth, cniVersion 1.0.0; "
              f"sides: {', '.join(kinds)}")
        levels = [(0, 0), (RULES, CONNTRACK)] if RULES else [(0, 0)]
        for rules, flows in levels:
            if rules:
                rules, flows = load_node(rules, flows)
            if "seq" in PHASES:
                phase = f"{rules} rules, sequential"
                t = time.time()
                add, dele = run_sequential(sides, PODS)
                raw[phase] = {"ADD": add, "DEL": dele}
                print(f"{phase}: {time.time() - t:.0f} s")
            if "par" in PHASES:
                phase = f"{rules} rules, {PARALLEL} in parallel"
                t = time.time()
                add, dele = run_parallel(sides, PODS, PARALLEL)
                raw[phase] = {"ADD": add, "DEL": dele}
                print(f"{phase}: {time.time() - t:.0f} s")
            for phase in raw:
                if phase not in results:
                    results[phase] = {"rules": rules, "conntrack": flows,
                                      **{v: {k: summary(xs) for k, xs in raw[phase][v].items()} for v in ("ADD", "DEL")}}
        report(results, kinds)
        if ALLOC:
            alloc = {s.kind: [] for s in sides if s.kind != "before"}
            for n in range(ALLOC):
                for s in sides:
                    if s.kind in alloc:
                        alloc[s.kind].append(s.allocate(n, "ADD"))
            for n in range(ALLOC):
                for s in sides:
                    if s.kind in alloc:
                        s.allocate(n, "DEL")
    finally:
        for s in sides:
            for pod in list(s.results):
                subprocess.run(["ip", "netns", "del", os.path.basename(s.netns(pod))], capture_output=True)
            s.cleanup()
        for name in os.listdir("/run/netns") if os.path.isdir("/run/netns") else []:
            if name.startswith(TAG + "-"):
                subprocess.run(["ip", "netns", "del", name], capture_output=True)
        subprocess.run(["conntrack", "-F"], capture_output=True)
        subprocess.run(["iptables-nft", "-t", "nat", "-F"], capture_output=True)
        subprocess.run(["iptables-nft", "-t", "nat", "-X"], capture_output=True)
        subprocess.run(["iptables-nft", "-t", "filter", "-F"], capture_output=True)
        subprocess.run(["iptables-nft", "-t", "filter", "-X"], capture_output=True)

    if alloc:
        print()
        print(f"host-local, {ALLOC} allocations on a /20 (one exec each, ours and the reference interleaved):")
        print("| side | median | p99 | first 10 median | last 10 median | total |")
        print("|---|---:|---:|---:|---:|---:|")
        for k, xs in alloc.items():
            print(f"| {k} | {statistics.median(xs):.2f} ms | {pct(xs, 99):.2f} ms | {statistics.median(xs[:10]):.2f} ms"
                  f" | {statistics.median(xs[-10:]):.2f} ms | {sum(xs) / 1000:.1f} s |")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "node-scale-results.json"), "w") as f:
        json.dump({"results": results, "alloc": {k: summary(v) for k, v in alloc.items()}}, f, indent=1)
    charts(raw, results, alloc, kinds)


if __name__ == "__main__":
    main()
