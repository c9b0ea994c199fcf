#!/bin/sh
# Runs inside a UML guest (test/env/image-disk.ts): imports OCI archives into containerd whose root is the ext4
# disk /dev/ubda, so that every kubelet node can start from a copy-on-write view of that disk with its images
# already unpacked. Environment: CONTAINERD_CONFIG (its root is /var/lib/containerd), WORK (a host folder for the
# log). Arguments: the archives.
set -eu
log() { echo "import-images: $*"; }
# Guest-private /var/lib (hostfs would otherwise put containerd's state on the host).
mount -t tmpfs var-lib /var/lib
mkdir -p /var/lib/containerd
mount -t ext4 /dev/ubda /var/lib/containerd
modprobe overlay
containerd --config "$CONTAINERD_CONFIG" > "$WORK/containerd.log" 2>&1 &
ctd=$!
i=0
until ctr --address /run/containerd/containerd.sock version > /dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 600 ] || { log "containerd did not answer in 60 s"; tail -20 "$WORK/containerd.log"; exit 1; }
  kill -0 "$ctd" 2>/dev/null || { log "containerd exited"; tail -20 "$WORK/containerd.log"; exit 1; }
  sleep 0.1
done
for archive in "$@"; do
  log "importing $archive"
  ctr --address /run/containerd/containerd.sock -n k8s.io images import "$archive"
done
ctr --address /run/containerd/containerd.sock -n k8s.io images ls -q > "$WORK/images"
kill "$ctd"
wait "$ctd" || true
umount /var/lib/containerd
log "done: $(tr '\n' ' ' < "$WORK/images")"
