#!/bin/sh
# Runs inside a UML guest as its command (test/env/kubelet-node.ts): turns the guest into a Kubernetes node that
# runs containerd, runc and the CNI bridge from the host's filesystem and the real kubelet, until the host creates
# $NODE_DIR/stop; the kubelet and kube-proxy are restarted if they exit, as on a real node. Everything the node
# writes but pod logs stays in the guest: tmpfs on /var/lib and /var/log (/run is one already), containerd's state
# on the copy-on-write disk /dev/ubda. The guest halts when this script ends,
# which ends every container with it.
# Environment: NODE_NAME, NODE_IP, NODE_DIR (host folder holding the configs; logs are written there), KUBELET,
# and KUBE_PROXY in a cluster network (kube-proxy in iptables mode, with Debian's iptables-legacy: see below).
set -eu
log() { echo "kubelet-node $NODE_NAME: $(cut -d' ' -f1 /proc/uptime)s $*"; }
log "guest up"
hostname "$NODE_NAME"
# cAdvisor (in the kubelet) stops with "could not detect clock speed" when /proc/cpuinfo has no "cpu MHz" line,
# and UML's has none.
sed 's/^bogomips/cpu MHz\t\t: 2000.000\nbogomips/' /proc/cpuinfo > /run/cpuinfo
mount --bind /run/cpuinfo /proc/cpuinfo
# cgroup v2 with the controllers UML has (no cpuset, no hugetlb).
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo '+cpu +memory +pids +io' > /sys/fs/cgroup/cgroup.subtree_control
for m in overlay veth bridge br_netfilter; do modprobe "$m"; done
if [ -n "${KUBE_PROXY:-}" ]; then
  # Debian's iptables defaults to its nf_tables backend, but this guest kernel refuses nf_tables' ip and ip6 tables
  # ("TABLE_ADD failed (Operation not supported)"); it has the x_tables modules. So the kubelet and kube-proxy run
  # Debian's iptables-legacy (same package), chosen for them by PATH: the host's alternatives stay untouched.
  mkdir -p /run/iptables-legacy
  for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -s /usr/sbin/xtables-legacy-multi "/run/iptables-legacy/$t"
  done
  export PATH="/run/iptables-legacy:$PATH"
  for m in nf_conntrack nf_nat ip_tables iptable_filter iptable_nat iptable_mangle ip6_tables ip6table_filter \
    ip6table_nat ip6table_mangle xt_conntrack xt_comment xt_mark xt_addrtype xt_MASQUERADE xt_statistic xt_nat \
    xt_tcpudp xt_multiport; do
    modprobe "$m"
  done
  # Pod-to-Service traffic between two pods of one bridge must pass the nat table; pods and Services of other
  # nodes are forwarded through eth0.
  sysctl -q -w net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1
fi
# Pod volumes and the CSI mount propagation need shared mounts.
mount --make-rshared /
mount -t tmpfs var-lib /var/lib
mount -t tmpfs var-log /var/log
# Pod logs go to the host's node folder, where tests read them as `kubectl logs` would (the apiserver cannot reach
# the kubelet from the host's network namespace).
mkdir -p "$NODE_DIR/pod-logs" /var/log/pods
mount --bind "$NODE_DIR/pod-logs" /var/log/pods
mkdir -p /var/lib/containerd /var/lib/kubelet /run/cni/net.d /run/kubelet/manifests
mount -t ext4 /dev/ubda /var/lib/containerd
cp "$NODE_DIR/10-open-local-test.conflist" /run/cni/net.d/
log "containerd starting"
containerd --config "$NODE_DIR/containerd.toml" > "$NODE_DIR/containerd.log" 2>&1 &
ctd=$!
i=0
until ctr --address /run/containerd/containerd.sock version > /dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 1200 ] || { log "containerd did not answer in 120 s"; exit 1; }
  kill -0 "$ctd" 2>/dev/null || { log "containerd exited"; tail -20 "$NODE_DIR/containerd.log"; exit 1; }
  sleep 0.1
done
log "containerd up; kubelet starting"
start_kubelet() {
  "$KUBELET" --config="$NODE_DIR/kubelet-config.json" --kubeconfig="$NODE_DIR/kubelet.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --cert-dir=/var/lib/kubelet/pki --v=1 \
    >> "$NODE_DIR/kubelet.log" 2>&1 &
  kubelet=$!
}
start_proxy() {
  "$KUBE_PROXY" --config="$NODE_DIR/kube-proxy-config.json" --v=1 >> "$NODE_DIR/kube-proxy.log" 2>&1 &
  proxy=$!
}
# A daemon that exits is started again, as systemd's Restart=always does on a real node (a node that lost its
# kubelet for good would be a lost node, not a crashed daemon). Each restart is recorded in $NODE_DIR/restarts
# with the daemon's exit status and last log lines, which the tests' diagnostics print.
restarted() {
  code=0
  wait "$2" || code=$?
  { log "$1 exited (status $code); restarting in 2 s"; tail -20 "$NODE_DIR/$1.log"; } >> "$NODE_DIR/restarts"
  sleep 2
}
start_kubelet
proxy=
if [ -n "${KUBE_PROXY:-}" ]; then
  log "kube-proxy starting"
  start_proxy
fi
echo "$kubelet" > "$NODE_DIR/started"
while [ ! -e "$NODE_DIR/stop" ]; do
  if ! kill -0 "$kubelet" 2>/dev/null; then restarted kubelet "$kubelet"; start_kubelet; fi
  if [ -n "$proxy" ] && ! kill -0 "$proxy" 2>/dev/null; then restarted kube-proxy "$proxy"; start_proxy; fi
  sleep 0.2
done
log "stopping"
if [ -n "$proxy" ]; then kill "$proxy" 2>/dev/null || true; wait "$proxy" || true; fi
kill "$kubelet" 2>/dev/null || true
wait "$kubelet" || true
kill "$ctd" 2>/dev/null || true
wait "$ctd" || true
log "stopped"
