#!/usr/bin/env python3
"""Reads xunit v2-format XML result files and prints the closing line 'N passed, N failed, N skipped'.

Under CI=true a skip is a failure unless its reason says the running kernel lacks the feature
('kernel lacks ...'): a missing tool or missing privileges must never hide a test.
"""
import os
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
bad_skips = []
for path in sys.argv[1:]:
    if not os.path.exists(path):
        print(f"missing result file: {path}", file=sys.stderr)
        failed += 1
        continue
    root = ET.parse(path).getroot()
    for test in root.iter("test"):
        result = test.get("result")
        name = test.get("name")
        if result == "Pass":
            passed += 1
        elif result == "Skip":
            reason = (test.findtext("reason") or "").strip()
            print(f"  skipped: {name}: {reason}")
            if os.environ.get("CI") == "true" and not reason.startswith("kernel lacks"):
                bad_skips.append(f"{name}: {reason}")
            skipped += 1
        else:
            failed += 1
            message = (test.findtext("failure/message") or "").strip().splitlines()
            print(f"  FAILED: {name}: {message[0] if message else ''}")

# eng/test.sh also runs every benchmark once; a benchmark that throws counts as one failed test.
bench = os.environ.get("CNI_NET_BENCH_SMOKE")
if bench == "pass":
    passed += 1
elif bench == "fail":
    print("  FAILED: benchmarks smoke run (eng/bench.sh --smoke)")
    failed += 1

# eng/test.sh also fuzzes every target briefly (eng/fuzz.sh): each target is one test, failed on a crash, a hang,
# afl-fuzz losing the target, or no figures at all.
fuzz = os.environ.get("CNI_NET_FUZZ_SUMMARY")
if fuzz:
    rows = []
    if os.path.exists(fuzz):
        with open(fuzz) as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
    if not rows:
        print(f"  FAILED: fuzzing (eng/fuzz.sh): no summary at {fuzz}")
        failed += 1
    for target, execs, rate, paths, seeds, crashes, status in rows:
        if status == "ok":
            passed += 1
        else:
            print(f"  FAILED: fuzz target {target}: {status}, {crashes} crashes after {execs} executions (inputs in artifacts/fuzz/crashes/{target})")
            failed += 1

for s in bad_skips:
    print(f"  skip not allowed in CI: {s}")
failed += len(bad_skips)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
