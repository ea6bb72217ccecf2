#!/usr/bin/env bash
# Soak (outside CI): N ADD/DEL cycles of the pod chain bridge (host-local, ipMasq) → portmap → bandwidth of our
# NativeAOT plugins through cni-tool, in a private network namespace (the "node") with throwaway pod namespaces.
# Reports leftovers after the run (links, addresses, nat/filter rules, qdiscs, host-local files, cache files) and the
# ADD/DEL latency drift: median and p99 of the first vs the last 10% of cycles.
# usage: eng/soak.sh [N]   (default 1000; needs eng/publish.sh first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000}
[ -x "$root/artifacts/bin/cni-tool" ] || { echo "run eng/publish.sh first" >&2; exit 1; }
if [ "${CNI_NET_SOAK_INNER:-}" != 1 ]; then
  exec env CNI_NET_SOAK_INNER=1 unshare --net -- bash "$0" "$n"
fi
ip link set lo up
work=$(mktemp -d /tmp/cni-soak-XXXXXX)
pod=cnt-soak-$$
cleanup() { ip netns del "$pod" 2>/dev/null || true; ip link del cnsoak0 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/net.d" "$work/bin"
for p in bridge host-local portmap bandwidth; do ln -s "$root/artifacts/cni/bin/$p" "$work/bin/$p"; done
cat >"$work/net.d/10-soak.conflist" <<JSON
{"cniVersion":"1.0.0","name":"soak","plugins":[
 {"type":"bridge","bridge":"cnsoak0","isGateway":true,"ipMasq":true,
  "ipam":{"type":"host-local","dataDir":"$work/ipam","ranges":[[{"subnet":"10.87.0.0/24"}]]}},
 {"type":"portmap","capabilities":{"portMappings":true},"snat":true},
 {"type":"bandwidth","capabilities":{"bandwidth":true}}]}
JSON
export NETCONFPATH="$work/net.d" CNI_PATH="$work/bin" CNI_CACHE_DIR="$work/cache"
export CAP_ARGS='{"portMappings":[{"hostPort":18090,"containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":8000000,"ingressBurst":800000,"egressRate":16000000,"egressBurst":1600000}}'
tool="$root/artifacts/bin/cni-tool"
state() { # what a pod may leave on the node, sorted
  { ip -o link show | awk -F': ' '{print "link " $2}' | sed 's/@.*//'
    ip -o addr show | awk '$3!="inet6" || $4 !~ /^fe80/ {print "addr " $2 " " $4}'
    iptables-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
    tc qdisc show
    find "$work/ipam" "$work/cache" -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null | sed 's/^/file /'
  } | sort
}
ip netns add "$pod"
# One cycle first: the bridge and the top-level chains are node state that stays.
"$tool" add soak "/run/netns/$pod" >/dev/null && "$tool" del soak "/run/netns/$pod" >/dev/null
state >"$work/before"
: >"$work/times"
failures=0
for ((i = 0; i < n; i++)); do
  t0=$(date +%s%N)
  "$tool" add soak "/run/netns/$pod" >/dev/null || failures=$((failures + 1))
  t1=$(date +%s%N)
  "$tool" del soak "/run/netns/$pod" >/dev/null || failures=$((failures + 1))
  t2=$(date +%s%N)
  echo "$(((t1 - t0) / 1000)) $(((t2 - t1) / 1000))" >>"$work/times"
done
state >"$work/after"
leftovers=$(diff "$work/before" "$work/after" | grep -c '^[<>]' || true)
python3 - "$work/times" "$n" "$failures" "$leftovers" <<'PY'
import sys, statistics
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
n, failures, leftovers = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
k = max(1, len(rows) // 10)
def stats(xs):
    xs = sorted(xs); return statistics.median(xs) / 1000, xs[min(len(xs) - 1, int(len(xs) * 0.99))] / 1000
for name, col in (("ADD", 0), ("DEL", 1)):
    fm, fp = stats([r[col] for r in rows[:k]]); lm, lp = stats([r[col] for r in rows[-k:]])
    print(f"{name}: first 10% median {fm:.1f} ms p99 {fp:.1f} ms | last 10% median {lm:.1f} ms p99 {lp:.1f} ms | drift {100 * (lm - fm) / fm:+.1f}% median")
print(f"cycles {n}, failed operations {failures}, leftover lines {leftovers}")
PY
if [ "$leftovers" != 0 ]; then diff "$work/before" "$work/after" || true; fi
[ "$failures" = 0 ] && [ "$leftovers" = 0 ]
