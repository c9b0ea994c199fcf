// The CSI node plugin as a process inside the UML guest (node-scenario.ts starts, kills and restarts it): the real
// node service (csi-driver/node/plugin.ts) on the real gRPC server, host commands run directly (no nsenter).
// argv: SOCKET KUBELET_DIR STATE_DIR CGROUP_ROOT NODE_NAME
import { createExec } from '../../../../lib/exec.js';
import { createLogger } from '../../../../lib/log.js';
import { serveCsi } from '../../../../csi-driver/grpc/server.js';
import { startNodePlugin } from '../../../../csi-driver/node/plugin.js';

const [socket, kubeletDir, stateDir, cgroupRoot, nodeName] = process.argv.slice(2);
if (!socket || !kubeletDir || !stateDir || !cgroupRoot || !nodeName) throw new Error('usage: node-plugin.ts SOCKET KUBELET_DIR STATE_DIR CGROUP_ROOT NODE_NAME');
const log = createLogger('csi-node', 'debug', process.stderr);
const exec = createExec('direct', { log });
const node = await startNodePlugin({ nodeName, kubeletDir, stateDir, cgroupRoot, maxVolumesPerNode: 256, exec, log });
const server = await serveCsi({ endpoint: `unix://${socket}`, services: { Node: node }, log });
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
