// The extender as it runs in its pod: `open-local extender` in a process of its own, so a restart is a real one.
import { join } from 'node:path';
import { freePorts, httpGet, waitFor } from '../../env/net.js';
import { startProcess, tailFile, type ManagedProcess } from '../../env/processes.js';
import { repoRoot } from '../../fixtures/examples.js';

export interface ExtenderProcess {
  readonly process: ManagedProcess;
  readonly port: number;
}

/** Starts `open-local extender` and waits until /readyz answers 200 (every cache synced). */
export async function startExtender(kubeconfig: string, logDir: string, flags: readonly string[]): Promise<ExtenderProcess> {
  const [port = 0] = await freePorts(1);
  const proc = startProcess({
    name: 'open-local-extender',
    command: process.execPath,
    args: [join(repoRoot, 'bin', 'open-local.js'), 'extender', `--port=${port}`, '--bind-address=127.0.0.1', `--kubeconfig=${kubeconfig}`, '--log-level=debug', ...flags],
    logPath: join(logDir, `extender-${port}.log`),
    cwd: repoRoot,
  });
  try {
    await waitFor('open-local extender /readyz', async () => (await httpGet(`http://127.0.0.1:${port}/readyz`)).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      abort: () => {
        const info = proc.exitInfo();
        return info && `exited (code ${info.code ?? 'none'})`;
      },
    });
  } catch (err) {
    await proc.stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${proc.logPath} ---\n${tailFile(proc.logPath, 40)}`, { cause: err });
  }
  return { process: proc, port };
}
