# Helpers for the guest scripts of the node-agent UML tests. Sourced; needs $OUT (a host directory, shared through
# hostfs) and $NODE_BIN (Node 24; the guest's /usr/bin/node may be older).
set -u
export PATH="$NODE_BIN:$PATH"
REPORT="--reportformat json --units b --nosuffix"

# trace WHAT: appends "<uptime seconds> WHAT" to $OUT/trace, so a guest that hangs shows the step it hung in.
trace() {
  echo "$(cut -d' ' -f1 /proc/uptime) $*" >>"$OUT/trace"
}

# prepare_vg STEP CONFIG_JSON [FLAG...]: runs the real CLI like the Job does (but --host-exec=direct), keeping
# rc/stdout/log/result. Extra flags (--remove) go to the CLI.
prepare_vg() {
  step=$1 config=$2
  shift 2
  trace "prepare-vg $step"
  OPEN_LOCAL_INIT_CONFIG="$config" node bin/open-local.js prepare-vg --node-name=uml-node --host-exec=direct \
    --result-file="$OUT/$step.result" "$@" >"$OUT/$step.stdout" 2>"$OUT/$step.log"
  echo $? >"$OUT/$step.rc"
}

# snapshot STEP: what LVM looks like now (seqno moves on every metadata change).
snapshot() {
  trace "snapshot $1"
  lvm vgs $REPORT -o vg_name,vg_uuid,vg_tags,vg_seqno,pv_count,vg_size >"$OUT/$1.vgs.json"
  lvm pvs $REPORT -o pv_name,vg_name,pv_uuid >"$OUT/$1.pvs.json"
  lvm lvs $REPORT -o lv_name,vg_name,lv_size,origin,snap_percent >"$OUT/$1.lvs.json"
}

# write_mbr DEV: a DOS partition table with two 100 MiB Linux partitions (no sfdisk in the guest; octal bytes).
write_mbr() {
  printf '\000\000\000\000\203\000\000\000\000\010\000\000\000\040\003\000' | dd of="$1" bs=1 seek=446 conv=notrunc status=none
  printf '\000\000\000\000\203\000\000\000\000\050\003\000\000\040\003\000' | dd of="$1" bs=1 seek=462 conv=notrunc status=none
  printf '\125\252' | dd of="$1" bs=1 seek=510 conv=notrunc status=none
  blockdev --rereadpt "$1"
}

# first_mib_sha DEV: sha256 of the first MiB (partition table and the start of the first partition).
first_mib_sha() {
  dd if="$1" bs=1M count=1 status=none | sha256sum | cut -d' ' -f1
}
