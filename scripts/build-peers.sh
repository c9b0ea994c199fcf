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
#             .src/<name>-<v>/   scratch Go modules (go.mod/go.sum/main.go) the builds use, and for the CSI
#                                sidecars a copy of the release's own module source, built in place
#           A binary is built to a temporary name, checked with --version, then renamed into
#           place, and a <dir>/.complete marker is written last: a cache entry is never half built.
#           A warm cache rebuilds nothing (the binary exists and runs --version).
# KUBEBUILDER_ASSETS: etcd / kube-* binaries found there are used as they are and not built.
# Kubernetes is built from k8s.io/kubernetes@<v> in a scratch module whose `replace` lines map every
# k8s.io/* staging module (taken from that release's own go.mod replace block) to its v0.x.y release.
# etcd is built from go.etcd.io/etcd/server/v3 (its root module go.etcd.io/etcd/v3 has local
# replace directives, so it cannot be built from the proxy) with a two-line main of our own that
# does exactly what etcd's main.go does: etcdmain.Main(os.Args).
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

build_kube() {
  local v=$KUBERNETES_VERSION dir="$peers_dir/kubernetes-$KUBERNETES_VERSION" src="$peers_dir/.src/kubernetes-$KUBERNETES_VERSION"
  local todo=() name
  # Each binary is checked on its own: a cache entry from before kube-proxy joined the list gains it without
  # rebuilding the others.
  for name in kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl; do
    local a; a=$(from_assets "$name")
    if [ -n "$a" ]; then log "$name: using $a (KUBEBUILDER_ASSETS)"; results+=("$a"); continue; fi
    if ok "$dir/bin/$name" $(kube_version_args "$name"); then results+=("$dir/bin/$name"); continue; fi
    todo+=("$name")
  done
  [ ${#todo[@]} -gt 0 ] || { log "kubernetes $v: nothing to build"; return 0; }
  local t0; t0=$(date +%s)
  log "kubernetes $v: building ${todo[*]} (cold: ~10 min on 2 cores; kube-proxy or kubectl alone after the others: ~1-2 min)"
  mkdir -p "$dir/bin" "$src"
  rm -f "$dir/.complete"
  kube_scratch_module "$v" "$src"
  local pkgs=(); for name in "${todo[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$name"); done
  (cd "$src" && go get "${pkgs[@]/%/@$v}")
  # One `go build` of every package: their shared dependencies are compiled once, in parallel.
  local out="$dir/bin/.build"
  rm -rf "$out"; mkdir -p "$out"
  (cd "$src" && go build -trimpath -ldflags="$(kube_ldflags "$v")" -o "$out/" "${pkgs[@]}")
  for name in "${todo[@]}"; do
    install_bin "$out/$name" "$dir/bin/$name" $(kube_version_args "$name")
    # Captured first: grep -q stops reading at the match, and kubectl's next line would then fail on a closed pipe.
    local said; said=$("$dir/bin/$name" $(kube_version_args "$name"))
    grep -qxE "(Kubernetes|Client Version:) $v" <<<"$said" || die "$name $(kube_version_args "$name") does not say $v"
    results+=("$dir/bin/$name")
  done
  rm -rf "$out"
  touch "$dir/.complete"
  log "kubernetes $v: ${todo[*]} built in $(elapsed "$t0")"
}

# --- kubelet -------------------------------------------------------------------------------------------------
# build_kubelet: k8s.io/kubernetes/cmd/kubelet into <cache>/kubelet-<v>/bin/kubelet, built in the same scratch
# module as the other Kubernetes binaries (after them it reuses their compiled dependencies: a warm Go build
# cache makes it minutes, a cold one ~9 min and 1.5 GB RAM). Its own cache entry, so that adding it never
# invalidates kubernetes-<v>. The kubelet only runs inside UML storage nodes (test/env/kubelet-node.ts).
build_kubelet() {
  local v=$KUBERNETES_VERSION dir="$peers_dir/kubelet-$KUBERNETES_VERSION" src="$peers_dir/.src/kubernetes-$KUBERNETES_VERSION"
  if [ -f "$dir/.complete" ] && ok "$dir/bin/kubelet"; then log "kubelet $v: cached"; results+=("$dir/bin/kubelet"); return 0; fi
  local t0; t0=$(date +%s)
  log "kubelet $v: building (cold Go build cache: ~9 min on 2 cores)"
  mkdir -p "$dir/bin"
  rm -f "$dir/.complete"
  [ -f "$src/go.mod" ] || kube_scratch_module "$v" "$src"
  (cd "$src" && go get "k8s.io/kubernetes/cmd/kubelet@$v")
  (cd "$src" && go build -trimpath -ldflags="$(kube_ldflags "$v")" -o "$dir/bin/.kubelet.tmp" k8s.io/kubernetes/cmd/kubelet)
  install_bin "$dir/bin/.kubelet.tmp" "$dir/bin/kubelet"
  "$dir/bin/kubelet" --version | grep -qx "Kubernetes $v" || die "kubelet --version does not say Kubernetes $v"
  touch "$dir/.complete"
  log "kubelet $v: built in $(elapsed "$t0")"
  results+=("$dir/bin/kubelet")
}
# --- end kubelet ---------------------------------------------------------------------------------------------

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

build_etcd() {
  local v=$ETCD_VERSION dir="$peers_dir/etcd-$ETCD_VERSION" src="$peers_dir/.src/etcd-$ETCD_VERSION"
  local a; a=$(from_assets etcd)
  if [ -n "$a" ]; then log "etcd: using $a (KUBEBUILDER_ASSETS)"; results+=("$a"); return 0; fi
  if [ -f "$dir/.complete" ] && ok "$dir/bin/etcd"; then log "etcd $v: cached"; results+=("$dir/bin/etcd"); return 0; fi
  local t0; t0=$(date +%s)
  log "etcd $v: building"
  mkdir -p "$dir/bin" "$src"
  rm -f "$dir/.complete"
  cat > "$src/go.mod" <<EOF
// Generated by scripts/build-peers.sh: builds etcd $v from the module proxy.
module open-local-operator.local/peers/etcd

go 1.24

require go.etcd.io/etcd/server/v3 $v
EOF
  cat > "$src/main.go" <<'EOF'
// The same as etcd's own main.go (module go.etcd.io/etcd/v3, which cannot be built from the
// module proxy because its go.mod replaces its sibling modules with local paths).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (cd "$src" && go mod tidy)
  (cd "$src" && go build -trimpath -ldflags="-s -w" -o "$dir/bin/.etcd.tmp" .)
  install_bin "$dir/bin/.etcd.tmp" "$dir/bin/etcd"
  "$dir/bin/etcd" --version | grep -q "etcd Version: ${v#v}" || die "etcd --version does not say ${v#v}"
  touch "$dir/.complete"
  log "etcd $v: built in $(elapsed "$t0")"
  results+=("$dir/bin/etcd")
}

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

# build_module NAME MODULE VERSION LOCAL-REPLACES PKG...: build each PKG (a main package of MODULE) into
# <cache>/NAME-VERSION/<last element of PKG>, inside a copy of MODULE@VERSION's own source, so that the
# release's own go.mod and go.sum choose every dependency (the CSI sidecars need their go.mod's `replace`
# lines for the k8s.io staging modules, which `go install m@v` refuses and a scratch module would drop).
# LOCAL-REPLACES: space-separated module=version pairs for replace directives that point at sibling
# folders, which are not in the module zip (see versions.env).
build_module() {
  local name=$1 mod=$2 v=$3 locals=$4; shift 4
  local dir="$peers_dir/$name-$v" src="$peers_dir/.src/$name-$v" pkg done_all=true
  for pkg in "$@"; do ok "$dir/${pkg##*/}" || done_all=false; done
  if [ -f "$dir/.complete" ] && $done_all; then
    log "$name $v: cached"
    for pkg in "$@"; do results+=("$dir/${pkg##*/}"); done
    return 0
  fi
  local t0; t0=$(date +%s)
  log "$name $v: building ${*##*/}"
  mkdir -p "$dir"
  rm -f "$dir/.complete"
  copy_module_source "$mod@$v" "$src" go.mod
  local r; for r in $locals; do
    (cd "$src" && go mod edit -replace "${r%%=*}=${r%%=*}@${r#*=}")
    log "$name $v: replace ${r%%=*} => ${r#*=} (see scripts/peers/versions.env)"
  done
  if grep -Eq '=>[[:space:]]*\.' "$src/go.mod"; then
    die "$mod@$v's go.mod still replaces a module with a local folder: $(grep -E '=>[[:space:]]*\.' "$src/go.mod")"
  fi
  for pkg in "$@"; do
    local bin=${pkg##*/} t1; t1=$(date +%s)
    (cd "$src" && go build -trimpath -ldflags="-s -w -X main.version=$v" -o "$dir/.$bin.tmp" "./${pkg#"$mod"/}")
    install_bin "$dir/.$bin.tmp" "$dir/$bin" --version
    "$dir/$bin" --version 2>&1 | grep -qF "$v" || die "$bin --version does not say $v"
    log "$name $v: $bin built in $(elapsed "$t1")"
    results+=("$dir/$bin")
  done
  touch "$dir/.complete"
  log "$name $v: done in $(elapsed "$t0")"
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
# and OLM's CRDs (deploy/chart/crds of the same module) into <cache>/olm-<v>/, then opm (operator-registry@OPM_VERSION
# cmd/opm) into <cache>/opm-<v>/opm. test/env/olm.ts runs them out of cluster. OLM's go.mod has no replace lines, so
# a scratch module requiring it selects the same dependencies. Cold: olm ~7 min (1.2 GB peak), catalog seconds
# after it (shared packages), opm ~2 min.
build_olm() {
  local v=$OLM_VERSION mod=github.com/operator-framework/operator-lifecycle-manager
  local dir="$peers_dir/olm-$v" src="$peers_dir/.src/olm-$v" t0; t0=$(date +%s)
  if [ -f "$dir/.complete" ] && ok "$dir/olm" --version && ok "$dir/catalog" --version; then
    log "olm $v: cached"
  else
    log "olm $v: building olm, catalog (cold: ~7 min on 2 cores) and copying its CRDs"
    mkdir -p "$dir" "$src"
    rm -f "$dir/.complete"
    local gomod; gomod=$(gomod_of "$mod@$v")
    [ -f "$gomod" ] || die "could not download $mod@$v's go.mod"
    grep -q '^replace' "$gomod" && die "$mod@$v's go.mod has replace directives, which a scratch module drops"
    {
      echo "// Generated by scripts/build-peers.sh: builds OLM $v's olm and catalog from the module proxy."
      echo "module open-local-operator.local/peers/olm"
      echo
      echo "go $(awk '$1 == "go" {print $2; exit}' "$gomod")"
      echo
      echo "require $mod $v"
    } > "$src/go.mod"
    rm -f "$src/go.sum"
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
    log "olm $v: done in $(elapsed "$t0")"
  fi
  results+=("$dir/olm" "$dir/catalog" "$dir/crds")
  # opm: containers_image_openpgp is the pure-Go signature backend (otherwise gpgme and cgo are needed).
  local reg=github.com/operator-framework/operator-registry
  build_tool opm "$reg" "$OPM_VERSION" "$reg/cmd/opm" containers_image_openpgp "" \
    "-s -w -X $reg/cmd/opm/version.opmVersion=$OPM_VERSION -X $reg/cmd/opm/version.gitCommit=$OPM_VERSION" version
  "$peers_dir/opm-$OPM_VERSION/opm" version | grep -qF "OpmVersion:\"$OPM_VERSION\"" || die "opm version does not say $OPM_VERSION"
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

for p in "${want[@]}"; do
  case "$p" in
    kube) build_kube;;
    kubelet) build_kubelet;;
    coredns) build_coredns;;
    etcd) build_etcd;;
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
    csi-sidecars)
      t_sidecars=$(date +%s)
      build_module csi-provisioner github.com/kubernetes-csi/external-provisioner/v6 "$CSI_PROVISIONER_VERSION" "" \
        github.com/kubernetes-csi/external-provisioner/v6/cmd/csi-provisioner
      build_module csi-resizer "$CSI_RESIZER_MODULE" "$CSI_RESIZER_VERSION" "" "$CSI_RESIZER_MODULE/cmd/csi-resizer"
      snap=github.com/kubernetes-csi/external-snapshotter/v8
      build_module external-snapshotter "$snap" "$CSI_SNAPSHOTTER_VERSION" "${CSI_SNAPSHOTTER_LOCAL_REPLACES:-}" \
        "$snap/cmd/csi-snapshotter" "$snap/cmd/snapshot-controller"
      copy_snapshot_crds "$CSI_SNAPSHOTTER_VERSION"
      log "csi-sidecars: done in $(elapsed "$t_sidecars")";;
    kwok)
      # sigs.k8s.io/kwok's go.mod has no replace lines, so the scratch module of build_tool builds it as is
      # (cold: ~3 min on 2 cores). Its version string is a link-time variable, as in kwok's own Makefile.
      build_tool kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok "" "" \
        "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" --version;;
    olm) build_olm;;
    standins) build_standins;;
  esac
done

log "binaries:"
printf '%s\n' "${results[@]}"
