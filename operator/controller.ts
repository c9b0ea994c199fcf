import type { NodeStatus, OpenLocalCluster, OpenLocalClusterStatus } from '../api/generated/types.js';
import { isNotFound, type KubeApi } from '../lib/kube-api.js';
import type { KubeObject } from '../lib/kube-object.js';
import type { Logger } from '../lib/log.js';
import { canonicalJson } from '../lib/storage-config.js';
import { WorkQueue } from '../lib/work-queue.js';
import { inParallel } from './in-parallel.js';
import { PendingWrites } from './pending-writes.js';
import { renderStack } from '../synth/render.js';
import { InvalidClusterError, resolveSpec, type ResolvedSpec } from '../synth/resolved-spec.js';
import { names } from '../synth/names.js';
import type { Caches } from './caches.js';
import { removeStack } from './deletion.js';
import { recordEvents, transitionEvents } from './events.js';
import { OperandApplier, pruneStale } from './operands/apply.js';
import { withOperatorBinding, withOwnership } from './operands/desired.js';
import { clusterJobFacts, NODE_BOOT_ID_ANNOTATION, NODE_UID_ANNOTATION, nodeFacts, podsByJobUid, strayPods } from './nodes/facts.js';
import { nodePass, recordedStatuses, type IgnoredRecord, type NodeMemory } from './nodes/pass.js';
import { byName, type JobFacts } from './nodes/plan.js';
import { planCleanup, type CleanupPlan } from './nodes/cleanup-plan.js';
import type { JobAction, NodePatch } from './nodes/record.js';
import { boundedList, describeHeld, volumesByNode } from './nodes/volume-guard.js';
import { NODE_NAME_ANNOTATION, prepareVgJobName, type PrepareVgMode } from '../synth/stack/prepare-vg-job.js';
import { PrepareVgJobTemplate } from '../synth/stack/prepare-vg-stamp.js';
import { isOperatorOperandBinding } from '../synth/stack/rbac.js';
import { componentStatuses } from './status/components.js';
import { withRegistration } from './status/registration.js';
import type { OperatorMetrics } from './metrics.js';
import { ConditionType, computeStatus, type Observation } from './status/conditions.js';
import { storageWarnings } from './status/storage-warnings.js';

export const FINALIZER = 'csi.aliyun.com/open-local-operator';

/**
 * At most one status write per cluster in this long while nodes are being prepared: each Job's progress would
 * otherwise cost a write, and a thousand nodes finishing within a minute would cost a thousand. At 1 s, a
 * 1,000-node rollout's status writes were 0.11 requests per node (of 2.22 in all); `kubectl get` sees progress
 * every 2 s instead.
 */
export const STATUS_WRITE_INTERVAL_MS = 2000;

/**
 * A reconcile's Job creations and Node patches in flight at once: finished nodes are marked and their prepare slots
 * refilled within a round trip or two, not one request after another; few enough that the operator never floods
 * the API server (client-go's default client allows bursts of 10).
 */
export const WRITES_IN_FLIGHT = 10;

/**
 * A cluster is reconciled at most once in this long. A pass plans every node, so its cost grows with the fleet;
 * while a thousand nodes are being prepared, watch events (Jobs, pods, Nodes) arrive every few milliseconds and
 * passes one per event would keep the operator busy re-planning. Batched, the events of the window share one pass;
 * an event after a quiet spell is still handled at once.
 */
export const RECONCILE_BATCH_MS = 200;

/** How long a write the caches do not show yet holds back the same write (PendingWrites): a slow watch, not a lost one. */
export const PENDING_WRITE_TTL_MS = 30_000;

/** PendingWrites keys: the kind and name of the object written. */
const writeKey = (kind: 'Job' | 'Node', name: string): string => `${kind}/${name}`;
const jobKey = (node: string): string => writeKey('Job', prepareVgJobName(node));
const nodeKey = (node: string): string => writeKey('Node', node);

