# The UML storage node of provisioning-flow.test.ts. Prepares the VG as the prepare-VG Job does, then runs the node
# agent and the CSI node plugin as the node DaemonSet does (--host-exec=direct: the guest is the host), and runs the
# test's requests (shell scripts dropped into $DIR/req) until $DIR/stop appears. Needs $DIR (a host folder, shared
# through hostfs), $NODE, $NODE_BIN (Node 24) and OPEN_LOCAL_INIT_CONFIG.
set -u
export PATH="$NODE_BIN:$PATH"
if ! node bin/open-local.js prepare-vg --node-name="$NODE" --host-exec=direct --result-file="$DIR/prepare.result" >"$DIR/prepare.log" 2>&1; then
  echo "prepare-vg failed:"
  cat "$DIR/prepare.log"
  exit 1
fi
node bin/open-local.js agent --node-name="$NODE" --kubeconfig="$DIR/node.kubeconfig" --host-exec=direct --interval=2s --http-addr= \
  >"$DIR/agent.log" 2>&1 &
agent=$!
sh "$DIR/node-plugin.sh" >"$DIR/node-plugin.log" 2>&1 &
plugin=$!
mkdir -p "$DIR/req"
touch "$DIR/guest-ready"
while [ ! -e "$DIR/stop" ]; do
  for req in "$DIR"/req/*.sh; do
    [ -e "$req" ] || continue
    sh "$req" >"${req%.sh}.out" 2>&1
    echo $? >"${req%.sh}.rc.tmp"
    mv "${req%.sh}.rc.tmp" "${req%.sh}.rc"
    rm -f "$req"
  done
  sleep 0.2
done
kill "$plugin" "$agent"
wait
