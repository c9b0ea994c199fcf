// Runs inside the UML guest of volumes-*.test.ts: the node plugin's LocalVolume reconciler for node $NODE_NAME,
// against the test's API server ($KUBECONFIG), with real LVM, until SIGTERM.
import { startVolumeReconciler } from '../../../../csi-driver/node/volumes/reconciler.js';
import { createExec } from '../../../../lib/exec.js';
import { KubeApi } from '../../../../lib/kube-api.js';
import { loadKubeConfig } from '../../../../lib/kube-config.js';
import { createLogger } from '../../../../lib/log.js';

const node = process.env.NODE_NAME ?? '';
if (node === '') throw new Error('NODE_NAME is not set');
const log = createLogger('csi-node', 'debug');
const kc = loadKubeConfig();
const reconciler = startVolumeReconciler({ api: new KubeApi(kc), node, exec: createExec('direct', { log }), log });
await reconciler.synced;
log.info('volume reconciler synced');
process.once('SIGTERM', () => {
  void reconciler.stop().then(() => process.exit(0));
});
