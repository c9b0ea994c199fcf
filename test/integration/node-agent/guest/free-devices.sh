# Guest of free-devices-uml.test.ts: one disk of each kind the agent must not offer, one blank disk, then agent
# passes (guest/free-devices-pass.ts) and the sha256 of every disk that is not mounted or swap, before and after.
# Disks: ubda ext4 (with a file), ubdb LVM PV, ubdc swap (active), ubdd partition table (ext4 and ext2 partitions),
# ubde mounted ext4, ubdf blank but named by resourceToBeInited (through a by-id link), ubdg blank.
. test/integration/node-agent/guest/common.sh
mkdir -p /run/m /dev/disk/by-id && ln -s ../../ubdf /dev/disk/by-id/virtio-open-local-f
mkfs.ext4 -q -L data /dev/ubda && mount /dev/ubda /run/m && head -c 1048576 /dev/urandom >/run/m/precious.bin && umount /run/m
lvm pvcreate -q /dev/ubdb && lvm vgcreate -q vgdata /dev/ubdb
mkswap -q /dev/ubdc
swapon /dev/ubdc
write_mbr /dev/ubdd
mkfs.ext4 -q /dev/ubdd1 && mkfs.ext2 -q /dev/ubdd2
mkfs.ext4 -q /dev/ubde && mount /dev/ubde /run/m
cat /proc/swaps >"$OUT/swaps"
sync
SHA='for d in ubda ubdb ubdd ubdf ubdg; do echo "$d $(sha256sum /dev/$d | cut -d" " -f1)"; done'
sh -c "$SHA" >"$OUT/sha.before"
# Two passes with nothing changed in between (the second must not re-probe), the hashes, then a filesystem on the
# blank disk: the next pass must probe it again (its write stamp moved) and stop offering it.
node --import tsx test/integration/node-agent/guest/free-devices-pass.ts pass pass "sh:$SHA >$OUT/sha.after" \
  'sh:mkfs.ext4 -q -L late /dev/ubdg' pass >"$OUT/passes.json" 2>"$OUT/passes.log"
echo $? >"$OUT/passes.rc"
umount /run/m; swapoff /dev/ubdc
