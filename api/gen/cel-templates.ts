/**
 * Placeholders in the schemas' CEL rules for what TypeScript code also needs, so each list has one source:
 * - `{{refusedMountPath(PATH, KUBELET_DIR)}}`: a CEL expression, true when the string PATH may not be a mount point
 *   (lib/system-paths.ts: `/`, at or under a system directory or KUBELET_DIR). It also refuses paths with an empty,
 *   `.` or `..` segment, because CEL cannot normalise a path and `/mnt/../etc` would otherwise pass;
 * - `{{refusedMountPathRule}}`: that rule in words, for messages.
 * - `{{refusedMountPathMessage}}`: the whole message, when the offending path cannot be named.
 * The CRD gets the expanded text, so the API server and api/validate.ts run the same expression.
 */
import { SYSTEM_DIRECTORIES } from '../../lib/system-paths.js';

const celString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function refusedMountPathCel(path: string, kubeletDir: string): string {
  const dirs = `[${SYSTEM_DIRECTORIES.map(celString).join(', ')}]`;
  const badSegment = ["'//'", "'/./'", "'/../'"].map((s) => `${path}.contains(${s})`).concat(["'/.'", "'/..'"].map((s) => `${path}.endsWith(${s})`));
  return `(${path} == '/' || ${badSegment.join(' || ')} || ${path} == ${kubeletDir} || ${path}.startsWith(${kubeletDir} + '/') || ${dirs}.exists(dir, ${path} == dir || ${path}.startsWith(dir + '/')))`;
}

export const REFUSED_MOUNT_PATH_RULE = `a mount point may not be /, at or under ${SYSTEM_DIRECTORIES.join(', ')} or the kubelet directory, nor have an empty, "." or ".." segment; mount disks under a data directory such as /mnt/open-local`;

const TEMPLATE = /\{\{(\w+)(?:\(([^()]*)\))?\}\}/g;

function expandOne(text: string, where: string): string {
  return text.replace(TEMPLATE, (_, name: string, args: string | undefined) => {
    const argv = args === undefined ? [] : args.split(',').map((a) => a.trim());
    if (name === 'refusedMountPath' && argv.length === 2) return refusedMountPathCel(argv[0] ?? '', argv[1] ?? '');
    if (name === 'refusedMountPathRule' && args === undefined) return REFUSED_MOUNT_PATH_RULE;
    if (name === 'refusedMountPathMessage' && args === undefined) return `a mount point path is refused: ${REFUSED_MOUNT_PATH_RULE}`;
    throw new Error(`${where}: unknown CEL template {{${name}${args === undefined ? '' : `(${args})`}}}`);
  });
}

/** Expands the placeholders in every string of a parsed schema file; an unknown placeholder is an error. */
export function expandCelTemplates(node: unknown, where: string): unknown {
  if (typeof node === 'string') return node.includes('{{') ? expandOne(node, where) : node;
  if (Array.isArray(node)) return node.map((n) => expandCelTemplates(n, where));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, expandCelTemplates(v, where)]));
}
