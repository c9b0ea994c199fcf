#!/usr/bin/env bash
# build-peers.sh: build and cache, by version, the real peer binaries the tests run against
# (no mocks): etcd, kube-apiserver, kube-controller-manager, kube-scheduler, csi-sanity, operator-sdk, kwok
# and the Kubernetes CSI sidecars (csi-provisioner, csi-resizer, csi-snapshotter, snapshot-controller and
# the snapshot CRDs). Everything comes from the Go module proxy; nothing is written into the checkout.
#
# usage: bash scripts/build-peers.sh [etcd] [kube] [csi-sanity] [operator-sdk] [csi-sidecars] [kwok] [kubelet] [coredns] [olm] [standins]
#        (default: all but kubelet, coredns, olm and standins, which only the kubelet-node clusters and the OLM
#        tests need)
#
# Versions: scripts/peers/versions.env (also read by test/env/peers.ts).
# Cache:    ${OPEN_LOCAL_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/open-local-operator/peers}
#             kubernetes-<v>/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy,kubectl}
#             kubelet-<v>/bin/kubelet
#             coredns-<v>-<hash of COREDNS_PLUGINS>/coredns
#             etcd-<v>/bin/etcd
#             csi-sanity-<v>/csi-sanity
#             operator-sdk-<v>/operator-sdk
#             kwok-<v>/kwok
#             olm-<v>/{olm,catalog,crds/*.crd.yaml}
#             opm-<v>/opm
#             standins-<hash of test/env/standins>/{registrar,livenessprobe}
#             csi-provisioner-<v>/csi-provisioner
#             csi-resizer-<v>/csi-resizer
#             external-snapshotter-<v>/{csi-snapshotter,snapshot-controller,crd/*.yaml}
#             .src/<name>-<v>/   scratch Go modules (go.mod/go.sum/main.go) the builds use: kubernetes-<v> (the
#                                Kubernetes binaries, the kubelet and etcd), sidecar-group-<hash> (the CSI sidecars and
#                                kwok), olm-<v> (olm, catalog and opm), one per other tool, and a copy of CoreDNS's
#                                own module source, built in place
#           Peers that share their libraries are built in one module (see build_kube_group, build_sidecar_group,
#           build_olm): a cold machine compiles client-go, gRPC and the rest once per group, not once per binary.
#           A binary is built to a temporary name, checked with --version, then renamed into
#           place, and a <dir>/.complete marker is written last: a cache entry is never half built.
#           A warm cache rebuilds nothing (the binary exists and runs --version).
# KUBEBUILDER_ASSETS: etcd / kube-* binaries found there are used as they are and not built.
# Kubernetes is built from k8s.io/kubernetes@<v> in a scratch module whose `replace` lines map every
# k8s.io/* staging module (taken from that release's own go.mod replace block) to its v0.x.y release.
# Needs: go >= the version the modules ask for (1.26.3 for operator-sdk v1.42.3; GOTOOLCHAIN=local by
# default, so no toolchain is downloaded).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=peers/versions.env source-path=SCRIPTDIR
. "$root/scripts/peers/versions.env"
peers_dir=${OPEN_LOCAL_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/open-local-operator/peers}

log() { echo "build-peers: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26.3 is needed)"
export CGO_ENABLED=0
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="-buildvcs=false -mod=mod"
unset GOOS GOARCH GOWORK 2>/dev/null || true
export GOWORK=off

want=()
for a in "$@"; do
  case "$a" in
    etcd) want+=(etcd);;
    kube|kubernetes) want+=(kube);;
    csi-sanity) want+=(csi-sanity);;
    operator-sdk) want+=(operator-sdk);;
    csi-sidecars) want+=(csi-sidecars);;
    kubelet) want+=(kubelet);;
    kwok) want+=(kwok);;
    coredns) want+=(coredns);;
    olm) want+=(olm);;
    standins) want+=(standins);;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0;;
    *) die "unknown peer '$a' (known: etcd kube csi-sanity operator-sdk csi-sidecars kwok kubelet coredns olm standins)";;
  esac
