/**
 * Target and staging paths come from the CO, but a request is only a message: a path that leaves the kubelet's
 * directory (`..`, a relative path, a symlink placed by a pod) would make the plugin mount, bind or delete somewhere
 * else on the host as root. Every path is checked lexically first (pure), then with the real filesystem: the nearest
 * existing ancestor, with symlinks resolved, must still be inside the kubelet directory.
 */
import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { invalidArgument } from '../grpc/errors.js';

/** CSI's limit for paths is at least 128 bytes; 4096 is PATH_MAX, anything longer cannot be a real path. */
const MAX_PATH_BYTES = 4096;

/** `path` as given, if it is absolute, clean and strictly inside `kubeletDir` (also clean and absolute). */
export function checkPathLexically(what: string, path: string, kubeletDir: string): string {
  if (path === '') throw invalidArgument(`${what} is required`);
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw invalidArgument(`${what} is longer than ${MAX_PATH_BYTES} bytes`);
  if (path.includes('\0')) throw invalidArgument(`${what} ${JSON.stringify(path)} contains a NUL byte`);
  if (!path.startsWith('/')) throw invalidArgument(`${what} "${path}" is not an absolute path`);
  if (path.split('/').some((s) => s === '..' || s === '.')) throw invalidArgument(`${what} "${path}" contains a "." or ".." segment`);
  const clean = posix.normalize(path).replace(/\/+$/, '');
  const root = posix.normalize(kubeletDir).replace(/\/+$/, '');
  if (!clean.startsWith(`${root}/`)) throw invalidArgument(`${what} "${path}" is not inside the kubelet directory ${root}`);
  return clean;
}

/** The first ancestor of `path` (itself included) that exists, with every symlink resolved. */
async function realAncestor(path: string): Promise<string> {
  for (let p = path; ; p = posix.dirname(p)) {
    try {
      return await realpath(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || p === '/') throw err;
    }
  }
}

/**
 * checkPathLexically, then the symlink check. The target itself may be a symlink only if it resolves inside too
 * (kubelet never makes it one; a pod that can write the parent could).
 */
export async function checkPath(what: string, path: string, kubeletDir: string): Promise<string> {
  const clean = checkPathLexically(what, path, kubeletDir);
  const root = await realpath(kubeletDir);
  const real = await realAncestor(clean);
  if (real !== root && !real.startsWith(`${root}/`)) throw invalidArgument(`${what} "${path}" leaves the kubelet directory ${root} through a symlink (it resolves to ${real})`);
  return clean;
}
