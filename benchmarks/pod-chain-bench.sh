#!/usr/bin/env bash
# Per-pod chain benchmark: bridge(host-local, ipMasq) -> portmap -> bandwidth over 50 pods, our NativeAOT plugins
# (artifacts/cni/bin; the reference binary stands in for any plugin not published there) against the reference Go
# plugins in /usr/lib/cni, interleaved in one run, plus VERSION start-up time. Needs root; runs in a private network
# namespace so the machine's own interfaces and rules are never touched. PODS=n overrides the pod count. Ours also runs
# in-process (the chain through CniChainExecutor in one long-lived process); INPROC=0 leaves that out. NODES=own gives
# each side a node namespace of its own instead of one shared by all sides.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "${SKIP_PUBLISH:-0}" = 1 ] || eng/publish.sh >/dev/null
# The in-process side (INPROC=0 leaves it out) runs in the benchmarks exe; built here, outside the namespace, where
# NuGet can restore.
[ "${INPROC:-1}" = 0 ] || [ "${SKIP_BUILD:-0}" = 1 ] ||
  dotnet build benchmarks/Cni.Net.Benchmarks/Cni.Net.Benchmarks.csproj -c Release -nologo -clp:ErrorsOnly -v:q >/dev/null
export CNI_BENCH_OUTER_NETNS
CNI_BENCH_OUTER_NETNS=$(readlink /proc/self/ns/net)
exec unshare --net -- bash -c 'ip link set lo up && exec python3 "$0"' benchmarks/pod_chain_bench.py
