import { isConflict, isNotFound, type KubeApi } from './kube-api.js';
import type { Logger } from './log.js';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  /** @default 15 s */
  readonly leaseDurationSeconds?: number;
  /** @default 5 s: renew (or retry to acquire) every this often */
  readonly retryPeriodMs?: number;
  readonly now?: () => Date;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** MicroTime as the API server wants it (RFC 3339 with microseconds). */
const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * Lease-based leader election (coordination.k8s.io), as client-go does it: take the lease when it is free or
 * expired, renew it every retry period, and give up leadership (calling onLost) as soon as a renewal fails past
 * the lease duration, so two leaders never act at once. Optimistic concurrency (resourceVersion) decides races.
 */
export class LeaderElector {
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  private readonly duration: number;
  private readonly period: number;
  private readonly now: () => Date;

  private readonly api: KubeApi;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;

  constructor(api: KubeApi, options: LeaderElectionOptions, log: Logger) {
    this.api = api;
    this.options = options;
    this.log = log;
    this.duration = options.leaseDurationSeconds ?? 15;
    this.period = options.retryPeriodMs ?? 5000;
    this.now = options.now ?? (() => new Date());
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Resolves once leadership is acquired; `onLost` runs if it is lost later. */
  async run(onLost: () => void): Promise<void> {
    for (;;) {
      if ((await this.tryAcquireOrRenew()) === 'held') break;
      await new Promise((r) => setTimeout(r, this.period));
    }
    this.log.info({ lease: this.options.name, identity: this.options.identity }, 'became leader');
    // Like client-go's renew deadline: give up before the lease could expire for others, never after.
    const renewDeadlineMs = (this.duration * 1000 * 2) / 3;
    const renew = async () => {
      const outcome = await this.tryAcquireOrRenew();
      const tooLate = outcome === 'failed' && this.now().getTime() - this.lastRenew > renewDeadlineMs;
      if (outcome === 'taken' || tooLate) {
        this.leader = false;
        this.log.error({ lease: this.options.name, reason: outcome === 'taken' ? 'another holder has the lease' : 'could not renew in time' }, 'lost leadership');
        onLost();
        return;
      }
      this.timer = setTimeout(() => void renew(), this.period);
    };
    this.timer = setTimeout(() => void renew(), this.period);
  }

  /** Stops renewing and releases the lease so a standby takes over at once. */
  async release(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (!this.leader) return;
    this.leader = false;
    const lease = await this.api.get<Lease>('coordination.k8s.io/v1', 'Lease', this.options.name, this.options.namespace).catch(() => undefined);
    if (lease?.spec.holderIdentity !== this.options.identity) return;
    lease.spec.holderIdentity = '';
    lease.spec.leaseDurationSeconds = 1;
    await this.api.request('PUT', await this.api.objectPath(lease), { body: lease }).catch(() => undefined);
  }

  /** held: we hold the lease now; taken: someone else holds a valid lease; failed: the API call failed. */
  private async tryAcquireOrRenew(): Promise<'held' | 'taken' | 'failed'> {
    const { namespace, name, identity } = this.options;
    const now = this.now();
    try {
      const lease = await this.api.get<Lease>('coordination.k8s.io/v1', 'Lease', name, namespace);
      if (!lease) {
        await this.api.request('POST', await this.api.collectionPath('coordination.k8s.io/v1', 'Lease', namespace), {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: this.duration, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          },
        });
      } else {
        const held = lease.spec.holderIdentity;
        const renewed = lease.spec.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
        const expired = renewed + (lease.spec.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
        if (held && held !== identity && !expired) return 'taken';
        const takeover = held !== identity;
        lease.spec = {
          ...lease.spec,
          holderIdentity: identity,
          leaseDurationSeconds: this.duration,
          renewTime: microTime(now),
          ...(takeover ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
        };
        await this.api.request('PUT', await this.api.objectPath(lease), { body: lease });
      }
      this.leader = true;
      this.lastRenew = now.getTime();
      return 'held';
    } catch (err) {
      // A conflict means another candidate wrote the lease first: it holds it now.
      if (isConflict(err)) return 'taken';
      if (!isNotFound(err)) this.log.warn({ err }, 'leader election request failed');
      return 'failed';
    }
  }
}
