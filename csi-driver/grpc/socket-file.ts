import { connect } from 'node:net';
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Makes `path` free for a new server: a socket left by a crashed driver (nothing answers on it) is removed; a socket
 * another live process serves, or any other kind of file, is an error (never delete what is not a stale socket).
 */
export async function claimSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket: refusing to replace it`);
  if (await answers(path)) throw new Error(`${path}: another process is serving on this socket`);
  await unlink(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    const done = (alive: boolean) => {
      sock.destroy();
      resolve(alive);
    };
    sock.once('connect', () => { done(true); });
    sock.once('error', () => { done(false); });
    sock.setTimeout(2000, () => { done(false); });
  });
}
