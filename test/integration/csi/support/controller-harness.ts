// The CSI controller service as the controller Deployment runs it (Identity and Controller behind serveCsi on a unix socket)
// against a real API server with the open-local CRDs, a few nodes' NodeLocalStorage, and a played node
// (play-node.ts) for the nodes that should answer, whose Node service answers csi-sanity's clean-up calls. Tests call it with the real proto over gRPC.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crdManifests } from '../../../../api/generated/crds.js';
import type { LocalVolume } from '../../../../api/generated/types.js';
import type { OrphanSweepOptions } from '../../../../csi-driver/controller/orphan-sweeper.js';
import { startController, type ControllerService } from '../../../../csi-driver/controller/service.js';
import { serveCsi, type CsiServer } from '../../../../csi-driver/grpc/server.js';
import { identityService } from '../../../../csi-driver/identity.js';
import { CSI_DRIVER_NAME } from '../../../../api/group.js';
import { version } from '../../../../lib/version.js';
import { KubeApi } from '../../../../lib/kube-api.js';
import { createLogger } from '../../../../lib/log.js';
import { startControlPlane, type ControlPlane } from '../../../env/control-plane.js';
import { waitFor } from '../../../env/net.js';
import { nls, storageClass, type NlsOptions } from '../../../unit/extender/objects.js';
import { installCrds, rawApi } from '../../support/raw-api.js';
import { csiClient, type CsiTestClient } from './csi-client.js';
import { playedNodeService, startPlayNode, type PlayNode } from './play-node.js';

export const NS = 'csi-controller-it';
export const SC = 'open-local-lvm';

export interface ControllerHarness {
  readonly cp: ControlPlane;
  readonly api: KubeApi;
  readonly csi: CsiTestClient;
  readonly node: PlayNode;
  readonly service: ControllerService;
  /** The CSI socket (csi-sanity's endpoint). */
  readonly socketPath: string;
  localVolumes(): Promise<LocalVolume[]>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Nodes and what their agents report. */
  readonly nodes: Readonly<Record<string, NlsOptions>>;
  /** Nodes the played node plugin answers for (others stay silent, as a node whose plugin is down). */
  readonly answering: readonly string[];
  readonly operationTimeoutMs: number;
  /** The orphan sweep's interval and grace (the controller's defaults otherwise). */
  readonly orphans?: OrphanSweepOptions;
}

export async function startControllerHarness(options: HarnessOptions): Promise<ControllerHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'csi-controller-'));
  const cp = await startControlPlane();
  const log = createLogger('csi-controller-test', process.env.TEST_LOG === '1' ? 'debug' : 'silent');
  const kc = cp.adminKubeConfig();
  const api = new KubeApi(kc);
  await installCrds(rawApi(cp), crdManifests);
  await api.createIfAbsent({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await api.createIfAbsent(storageClass(SC, { volumeType: 'LVM' }));
  for (const [name, storage] of Object.entries(options.nodes)) {
    const object = nls(name, storage);
    await api.createIfAbsent({ ...object, status: undefined });
    await api.mergePatch(object, { status: object.status }, 'status');
  }
  const node = await startPlayNode(kc, api, options.answering, log);
  const service = startController({ api, log, operationTimeoutMs: options.operationTimeoutMs, ...(options.orphans ? { orphans: options.orphans } : {}) });
  let server: CsiServer | undefined;
  try {
    server = await serveCsi({ endpoint: `unix://${join(dir, 'csi.sock')}`, services: { Identity: identityService({ driverName: CSI_DRIVER_NAME, version, controller: true, ready: () => service.notReady() === undefined }), Controller: service.handlers, Node: playedNodeService(options.answering[0] ?? '') }, log });
    await waitFor('the controller caches to sync', () => Promise.resolve(service.notReady() === undefined), { timeoutMs: 60_000 }).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${service.notReady() ?? ''}`, { cause: err });
    });
  } catch (err) {
    await server?.stop(1000);
    await service.stop();
    await node.stop();
    await cp.stop();
    throw err;
  }
  const csi = csiClient(server.socketPath);
  const running = server;
  return {
    cp,
    api,
    csi,
    node,
    service,
    socketPath: running.socketPath,
    localVolumes: async () => (await api.list<LocalVolume>('csi.aliyun.com/v1alpha1', 'LocalVolume')).items,
    stop: async () => {
      csi.close();
      await running.stop(1000);
      await service.stop();
      await node.stop();
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
