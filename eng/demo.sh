#!/usr/bin/env bash
# The main job: Cni.Net at work on this machine. Installs the demo's prerequisites (eng/prereqs.sh demo), builds,
# publishes the NativeAOT plugins, and runs each part of the demo, saying what it does; ends with a summary of the
# steps and their times. What it changes on the host: see README.md ("What the demo changes").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# eng/demo.sh kubenet: the kubelet network-plugin layer (samples/kubenet-node) serving two pods.
if [ "${1:-}" = kubenet ]; then exec "$root/eng/demo-kubenet.sh"; fi

# shellcheck source=eng/demo-lib.sh
. "$root/eng/demo-lib.sh"
trap 'summary failed' EXIT

step "prerequisites (apt packages the demo uses: eng/prereqs.sh demo)"
"$root/eng/prereqs.sh" demo

build_and_publish

step "spec model: conf dir samples/Cni.Demo/net.d -> default network, skipped files, version, one result in every version"
# Uses the reference /usr/lib/cni/host-local (containernetworking-plugins) for the result when it is installed.
"$root/artifacts/build/bin/Cni.Demo/release/cni-demo" "$root/samples/Cni.Demo/net.d" /usr/lib/cni

# ---- plugins at work: our NativeAOT plugins run by cni-tool in throwaway namespaces ----

demo=$(mktemp -d /tmp/cni-net-demo.XXXXXX)
node=cnidemo-node-$$ pod1=cnidemo-pod1-$$ pod2=cnidemo-pod2-$$
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  for ns in "$pod1" "$pod2" "$node"; do ip netns delete "$ns" 2>/dev/null || true; done
  rm -rf "$demo"
}
trap 'status=$?; cleanup; summary failed; exit $status' EXIT
in_node() { ip netns exec "$node" "$@"; }

step "plugin directory $demo/bin: ours where published, the reference binary (/usr/lib/cni) otherwise"
mkdir -p "$demo/bin" "$demo/net.d" "$demo/ipam" "$demo/cache"
for p in loopback bridge host-local portmap bandwidth; do
  if [ -x "$root/artifacts/cni/bin/$p" ]; then
    ln -s "$root/artifacts/cni/bin/$p" "$demo/bin/$p"; echo "  $p: Cni.Net (artifacts/cni/bin/$p, NativeAOT)"
  else
    ln -s "/usr/lib/cni/$p" "$demo/bin/$p"; echo "  $p: reference (/usr/lib/cni/$p) — not yet published by this repository"
  fi
done

step "a throwaway node namespace ($node) and two pod namespaces ($pod1, $pod2)"
run ip netns add "$node"
run ip netns add "$pod1"
run ip netns add "$pod2"
in_node ip link set lo up

step "the default conflists in $demo/net.d"
cat > "$demo/net.d/10-demo.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "demo",
  "plugins": [
    {"type": "bridge", "bridge": "cnidemo0", "isGateway": true, "isDefaultGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$demo/ipam", "ranges": [[{"subnet": "10.88.0.0/24"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true},
    {"type": "bandwidth", "capabilities": {"bandwidth": true}}
  ]
}
JSON
cat > "$demo/net.d/99-loopback.conf" <<JSON
{"cniVersion": "1.0.0", "name": "cni-loopback", "type": "loopback"}
JSON
cat "$demo/net.d/10-demo.conflist" "$demo/net.d/99-loopback.conf"

export NETCONFPATH="$demo/net.d" CNI_PATH="$demo/bin" CNI_CACHE_DIR="$demo/cache"
tool="$root/artifacts/bin/cni-tool"
caps1='{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":8000000,"ingressBurst":800000,"egressRate":4000000,"egressBurst":400000}}'

step "ADD: loopback and demo (bridge + host-local + portmap + bandwidth) for both pods, through cni-tool in the node namespace"
for pod in "$pod1" "$pod2"; do
  say "cni-tool add cni-loopback /run/netns/$pod (CNI_IFNAME=lo)"
  CNI_IFNAME=lo in_node "$tool" add cni-loopback "/run/netns/$pod"; echo
done
say "CAP_ARGS='$caps1' cni-tool add demo /run/netns/$pod1"
CAP_ARGS="$caps1" in_node "$tool" add demo "/run/netns/$pod1" | tee "$demo/pod1.json"; echo
say "cni-tool add demo /run/netns/$pod2"
in_node "$tool" add demo "/run/netns/$pod2" | tee "$demo/pod2.json"; echo
ip1=$(jq -r '.ips[0].address' "$demo/pod1.json" | cut -d/ -f1)
ip2=$(jq -r '.ips[0].address' "$demo/pod2.json" | cut -d/ -f1)
gw=$(jq -r '.ips[0].gateway' "$demo/pod1.json")
veth1=$(jq -r '.interfaces[1].name' "$demo/pod1.json")

step "CHECK both pods (every plugin of the chain checks its part)"
# The reference portmap and bandwidth 1.1.1 fail their own CHECK (an IPv6 chain they never made; a nil dereference
# without a bandwidth entry): where they stand in for ours, their errors show up here and the demo goes on.
CAP_ARGS="$caps1" run in_node "$tool" check demo "/run/netns/$pod1" && echo "  pod1: ok" || echo "  pod1: CHECK failed (above)"
run in_node "$tool" check demo "/run/netns/$pod2" && echo "  pod2: ok" || echo "  pod2: CHECK failed (above)"

step "the kernel state: node links and nat rules, pod addresses and routes"
run in_node ip -br link
run in_node ip -br addr show dev cnidemo0
run in_node iptables-save -t nat
run ip -n "$pod1" -br addr
run ip -n "$pod1" route

step "traffic: pod1 -> pod2, pod2 -> pod1 and pod1 -> gateway"
run ip netns exec "$pod1" ping -c 2 -W 2 "$ip2"
run ip netns exec "$pod2" ping -c 2 -W 2 "$ip1"
run ip netns exec "$pod1" ping -c 1 -W 2 "$gw"

step "host port: the node connects to $gw:8080, portmap sends it to pod1 port 80"
ip netns exec "$pod1" python3 -c '
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from pod1, you came from %s\n" % self.client_address[0]).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
socketserver.TCPServer(("0.0.0.0", 80), H).serve_forever()' &
server_pid=$!
say "python3 urllib GET http://$gw:8080/ (in the node namespace)"
in_node python3 -c "
import sys, time, urllib.request
for attempt in range(50):  # the server in pod1 may still be starting
    try:
        print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end=''); break
    except OSError:
        if attempt == 49: raise
        time.sleep(0.1)" "http://$gw:8080/"
kill "$server_pid"; server_pid=

step "shaping: tbf on pod1's host veth ($veth1) for ingress, ifb + tbf for egress"
run in_node tc qdisc show dev "$veth1"
for ifb in $(in_node ip -br link show type ifb | awk '{print $1}'); do run in_node tc qdisc show dev "$ifb"; done

step "DEL everything, in reverse, and show that nothing is left"
CAP_ARGS="$caps1" run in_node "$tool" del demo "/run/netns/$pod1"
run in_node "$tool" del demo "/run/netns/$pod2"
for pod in "$pod1" "$pod2"; do CNI_IFNAME=lo run in_node "$tool" del cni-loopback "/run/netns/$pod"; done
run in_node ip -br link
run in_node iptables-save -t nat
say "ls $demo/ipam/demo"; ls "$demo/ipam/demo"
step "remove the namespaces, the bridge (it lives in the node namespace) and $demo"
cleanup
trap - EXIT
summary ok