export interface ControllerOptions {
  readonly api: KubeApi;
  readonly caches: Caches;
  readonly log: Logger;
  /** Identity for events (the pod name). */
  readonly instance: string;
  readonly metrics: OperatorMetrics;
  readonly now?: () => Date;
  /**
   * Namespace of the operator's own ServiceAccount (open-local-operator), when it runs as one: it then binds
   * itself its write rights in the operand namespace (it holds none there otherwise; synth/rbac-rules.ts).
   */
  readonly operatorNamespace?: string;
}

/**
 * Reconciles OpenLocalClusters: validate → render → apply (skipping unchanged objects) → prune → prepare-VG Jobs
 * and node marks → status. Triggered by watch events on everything it reads; never polls.
 */
export class OpenLocalClusterController {
  readonly queue: WorkQueue;
  private readonly o: ControllerOptions;
  private readonly now: () => Date;
  /** What the operator last saw of each Node (nodeFacts): kubelet heartbeats change nothing it reads. */
  private readonly nodesSeen = new Map<string, string>();
  /**
   * The last render, keyed by the cluster's uid and spec: node and Job events do not re-render the stack, and each
   * prepare-VG Job is stamped from one rendering of it.
   */
  private rendered: { key: string; spec: ResolvedSpec; desired: KubeObject[]; jobs: PrepareVgJobTemplate } | undefined;
  private readonly applier: OperandApplier;
  /**
   * The last plan's node statuses of the cluster in charge (by its uid): the transient phases (Preparing,
   * Pending) and their transition times live only here; the settled ones are also recorded on each Node
   * (nodes/record.ts), which is what a restarted operator resumes from.
   */
  private nodeMemory: NodeMemory | undefined;
  /** Job creations and Node patches sent whose watch events have not come back yet. */
  private readonly writes = new PendingWrites(PENDING_WRITE_TTL_MS);
  /** When each cluster's status was last written (performance.now(), ms): writes are batched to one a second. */
  private readonly statusWrittenAt = new Map<string, number>();

  constructor(options: ControllerOptions) {
    this.o = options;
    this.now = options.now ?? (() => new Date());
    this.applier = new OperandApplier(options.api, options.caches);
    this.queue = new WorkQueue(async (key) => {
      const end = options.metrics.reconcileSeconds.startTimer();
      try {
        await this.reconcile(key);
        end({ result: 'ok' });
      } catch (err) {
        end({ result: 'error' });
        throw err;
      }
    }, options.log, { batchMs: RECONCILE_BATCH_MS });
  }

  /** Maps any watched change to the cluster(s) it concerns. */
  onChange(kind: string, obj: KubeObject): void {
    if (kind === 'Node' || kind === 'Job') this.writes.observed(writeKey(kind, obj.metadata?.name ?? ''), obj.metadata?.resourceVersion);
    if (kind === 'OpenLocalCluster') {
      this.queue.add(obj.metadata?.name ?? '');
      return;
    }
    const owner = obj.metadata?.ownerReferences?.find((r) => r.kind === 'OpenLocalCluster')?.name ?? obj.metadata?.labels?.['app.kubernetes.io/instance'];
    if (owner && kind !== 'Node') {
      this.queue.add(owner);
      return;
    }
    if (kind === 'Node' && !this.nodeChanged(obj.metadata?.name ?? '')) return;
    // Nodes (and anything else) can affect every cluster: new node, label change, reboot, removal.
    for (const c of this.o.caches.clusters.list()) this.queue.add(c.metadata?.name ?? '');
  }

  /** Whether a Node event changed what reconciling reads (labels, deletion, boot ID, ready mark). */
  private nodeChanged(name: string): boolean {
    const node = this.o.caches.nodes.get(name);
    const seen = node ? canonicalJson(nodeFacts(node)) : undefined;
    if (this.nodesSeen.get(name) === seen) return false;
    if (seen === undefined) this.nodesSeen.delete(name);
    else this.nodesSeen.set(name, seen);
    return true;
  }

