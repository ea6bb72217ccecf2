#!/usr/bin/env bash
# The kubenet mode of the demo (eng/demo.sh kubenet): samples/kubenet-node, the kubelet's network-plugin layer as a
# node agent, serves two pods on a throwaway node. Everything happens in namespaces made here and removed at the
# end: the node (where cbr0, the masquerade rule and the host ports live), two pods and an outside host. The plugins
# are ours (samples/, published NativeAOT to artifacts/cni/bin by eng/publish.sh, which this runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# shellcheck source=eng/demo-lib.sh
. "$root/eng/demo-lib.sh"

tag="cnd-kn-$$"
node="$tag-node"; poda="$tag-a"; podb="$tag-b"; ext="$tag-ext"
state=$(mktemp -d /tmp/kubenet-node.XXXXXX)
server_pid=""
cleanup() {
  set +e
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; fi
  for ns in "$poda" "$podb" "$ext" "$node"; do ip netns delete "$ns" 2>/dev/null; done
  rm -rf "$state"
}
trap 'status=$?; cleanup; summary failed; exit $status' EXIT

if [ "${CNI_DEMO_SKIP_PREREQS:-}" != 1 ]; then
  step "prerequisites (apt packages the demo uses: eng/prereqs.sh demo)"
  "$root/eng/prereqs.sh" demo
fi

build_and_publish
kn="$root/artifacts/bin/kubenet-node"
# Only our plugins: kubenet runs loopback, bridge, host-local, portmap and bandwidth, all published above.
bindirs="$root/artifacts/cni/bin"
for p in loopback bridge host-local portmap bandwidth; do
  [ -x "$bindirs/$p" ] || { echo "  $bindirs/$p is missing after eng/publish.sh"; exit 1; }
done
echo "  plugins: $bindirs (Cni.Net, NativeAOT): loopback bridge host-local portmap bandwidth"
innode() { ip netns exec "$node" "$@"; }

step "a throwaway node ($node) with an uplink to an outside host ($ext), and two pod namespaces"
for ns in "$node" "$poda" "$podb" "$ext"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$node" link add uplink0 type veth peer name eth0 netns "$ext"
ip -n "$node" addr add 192.168.100.1/24 dev uplink0; ip -n "$node" link set uplink0 up
ip -n "$ext" addr add 192.168.100.2/24 dev eth0; ip -n "$ext" link set eth0 up
run ip -n "$node" -br addr

step "kubenet-node init: the kubelet's flags, no pod CIDR yet (the controller manager hands it over later)"
run innode "$kn" init --state-dir "$state" --network-plugin=kubenet --cni-bin-dir="$bindirs" --non-masquerade-cidr=10.0.0.0/8 \
  --hairpin-mode=hairpin-veth || true

step "the pod-CIDR event: the node gets 10.244.1.0/24 and becomes ready"
run innode "$kn" pod-cidr --state-dir "$state" 10.244.1.0/24
echo "generated kubenet config and the plugins used: see docs/kubenet.md; flags kept in $state/flags:"
sed 's/^/    /' "$state/flags"

step "setup-pod: pod a with hostPort 8080->80 and 10M/20M bandwidth annotations, pod b plain"
run innode "$kn" setup-pod --state-dir "$state" --namespace demo --name a --sandbox-id "$tag-sandbox-a" --netns "/run/netns/$poda" \
  --host-port 8080:80/tcp --annotation kubernetes.io/ingress-bandwidth=10M --annotation kubernetes.io/egress-bandwidth=20M
run innode "$kn" setup-pod --state-dir "$state" --namespace demo --name b --sandbox-id "$tag-sandbox-b" --netns "/run/netns/$podb"
ipa=$(ip -n "$poda" -4 -j addr show dev eth0 | jq -r '.[0].addr_info[0].local')
ipb=$(ip -n "$podb" -4 -j addr show dev eth0 | jq -r '.[0].addr_info[0].local')
run ip -n "$node" -d -br link show master cbr0
run ip -n "$node" -br addr show cbr0

step "pod a ($ipa) -> pod b ($ipb), pod a -> the node's cbr0 gateway, pod b -> the outside host"
run ip netns exec "$poda" ping -c 2 -W 2 "$ipb"
run ip netns exec "$poda" ping -c 1 -W 2 10.244.1.1
run ip netns exec "$podb" ping -c 1 -W 2 192.168.100.2

step "masquerade: the outside host sees pod b's connection coming from the node's address"
ip netns exec "$ext" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 9000)); s.listen(1)
c, addr = s.accept(); print("    outside host: connection from", addr[0]); c.close()' &
listener=$!
sleep 0.5
ip netns exec "$podb" bash -c 'exec 3<>/dev/tcp/192.168.100.2/9000'
wait "$listener"
run innode iptables -t nat -S POSTROUTING

step "hostPort: the outside host reaches pod a's port 80 through the node's port 8080"
ip netns exec "$poda" python3 -m http.server 80 --bind 0.0.0.0 >/dev/null 2>&1 &
server_pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do ip netns exec "$poda" bash -c 'exec 3<>/dev/tcp/127.0.0.1/80' 2>/dev/null && break; sleep 0.3; done
run ip netns exec "$ext" curl -s --max-time 10 -o /dev/null -w '    HTTP %{http_code} from pod a via 192.168.100.1:8080\n' http://192.168.100.1:8080/
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

step "shaping: tbf on pod a's host veth (ingress 10M) and on its ifb (egress 20M)"
for dev in $(ip -n "$node" -j link show | jq -r '.[] | select(.ifname | test("^(veth|bwp)")) | .ifname'); do
  tc -n "$node" -j qdisc show dev "$dev" | jq -r --arg d "$dev" '.[] | select(.kind=="tbf") | "    \($d): tbf rate \(.options.rate*8/1000000) Mbit/s"'
done

step "status: readiness and pod a's addresses (from the CNI result cache)"
run innode "$kn" status --state-dir "$state" --sandbox-id "$tag-sandbox-a" --netns "/run/netns/$poda"

step "teardown-pod both: the pods keep only lo, cbr0 has no ports, no per-pod rules, no cache entries"
run innode "$kn" teardown-pod --state-dir "$state" --sandbox-id "$tag-sandbox-a" --netns "/run/netns/$poda"
run innode "$kn" teardown-pod --state-dir "$state" --sandbox-id "$tag-sandbox-b" --netns "/run/netns/$podb"
run ip -n "$poda" -br link
echo "    cbr0 ports left: $(ip -n "$node" -j link show master cbr0 | jq length)"
echo "    cache entries left: $(find "$state/cache" -type f 2>/dev/null | wc -l)"
echo "    per-pod nat chains left: $(innode iptables-save -t nat | grep -c -- '-N CNI-DN-\|^:CNI-DN-' || true)"

step "remove the namespaces (the node with cbr0 and its rules goes with them)"
cleanup
trap - EXIT
summary ok
