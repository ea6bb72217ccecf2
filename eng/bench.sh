#!/usr/bin/env bash
# Runs the BenchmarkDotNet benchmarks (benchmarks/Cni.Net.Benchmarks) in a private network namespace, so the
# netlink benchmarks never touch the machine's own interfaces.
#   eng/bench.sh                 full runs (takes long); extra arguments go to BenchmarkDotNet, e.g. --filter '*Netlink*'
#   eng/bench.sh --smoke         every benchmark once (BenchmarkDotNet's Dry job, in-process): what CI runs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
args=("$@")
if [ "${1:-}" = --smoke ]; then
  args=(--filter '*' --job Dry --inProcess --memory --artifacts "$root/artifacts/bench-smoke" "${@:2}")
fi
dotnet build benchmarks/Cni.Net.Benchmarks/Cni.Net.Benchmarks.csproj -c Release -nologo -clp:ErrorsOnly -v:q
exe="$root/artifacts/build/bin/Cni.Net.Benchmarks/release/Cni.Net.Benchmarks"
unshare --net -- bash -c 'ip link set lo up && exec "$0" "$@"' "$exe" "${args[@]}"