  async reconcile(name: string): Promise<void> {
    const cluster = this.o.caches.clusters.get(name);
    if (!cluster) return;
    const log = this.o.log.child({ cluster: name, generation: cluster.metadata?.generation });
    if (cluster.metadata?.deletionTimestamp) {
      try {
        await this.finishDeletion(cluster, log);
      } catch (err) {
        // Our cache can lag the finalizer release by a moment; a cluster that is already gone has nothing left to do.
        if (!isNotFound(err)) throw err;
        log.debug('cluster already gone');
      }
      return;
    }
    const primary = this.primaryCluster();
    if (primary && primary !== name) {
      await this.writeStatus(cluster, computeStatus({ ...emptyObservation(cluster, []), duplicateOf: primary }, cluster.status, this.now()), log);
      return;
    }
    if (!cluster.metadata?.finalizers?.includes(FINALIZER)) {
      await this.o.api.mergePatch(cluster, { metadata: { finalizers: [...(cluster.metadata?.finalizers ?? []), FINALIZER], resourceVersion: cluster.metadata?.resourceVersion } });
      return; // the update event brings us back with the finalizer in place
    }

    const renderKey = `${cluster.metadata.uid ?? ''}/${canonicalJson(cluster.spec)}`;
    if (this.rendered?.key !== renderKey) {
      try {
        const spec = resolveSpec(cluster);
        this.rendered = { key: renderKey, spec, desired: withOwnership(withOperatorBinding(renderStack(cluster), spec, this.o.operatorNamespace), cluster), jobs: new PrepareVgJobTemplate(spec) };
      } catch (err) {
        if (!(err instanceof InvalidClusterError)) throw err;
        await this.writeStatus(cluster, computeStatus({ ...emptyObservation(cluster, this.knownStatuses(cluster)), specErrors: err.errors }, cluster.status, this.now()), log);
        return;
      }
    }
    const { spec, desired, jobs: jobTemplate } = this.rendered;

    const applied = await this.applier.apply(desired, log);
    for (const id of applied.applied) this.o.metrics.applied.inc({ kind: id.split('/')[0] });
    const pruneErrors = await pruneStale(this.o.api, this.o.caches, desired, cluster.metadata.uid ?? '', log);

    const uid = cluster.metadata.uid ?? '';
    const pass = nodePass({
      clusterUid: uid,
      spec,
      nodes: this.o.caches.nodes.list(),
      jobs: this.o.caches.ownedCache('Job')?.list(spec.namespace) ?? [],
      pods: this.o.caches.prepareVgPods.list(spec.namespace),
      memory: this.nodeMemory,
      volumesByNode: () => this.volumesByNode(),
      now: this.now(),
    });
    this.logIgnoredRecords(pass.ignoredRecords, log);
    this.nodeMemory = pass.memory;
    if (pass.held.length > 0) log.warn({ held: pass.held }, 'nodes hold volumes: their node plugins stay although the selector no longer matches them');
    // Writes of an earlier pass that the caches do not show yet are not sent again; their watch events bring us back.
    const settleIn = this.writes.settle((key) => this.cachedVersion(key, spec.namespace));
    const actions = pass.actions.filter((a) => a.type !== 'createJob' || !this.writes.inFlight(jobKey(a.node), 'create'));
    const patches = pass.patches.filter((p) => !this.writes.inFlight(nodeKey(p.node), canonicalJson(p)));
    if (settleIn !== undefined && actions.length + patches.length < pass.actions.length + pass.patches.length) this.queue.addAfter(name, Math.ceil(settleIn));
    const actionErrors = [...(await this.execute(actions, cluster, spec, jobTemplate, log)), ...(await this.patchNodes(patches, log))];
    if (pass.plan.requeueAfterMs !== undefined) this.queue.addAfter(name, pass.plan.requeueAfterMs);

    const components = withRegistration(componentStatuses(desired, (kind, ns, n) => this.o.caches.ownedCache(kind)?.get(n, ns)), names.node, pass.unregistered);
    const observation: Observation = {
      generation: cluster.metadata.generation ?? 0,
      deleting: false,
      specErrors: [],
      applyErrors: [...applied.errors, ...pruneErrors, ...actionErrors],
      nodes: pass.plan.statuses,
      components,
      extenderEnabled: spec.extender.enabled,
      storageWarnings: storageWarnings(cluster.spec.storage),
      adoptionRequired: applied.adoptionRequired,
      invalidApplies: applied.invalid,
      heldNodes: pass.held.length > 0 ? describeHeld(pass.held) : undefined,
      unreachableNodes: [...pass.unreachable],
    };
    await this.writeStatus(cluster, computeStatus(observation, cluster.status, this.now()), log, { batched: true });
    // Failed applies are retried with the queue's backoff (status already tells why); nothing else may bring
    // us back, e.g. when a write was refused until the operator's new RoleBinding reached the authorizer.
    if (applied.retry) throw new Error(`apply failed, retrying: ${applied.errors.join('; ')}`);
  }

