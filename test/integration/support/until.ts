import { eventually } from './kubelet-play.js';

/** Waits, up to `timeoutMs`, until `condition` holds: a deadline, never a fixed amount of work in fixed time. */
export async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  await eventually(what, () => Promise.resolve(condition() ? true : undefined), timeoutMs);
}
