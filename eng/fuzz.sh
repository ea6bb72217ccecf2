#!/usr/bin/env bash
# Longer fuzzing than eng/test.sh's 100,000 executions per target: the same deterministic in-process mutation loop
# (tests/Cni.Net.Tests/Fuzzing) over the netlink reader, the nf_tables decoder, the CNI config/result readers and the
# plugin host's stdin path. usage: eng/fuzz.sh [EXECUTIONS_PER_TARGET (default 5000000)] [SEED (default: the time)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CNI_NET_FUZZ_EXECUTIONS=${1:-5000000}
export CNI_NET_FUZZ_SEED=${2:-$(date +%s)}
dotnet build tests/Cni.Net.Tests -c Release -nologo -clp:ErrorsOnly
echo "fuzzing: $CNI_NET_FUZZ_EXECUTIONS executions per target, seed $CNI_NET_FUZZ_SEED (rerun with the same seed to reproduce)"
exec artifacts/build/bin/Cni.Net.Tests/release/Cni.Net.Tests -noLogo -class 'Cni.Net.Tests.Fuzzing.FuzzTests' -showLiveOutput
