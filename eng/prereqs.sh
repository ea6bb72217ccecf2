#!/usr/bin/env bash
# Installs, when missing, the Debian packages Cni.Net's scripts use:
#   eng/prereqs.sh demo   what eng/demo.sh needs (iproute2, iptables, the reference plugins, ping, curl, …)
#   eng/prereqs.sh        (or "test") the demo set plus what eng/test.sh needs (compilers for the C probes, runtimes
#                         driven end to end, packet tools)
# It also loads the br_netfilter kernel module where it is a module (bridge-nf-call-iptables lives there; once
# loaded, bridged traffic on this host passes iptables, as on every Kubernetes node).
set -euo pipefail
set_name=${1:-test}
demo=(iproute2 iptables nftables containernetworking-plugins iputils-ping python3 jq curl procps kmod util-linux)
test=(gcc libc6-dev strace python3-pyroute2 conntrack clang zlib1g-dev)
test+=(iperf3)  # netfilter/tc: rate test of a shaped veth
test+=(containerd runc podman busybox-static tcpdump)  # real runtimes driven end to end (CRI, podman) and their pods
test+=(afl++)  # eng/fuzz.sh: afl-fuzz drives the SharpFuzz targets (tests/Cni.Net.Fuzz)
case "$set_name" in
  demo) packages=("${demo[@]}") ;;
  test) packages=("${demo[@]}" "${test[@]}") ;;
  *) echo "usage: eng/prereqs.sh [demo|test]" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Bridge netfilter (bridge-nf-call-iptables) lives in br_netfilter where it is a module.
modprobe br_netfilter 2>/dev/null || true
