#!/usr/bin/env bash
# After the tests: nothing may be left behind in the machine's own namespace.
set -uo pipefail
bad=0
if [ -n "$(ip netns list 2>/dev/null)" ]; then
  echo "left behind: network namespaces:"; ip netns list; bad=1
fi
if ip -o link show 2>/dev/null | grep -Eq ': (cnt|cni|bpa|bpb|bwp|cbr0|vethcn)'; then
  echo "left behind: links:"; ip -o link show | grep -E ': (cnt|cni|bpa|bpb|bwp|cbr0|vethcn)'; bad=1
fi
if iptables-save 2>/dev/null | grep -q 'CNI-'; then
  echo "left behind: iptables CNI- chains"; bad=1
fi
# The containerd (CRI) tests: their temp dirs, pod cgroup parents and containerd processes.
if compgen -G '/tmp/cnt-cri-*' >/dev/null || compgen -G '/sys/fs/cgroup/*/cni-net-cri-*' >/dev/null || pgrep -f 'containerd --config /tmp/cnt-cri-' >/dev/null; then
  echo "left behind: containerd test state:"; ls -d /tmp/cnt-cri-* /sys/fs/cgroup/*/cni-net-cri-* 2>/dev/null; pgrep -af 'containerd --config /tmp/cnt-cri-'; bad=1
fi
# The kubenet cluster test: node state directories (every namespace of it is checked above).
if compgen -G '/tmp/cnt-cluster-*' >/dev/null; then
  echo "left behind: kubenet cluster state:"; ls -d /tmp/cnt-cluster-*; bad=1
fi
exit $bad
