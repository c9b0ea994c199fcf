# Guest 1 of prepare-vg-swap-uml.test.ts (boot 1). Disk image files, kept by the host for guest 2:
# ubda X (a stray ext4, so pool0 needs forceDevices), ubdb Y (the user's ext4 with a file), ubdc M1 (blank, mount
# point mp-a with force: true), ubdd M2 (another user's ext4 with a file).
# /var/lib/open-local (prepare-vg's host record) is $OUT/state, so it survives the "reboot" like a node's disk would.
. test/integration/node-agent/guest/common.sh
mkdir -p /run/m "$OUT/state" && mount --bind "$OUT/state" /var/lib/open-local
mkfs.ext4 -q -L old /dev/ubda
mkfs.ext4 -q -L precious /dev/ubdb && mount /dev/ubdb /run/m && head -c 4194304 /dev/urandom >/run/m/precious.bin
sha256sum /run/m/precious.bin | cut -d' ' -f1 >"$OUT/y-file.before" && umount /run/m
mkfs.ext4 -q -L theirs /dev/ubdd && mount /dev/ubdd /run/m && head -c 1048576 /dev/urandom >/run/m/theirs.bin
sha256sum /run/m/theirs.bin | cut -d' ' -f1 >"$OUT/m2-file.before" && umount /run/m
blkid -s UUID -o value /dev/ubdb >"$OUT/y.uuid"; blkid -s UUID -o value /dev/ubdd >"$OUT/m2.uuid"

prepare_vg first "$CONFIG"
snapshot first
# Data on the open-local mount point, which a config naming its disk where it is now must mount again untouched.
if mountpoint -q /mnt/open-local/mp-a; then
  head -c 2097152 /dev/urandom >/mnt/open-local/mp-a/data.bin
  sha256sum /mnt/open-local/mp-a/data.bin | cut -d' ' -f1 >"$OUT/mp-file.before"
  umount /mnt/open-local/mp-a
fi
umount /var/lib/open-local
sync