done
[ ${#want[@]} -gt 0 ] || want=(etcd kube csi-sanity operator-sdk csi-sidecars kwok)

mkdir -p "$peers_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One build at a time per cache (two test runs may call us at once).
if command -v flock >/dev/null; then
  exec 9>"$peers_dir/.lock"
  flock 9
fi

# from_assets NAME: path of NAME in KUBEBUILDER_ASSETS if it is there and runs, else nothing.
from_assets() {
  local p="${KUBEBUILDER_ASSETS:-}/$1"
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$p" ] && "$p" --version >/dev/null 2>&1; then echo "$p"; fi
}
# ok BIN [VERSION-ARGS...]: BIN exists and answers its version command.
ok() {
  local bin=$1; shift
  [ -x "$bin" ] || return 1
  if [ $# -eq 0 ]; then set -- --version; fi
  "$bin" "$@" >/dev/null 2>&1
}
# install_bin BUILT FINAL [VERSION-ARGS...]: check BUILT runs, then rename it into place.
install_bin() {
  local built=$1 final=$2; shift 2
  ok "$built" "$@" || die "$built was built but does not run its version command"
  mv -f "$built" "$final"
}
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }
# module_dir MODULE@VERSION: the module's source folder in the module cache (downloads it).
module_dir() {
  (cd "$tmp" && GOFLAGS='' go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
}
# gomod_of MODULE@VERSION: path of that module's go.mod in the module cache (downloads it).
gomod_of() {
  (cd "$tmp" && GOFLAGS='' go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
}
# copy_module_source MODULE@VERSION SRC FILE: a writable copy of that module's source in SRC (replaced if there), for
# a build in place; FILE is one it must have (a download that failed leaves none).
copy_module_source() {
  local moddir; moddir=$(module_dir "$1")
  [ -f "$moddir/$3" ] || die "could not download $1"
  mkdir -p "$(dirname "$2")"
  rm -rf "$2"
  cp -r "$moddir" "$2"
  chmod -R u+w "$2"
}
results=()

# kube_scratch_module VERSION SRC: write SRC/go.mod, a scratch module requiring k8s.io/kubernetes@VERSION whose
# `replace` lines map every staging module to its v0.x.y release (shared by the kube and kubelet builds, so
# the second build finds every dependency already compiled in the Go build cache).
kube_scratch_module() {
  local v=$1 src=$2
  mkdir -p "$src"
  # Staging modules come from the release's own go.mod: `k8s.io/x => ./staging/src/k8s.io/x`.
  local kmod; kmod=$(gomod_of "k8s.io/kubernetes@$v")
  [ -f "$kmod" ] || die "could not download k8s.io/kubernetes@$v's go.mod"
  local staging; staging=$(sed -n '/^replace (/,/^)/p' "$kmod" | awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}')
  [ -n "$staging" ] || die "no staging replace block found in $kmod"
  local sv="v0.${v#v1.}" godir; godir=$(awk '$1 == "go" {print $2; exit}' "$kmod")
  {
    echo "// Generated by scripts/build-peers.sh: builds Kubernetes $v components from the module proxy."
    echo "module open-local-operator.local/peers/kubernetes"
    echo
    echo "go $godir"
    echo
    grep '^godebug ' "$kmod" || true
    echo
    echo "require k8s.io/kubernetes $v"
    echo
    echo "replace ("
    local m; for m in $staging; do echo "	$m => $m $sv"; done
    echo ")"
  } > "$src/go.mod"
  log "kubernetes $v: $(echo "$staging" | wc -l) staging modules mapped to $sv"
}

# kube_ldflags VERSION: the -ldflags that make a Kubernetes binary report VERSION (as `make` would).
kube_ldflags() {
  local v=$1 ld="-s -w" p
  local minor=${v#v1.}; minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ld+=" -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  echo "$ld"
}

# kube_version_args NAME: how a Kubernetes binary prints its version (kubectl has a subcommand, not a flag).
kube_version_args() {
  if [ "$1" = kubectl ]; then echo "version --client"; else echo "--version"; fi
}

# want_has NAME: NAME was asked for on the command line.
want_has() { local w; for w in "${want[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

# build_kube_group: the Kubernetes binaries (kube), the kubelet (kubelet) and etcd (etcd) asked for and not cached, in
# ONE `go build` of one scratch module, so that what they share (client-go, apimachinery, gRPC, protobuf, the etcd
# client, OpenTelemetry...) is compiled once and their packages compile in parallel. etcd is the server that this
# Kubernetes release itself pins (ETCD_VERSION must say the same; checked), built from a two-line main of our own
# in the scratch module that does exactly what etcd's main.go does: etcdmain.Main(os.Args) (etcd's root module
# go.etcd.io/etcd/v3 replaces its sibling modules with local folders, so it cannot be built from the proxy). Each
# binary keeps its own cache entry by version; an entry already cached is not built again.
build_kube_group() {
  local v=$KUBERNETES_VERSION src="$peers_dir/.src/kubernetes-$KUBERNETES_VERSION"
  local kdir="$peers_dir/kubernetes-$KUBERNETES_VERSION" kldir="$peers_dir/kubelet-$KUBERNETES_VERSION"
  local edir="$peers_dir/etcd-$ETCD_VERSION"
  local pkgs=() names=() dests=() name a
  if want_has kube; then
    for name in kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl; do
      a=$(from_assets "$name")
      if [ -n "$a" ]; then log "$name: using $a (KUBEBUILDER_ASSETS)"; results+=("$a"); continue; fi
      # Each binary is checked on its own: a cache entry from before kube-proxy joined the list gains it without
      # rebuilding the others.
      if ok "$kdir/bin/$name" $(kube_version_args "$name"); then results+=("$kdir/bin/$name"); continue; fi
      pkgs+=("k8s.io/kubernetes/cmd/$name"); names+=("$name"); dests+=("$kdir/bin")
    done
  fi
  if want_has kubelet; then
    if [ -f "$kldir/.complete" ] && ok "$kldir/bin/kubelet"; then
      log "kubelet $v: cached"; results+=("$kldir/bin/kubelet")
    else
      pkgs+=(k8s.io/kubernetes/cmd/kubelet); names+=(kubelet); dests+=("$kldir/bin")
    fi
  fi
  if want_has etcd; then
    a=$(from_assets etcd)
    if [ -n "$a" ]; then log "etcd: using $a (KUBEBUILDER_ASSETS)"; results+=("$a")
    elif [ -f "$edir/.complete" ] && ok "$edir/bin/etcd"; then log "etcd $ETCD_VERSION: cached"; results+=("$edir/bin/etcd")
    else pkgs+=(./etcd); names+=(etcd); dests+=("$edir/bin")
    fi
  fi
  [ ${#pkgs[@]} -gt 0 ] || { log "kubernetes $v: nothing to build"; return 0; }
  local t0; t0=$(date +%s)
  log "kubernetes $v: building ${names[*]} in one go build (cold, all seven: ~12 min on 2 cores; one more after the others: ~1-2 min)"
  local i; for i in "${!dests[@]}"; do mkdir -p "${dests[$i]}"; rm -f "${dests[$i]%/bin}/.complete"; done
  kube_scratch_module "$v" "$src"
  local kpkgs=(); for a in "${pkgs[@]}"; do [ "$a" = ./etcd ] || kpkgs+=("$a@$v"); done
  [ ${#kpkgs[@]} -eq 0 ] || (cd "$src" && go get "${kpkgs[@]}")
  if want_has etcd && [[ " ${names[*]} " == *" etcd "* ]]; then
    mkdir -p "$src/etcd"
    cat > "$src/etcd/main.go" <<'EOF_MAIN'
// The same as etcd's own main.go (module go.etcd.io/etcd/v3, which cannot be built from the module proxy because its
// go.mod replaces its sibling modules with local paths). Built in the Kubernetes scratch module by build-peers.sh.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF_MAIN
    local ev; ev=$(cd "$src" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
    [ "$ev" = "$ETCD_VERSION" ] || die "Kubernetes $v pins etcd $ev, but scripts/peers/versions.env says ETCD_VERSION=$ETCD_VERSION"
  fi
  # One `go build` of every package: their shared dependencies are compiled once, in parallel.
  local out="$src/.build"
  rm -rf "$out"; mkdir -p "$out"
  (cd "$src" && go build -trimpath -ldflags="$(kube_ldflags "$v")" -o "$out/" "${pkgs[@]}")
  for i in "${!names[@]}"; do
    name=${names[$i]}
    if [ "$name" = etcd ]; then
      install_bin "$out/etcd" "${dests[$i]}/etcd"
      "${dests[$i]}/etcd" --version | grep -q "etcd Version: ${ETCD_VERSION#v}" || die "etcd --version does not say ${ETCD_VERSION#v}"
    else
      install_bin "$out/$name" "${dests[$i]}/$name" $(kube_version_args "$name")
      # Captured first: grep -q stops reading at the match, and kubectl's next line would then fail on a closed pipe.
      local said; said=$("${dests[$i]}/$name" $(kube_version_args "$name"))
      grep -qxE "(Kubernetes|Client Version:) $v" <<<"$said" || die "$name $(kube_version_args "$name") does not say $v"
    fi
    results+=("${dests[$i]}/$name")
  done
  rm -rf "$out"
  for i in "${!dests[@]}"; do touch "${dests[$i]%/bin}/.complete"; done
  log "kubernetes $v: ${names[*]} built in $(elapsed "$t0")"
}

# --- coredns -------------------------------------------------------------------------------------------------
# build_coredns: github.com/coredns/coredns@<v> into <cache>/coredns-<v>-<plugins hash>/coredns, built in a copy
# of the release's own module (its go.mod and go.sum choose every dependency) with plugin.cfg cut down to
# COREDNS_PLUGINS and the plugin tables regenerated from it, as CoreDNS documents for custom builds. The plugin
# list is part of the cache entry's name: another list is another binary.
build_coredns() {
  local v=$COREDNS_VERSION mod=github.com/coredns/coredns
  local key; key=$(echo "$COREDNS_PLUGINS" | sha256sum | cut -c1-12)
  local dir="$peers_dir/coredns-$v-$key" src="$peers_dir/.src/coredns-$v"
  if [ -f "$dir/.complete" ] && ok "$dir/coredns" -version; then log "coredns $v: cached"; results+=("$dir/coredns"); return 0; fi
  local t0; t0=$(date +%s)
  log "coredns $v: building with plugins: $COREDNS_PLUGINS (cold: ~3 min on 2 cores)"
  mkdir -p "$dir"
  rm -f "$dir/.complete"
  copy_module_source "$mod@$v" "$src" plugin.cfg
  # plugin.cfg lines are name:package; keep the wanted ones in the file's order.
  local p; for p in $COREDNS_PLUGINS; do
    grep -q "^$p:" "$src/plugin.cfg" || die "coredns $v has no plugin '$p' in plugin.cfg (see COREDNS_PLUGINS)"
  done
  awk -v keep=" $COREDNS_PLUGINS " '/^[a-z0-9_]+:/ { split($0, f, ":"); if (index(keep, " " f[1] " ") == 0) next } { print }' \
    "$src/plugin.cfg" > "$src/plugin.cfg.new"
  mv "$src/plugin.cfg.new" "$src/plugin.cfg"
  (cd "$src" && go run directives_generate.go)
  (cd "$src" && go build -trimpath -ldflags="-s -w" -o "$dir/.coredns.tmp" .)
  install_bin "$dir/.coredns.tmp" "$dir/coredns" -version
  "$dir/coredns" -version | grep -qF "CoreDNS-${v#v}" || die "coredns -version does not say ${v#v}"
  local plugins; plugins=$("$dir/coredns" -plugins)
  for p in kubernetes forward cache; do
    echo "$plugins" | grep -qx "$p" || die "coredns was built without the $p plugin"
  done
  touch "$dir/.complete"
  log "coredns $v: built in $(elapsed "$t0")"
  results+=("$dir/coredns")
}
# --- end coredns ---------------------------------------------------------------------------------------------

# build_tool NAME MODULE VERSION PKG TAGS REPLACES LDFLAGS VERSION-ARGS...: build PKG of MODULE@VERSION into
# <cache>/NAME-VERSION/NAME. This is `go install PKG@VERSION` done in a scratch module that requires
# MODULE@VERSION: `go install pkg@version` also looks up the module's version list (to report a
# deprecation), which a restricted module proxy may refuse (it does for operator-sdk: 403 on
# @v/list), while a scratch module only fetches the pinned versions. Same binary either way.
# REPLACES: space-separated module=version pairs (see versions.env).
build_tool() {
  local name=$1 mod=$2 v=$3 pkg=$4 tags=$5 replaces=$6 ld=$7; shift 7
  local dir="$peers_dir/$name-$v" src="$peers_dir/.src/$name-$v"
  if [ -f "$dir/.complete" ] && ok "$dir/$name" "$@"; then log "$name $v: cached"; results+=("$dir/$name"); return 0; fi
  local t0; t0=$(date +%s)
  log "$name $v: building"
  mkdir -p "$dir" "$src"
  rm -f "$dir/.complete"
  local gomod; gomod=$(gomod_of "$mod@$v")
  [ -f "$gomod" ] || die "could not download $mod@$v's go.mod"
  if grep -q '^replace\|^[[:space:]]*[^ ]* => \.' "$gomod"; then
    log "$name $v: warning: $mod's go.mod has replace directives; they do not apply to a dependency"
  fi
  {
    echo "// Generated by scripts/build-peers.sh: builds $pkg@$v from the module proxy."
    echo "module open-local-operator.local/peers/$name"
    echo
    echo "go $(awk '$1 == "go" {print $2; exit}' "$gomod")"
    echo
    echo "require $mod $v"
    local r; for r in $replaces; do
      echo "replace ${r%%=*} => ${r%%=*} ${r#*=}"
      log "$name $v: using ${r%%=*} ${r#*=} (see scripts/peers/versions.env)"
    done
  } > "$src/go.mod"
  rm -f "$src/go.sum"
  (cd "$src" && go build -trimpath ${tags:+-tags=$tags} -ldflags="$ld" -o "$dir/.$name.tmp" "$pkg")
  install_bin "$dir/.$name.tmp" "$dir/$name" "$@"
  touch "$dir/.complete"
  log "$name $v: built in $(elapsed "$t0")"
  results+=("$dir/$name")
}

# replaces_of GOMOD: the `replace` lines of a go.mod that map a module to a released version, as "OLD NEW VERSION"
# lines (both the one-line and the block form; a replace with a local folder as its target has no version and is left
# out: that folder is not in the module zip).
replaces_of() {
  awk '
    function emit(s,   f, n, i) {
      sub(/\/\/.*/, "", s); n = split(s, f, /[ \t]+/)
      for (i = 1; i <= n; i++) if (f[i] == "=>") break
      if (i < n - 1 && f[i + 2] != "") print f[1], f[i + 1], f[i + 2]
    }
    /^replace[ \t]*\(/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    block { sub(/^[ \t]+/, ""); emit($0); next }
    /^replace[ \t]/ { s = $0; sub(/^replace[ \t]+/, "", s); emit(s) }
  ' "$1"
}

# build_sidecar_group: the CSI sidecars (csi-sidecars: csi-provisioner, csi-resizer, csi-snapshotter and
# snapshot-controller) and kwok (kwok) asked for and not cached, in one scratch module. The pinned releases are all
# built against the same Kubernetes libraries (k8s.io/* v0.36.1), so in one module their shared dependencies
# (client-go, apimachinery, gRPC, protobuf, Prometheus...) are compiled once instead of four times. The module
# requires every release of the group (whichever are asked for, so a binary is the same whether built alone or with
# the others) and carries the releases' own `replace` lines that pin a module to a version (their k8s.io staging
# modules); the snapshotter's replace of its client with the sibling folder ./client becomes a requirement of the
# client module of the same release. Two releases replacing one module differently, or the module selecting another
# version of a release than the pin, stop the build. Each binary keeps its own cache entry by version.
build_sidecar_group() {
  local prov=github.com/kubernetes-csi/external-provisioner/v6 snap=github.com/kubernetes-csi/external-snapshotter/v8
  local snapclient=github.com/kubernetes-csi/external-snapshotter/client/v8
  local mods=("$prov@$CSI_PROVISIONER_VERSION" "$CSI_RESIZER_MODULE@$CSI_RESIZER_VERSION" "$snap@$CSI_SNAPSHOTTER_VERSION"
    "$snapclient@$CSI_SNAPSHOTTER_VERSION" "sigs.k8s.io/kwok@$KWOK_VERSION")
  # Jobs: "CACHE-DIR BINARY PACKAGE VERSION -X-FLAG"; one cache dir may hold two binaries (the snapshotter's).
  local jobs=() j
  if want_has csi-sidecars; then
    jobs+=("csi-provisioner-$CSI_PROVISIONER_VERSION csi-provisioner $prov/cmd/csi-provisioner $CSI_PROVISIONER_VERSION main.version"
      "csi-resizer-$CSI_RESIZER_VERSION csi-resizer $CSI_RESIZER_MODULE/cmd/csi-resizer $CSI_RESIZER_VERSION main.version"
      "external-snapshotter-$CSI_SNAPSHOTTER_VERSION csi-snapshotter $snap/cmd/csi-snapshotter $CSI_SNAPSHOTTER_VERSION main.version"
      "external-snapshotter-$CSI_SNAPSHOTTER_VERSION snapshot-controller $snap/cmd/snapshot-controller $CSI_SNAPSHOTTER_VERSION main.version")
  fi
  want_has kwok && jobs+=("kwok-$KWOK_VERSION kwok sigs.k8s.io/kwok/cmd/kwok $KWOK_VERSION sigs.k8s.io/kwok/pkg/consts.Version")
  # A cache dir is complete when every binary of it runs; a dir with one missing is built again whole.
  local todo=() dir bin pkg v x incomplete=" "
  for j in "${jobs[@]}"; do
    read -r dir bin pkg v x <<<"$j"
    { [ -f "$peers_dir/$dir/.complete" ] && ok "$peers_dir/$dir/$bin"; } || incomplete+="$dir "
  done
  for j in "${jobs[@]}"; do
    read -r dir bin pkg v x <<<"$j"
    if [[ "$incomplete" == *" $dir "* ]]; then todo+=("$j"); else log "$bin $v: cached"; results+=("$peers_dir/$dir/$bin"); fi
  done
  [ ${#todo[@]} -gt 0 ] || return 0
  local t0; t0=$(date +%s)
  local key; key=$(printf '%s\n' "${mods[@]}" | sha256sum | cut -c1-12)
  local src="$peers_dir/.src/sidecar-group-$key" m gomod godir=0 all_replaces=""
  log "sidecar group: building $(for j in "${todo[@]}"; do read -r dir bin pkg v x <<<"$j"; printf '%s ' "$bin"; done)in one module (cold: ~6 min on 2 cores for all five)"
  mkdir -p "$src"
  for m in "${mods[@]}"; do
    gomod=$(gomod_of "$m"); [ -f "$gomod" ] || die "could not download $m's go.mod"
    all_replaces+=$(replaces_of "$gomod")$'\n'
    local g; g=$(awk '$1 == "go" {print $2; exit}' "$gomod")
    godir=$(printf '%s\n%s\n' "$godir" "$g" | sort -V | tail -n1)
  done
  all_replaces=$(sed '/^$/d' <<<"$all_replaces" | LC_ALL=C sort -u)
  local clash; clash=$(awk '{print $1}' <<<"$all_replaces" | uniq -d)
  [ -z "$clash" ] || die "the sidecar group's releases replace these modules with different versions: $clash"
  {
    echo "// Generated by scripts/build-peers.sh: builds the CSI sidecars and kwok from the module proxy in one module."
    echo "module open-local-operator.local/peers/sidecar-group"
    echo
    echo "go $godir"
    echo
    echo "require ("
    for m in "${mods[@]}"; do echo "	${m%@*} ${m#*@}"; done
    echo ")"
    echo
    echo "replace ("
    local old new nv; while read -r old new nv; do echo "	$old => $new $nv"; done <<<"$all_replaces"
    echo ")"
  } > "$src/go.mod"
  rm -f "$src/go.sum"
  (cd "$src" && go mod download)
  for m in "${mods[@]}"; do
    local sel; sel=$(cd "$src" && go list -m -f '{{.Version}}' "${m%@*}")
    [ "$sel" = "${m#*@}" ] || die "the sidecar group selects ${m%@*} $sel, not the pinned ${m#*@}"
  done
  for j in "${todo[@]}"; do rm -f "$peers_dir/${j%% *}/.complete"; done
  for j in "${todo[@]}"; do
    read -r dir bin pkg v x <<<"$j"
    local t1; t1=$(date +%s)
    mkdir -p "$peers_dir/$dir"
    # One go build each (each has its own version variable); the second and later find the shared packages compiled.
    (cd "$src" && go build -trimpath -ldflags="-s -w -X $x=$v" -o "$peers_dir/$dir/.$bin.tmp" "$pkg")
    install_bin "$peers_dir/$dir/.$bin.tmp" "$peers_dir/$dir/$bin" --version
    "$peers_dir/$dir/$bin" --version 2>&1 | grep -qF "$v" || die "$bin --version does not say $v"
    log "$bin $v: built in $(elapsed "$t1")"
    results+=("$peers_dir/$dir/$bin")
  done
  for j in "${todo[@]}"; do touch "$peers_dir/${j%% *}/.complete"; done
  log "sidecar group: done in $(elapsed "$t0")"
}

# The snapshot CRDs (VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent and the group-snapshot ones) of
# the external-snapshotter release, copied from its client module into <cache>/external-snapshotter-<v>/crd.
copy_snapshot_crds() {
  local v=$1 dir="$peers_dir/external-snapshotter-$1/crd"
  if [ -f "$dir/.complete" ]; then log "snapshot CRDs $v: cached"; results+=("$dir"); return 0; fi
  local moddir; moddir=$(module_dir "github.com/kubernetes-csi/external-snapshotter/client/v8@$v")
  local f found=false
  mkdir -p "$dir"
  for f in "$moddir"/config/crd/*.yaml; do
    [ "${f##*/}" = kustomization.yaml ] && continue
    cp "$f" "$dir/.${f##*/}.tmp"
    chmod u+w "$dir/.${f##*/}.tmp"
    mv -f "$dir/.${f##*/}.tmp" "$dir/${f##*/}"
    found=true
  done
  $found || die "no CRD YAML in $moddir/config/crd"
  touch "$dir/.complete"
  log "snapshot CRDs $v: copied $(find "$dir" -name '*.yaml' | wc -l) files"
  results+=("$dir")
}

# --- olm -----------------------------------------------------------------------------------------------------
# build_olm: OLM's `olm` and `catalog` operators (cmd/olm, cmd/catalog of operator-lifecycle-manager@OLM_VERSION)
# and OLM's CRDs (deploy/chart/crds of the same module) into <cache>/olm-<v>/, and opm (operator-registry@OPM_VERSION
# cmd/opm) into <cache>/opm-<v>/opm, all from one scratch module: this OLM release requires exactly that
# operator-registry (checked), so opm finds most of its packages compiled by the olm build. test/env/olm.ts runs them
# out of cluster. OLM's go.mod has no replace lines, so a scratch module requiring it selects the same dependencies.
build_olm() {
  local v=$OLM_VERSION mod=github.com/operator-framework/operator-lifecycle-manager
  local reg=github.com/operator-framework/operator-registry
  local dir="$peers_dir/olm-$v" odir="$peers_dir/opm-$OPM_VERSION" src="$peers_dir/.src/olm-$v" t0; t0=$(date +%s)
  local need_olm=true need_opm=true
  if [ -f "$dir/.complete" ] && ok "$dir/olm" --version && ok "$dir/catalog" --version; then log "olm $v: cached"; need_olm=false; fi
  if [ -f "$odir/.complete" ] && ok "$odir/opm" version; then log "opm $OPM_VERSION: cached"; need_opm=false; fi
  if $need_olm || $need_opm; then
    log "olm $v / opm $OPM_VERSION: building$($need_olm && echo ' olm, catalog')$($need_opm && echo ' opm') in one module (cold, all three: ~5 min on 2 cores)"
    mkdir -p "$dir" "$odir" "$src"
    local gomod; gomod=$(gomod_of "$mod@$v")
    [ -f "$gomod" ] || die "could not download $mod@$v's go.mod"
    grep -q '^replace' "$gomod" && die "$mod@$v's go.mod has replace directives, which a scratch module drops"
    {
      echo "// Generated by scripts/build-peers.sh: builds OLM $v's olm and catalog, and opm $OPM_VERSION, from the module proxy."
      echo "module open-local-operator.local/peers/olm"
      echo
      echo "go $(awk '$1 == "go" {print $2; exit}' "$gomod")"
      echo
      echo "require ("
      echo "	$mod $v"
      echo "	$reg $OPM_VERSION"
      echo ")"
    } > "$src/go.mod"
    rm -f "$src/go.sum"
    local sel; sel=$(cd "$src" && go list -m -f '{{.Version}}' "$reg")
    [ "$sel" = "$OPM_VERSION" ] || die "OLM $v needs operator-registry $sel, but scripts/peers/versions.env says OPM_VERSION=$OPM_VERSION"
  fi
  if $need_olm; then
    rm -f "$dir/.complete"
    local ld="-s -w -X $mod/pkg/version.OLMVersion=${v#v} -X $mod/pkg/version.GitCommit=$v" bin t1
    for bin in olm catalog; do
      t1=$(date +%s)
      (cd "$src" && go build -trimpath -ldflags="$ld" -o "$dir/.$bin.tmp" "$mod/cmd/$bin")
      install_bin "$dir/.$bin.tmp" "$dir/$bin" --version
      "$dir/$bin" --version | grep -qx "OLM version: ${v#v}" || die "$bin --version does not say ${v#v}"
      log "olm $v: $bin built in $(elapsed "$t1")"
    done
    # The CRDs of the same release (CatalogSource, ClusterServiceVersion, InstallPlan, OLMConfig, OperatorCondition,
    # OperatorGroup, Operator, Subscription), as OLM's own manifests install them before the operators start.
    local moddir f; moddir=$(module_dir "$mod@$v")
    rm -rf "$dir/crds"
    mkdir -p "$dir/.crds.tmp"
    for f in "$moddir"/deploy/chart/crds/*.crd.yaml; do cp "$f" "$dir/.crds.tmp/"; done
    chmod -R u+w "$dir/.crds.tmp"
    [ "$(find "$dir/.crds.tmp" -name '*.crd.yaml' | wc -l)" -ge 8 ] || die "fewer than 8 CRDs in $moddir/deploy/chart/crds"
    mv "$dir/.crds.tmp" "$dir/crds"
    touch "$dir/.complete"
  fi
  if $need_opm; then
    rm -f "$odir/.complete"
    local t2; t2=$(date +%s)
    # containers_image_openpgp is the pure-Go signature backend (otherwise gpgme and cgo are needed).
    (cd "$src" && go build -trimpath -tags=containers_image_openpgp \
      -ldflags="-s -w -X $reg/cmd/opm/version.opmVersion=$OPM_VERSION -X $reg/cmd/opm/version.gitCommit=$OPM_VERSION" \
      -o "$odir/.opm.tmp" "$reg/cmd/opm")
    install_bin "$odir/.opm.tmp" "$odir/opm" version
    touch "$odir/.complete"
    log "opm $OPM_VERSION: built in $(elapsed "$t2")"
  fi
  if $need_olm || $need_opm; then log "olm $v / opm $OPM_VERSION: done in $(elapsed "$t0")"; fi
  results+=("$dir/olm" "$dir/catalog" "$dir/crds" "$odir/opm")
  "$odir/opm" version | grep -qF "OpmVersion:\"$OPM_VERSION\"" || die "opm version does not say $OPM_VERSION"
}
# --- end olm -------------------------------------------------------------------------------------------------

# --- standins ------------------------------------------------------------------------------------------------
# build_standins: the test stand-ins for node-driver-registrar and livenessprobe (test/env/standins: the module
# proxy refuses every version of the real ones) into <cache>/standins-<hash>/{registrar,livenessprobe}. The hash
# covers the stand-ins' go.mod, go.sum and Go sources (paths and contents; test/env/peers.ts computes the same), so
# an edit or a dependency bump builds a new entry. Cold: ~1 min on 2 cores.
standins_key() {
  local src="$root/test/env/standins" f
  (cd "$src" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | sed 's|^\./||' | LC_ALL=C sort |
    while read -r f; do printf '%s\n' "$f"; cat "$f"; done) | sha256sum | cut -c1-12
}
build_standins() {
  local key dir t0 bin; key=$(standins_key); dir="$peers_dir/standins-$key"; t0=$(date +%s)
  if [ -f "$dir/.complete" ] && ok "$dir/registrar" && ok "$dir/livenessprobe"; then
    log "standins $key: cached"
  else
    log "standins $key: building registrar and livenessprobe (cold: ~1 min on 2 cores)"
    mkdir -p "$dir"
    rm -f "$dir/.complete"
    for bin in registrar livenessprobe; do
      (cd "$root/test/env/standins" && go build -trimpath -ldflags="-s -w" -o "$dir/.$bin.tmp" "./$bin")
      install_bin "$dir/.$bin.tmp" "$dir/$bin" --version
      "$dir/$bin" --version | grep -qF stand-in || die "$bin --version does not say it is a stand-in"
    done
    touch "$dir/.complete"
    log "standins $key: built in $(elapsed "$t0")"
  fi
  results+=("$dir/registrar" "$dir/livenessprobe")
}
# --- end standins --------------------------------------------------------------------------------------------

kube_group_done=false sidecar_group_done=false
for p in "${want[@]}"; do
  case "$p" in
    kube|kubelet|etcd) $kube_group_done || build_kube_group; kube_group_done=true;;
    coredns) build_coredns;;
    csi-sanity)
      build_tool csi-sanity github.com/kubernetes-csi/csi-test/v5 "$CSI_SANITY_VERSION" \
        github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity "" "" \
        "-s -w -X main.VERSION=$CSI_SANITY_VERSION" --version;;
    operator-sdk)
      sdk=github.com/operator-framework/operator-sdk
      ldv="-X $sdk/internal/version.Version=$OPERATOR_SDK_VERSION -X $sdk/internal/version.GitVersion=$OPERATOR_SDK_VERSION"
      ldv+=" -X $sdk/internal/version.ImageVersion=$OPERATOR_SDK_VERSION"
      # containers_image_openpgp: the pure-Go signature backend (no gpgme/cgo).
      build_tool operator-sdk "$sdk" "$OPERATOR_SDK_VERSION" "$sdk/cmd/operator-sdk" containers_image_openpgp \
        "${OPERATOR_SDK_GO_REPLACES:-}" \
        "-s -w $ldv" version;;
    csi-sidecars|kwok)
      $sidecar_group_done || build_sidecar_group; sidecar_group_done=true
      [ "$p" = kwok ] || copy_snapshot_crds "$CSI_SNAPSHOTTER_VERSION";;
    olm) build_olm;;
    standins) build_standins;;
  esac
done

log "binaries:"
printf '%s\n' "${results[@]}"
