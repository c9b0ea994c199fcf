import { invalidArgument } from './errors.js';

/**
 * The socket path of a CSI endpoint: `unix:///csi/csi.sock`, `unix:/csi/csi.sock` or a bare absolute path (what
 * csi-sanity and the sidecars accept). TCP is refused: CSI traffic stays on the node, behind file permissions.
 */
export function socketPathOf(endpoint: string): string {
  const path = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint.startsWith('unix:') ? endpoint.slice('unix:'.length) : endpoint;
  if (!path.startsWith('/')) throw invalidArgument(`endpoint "${endpoint}": want unix:///absolute/path.sock (only unix sockets are served)`);
  if (path.includes('\0')) throw invalidArgument(`endpoint "${endpoint}" contains a NUL byte`);
  return path;
}
