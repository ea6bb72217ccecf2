#!/usr/bin/env bash
# Node-scale benchmark: the per-pod chain bridge(host-local, ipMasq) -> portmap -> bandwidth, our NativeAOT plugins
# (artifacts/cni/bin) against the reference Go plugins (/usr/lib/cni) in one run, on an empty node and on a node
# pre-loaded with kube-proxy-style nat rules and conntrack entries; 250 pods sequential and 8 in parallel; then
# 1,000 host-local allocations on a /20. Draws SVG charts (python3-matplotlib) into benchmarks/figures/.
# Needs root; everything runs in a private network namespace (the "node") that disappears with the script, so the
# machine's own interfaces, rules and conntrack table are never touched; pod namespaces are deleted on exit.
# Environment: PODS, PARALLEL, RULES, CONNTRACK, ALLOC, OUT, PHASES, BEFORE_BIN (see benchmarks/node_scale_bench.py);
# SKIP_PUBLISH=1 reuses artifacts/cni/bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "${SKIP_PUBLISH:-0}" = 1 ] || eng/publish.sh >/dev/null
# The charts need Debian's matplotlib (a bench-only package, so installed here rather than in eng/prereqs.sh), hence
# Debian's python3 rather than whichever python3 comes first in PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import matplotlib' 2>/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends python3-matplotlib >/dev/null
}
export CNI_BENCH_OUTER_NETNS
CNI_BENCH_OUTER_NETNS=$(readlink /proc/self/ns/net)
exec unshare --net -- bash -c 'ip link set lo up && exec "$0" "$1"' "$py" benchmarks/node_scale_bench.py
