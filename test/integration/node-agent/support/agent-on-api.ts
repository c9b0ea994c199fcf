// The node agent against a real kube-apiserver, as agent-api.test.ts and agent-volume-changes.test.ts run it: our
// CRDs (and any others) established, discovery reading the sysfs fixture and running findmnt/realpath on this host,
// LVM and the signature probe injected (this kernel has no device-mapper; the fixture's disks are not this host's).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Logger } from 'pino';
import { crdManifests } from '../../../../api/generated/crds.js';
import { createExec } from '../../../../lib/exec.js';
import type { RequestObserver } from '../../../../lib/kube-api.js';
import { startAgent, type AgentDependencies, type RunningAgent } from '../../../../node-agent/cli.js';
import { HostDiscovery } from '../../../../node-agent/discovery/source.js';
import type { LvmReport, LvReport } from '../../../../node-agent/lvm/report.js';
import { startControlPlane, type ControlPlane } from '../../../env/control-plane.js';
import { rawApi, waitEstablished, type RawApi } from '../../support/raw-api.js';

export const NODE = 'worker-1';
export const GiB = 2 ** 30;
export const VG = 'open-local-pool-0';
export const NLS_PATH = `/apis/csi.aliyun.com/v1alpha1/nodelocalstorages/${NODE}`;

/** An LV of the pool VG as `lvs` reports it. */
export const lv = (name: string, size: number, over: Partial<LvReport> = {}): LvReport => ({ name, vgName: VG, size, attr: '-wi-a-----', origin: '', snapPercent: undefined, tags: [], path: `/dev/${VG}/${name}`, ...over });

export interface AgentOnApi {
  readonly cp: ControlPlane;
  readonly api: RawApi;
  readonly agent: RunningAgent;
  stop(): Promise<void>;
}

export interface AgentOnApiOptions {
  /** CRDs besides ours. */
  readonly extraCrds?: readonly { metadata: { name: string } }[];
  /** The node's LVM now (read on every pass). */
  readonly lvm: () => LvmReport;
  readonly intervalMs: number;
  /** '' for no HTTP server. */
  readonly httpAddress: string;
  readonly log: Logger;
  readonly lvExtender?: AgentDependencies['lvExtender'];
  readonly onRequest?: RequestObserver;
}

export async function startAgentOnApi(options: AgentOnApiOptions): Promise<AgentOnApi> {
  const cp = await startControlPlane();
  const api = rawApi(cp);
  const crds = [...crdManifests, ...(options.extraCrds ?? [])];
  for (const crd of crds) {
    const r = await api.apply(crd as never);
    expect(r.status, r.text).to.be.oneOf([200, 201]);
  }
  await waitEstablished(api, crds.map((c) => c.metadata.name));
  const mountRoot = await mkdtemp(join(tmpdir(), 'open-local-mount-root-'));
  const sysfsRoot = join(process.cwd(), 'test/fixtures/sysfs/node');
  const agent = await startAgent(
    { nodeName: NODE, kubeconfig: cp.kubeconfigPath, sysfs: sysfsRoot, mountRoot, intervalMs: options.intervalMs, httpAddress: options.httpAddress, hostExec: 'direct', logLevel: 'silent' },
    {
      discovery: new HostDiscovery({
        sysfsRoot,
        exec: createExec('direct'),
        lvm: { report: () => Promise.resolve(structuredClone(options.lvm())) },
        // The fixture's disks are blank, but for vda (the system disk, already out: it has a partition).
        probe: () => Promise.resolve({ signatures: [] }),
      }),
      log: options.log,
      ...(options.lvExtender ? { lvExtender: options.lvExtender } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    },
  );
  return {
    cp,
    api,
    agent,
    stop: async () => {
      await agent.stop();
      await cp.stop();
      await rm(mountRoot, { recursive: true, force: true });
    },
  };
}
