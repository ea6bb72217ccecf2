#!/usr/bin/env bash
# Runs every test of Cni.Net on this machine. On a fresh Debian 12 (as root) it first installs what the
# tests need. Ends with the line "N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/eng/prereqs.sh" test || { echo "0 passed, 1 failed"; exit 1; }

config=Release
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"

echo "== build"
if ! dotnet build Cni.Net.sln -c "$config" -nologo -clp:ErrorsOnly; then
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== publish (NativeAOT plugins and tools used by the integration tests)"
if ! "$root/eng/publish.sh" >"$results/publish.log" 2>&1; then
  tail -50 "$results/publish.log"
  echo "0 passed, 1 failed"
  exit 1
fi

bin="$root/artifacts/build/bin"
status=0
echo "== unit tests"
"$bin/Cni.Net.Tests/${config,,}/Cni.Net.Tests" -noLogo -xml "$results/unit.xml" -reporter quiet || status=1

echo "== integration tests (in a private network namespace; every test makes and removes its own namespaces)"
# The test process itself is the "node": unshare --net gives it a namespace of its own, so node-level
# rules and links never touch the machine's root namespace.
CNI_NET_TEST_OUTER_NETNS=$(readlink /proc/self/ns/net) unshare --net -- bash -c 'ip link set lo up && exec "$0" "$@"' \
  "$bin/Cni.Net.IntegrationTests/${config,,}/Cni.Net.IntegrationTests" -noLogo -xml "$results/integration.xml" -reporter quiet -parallel none || status=1

echo "== benchmarks, each run once (BenchmarkDotNet Dry job): they must still run; figures are in benchmarks/README.md"
if "$root/eng/bench.sh" --smoke >"$results/bench-smoke.log" 2>&1; then
  export CNI_NET_BENCH_SMOKE=pass
else
  tail -40 "$results/bench-smoke.log"
  export CNI_NET_BENCH_SMOKE=fail
fi

echo "== fuzzing (SharpFuzz + afl-fuzz, coverage-guided): about 100,000 executions per target, at most 40 s each"
# Runs after the build above (no rebuild); figures per target are in its table and in docs/reliability.md.
if CNI_NET_FUZZ_NO_BUILD=1 CNI_NET_FUZZ_EXECS=100000 "$root/eng/fuzz.sh" 40 >"$results/fuzz.log" 2>&1; then
  tail -6 "$results/fuzz.log"
else
  tail -40 "$results/fuzz.log"
fi
export CNI_NET_FUZZ_SUMMARY="$root/artifacts/fuzz/summary.tsv"

"$root/eng/check-clean.sh" || status=1

python3 "$root/eng/summarize-tests.py" "$results/unit.xml" "$results/integration.xml" || status=1
exit $status
