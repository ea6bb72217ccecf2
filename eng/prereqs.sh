#!/usr/bin/env bash
# Installs, when missing, every Debian package the build, the tests and the demo use.
set -euo pipefail
packages=(iproute2 iptables nftables containernetworking-plugins iputils-ping gcc libc6-dev strace python3
          python3-pyroute2 conntrack jq util-linux clang zlib1g-dev procps)
packages+=(iperf3)  # netfilter/tc: rate test of a shaped veth
packages+=(containerd runc podman busybox-static tcpdump curl)  # real runtimes driven end to end (CRI, podman) and their pods
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
