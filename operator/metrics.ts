import { Counter, Histogram, type Registry } from 'prom-client';

/** The operator's own figures: what it applied, which Jobs it started, how long reconciles take. */
export interface OperatorMetrics {
  readonly applied: Counter<'kind'>;
  readonly jobsStarted: Counter;
  readonly reconcileSeconds: Histogram<'result'>;
}

export function operatorMetrics(registry: Registry): OperatorMetrics {
  return {
    applied: new Counter({ name: 'open_local_operator_applied_objects_total', help: 'Objects sent with server-side apply, by kind (unchanged objects are skipped)', labelNames: ['kind'] as const, registers: [registry] }),
    jobsStarted: new Counter({ name: 'open_local_operator_prepare_vg_jobs_started_total', help: 'prepare-VG Jobs started', registers: [registry] }),
    reconcileSeconds: new Histogram({ name: 'open_local_operator_reconcile_duration_seconds', help: 'Reconcile latency', labelNames: ['result'] as const, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [registry] }),
  };
}
