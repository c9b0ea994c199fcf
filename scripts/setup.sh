#!/usr/bin/env bash
# Prepares a fresh machine. `bash scripts/setup.sh` installs Node 24 and the npm dependencies (enough to run
# `open-local synth`); `--test` also installs the Debian packages and builds the real peers the tests run
# against (kube-apiserver & co with kube-proxy and kubectl, etcd, csi-sanity, operator-sdk, the CSI sidecars, the kubelet,
# CoreDNS, kwok, OLM and opm, the stand-ins of two CSI sidecars) and the kubelet nodes' images (the project image from the Dockerfile, the sidecar
# images); cached by version and input hash, so a warm machine skips it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
with_test=false
[ "${1:-}" = "--test" ] && with_test=true

if $with_test; then
  # user-mode-linux gives the tests a kernel with device-mapper (real LVM); openssl makes the test PKI; gcc builds
  # the UML xstate shim (test/env/uml-xstate-shim.c) and the static pause binary of the kubelet nodes.
  # containerd, runc and the CNI plugins run inside the UML kubelet nodes (test/env/kubelet-node.ts), from the
  # host's filesystem; busybox-static is the one program of their test image; the kubelet sets up its iptables
  # chains as on any real node (without iptables it only logs, but the nodes should be like real ones).
  # buildah builds the project image from the Dockerfile, on a node:24-bookworm-slim made with debootstrap
  # (test/env/project-image.ts: no registry).
  pkgs=(user-mode-linux lvm2 kmod e2fsprogs xfsprogs util-linux iproute2 openssl gcc libc6-dev
    containerd runc containernetworking-plugins busybox-static iptables buildah debootstrap)
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

node_bin=$(bash scripts/install-node.sh)
export PATH="$node_bin:$PATH"
echo "setup: node $(node -v), npm $(npm -v)" >&2
npm ci --no-audit --no-fund --loglevel=error

# step LABEL COMMAND...: runs one setup step and prints its time (cold CI time is a budget: each step shows its cost).
step() {
  local label=$1 t0; t0=$(date +%s)
  shift
  "$@"
  echo "setup: $label ready in $(( $(date +%s) - t0 ))s" >&2
}

if $with_test; then
  # Peers that share their libraries are built together (one scratch module each), so a cold machine compiles
  # client-go, gRPC and the rest once per group. The Kubernetes binaries (with kube-proxy and kubectl), the kubelet of
  # the UML nodes and etcd: one go build, the longest step of a cold setup.
  step "Kubernetes binaries, kubelet and etcd" bash scripts/build-peers.sh kube kubelet etcd
  # The CSI sidecars (provisioner, resizer, snapshotter, snapshot-controller, snapshot CRDs) and kwok (fake Nodes and
  # Pods for the operator's scale benchmark and the kwok tests): their releases use the same Kubernetes libraries.
  step "CSI sidecars and kwok" bash scripts/build-peers.sh csi-sidecars kwok
  # OLM (olm and catalog operators, OLM's CRDs) and opm, for the OLM install test.
  step "OLM and opm" bash scripts/build-peers.sh olm
  step "operator-sdk" bash scripts/build-peers.sh operator-sdk
  step "csi-sanity" bash scripts/build-peers.sh csi-sanity
  # CoreDNS, the cluster DNS of the UML nodes' clusters: its own module, cut down to the plugins a cluster DNS needs.
  step "coredns" bash scripts/build-peers.sh coredns
  # Our stand-ins for node-driver-registrar and livenessprobe (the module proxy serves neither real one), which the
  # node image disk below carries under synth's default image names: its own step with its time.
  step "CSI sidecar stand-ins (registrar, livenessprobe)" bash scripts/build-peers.sh standins
  # The nodes' images: the project image (base by debootstrap, then buildah bud of the Dockerfile), the sidecar
  # images and the pause/busybox images, imported into the kubelet nodes' containerd disk. Cached by version and
  # input hash; here rather than in the first test that needs it, so its cold time shows as a step of its own.
  step "project image and node image disk" node --import tsx -e "import('./test/env/cluster-images.ts').then((m) => m.clusterImageDisk((l) => console.error('setup: ' + l)))"
fi
echo "setup: done. Put Node 24 first on PATH: export PATH=\"$node_bin:\$PATH\"" >&2
