import { isConflict, isNotFound, type KubeApi } from './kube-api.js';
import type { Logger } from './log.js';

/**
 * How every open-local Lease is held: the operator's and the NLS controller's, and the CSI sidecars' and the
 * snapshot-controller's (synth passes the same figures as their flags). client-go's 15/10/2 s assume an API server
 * that always answers within a few seconds. A leader that cannot renew for its deadline exits; in the e2e suite on a
 * loaded 2-core machine single lease requests took over 5 s, every operator replica lost its lease in turn and
 * crash-looped, and nothing reconciled for minutes. Here a renewal must fail for 30 s, in at least two attempts, before
 * a leader gives up. A longer lease costs only when a leader dies without releasing it (a standby waits out the
 * lease, 45 s); a leader that stops releases at once.
 */
export const LEASE_TIMING = { leaseDurationSeconds: 45, retryPeriodSeconds: 5 } as const;

/** Like client-go's renew deadline: two thirds of the lease (in its unit), so a leader gives up before the lease could expire for others. */
export const renewDeadline = (leaseDuration: number): number => Math.floor((leaseDuration * 2) / 3);

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  /** @default LEASE_TIMING.leaseDurationSeconds */
  readonly leaseDurationSeconds?: number;
  /** Renew (or retry to acquire) every this often. @default LEASE_TIMING.retryPeriodSeconds */
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

/** What decides whether a lease changed: any new holder, renewal or write. */
const recordKey = (lease: Lease): string => `${lease.spec.holderIdentity ?? ''}|${lease.spec.renewTime ?? ''}|${lease.spec.leaseDurationSeconds ?? ''}|${lease.metadata.resourceVersion ?? ''}`;

/**
 * Lease-based leader election (coordination.k8s.io), as client-go does it: take the lease when it is free or
 * expired, renew it every retry period, and give up leadership (calling onLost) as soon as renewing has failed
 * for the renew deadline, so two leaders never act at once. Optimistic concurrency (resourceVersion) decides races.
 *
 * Expiry is judged on this process's clock only: a lease is expired when its record (holder, renewTime,
 * resourceVersion) has not changed for its duration since we first saw it so (client-go's observedTime). The
 * holder's renewTime comes from another machine's clock and is never compared with ours, so clock skew between
 * candidates cannot make a standby take a live lease. Every request is bounded by what is left of the renew
 * deadline, so a hung request cannot keep a leader believing it leads after its lease may have passed to another.
 */
export class LeaderElector {
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  /** release() was called: never lead (again) from here on. */
  private released = false;
  /** Local time (ms) of our last successful acquire or renew. */
  private lastRenew = 0;
  /** The lease record as last seen, and the local time (ms) at which it was first seen so. */
  private observed: { key: string; at: number } | undefined;
  private readonly duration: number;
  private readonly period: number;
  private readonly renewDeadlineMs: number;
  private readonly now: () => Date;

  private readonly api: KubeApi;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;

  constructor(api: KubeApi, options: LeaderElectionOptions, log: Logger) {
    this.api = api;
    this.options = options;
    this.log = log;
    this.duration = options.leaseDurationSeconds ?? LEASE_TIMING.leaseDurationSeconds;
    this.period = options.retryPeriodMs ?? LEASE_TIMING.retryPeriodSeconds * 1000;
    this.renewDeadlineMs = renewDeadline(this.duration * 1000);
    this.now = options.now ?? (() => new Date());
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Resolves once leadership is acquired; `onLost` runs if it is lost later. */
  async run(onLost: () => void): Promise<void> {
    for (;;) {
      // A standby's attempt needs no tight bound (it leads only once its write is answered); a slow API server
      // must still let it through.
      if ((await this.tryAcquireOrRenew(this.duration * 1000)) === 'held') break;
      await new Promise((r) => setTimeout(r, this.period));
    }
    this.log.info({ lease: this.options.name, identity: this.options.identity }, 'became leader');
    const renew = async () => {
      const left = this.lastRenew + this.renewDeadlineMs - this.now().getTime();
      // One attempt may take at most half the deadline: a request stuck on a dead connection or a stalled server is
      // abandoned while there is time for another, on a fresh connection, before leadership is given up.
      const outcome = left > 0 ? await this.tryAcquireOrRenew(Math.min(left, this.renewDeadlineMs / 2)) : 'failed';
      // release() ran while this renewal was in flight: the lease is given up for good, whatever the renewal did.
      if (this.released) return;
      const tooLate = outcome === 'failed' && this.now().getTime() - this.lastRenew >= this.renewDeadlineMs;
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
    this.released = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leader) return;
    this.leader = false;
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    const lease = await this.getLease(signal).catch(() => undefined);
    if (lease?.spec.holderIdentity !== this.options.identity) return;
    lease.spec.holderIdentity = '';
    lease.spec.leaseDurationSeconds = 1;
    await this.api.request('PUT', await this.api.objectPath(lease), { body: lease, signal }).catch(() => undefined);
  }

  private async getLease(signal: AbortSignal): Promise<Lease | undefined> {
    const { namespace, name } = this.options;
    const path = `${await this.api.collectionPath('coordination.k8s.io/v1', 'Lease', namespace)}/${encodeURIComponent(name)}`;
    try {
      return await this.api.request<Lease>('GET', path, { signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * held: we hold the lease now; taken: someone else holds a lease not yet expired; failed: the API call failed or
   * took longer than `boundMs`.
   */
  private async tryAcquireOrRenew(boundMs: number): Promise<'held' | 'taken' | 'failed'> {
    const { namespace, name, identity } = this.options;
    const signal = AbortSignal.timeout(Math.max(1, Math.floor(boundMs)));
    try {
      const lease = await this.getLease(signal);
      const now = this.now();
      let written: Lease;
      if (!lease) {
        written = await this.api.request<Lease>('POST', await this.api.collectionPath('coordination.k8s.io/v1', 'Lease', namespace), {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: this.duration, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          },
          signal,
        });
      } else {
        const key = recordKey(lease);
        if (this.observed?.key !== key) this.observed = { key, at: now.getTime() };
        const held = lease.spec.holderIdentity;
        const expired = this.observed.at + (lease.spec.leaseDurationSeconds ?? this.duration) * 1000 <= now.getTime();
        if (held && held !== identity && !expired) return 'taken';
        const takeover = held !== identity;
        lease.spec = {
          ...lease.spec,
          holderIdentity: identity,
          leaseDurationSeconds: this.duration,
          renewTime: microTime(now),
          ...(takeover ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
        };
        written = await this.api.request<Lease>('PUT', await this.api.objectPath(lease), { body: lease, signal });
      }
      this.observed = { key: recordKey(written), at: now.getTime() };
      this.leader = !this.released;
      this.lastRenew = now.getTime();
      return 'held';
    } catch (err) {
      // A conflict means another candidate wrote the lease first: it holds it now.
      if (isConflict(err)) return 'taken';
      this.log.warn({ err }, 'leader election request failed');
      return 'failed';
    }
  }
}