  /**
   * Deletion: waits while open-local volumes exist, runs the RemoveVolumeGroups cleanup when asked, removes the
   * stack, then releases the finalizer.
   */
  private async finishDeletion(cluster: OpenLocalCluster, log: Logger): Promise<void> {
    if (!cluster.metadata?.finalizers?.includes(FINALIZER)) return;
    if (await this.deletionBlockedByVolumes(cluster, log)) return; // volume events bring us back
    let progress = 'removing the stack';
    if (cluster.spec.cleanup?.policy === 'RemoveVolumeGroups') {
      const cleanup = await this.cleanupVolumeGroups(cluster, log);
      if (!cleanup.done) {
        await this.writeStatus(cluster, computeStatus({ ...emptyObservation(cluster, this.knownStatuses(cluster)), deleting: true, deletingMessage: cleanup.progress }, cluster.status, this.now()), log);
        return; // the cleanup Jobs' events bring us back
      }
      progress = cleanup.progress;
    }
    const latest = await this.writeStatus(cluster, computeStatus({ ...emptyObservation(cluster, this.knownStatuses(cluster)), deleting: true, deletingMessage: progress }, cluster.status, this.now()), log);
    await removeStack(this.o.api, this.o.caches, cluster, log);
    await this.o.api.mergePatch(cluster, { metadata: { finalizers: (cluster.metadata.finalizers ?? []).filter((f) => f !== FINALIZER), resourceVersion: latest.metadata?.resourceVersion } });
    log.info('stack removed; finalizer released');
  }

  /** Open-local volumes (PersistentVolumes of its driver, LocalVolumes) on each node, from the caches. */
  private volumesByNode(): Map<string, string[]> {
    return volumesByNode(this.o.caches.persistentVolumes.list(), this.o.caches.localVolumes?.list() ?? []);
  }

  /**
   * Deletion waits while open-local volumes exist: removing the stack would leave them with no node plugin to
   * unmount or delete them. Reports a condition and, when the set of volumes changes, a Warning event.
   */
  private async deletionBlockedByVolumes(cluster: OpenLocalCluster, log: Logger): Promise<boolean> {
    const byNode = this.volumesByNode();
    if (byNode.size === 0) return false;
    const count = [...byNode.values()].reduce((n, v) => n + v.length, 0);
    const held = [...byNode].map(([node, volumes]) => ({ node, volumes }));
    const message =
      `${count} open-local volume${count === 1 ? '' : 's'} still exist${count === 1 ? 's' : ''} on ${boundedList(held.map((h) => h.node), 3)}: ${describeHeld(held)}. ` +
      `Deletion waits: delete their PersistentVolumeClaims (and LocalVolumes) first, or remove the finalizer ${FINALIZER} knowingly (the volumes are then left without node plugins).`;
    const before = cluster.status?.conditions?.find((c) => c.type === ConditionType.DeletionBlocked)?.message;
    await this.writeStatus(cluster, computeStatus({ ...emptyObservation(cluster, this.knownStatuses(cluster)), deleting: true, deletingMessage: 'waiting for open-local volumes to be deleted', deletionBlocked: message }, cluster.status, this.now()), log);
    if (before !== message) await recordEvents(this.o.api, cluster, [{ type: 'Warning', reason: 'DeletionBlocked', message }], this.o.instance, log);
    log.warn({ volumes: count }, 'deletion waits for open-local volumes');
    return true;
  }

