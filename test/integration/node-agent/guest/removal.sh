# Guest C of prepare-vg-uml.test.ts: an Open-Local (untagged) VG used as is, then `prepare-vg --remove`.
# Disks: ubda 256M + ubdb 256M (tagged empty VG, removed), ubdc 512M (tagged VG with an ext4 LV holding a file),
# ubdd 256M + ubde 256M (untagged VG made by plain vgcreate, as Open-Local did), ubdf 256M (clean, a device the
# untagged VG lacks), ubdg 256M (an open-local mount point, which --remove must not touch).
. test/integration/node-agent/guest/common.sh
mkdir -p /run/m

# 1. Compatibility: Open-Local's VGs carry no tag.
lvm pvcreate -q /dev/ubdd /dev/ubde && lvm vgcreate -q legacy /dev/ubdd /dev/ubde
snapshot legacy-before
LEGACY='{"name":"legacy","devices":["/dev/ubdd","/dev/ubde"]}'
prepare_vg compat "{\"vgs\":[$LEGACY]}"
snapshot compat
prepare_vg compat-extend '{"vgs":[{"name":"legacy","devices":["/dev/ubdd","/dev/ubde","/dev/ubdf"]}]}'
snapshot compat-extend
wipefs --no-act --json /dev/ubdf >"$OUT/ubdf.wipefs.json"

# 2. What --remove will meet: a tagged empty VG over two disks, a tagged VG whose LV holds a file, an open-local
#    mount point (all made by the real CLI), the untagged VG above, and a VG that was never made.
EMPTY='{"name":"pool-empty","devices":["/dev/ubda","/dev/ubdb"]}'
DATA='{"name":"pool-data","devices":["/dev/ubdc"]}'
MP='{"path":"/mnt/open-local/mp-keep","device":"/dev/ubdg"}'
NEVER='{"name":"never-made","devices":["/dev/ubdf"]}'
prepare_vg create "{\"vgs\":[$EMPTY,$DATA],\"mountpoints\":[$MP]}"
lvm lvcreate -q -y -L 100M -n local-data pool-data >/dev/null
mkfs.ext4 -q /dev/pool-data/local-data && mount /dev/pool-data/local-data /run/m
head -c 4194304 /dev/urandom >/run/m/precious.bin && sha256sum /run/m/precious.bin | cut -d' ' -f1 >"$OUT/file.before" && umount /run/m
echo kept >/mnt/open-local/mp-keep/note.txt
for d in ubda ubdb; do wipefs --no-act --json /dev/$d >"$OUT/$d.wipefs.before.json"; done
snapshot before-remove

# 3. --remove: Removed, Refused (LV), Refused (untagged), Removed (not present); exit 1 for the refusals.
prepare_vg remove "{\"vgs\":[$EMPTY,$DATA,$LEGACY,$NEVER],\"mountpoints\":[$MP]}" --remove
snapshot after-remove
for d in ubda ubdb; do
  wipefs --no-act --json /dev/$d >"$OUT/$d.wipefs.after.json"
  wipefs --no-act /dev/$d >"$OUT/$d.wipefs.after.txt"
done
lvm pvs --noheadings -o pv_name /dev/ubda /dev/ubdb >"$OUT/pvs.removed.txt" 2>"$OUT/pvs.removed.err"; echo $? >"$OUT/pvs.removed.rc"
mount -o ro /dev/pool-data/local-data /run/m && sha256sum /run/m/precious.bin | cut -d' ' -f1 >"$OUT/file.after" && umount /run/m
findmnt --json --output TARGET,SOURCE /mnt/open-local/mp-keep >"$OUT/mp-keep.findmnt.json"
cat /mnt/open-local/mp-keep/note.txt >"$OUT/mp-keep.note"

# 4. A second --remove of the removed VG (and the never-made one) is a no-op that succeeds.
prepare_vg remove-again "{\"vgs\":[$EMPTY,$NEVER]}" --remove
snapshot remove-again

# 5. The unlabelled disks are free again: prepare-vg accepts them without forceDevices.
prepare_vg recreate "{\"vgs\":[$EMPTY]}"
snapshot recreate

# 6. The last safety net removeNode relies on for a VG that gains an LV after its check: vgremove without --force
#    asks, reads EOF and removes nothing.
lvm vgremove pool-data </dev/null >"$OUT/safety-net.out" 2>&1; echo $? >"$OUT/safety-net.rc"
snapshot safety-net
