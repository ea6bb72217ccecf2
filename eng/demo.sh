#!/usr/bin/env bash
# The main job: Cni.Net at work on this machine. Installs prerequisites (eng/prereqs.sh), builds, and runs each
# part of the demo, saying what it does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

step() { printf '\n\033[1m### %s\033[0m\n' "$*"; }

# eng/demo.sh kubenet: the kubelet network-plugin layer (samples/kubenet-node) serving two pods.
if [ "${1:-}" = kubenet ]; then exec "$root/eng/demo-kubenet.sh"; fi

step "prerequisites (apt packages the demo and tests use)"
"$root/eng/prereqs.sh"

step "build (Release)"
dotnet build Cni.Net.sln -c Release -nologo -clp:ErrorsOnly -v:q

step "spec model: conf dir samples/Cni.Demo/net.d -> default network, skipped files, version, one result in every version"
# Uses the reference /usr/lib/cni/host-local (containernetworking-plugins) for the result when it is installed.
"$root/artifacts/build/bin/Cni.Demo/release/cni-demo" "$root/samples/Cni.Demo/net.d" /usr/lib/cni
