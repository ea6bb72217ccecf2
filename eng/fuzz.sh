#!/usr/bin/env bash
# Coverage-guided fuzzing with SharpFuzz and afl-fuzz (AFL++): every target of tests/Cni.Net.Fuzz (netlink reader,
# nf_tables rule decoder, CNI config readers, CNI result reader, plugin host stdin path) runs under afl-fuzz against
# a copy of Cni.Net.dll instrumented by `sharpfuzz` (artifacts/fuzz/host), seeded from the unit tests' golden vectors.
#
# usage: eng/fuzz.sh [SECONDS_PER_TARGET (default 300)] [TARGET...]
#   CNI_NET_FUZZ_EXECS=N   stop a target once it has run about N inputs (eng/test.sh: 100000), else the full time
#   CNI_NET_FUZZ_NO_BUILD=1  use the existing Release build of tests/Cni.Net.Fuzz
#
# Prints, per target: executions, exec/s, paths found (new corpus entries), crashes; writes the same to
# artifacts/fuzz/summary.tsv. A crash (or afl-fuzz losing the target: an uncatchable exception or a hang) fails the
# run; its input is kept in artifacts/fuzz/crashes/TARGET/ for a regression test (replay it with
# `artifacts/fuzz/host/Cni.Net.Fuzz replay TARGET FILE`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-300}
shift || true
out="$root/artifacts/fuzz"
command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing: eng/prereqs.sh test installs afl++" >&2; exit 1; }

if [ "${CNI_NET_FUZZ_NO_BUILD:-}" != 1 ]; then
  dotnet build tests/Cni.Net.Fuzz -c Release -nologo -clp:ErrorsOnly >/dev/null
fi
dotnet tool restore >/dev/null

# The instrumented copy: the host's build output with Cni.Net.dll rewritten by sharpfuzz (coverage of the library
# only; the runtime's own JSON reader and the samples stay uninstrumented).
rm -rf "$out"
mkdir -p "$out/findings"
cp -r artifacts/build/bin/Cni.Net.Fuzz/release "$out/host"
dotnet sharpfuzz "$out/host/Cni.Net.dll" >"$out/instrumented-types.txt"
host="$out/host/Cni.Net.Fuzz"

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <("$host" list | cut -d' ' -f1); fi

# No interactive settings and no change to the host: afl-fuzz is told to skip its CPU governor and core_pattern
# checks, not to pin cores (other work shares them), and to print plain lines instead of its screen.
export AFL_SKIP_BIN_CHECK=1          # the target is the .NET host; the instrumentation is in Cni.Net.dll, not the ELF
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_FAST_CAL=1
export AFL_FORKSRV_INIT_TMOUT=60000  # the .NET runtime's start on a loaded machine

printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' target executions exec_per_s paths_found seeds crashes status >"$out/summary.tsv"
failed=0
for t in "${targets[@]}"; do
  json=$("$host" list | awk -v t="$t" '$1 == t { print $2 }')
  "$host" seeds "$t" "$out/seeds/$t" >/dev/null
  limits=(-V "$seconds")
  [ -n "${CNI_NET_FUZZ_EXECS:-}" ] && limits+=(-E "$CNI_NET_FUZZ_EXECS")
  dict=()
  [ "$json" = json ] && dict=(-x tests/Cni.Net.Fuzz/cni-json.dict)
  # A 10 s timeout per input: SharpFuzz's fork server is the target process itself, so a timeout ends the run
  # (reported below as a failure with the input that hung).
  # afl-fuzz aborting in its dry run before any statistics ("No instrumentation detected", seen once on a machine at
  # 550% load) is afl-fuzz not starting, not a finding: it gets one more try; every other outcome counts as it is.
  stats="$out/findings/$t/default/fuzzer_stats"
  for attempt in 1 2; do
    status=ok
    rm -rf "$out/findings/$t"
    if ! afl-fuzz -i "$out/seeds/$t" -o "$out/findings/$t" -t 10000 -m none "${limits[@]}" "${dict[@]}" \
        -- "$host" "$t" >"$out/afl-$t.log" 2>&1; then
      status="afl-fuzz failed"
    fi
    [ -e "$stats" ] && break
    [ $attempt = 1 ] && echo "== $t: afl-fuzz did not start; once more (log: $(grep -a 'PROGRAM ABORT' "$out/afl-$t.log" | sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' | head -1))"
  done
  stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats" 2>/dev/null || true; }
  execs=$(stat execs_done); runtime=$(stat run_time); found=$(stat corpus_found); crashes=$(stat saved_crashes)
  hangs=$(stat saved_hangs)
  seeds=$(find "$out/seeds/$t" -type f | wc -l)
  rate=$(awk -v e="${execs:-0}" -v s="${runtime:-0}" 'BEGIN { printf "%.0f", (s > 0) ? e / s : 0 }')
  mkdir -p "$out/crashes/$t"
  for f in "$out/findings/$t/default/crashes/"id:* "$out/findings/$t/default/hangs/"id:*; do
    [ -e "$f" ] && cp "$f" "$out/crashes/$t/"
  done
  if [ "$status" != ok ] && [ -e "$out/findings/$t/default/.cur_input" ]; then
    cp "$out/findings/$t/default/.cur_input" "$out/crashes/$t/lost-target-input"
  fi
  if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
    status="crashed"
  fi
  [ -z "$execs" ] && status="no statistics (afl-fuzz did not start)"
  if [ "$status" != ok ]; then
    failed=1
    echo "== $t: $status (afl-fuzz log: $out/afl-$t.log)"
    tail -5 "$out/afl-$t.log" | sed 's/\x1b\[[0-9;]*[a-zA-Z]//g'
    for f in "$out/crashes/$t/"*; do
      [ -e "$f" ] && { "$host" replay "$t" "$f" | head -20 || true; }
    done
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-0}" "$rate" "${found:-0}" "$seeds" "$(( ${crashes:-0} + ${hangs:-0} ))" "$status" >>"$out/summary.tsv"
done
column -t -s $'\t' "$out/summary.tsv"
[ $failed = 0 ] && rmdir "$out/crashes/"* "$out/crashes" 2>/dev/null || true
exit $failed
