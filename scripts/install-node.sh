#!/usr/bin/env bash
# Installs Node 24 LTS from the npm registry package `node@24` into .tools/node (git-ignored).
# Build machines ship an end-of-life Node 20; the npm package carries the real binary, so no
# download outside the registry is needed. Prints the bin dir to put first on PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.tools/node"
want=24
if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" -p 'process.versions.node.split(".")[0]')" = "$want" ]; then
  echo "$dest/bin"; exit 0
fi
rm -rf "$dest" && mkdir -p "$dest"
npm install --silent --no-save --no-audit --no-fund --prefix "$dest/pkg" "node@$want" >&2
bin=$(dirname "$(find "$dest/pkg/node_modules" -path '*node-linux-*/bin/node' -type f | head -n 1)")
[ -x "$bin/node" ] || { echo "install-node: node@$want did not install a node binary" >&2; exit 1; }
mkdir -p "$dest/bin" && ln -sf "$bin/node" "$dest/bin/node"
# npm is a JS program: run the machine's npm with Node 24 first on PATH.
"$dest/bin/node" -v >&2
echo "$dest/bin"
