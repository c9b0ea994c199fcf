# Guest B of prepare-vg-uml.test.ts: everything prepare-vg must refuse, and proof afterwards that it touched nothing.
# Disks: ubda 512M (ext4 + file), ubdb 512M (partitioned, ext4 + file on part 1), ubdc 512M (foreign VG),
# ubdd 256M (clean, shares a VG with ubdg), ubde 256M (clean, for a VG whose name is taken), ubdf 256M (foreign fs),
# ubdg 256M (ext2).
. test/integration/node-agent/guest/common.sh
mkdir -p /run/m
mkfs.ext4 -q -L data /dev/ubda && mount /dev/ubda /run/m && head -c 1048576 /dev/urandom >/run/m/precious.bin
sha256sum /run/m/precious.bin | cut -d' ' -f1 >"$OUT/file.before" && umount /run/m
write_mbr /dev/ubdb
mkfs.ext4 -q /dev/ubdb1 && mount /dev/ubdb1 /run/m && echo "partition data" >/run/m/note.txt && umount /run/m
first_mib_sha /dev/ubdb >"$OUT/mbr.before"; partx --show /dev/ubdb >"$OUT/partx.before"
lvm pvcreate -q /dev/ubdc && lvm vgcreate -q vgforeign /dev/ubdc && lvm lvcreate -q -y -L 100M -n home vgforeign >/dev/null
mkfs.ext4 -q /dev/vgforeign/home
mkfs.ext4 -q -L theirs /dev/ubdf
mkfs.ext2 -q /dev/ubdg
snapshot before

prepare_vg refuse '{"vgs":[
  {"name":"pool-ext4","devices":["/dev/ubda"]},
  {"name":"pool-partitioned","devices":["/dev/ubdb"]},
  {"name":"pool-foreign-pv","devices":["/dev/ubdc"]},
  {"name":"vgforeign","devices":["/dev/ubde"]},
  {"name":"pool-mixed","devices":["/dev/ubdd","/dev/ubdg"]}],
 "mountpoints":[{"path":"/mnt/open-local/mp1","device":"/dev/ubdf"}]}'
prepare_vg bad-config '{"vgs":[{"name":"-bad","devices":["/dev/ubdd"]}]}'
snapshot after

mount -o ro /dev/ubda /run/m && sha256sum /run/m/precious.bin | cut -d' ' -f1 >"$OUT/file.after" && umount /run/m
first_mib_sha /dev/ubdb >"$OUT/mbr.after"; partx --show /dev/ubdb >"$OUT/partx.after"
mount -o ro /dev/ubdb1 /run/m && cat /run/m/note.txt >"$OUT/note.after" && umount /run/m
for d in ubda ubdb ubdc ubdd ubde ubdf ubdg; do wipefs --no-act --json /dev/$d >"$OUT/$d.wipefs.after.json"; done
blkid -p -o export /dev/vgforeign/home >"$OUT/home.blkid"
test -d /mnt/open-local/mp1; echo $? >"$OUT/mp1.created"
