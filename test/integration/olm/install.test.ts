// OLM installs the operator for real, as an OperatorHub user would: the real OLM v0.42.0 (olm and catalog operators,
// out of cluster) resolves a Subscription against a file-based catalog of olm-bundle/ served by opm, runs the
// InstallPlan, creates the operator's Deployment and moves the CSV to Succeeded once that Deployment is Available;
// then a v+1 bundle rendered by our generator (`replaces` the first) is served and OLM upgrades to it.
//
// The operator's pods need a node that runs them. Here that is a kwok node: kwok plays the kubelet (pods Running and
// Ready) and the real Deployment and ReplicaSet controllers and scheduler do the rest, so "Available" comes from
// real Deployment status. startPodNode is the one place to swap for a real kubelet node.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeApi, type KubeObject } from '../../../lib/kube-api.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { csvName } from '../../../olm-bundle/csv.js';
import { OPERATOR_NAME } from '../../../olm-bundle/project.js';
import { version } from '../../../lib/version.js';
import { KWOK_CONTROLLER_MANAGER, startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { createKwokNodes, startKwok, waitKwokNodesReady } from '../../env/kwok.js';
import { OPERATORS_V1ALPHA1, startCatalog, startOlm, subscribe, type Catalog, type Olm, type Subscribed } from '../../env/olm.js';
import { writeNextBundle, type GeneratedBundle } from '../../env/olm/next-bundle.js';
import { pidAlive } from '../../env/processes.js';
import { repoRoot } from '../../fixtures/examples.js';
import { eventually } from '../support/kubelet-play.js';

const BUNDLE = join(repoRoot, 'olm-bundle');
const NAMESPACE = 'open-local-system';

interface Step {
  readonly resource: { readonly kind: string; readonly name: string; readonly group: string };
  readonly status: string;
}
type InstallPlan = KubeObject & { spec?: { clusterServiceVersionNames?: string[] }; status?: { phase?: string; plan?: Step[] } };
type Subscription = KubeObject & { status?: { state?: string; installedCSV?: string; currentCSV?: string; installPlanRef?: { name: string } } };
interface Requirement {
  readonly kind: string;
  readonly name: string;
  readonly status: string;
  readonly dependents?: readonly { readonly kind: string; readonly status: string; readonly message?: string }[];
}
type Csv = KubeObject & { status?: { phase?: string; reason?: string; message?: string; requirementStatus?: Requirement[] } };
type Deployment = KubeObject & { spec?: { replicas?: number }; status?: { availableReplicas?: number; conditions?: { type: string; status: string }[] } };
type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } };

/** Something that can be stopped, with the processes and dirs it owns (for the leak check). */
interface Part {
  stop(): Promise<void>;
  pids(): number[];
  dirs(): string[];
}

/**
 * A node that runs the operator's pods. Today a kwok node (kwok marks bound pods Running and Ready); swap this
 * function for a real kubelet node once the project image runs under one here.
 */
async function startPodNode(cp: ControlPlane, api: KubeApi): Promise<Part> {
  const kwok = await startKwok(cp);
  await createKwokNodes(api, 1, { images: 0 });
  await waitKwokNodesReady(cp, 1, 60_000);
  return { stop: () => kwok.stop(), pids: () => [kwok.process.pid], dirs: () => [] };
}

/** The objects of the committed bundle's manifests/ other than the CSV: what the InstallPlan must create as they are. */
function bundledObjects(): { kind: string; name: string }[] {
  const dir = join(BUNDLE, 'manifests');
  return readdirSync(dir)
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as { kind: string; metadata: { name: string } })
    .filter((o) => o.kind !== 'ClusterServiceVersion')
    .map((o) => ({ kind: o.kind, name: o.metadata.name }));
}

