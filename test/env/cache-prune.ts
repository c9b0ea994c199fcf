// Cache entries keyed by a hash of their inputs (the project image, the nodes' image disk) get a new entry at every
// source change: 0.2-1.5 GB each. An entry is marked when used; after a build, entries of the same kind unused for
// a day are deleted. A day, not "all but the newest": another checkout (a CI clone, a worktree) may be using an
// older entry right now.
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';

const UNUSED_FOR_MS = 24 * 3600_000;

/** Records that the entry `dir` was used now (its mtime). */
export async function markUsed(dir: string): Promise<void> {
  const now = new Date();
  await utimes(dir, now, now).catch(() => undefined);
}

/** Deletes the entries `<parent>/<prefix>*` other than `keep` that were not used for a day; returns their names. */
export async function pruneUnused(parent: string, prefix: string, keep: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const dir = join(parent, name);
    if (!name.startsWith(prefix) || dir === keep) continue;
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory() || now - info.mtimeMs < UNUSED_FOR_MS) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
