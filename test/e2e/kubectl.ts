// The real kubectl (built with the Kubernetes peers), as the user runs it: the suite checks what `kubectl`
// shows, and reads data back with `kubectl exec` through the apiserver and the node's kubelet.
import { execFile } from 'node:child_process';
import { peerPath } from '../env/peers.js';

export interface KubectlOptions {
  /** Written to kubectl's stdin (`kubectl apply -f -`). */
  readonly input?: string;
  /** @default 120000 */
  readonly timeoutMs?: number;
}

export class KubectlError extends Error {
  readonly stderr: string;
  constructor(args: readonly string[], stderr: string, code: number | string | null) {
    super(`kubectl ${args.join(' ')} failed (${String(code)}): ${stderr.trim()}`);
    this.stderr = stderr;
  }
}

export type Kubectl = (args: readonly string[], opts?: KubectlOptions) => Promise<string>;

/** A kubectl bound to one kubeconfig. */
export function kubectlFor(kubeconfigPath: string): Kubectl {
  const bin = peerPath('kubectl');
  return (args, opts = {}) =>
    new Promise((resolve, reject) => {
      const child = execFile(
        bin,
        ['--kubeconfig', kubeconfigPath, ...args],
        { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (err) reject(new KubectlError(args, stderr || err.message, err.code ?? err.signal ?? null));
          else resolve(stdout);
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
}
