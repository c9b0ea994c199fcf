# Guest A of prepare-vg-uml.test.ts: create, no-op, extend, force, mount point; then one agent pass on the result.
# Disks: ubda 1G, ubdb 1G (rotational), ubdc 1G, ubdd 512M (ext4, forced), ubde 512M (partitioned, forced), ubdf 256M.
. test/integration/node-agent/guest/common.sh
mkdir -p /dev/disk/by-id && ln -s ../../ubda /dev/disk/by-id/virtio-open-local-a
mkfs.ext4 -q -L old-data /dev/ubdd
write_mbr /dev/ubde
ls /sys/block/ubde >"$OUT/forced-partitions.before"

POOL='{"name":"pool0","devices":["/dev/disk/by-id/virtio-open-local-a","/dev/ubdb"]}'
MP='{"path":"/mnt/open-local/mp0","device":"/dev/ubdf","options":["noatime"]}'
prepare_vg create "{\"vgs\":[$POOL],\"mountpoints\":[$MP]}"
snapshot create
prepare_vg again "{\"vgs\":[$POOL],\"mountpoints\":[$MP]}"
snapshot again

POOL3='{"name":"pool0","devices":["/dev/disk/by-id/virtio-open-local-a","/dev/ubdb","/dev/ubdc"]}'
prepare_vg extend "{\"vgs\":[$POOL3],\"mountpoints\":[$MP]}"
snapshot extend
prepare_vg extend-again "{\"vgs\":[$POOL3],\"mountpoints\":[$MP]}"
snapshot extend-again

FORCED='{"name":"pool-forced","devices":["/dev/ubdd","/dev/ubde"],"forceDevices":["/dev/ubdd","/dev/ubde"]}'
prepare_vg force "{\"vgs\":[$POOL3,$FORCED],\"mountpoints\":[$MP]}"
snapshot force
wipefs --no-act --json /dev/ubdd >"$OUT/forced-d.wipefs.json"
wipefs --no-act --json /dev/ubde >"$OUT/forced-e.wipefs.json"
ls /sys/block/ubde >"$OUT/forced-partitions.after"
prepare_vg force-again "{\"vgs\":[$POOL3,$FORCED],\"mountpoints\":[$MP]}"
snapshot force-again
findmnt --json --output TARGET,SOURCE,FSTYPE,OPTIONS /mnt/open-local/mp0 >"$OUT/mp0.findmnt.json"
blkid -p -o export /dev/ubdf >"$OUT/mp0.blkid"

# One agent pass on the prepared node: discovery, snapshot auto-extension, status. A 64M foreign LV reduces
# allocatable; snap-test (open-local's) must grow, mysnap (someone else's) must not.
lvm lvcreate -q -y -L 64M -n backup pool0 >/dev/null
lvm lvcreate -q -y -L 100M -n local-origin pool0 >/dev/null
lvm lvcreate -q -s -L 8M -n snap-test pool0/local-origin >/dev/null
lvm lvcreate -q -s -L 8M -n mysnap pool0/local-origin >/dev/null
dd if=/dev/urandom of=/dev/pool0/local-origin bs=1M count=6 oflag=direct status=none
snapshot before-pass
# UML's ubd driver resets queue/rotational to 0 whenever the disk is opened (LVM opened ubdb above): agent-pass.ts
# sets ubdb's flag again right before its first step, which reads sysfs before LVM runs.
trace "agent-pass"
node --import tsx test/integration/node-agent/guest/agent-pass.ts /mnt/open-local >"$OUT/agent-pass.json" 2>"$OUT/agent-pass.log"
echo $? >"$OUT/agent-pass.rc"
snapshot after-pass
