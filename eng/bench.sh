#!/usr/bin/env bash
# Runs the BenchmarkDotNet benchmarks (benchmarks/Cni.Net.Benchmarks) in a private network namespace, so the
# netlink benchmarks never touch the machine's own interfaces.
#   eng/bench.sh                 full runs (takes long); extra arguments go to BenchmarkDotNet, e.g. --filter '*Netlink*'
#   eng/bench.sh --smoke         every benchmark once (BenchmarkDotNet's Dry job, in-process): what CI runs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# In-process toolchain: the private namespace has no network, so BenchmarkDotNet's usual generated project (which
# runs its own NuGet restore) cannot be built there.
args=(--inProcess "$@")
if [ "${1:-}" = --smoke ]; then
  args=(--filter '*' --job Dry --inProcess --memory --artifacts "$root/artifacts/bench-smoke" "${@:2}")
fi
dotnet build benchmarks/Cni.Net.Benchmarks/Cni.Net.Benchmarks.csproj -c Release -nologo -clp:ErrorsOnly -v:q
exe="$root/artifacts/build/bin/Cni.Net.Benchmarks/release/Cni.Net.Benchmarks"
# The outer namespace is recorded so that benchmarks writing rules can refuse to run outside a private one.
export CNI_NET_TEST_OUTER_NETNS
CNI_NET_TEST_OUTER_NETNS=$(readlink /proc/self/ns/net)
log="$root/artifacts/bench.log"
mkdir -p "$root/artifacts"
unshare --net -- bash -c 'ip link set lo up && exec "$0" "$@"' "$exe" "${args[@]}" | tee "$log"
# BenchmarkDotNet exits 0 even when a benchmark threw: a Mean of NA in a summary row is a failed benchmark.
if grep -Eq '^\|.*\| +NA \| +NA \|' "$log"; then
  echo "bench: some benchmarks failed (Mean = NA above); see $log" >&2
  exit 1
fi