  /** Nodes where a prepare-vg pod runs whose Job is gone (node → pod). */
  private strayPods(namespace: string): Map<string, string> {
    const jobUids = new Set((this.o.caches.ownedCache('Job')?.list(namespace) ?? []).flatMap((j) => j.metadata?.uid ?? []));
    return strayPods(this.o.caches.prepareVgPods.list(namespace), jobUids);
  }

  /** This cluster's prepare (or cleanup) Jobs with their pods' results. */
  private jobFacts(cluster: OpenLocalCluster, namespace: string, mode: PrepareVgMode): JobFacts[] {
    const pods = podsByJobUid(this.o.caches.prepareVgPods.list(namespace));
    return clusterJobFacts(this.o.caches.ownedCache('Job')?.list(namespace) ?? [], pods, cluster.metadata?.uid ?? '', mode);
  }

  /**
   * cleanup.policy RemoveVolumeGroups: runs `prepare-vg --remove` on every node open-local prepared, then reports
   * each node's outcome as an event. prepare-vg refuses VGs that still hold LVs or are not open-local's.
   */
  private async cleanupVolumeGroups(cluster: OpenLocalCluster, log: Logger): Promise<CleanupPlan> {
    const spec = resolveSpec(cluster);
    const nodes = new Map(this.o.caches.nodes.list().map((n) => [n.metadata.name ?? '', n.metadata.labels ?? {}]));
    const preparing = this.jobFacts(cluster, spec.namespace, 'prepare').filter((j) => j.state === 'Active' || j.pod === 'Running').map((j) => j.node);
    const busy = new Set([...preparing, ...this.strayPods(spec.namespace).keys()]);
    const plan = planCleanup(this.recordedStatuses(cluster.metadata?.uid ?? '', log), new Set(nodes.keys()), this.jobFacts(cluster, spec.namespace, 'remove'), spec.prepareVolumeGroups.concurrency, busy);
    if (plan.start.length > 0) {
      const waiting = await this.ensureJobNamespace(cluster, spec.namespace);
      if (waiting) return { ...plan, start: [], progress: waiting };
      const template = new PrepareVgJobTemplate(spec, 'remove');
      for (const job of withOwnership(plan.start.map((node) => template.job(node, nodes.get(node) ?? {})), cluster)) {
        await this.o.api.createIfAbsent(job);
        log.warn({ node: job.metadata?.annotations?.[NODE_NAME_ANNOTATION] }, 'cleanup policy RemoveVolumeGroups: removing the volume groups open-local created');
      }
    }
    if (plan.done) {
      const events = plan.outcomes.map((o) => ({ type: o.removed ? ('Normal' as const) : ('Warning' as const), reason: o.removed ? 'VolumeGroupsRemoved' : 'VolumeGroupsKept', message: `${o.node}: ${o.message}` }));
      await recordEvents(this.o.api, cluster, events, this.o.instance, log);
    }
    return plan;
  }