describe('OLM v0.42.0 installs the operator from a catalog of olm-bundle/ and upgrades it (operator pods on a kwok node)', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let node: Part | undefined;
  let olm: Olm | undefined;
  let catalog: Catalog | undefined;
  let next: GeneratedBundle | undefined;
  let sub: Subscribed;
  const first = csvName(version);
  const started = Date.now();

  const subscription = () => api.get<Subscription>(OPERATORS_V1ALPHA1, 'Subscription', sub.name, sub.namespace);
  const csv = (name: string) => api.get<Csv>(OPERATORS_V1ALPHA1, 'ClusterServiceVersion', name, NAMESPACE);
  const succeeded = (name: string) =>
    eventually(`CSV ${name} Succeeded`, async () => {
      const c = await csv(name);
      return c?.status?.phase === 'Succeeded' ? c : undefined;
    }, 120_000).catch(async (err: unknown) => {
      const c = await csv(name);
      throw new Error(`${err instanceof Error ? err.message : String(err)} (phase ${c?.status?.phase ?? 'none'}: ${c?.status?.reason ?? ''} ${c?.status?.message ?? ''})`, { cause: err });
    });

  before(async function () {
    this.timeout(240_000);
    cp = await startControlPlane({ withControllerManager: KWOK_CONTROLLER_MANAGER, withScheduler: true });
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    node = await startPodNode(cp, api);
    olm = await startOlm(cp);
    catalog = await startCatalog(cp, olm, [BUNDLE]);
  });

  after(async function () {
    this.timeout(60_000);
    await catalog?.stop();
    await olm?.stop();
    await next?.remove();
    await node?.stop();
    await (cp as ControlPlane | undefined)?.stop();
    console.log(`    (OLM install and upgrade: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  it('reports the opm-served catalog READY at its spec.address', async function () {
    this.timeout(90_000);
    const source = await catalog!.waitReady(60_000);
    expect(source.spec?.sourceType).to.equal('grpc');
    expect(source.status?.connectionState?.address).to.equal(catalog!.address());
  });

  it('resolves the Subscription to an InstallPlan that creates the CSV, every bundled CRD and ClusterRole, the ServiceAccount and its RBAC, and completes', async function () {
    this.timeout(120_000);
    sub = await subscribe(api, catalog!, NAMESPACE);
    const planName = await eventually('the Subscription to reference an InstallPlan', async () => (await subscription())?.status?.installPlanRef?.name, 60_000);
    const plan = await eventually(`InstallPlan ${planName} Complete`, async () => {
      const p = await api.get<InstallPlan>(OPERATORS_V1ALPHA1, 'InstallPlan', planName, NAMESPACE);
      if (p?.status?.phase === 'Failed') throw new Error(`InstallPlan failed: ${JSON.stringify(p.status)}`);
      return p?.status?.phase === 'Complete' ? p : undefined;
    }, 90_000);
    expect(plan.spec?.clusterServiceVersionNames).to.deep.equal([first]);
    const steps = plan.status?.plan ?? [];
    const created = steps.map((s) => `${s.resource.kind}/${s.resource.name}`);
    expect(created).to.include.members([`ClusterServiceVersion/${first}`, `ServiceAccount/${OPERATOR_NAME}`, ...bundledObjects().map((o) => `${o.kind}/${o.name}`)]);
    // clusterPermissions and permissions become a ClusterRole/ClusterRoleBinding and a Role/RoleBinding OLM names.
    expect(new Set(steps.map((s) => s.resource.kind))).to.deep.equal(
      new Set(['ClusterServiceVersion', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']),
    );
    for (const kind of ['Role', 'RoleBinding', 'ClusterRoleBinding']) expect(steps.some((s) => s.resource.kind === kind), kind).to.equal(true);
    const notDone = steps.filter((s) => s.status !== 'Created' && s.status !== 'Present');
    expect(notDone, 'steps neither Created nor Present').to.deep.equal([]);
  });

  it('finds every CSV requirement Present and every dependent (RBAC of the ServiceAccount) Satisfied', async function () {
    this.timeout(120_000);
    const c = await eventually('the CSV to list its requirements', async () => {
      const x = await csv(first);
      return (x?.status?.requirementStatus?.length ?? 0) > 0 && ['InstallReady', 'Installing', 'Succeeded'].includes(x?.status?.phase ?? '') ? x : undefined;
    }, 90_000);
    const reqs = c.status?.requirementStatus ?? [];
    expect(reqs.filter((r) => r.status !== 'Present'), 'requirements not Present').to.deep.equal([]);
    expect(reqs.map((r) => `${r.kind}/${r.name}`)).to.include.members([
      `ServiceAccount/${OPERATOR_NAME}`,
      ...bundledObjects().filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `CustomResourceDefinition/${o.name}`),
    ]);
    const dependents = reqs.flatMap((r) => r.dependents ?? []);
    expect(dependents.length, 'the ServiceAccount has RBAC dependents').to.be.greaterThan(0);
    expect(dependents.filter((d) => d.status !== 'Satisfied'), 'dependents not Satisfied').to.deep.equal([]);
  });

  it('creates the operator Deployment (owned by the CSV), whose pods run on the node, and turns the CSV Succeeded', async function () {
    this.timeout(150_000);
    const deployment = await eventually('the operator Deployment created by OLM', () => api.get<Deployment>('apps/v1', 'Deployment', OPERATOR_NAME, NAMESPACE), 60_000);
    expect(deployment.metadata?.labels?.['olm.owner']).to.equal(first);
    expect(deployment.metadata?.labels?.['olm.owner.kind']).to.equal('ClusterServiceVersion');
    await succeeded(first);
    const available = await api.get<Deployment>('apps/v1', 'Deployment', OPERATOR_NAME, NAMESPACE);
    expect(available?.status?.availableReplicas).to.equal(available?.spec?.replicas);
    const pods = (await api.list<Pod>('v1', 'Pod', { namespace: NAMESPACE })).items.filter((p) => p.metadata?.name?.startsWith(`${OPERATOR_NAME}-`));
    expect(pods.map((p) => p.status?.phase)).to.deep.equal(Array<string>(available?.spec?.replicas ?? 0).fill('Running'));
    const s = await subscription();
    expect(s?.status?.installedCSV).to.equal(first);
  });

  it('upgrades to the v+1 bundle that replaces it: the Subscription moves on, the new CSV succeeds, the old one is gone', async function () {
    this.timeout(180_000);
    next = await writeNextBundle();
    expect(next.replaces).to.equal(first);
    const firstServer = catalog!.server().pid;
    await catalog!.serve([BUNDLE, next.dir]);
    expect(pidAlive(firstServer), 'the opm serving the first catalog is stopped').to.equal(false);
    await catalog!.waitReady(60_000);
    const nextName = next.csvName;
    await eventually(`the Subscription at ${nextName}`, async () => {
      const s = await subscription();
      return s?.status?.installedCSV === nextName && s.status.state === 'AtLatestKnown' ? s : undefined;
    }, 120_000);
    await succeeded(nextName);
    await eventually(`CSV ${first} deleted`, async () => ((await csv(first)) === undefined ? true : undefined), 60_000);
    const deployment = await api.get<Deployment>('apps/v1', 'Deployment', OPERATOR_NAME, NAMESPACE);
    expect(deployment?.metadata?.labels?.['olm.owner']).to.equal(nextName);
    // An AllNamespaces install is copied into every namespace; the copies of the replaced CSV go too.
    await eventually(`no copy of ${first} in any namespace`, async () => {
      const names = (await api.list<Csv>(OPERATORS_V1ALPHA1, 'ClusterServiceVersion')).items.map((c) => c.metadata?.name);
      return names.includes(first) ? undefined : names;
    }, 60_000);
  });

  it('stops OLM, opm, kwok and the control plane leaving no process or temp dir behind', async function () {
    this.timeout(90_000);
    const parts: Part[] = [
      { stop: () => catalog!.stop(), pids: () => [catalog!.server().pid], dirs: () => [catalog!.dir] },
      { stop: () => olm!.stop(), pids: () => olm!.processes.map((p) => p.pid), dirs: () => [olm!.dir] },
      { stop: () => next!.remove(), pids: () => [], dirs: () => [next!.dir] },
      node!,
      { stop: () => cp.stop(), pids: () => cp.processes.map((p) => p.pid), dirs: () => [cp.dir] },
    ];
    const pids = parts.flatMap((p) => p.pids());
    const dirs = parts.flatMap((p) => p.dirs());
    expect(pids.filter((pid) => !pidAlive(pid)), 'processes already gone before the teardown').to.deep.equal([]);
    for (const part of parts) await part.stop();
    expect(pids.filter(pidAlive), 'processes left').to.deep.equal([]);
    expect(dirs.filter((d) => existsSync(d)), 'temp dirs left').to.deep.equal([]);
  });
});
