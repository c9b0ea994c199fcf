/**
 * What the node plugin must remember across its own restarts, kept in one JSON file under --state-dir: every
 * publication (target path → volume) with the IO limits to re-apply, and the inline volumes' LVs with their UUIDs so
 * an unpublish after a restart removes exactly the LV it created. Written atomically (temporary file, fsync, rename),
 * so a crash leaves the old or the new state, never half of one.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { IoLimits } from './volume-source.js';

export interface Publication {
  readonly volumeId: string;
  /** The device whose IO is limited (LVM, Device and inline volumes). */
  readonly device?: string;
  /** The LV behind `device` (LVM and inline volumes): its disappearance makes the volume condition abnormal. */
  readonly lv?: { readonly vg: string; readonly lv: string };
  readonly ioLimits?: IoLimits;
  /** An inline volume's LV: removed on unpublish, if it still has this UUID. */
  readonly ephemeral?: { readonly vg: string; readonly lv: string; readonly uuid: string };
}

export interface NodeState {
  readonly version: 1;
  readonly publications: Readonly<Record<string, Publication>>;
}

export const EMPTY_STATE: NodeState = { version: 1, publications: {} };
export const STATE_FILE_NAME = 'node-state.json';

export function parseState(text: string, file: string): NodeState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`state file ${file} is not JSON (${(err as Error).message}); it is kept for inspection, the plugin does not start`, { cause: err });
  }
  const s = parsed as Partial<NodeState> | null;
  if (s?.version !== 1 || typeof s.publications !== 'object') throw new Error(`state file ${file} is not a version 1 node state`);
  return { version: 1, publications: s.publications };
}

/** One writer per process: calls are queued so two handlers never interleave their writes. */
export class StateFile {
  readonly path: string;
  private state: NodeState = EMPTY_STATE;
  private queue: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.path = join(dir, STATE_FILE_NAME);
  }

  /** Reads the file; a missing file is an empty state, a corrupt one an error (losing it would leak inline LVs). */
  async load(): Promise<NodeState> {
    try {
      this.state = parseState(await readFile(this.path, 'utf8'), this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.state = EMPTY_STATE;
    }
    return this.state;
  }

  get current(): NodeState {
    return this.state;
  }

  update(change: (publications: Record<string, Publication>) => void): Promise<void> {
    return this.write((current) => {
      const publications = { ...current };
      change(publications);
      return publications;
    });
  }

  forget(target: string): Promise<void> {
    return this.write((current) => Object.fromEntries(Object.entries(current).filter(([t]) => t !== target)));
  }

  private write(next: (current: Readonly<Record<string, Publication>>) => Record<string, Publication>): Promise<void> {
    const done = this.queue.then(async () => {
      const publications = next(this.state.publications);
      const state: NodeState = { version: 1, publications };
      await writeAtomically(this.path, `${JSON.stringify(state, null, 2)}\n`);
      this.state = state;
    });
    this.queue = done.catch(() => undefined);
    return done;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