  /**
   * The cleanup Jobs run in the operand namespace, which may be gone already (deleted with the manifests that
   * created the cluster): re-create what a Job needs there (the namespace and the prepare-vg ServiceAccount).
   * Returns why to wait instead (the namespace is still terminating; its deletion event brings us back).
   */
  private async ensureJobNamespace(cluster: OpenLocalCluster, namespace: string): Promise<string | undefined> {
    const ns = this.o.caches.ownedCache('Namespace')?.get(namespace) ?? (await this.o.api.get('v1', 'Namespace', namespace));
    if (ns?.metadata?.deletionTimestamp) return `waiting for namespace ${namespace} to finish terminating before starting the cleanup Jobs`;
    // In apply order: the namespace, the operator's own rights there, then the Job's ServiceAccount.
    const stack = withOperatorBinding(renderStack(cluster), resolveSpec(cluster), this.o.operatorNamespace);
    const needed = stack.filter((o) => o.kind === 'Namespace' || isOperatorOperandBinding(o) || (o.kind === 'ServiceAccount' && o.metadata.name === names.prepareVg));
    for (const obj of withOwnership(needed, cluster)) await this.o.api.createIfAbsent(obj);
    return undefined;
  }

  /** The oldest live cluster is the one in charge; later ones are duplicates. */
  private primaryCluster(): string | undefined {
    const live = this.o.caches.clusters.list().filter((c) => !c.metadata?.deletionTimestamp);
    live.sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    return live[0]?.metadata?.name;
  }

