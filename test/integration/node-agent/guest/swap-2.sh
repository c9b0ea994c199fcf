# Guest 2 of prepare-vg-swap-uml.test.ts (boot 2): the same image files as guest 1 in another order, so the names
# moved: ubda Y (the user's ext4), ubdb X (pool0's PV), ubdc M2 (another user's ext4), ubdd M1 (mp-a's filesystem).
# The same config ($CONFIG) must refuse pool0 and mp-a and touch nothing; the config naming the disks where they are
# now ($MOVED) must find them (Ready, nothing formatted).
. test/integration/node-agent/guest/common.sh
mkdir -p /run/m && mount --bind "$OUT/state" /var/lib/open-local
snapshot boot2
prepare_vg second "$CONFIG"
snapshot second
wipefs --no-act --json /dev/ubda >"$OUT/ubda.wipefs.second.json"
wipefs --no-act --json /dev/ubdc >"$OUT/ubdc.wipefs.second.json"
test -d /mnt/open-local/mp-a; echo $? >"$OUT/mp-a.created.second"
# The users' files, read without replaying a journal (noload), so reading them writes nothing.
mount -o ro,noload /dev/ubda /run/m && sha256sum /run/m/precious.bin | cut -d' ' -f1 >"$OUT/y-file.after" && umount /run/m
mount -o ro,noload /dev/ubdc /run/m && sha256sum /run/m/theirs.bin | cut -d' ' -f1 >"$OUT/m2-file.after" && umount /run/m

prepare_vg moved "$MOVED"
snapshot moved
if mountpoint -q /mnt/open-local/mp-a; then
  sha256sum /mnt/open-local/mp-a/data.bin | cut -d' ' -f1 >"$OUT/mp-file.after"
  findmnt --json --output TARGET,SOURCE /mnt/open-local/mp-a >"$OUT/mp-a.findmnt.json"
  umount /mnt/open-local/mp-a
fi
umount /var/lib/open-local
sync
