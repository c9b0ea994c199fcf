#!/bin/sh
# Runs on the host (test/env/image-disk.ts): imports OCI archives with the host's containerd (the same binary the
# UML nodes run) into the ext4 disk image DISK, mounted on a loop device, so that every kubelet node starts from a
# copy-on-write view of that disk with its images already unpacked. Several times faster than importing inside a
# UML guest (no system-call interception on every write). The containerd here has its own socket, state and root
# (the disk), and no CRI plugin: it touches nothing of the host's. Environment: CONTAINERD_CONFIG, DISK, WORK (a
# folder for the mount point and the log), RUN (a folder with a short path for the socket and the state: a unix
# socket path has at most 104 bytes here, and WORK, in the peers cache under $HOME, may be longer), TAGS (optional:
# lines "image another-name", each imported image listed under one more name). Arguments: the archives.
set -eu
log() { echo "import-images-host: $*"; }
mnt=$WORK/root
sock=$RUN/containerd.sock
mkdir -p "$mnt" "$RUN/state"
mount -o loop "$DISK" "$mnt"
ctd=
cleanup() {
  if [ -n "$ctd" ]; then kill "$ctd" 2>/dev/null || true; wait "$ctd" 2>/dev/null || true; fi
  umount "$mnt"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
containerd --config "$CONTAINERD_CONFIG" --root "$mnt" --state "$RUN/state" --address "$sock" > "$WORK/containerd.log" 2>&1 &
ctd=$!
i=0
until ctr --address "$sock" version > /dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 600 ] || { log "containerd did not answer in 60 s"; tail -20 "$WORK/containerd.log"; exit 1; }
  kill -0 "$ctd" 2>/dev/null || { log "containerd exited"; tail -20 "$WORK/containerd.log"; exit 1; }
  sleep 0.1
done
for archive in "$@"; do
  log "importing $archive"
  ctr --address "$sock" -n k8s.io images import "$archive"
done
printf '%s\n' "${TAGS:-}" | while read -r src dst; do
  [ -z "$src" ] || ctr --address "$sock" -n k8s.io images tag "$src" "$dst"
done
ctr --address "$sock" -n k8s.io images ls -q > "$WORK/images"
log "done: $(tr '\n' ' ' < "$WORK/images")"