  private async execute(actions: readonly JobAction[], cluster: OpenLocalCluster, spec: ResolvedSpec, jobTemplate: PrepareVgJobTemplate, log: Logger): Promise<string[]> {
    const ns = spec.namespace;
    const outcomes = await inParallel(actions, WRITES_IN_FLIGHT, async (a): Promise<string | undefined> => {
      try {
        switch (a.type) {
          case 'createJob': {
            // The Job records which incarnation of the node it is for: after a re-creation or a reboot its result is stale.
            const node = this.o.caches.nodes.get(a.node);
            const [job] = withOwnership([jobTemplate.job(a.node, a.labels)], cluster);
            if (job?.metadata) {
              job.metadata.annotations = {
                ...job.metadata.annotations,
                ...(node?.metadata.uid ? { [NODE_UID_ANNOTATION]: node.metadata.uid } : {}),
                ...(node?.status?.nodeInfo?.bootID ? { [NODE_BOOT_ID_ANNOTATION]: node.status.nodeInfo.bootID } : {}),
              };
            }
            const key = jobKey(a.node);
            this.writes.sending(key);
            const created = job && (await this.o.api.createIfAbsent(job).catch((err: unknown) => {
              this.writes.abandoned(key);
              throw err;
            }));
            if (created) {
              this.o.metrics.jobsStarted.inc();
              this.writes.sent(key, 'create', created.metadata?.resourceVersion);
            } else this.writes.abandoned(key);
            log.info({ node: a.node }, 'started prepare-VG Job');
            break;
          }
          case 'deleteJob':
            // Foreground: the Job stays (and its name stays taken) until its pod has ended, so no replacement
            // prepare-vg can start beside a running one.
            await this.o.api.delete({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: a.name, namespace: ns } }, 'Foreground');
            break;
        }
        return undefined;
      } catch (err) {
        return `${a.type} ${'node' in a ? a.node : a.name}: ${err instanceof Error ? err.message : String(err)}`;
      }
    });
    return outcomes.filter((e) => e !== undefined);
  }

  /** Each Node's ready label and record, in one merge patch per Node that changes. */
  private async patchNodes(patches: readonly NodePatch[], log: Logger): Promise<string[]> {
    const outcomes = await inParallel(patches, WRITES_IN_FLIGHT, async (p): Promise<string | undefined> => {
      try {
        const key = nodeKey(p.node);
        this.writes.sending(key);
        const updated = await this.o.api.mergePatch({ apiVersion: 'v1', kind: 'Node', metadata: { name: p.node } }, { metadata: { ...(p.labels ? { labels: p.labels } : {}), ...(p.annotations ? { annotations: p.annotations } : {}) } }).catch((err: unknown) => {
          this.writes.abandoned(key);
          throw err;
        });
        this.writes.sent(key, canonicalJson(p), updated.metadata?.resourceVersion);
        const mark = p.labels ? Object.values(p.labels)[0] : undefined;
        if (mark !== undefined) log.info({ node: p.node }, mark === null ? 'node no longer ready: node plugins removed' : 'node ready: node plugins scheduled');
        return undefined;
      } catch (err) {
        return `patch Node ${p.node}: ${err instanceof Error ? err.message : String(err)}`;
      }
    });
    return outcomes.filter((e) => e !== undefined);
  }

  /** The cached resourceVersion of a PendingWrites key (jobKey, nodeKey). */
  private cachedVersion(key: string, namespace: string): string | undefined {
    const [kind, name = ''] = key.split('/', 2);
    if (kind === 'Node') return this.o.caches.nodes.get(name)?.metadata.resourceVersion;
    return this.o.caches.ownedCache('Job')?.get(name, namespace)?.metadata?.resourceVersion;
  }

  /** Records not trusted are logged: another cluster's at debug level (expected on a duplicate), the rest as warnings. */
  private logIgnoredRecords(ignored: readonly IgnoredRecord[], log: Logger): void {
    for (const r of ignored) log[r.foreign ? 'debug' : 'warn']({ node: r.node }, `${r.why}; preparing the node as if new`);
  }

  /** The settled states recorded on the cached Nodes for this cluster. */
  private recordedStatuses(clusterUid: string, log: Logger): NodeStatus[] {
    const recorded = recordedStatuses(clusterUid, this.o.caches.nodes.list().map(nodeFacts));
    this.logIgnoredRecords(recorded.ignored, log);
    return recorded.statuses.sort(byName);
  }

  /** The node statuses for a pass that plans nothing (duplicate, invalid spec, deletion): the last plan's or the records'. */
  private knownStatuses(cluster: OpenLocalCluster): NodeStatus[] {
    const uid = cluster.metadata?.uid ?? '';
    if (this.nodeMemory?.clusterUid === uid) return [...this.nodeMemory.statuses.values()].sort(byName);
    return this.recordedStatuses(uid, this.o.log);
  }

  /**
   * Writes status only when it differs (a steady cluster costs zero writes), and records transition events.
   * `batched`: at most one write per STATUS_WRITE_INTERVAL_MS; a change within it is written when it ends (the
   * queue brings the cluster back then). The status is bounded, so the write is the same size at any fleet size.
   */
  private async writeStatus(cluster: OpenLocalCluster, status: OpenLocalClusterStatus, log: Logger, options: { batched?: boolean } = {}): Promise<OpenLocalCluster> {
    if (canonicalJson(status) === canonicalJson(cluster.status ?? {})) return cluster;
    const name = cluster.metadata?.name ?? '';
    const last = this.statusWrittenAt.get(name);
    const wait = last === undefined ? 0 : STATUS_WRITE_INTERVAL_MS - (performance.now() - last);
    if (options.batched && wait > 0) {
      this.queue.addAfter(name, Math.ceil(wait));
      return cluster;
    }
    this.statusWrittenAt.set(name, performance.now());
    const updated = await this.o.api.mergePatch<OpenLocalCluster>(cluster, { status }, 'status');
    const events = transitionEvents(cluster.status?.conditions, status.conditions ?? [], cluster.status?.phase, status.phase ?? 'Pending');
    await recordEvents(this.o.api, cluster, events, this.o.instance, log);
    log.info({ phase: status.phase, ready: status.nodeCounts?.ready, nodes: status.nodeCounts?.total }, 'status updated');
    return updated;
  }
}

function emptyObservation(cluster: OpenLocalCluster, nodes: readonly NodeStatus[]): Observation {
  return { generation: cluster.metadata?.generation ?? 0, deleting: false, specErrors: [], applyErrors: [], nodes, components: cluster.status?.components ?? [], extenderEnabled: false, storageWarnings: storageWarnings(cluster.spec.storage) };
}
