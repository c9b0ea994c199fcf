# Guest of node-uml.test.ts. Disks: ubda 2G (VG pool0), ubdb 512M (empty, for a Device volume), ubdc 512M (someone's
# ext4 with a file: must be refused and left byte for byte as it was). $OUT is a host directory; $NODE_BIN has Node 24.
set -u
export PATH="$NODE_BIN:$PATH"
lvm pvcreate -q /dev/ubda && lvm vgcreate -q --addtag open-local pool0 /dev/ubda
mkfs.ext4 -q -L precious /dev/ubdc && mkdir -p /run/m && mount /dev/ubdc /run/m && head -c 1048576 /dev/urandom >/run/m/precious.bin && umount /run/m
sha256sum /dev/ubdc | cut -d' ' -f1 >"$OUT/ubdc.before"
# A cgroup2 hierarchy with the io controller enabled down to the kubepods slices, as systemd sets it up on a node.
mkdir -p /run/cg /run/csi /mnt/kubelet && mount -t cgroup2 none /run/cg
mkdir -p /run/cg/kubepods.slice/kubepods-burstable.slice
echo +io >/run/cg/cgroup.subtree_control && echo +io >/run/cg/kubepods.slice/cgroup.subtree_control && echo +io >/run/cg/kubepods.slice/kubepods-burstable.slice/cgroup.subtree_control
node --import tsx test/integration/csi/guest/node-scenario.ts >"$OUT/scenario.out" 2>&1
echo $? >"$OUT/scenario.rc"
sha256sum /dev/ubdc | cut -d' ' -f1 >"$OUT/ubdc.after"
lvm lvs --reportformat json -o lv_name,lv_tags pool0 >"$OUT/lvs.json"
