/**
 * Host directories a mount point may never be at or under: mounting a disk there hides what the node runs on
 * (binaries, configuration, the kubelet's and the container runtime's state). `/` itself is refused only exactly.
 * Two places enforce it: the CEL rule on the storage config (`kubectl apply` rejects it) and prepare-vg (which
 * refuses it again, for configs that reached the node another way). A unit test holds the CEL rule to this list.
 */
export const SYSTEM_DIRECTORIES: readonly string[] = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/lib'];

/** The kubelet's root directory unless the cluster says otherwise (spec.csi.kubeletDir). */
export const DEFAULT_KUBELET_DIR = '/var/lib/kubelet';

/** Why `path` may not be a mount point, or undefined when it may. `path` is absolute; trailing slashes are ignored. */
export function systemMountPathReason(path: string, kubeletDir: string = DEFAULT_KUBELET_DIR): string | undefined {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/') return 'it is the root directory';
  const under = (dir: string) => p === dir || p.startsWith(`${dir}/`);
  const kubelet = kubeletDir.replace(/\/+$/, '');
  if (kubelet !== '' && under(kubelet)) return `it is under the kubelet directory ${kubelet}`;
  const system = SYSTEM_DIRECTORIES.find(under);
  return system === undefined ? undefined : `it is under the system directory ${system}`;
}
