/**
 * The one binary of the image: `open-local <command>` runs one component, like TopoLVM's hypertopolvm.
 * Each component parses its own flags and owns its run loop. Components load lazily: prepare-vg and the
 * agent must not pay for cdk8s (about 2 s) that only synth, bundle and the operator use.
 */
import { CliError } from '../lib/cli-error.js';
import { version } from '../lib/version.js';

type Command = (argv: readonly string[]) => void | Promise<void>;

const commands: Readonly<Record<string, { readonly summary: string; readonly run: Command }>> = {
  operator: { summary: 'reconcile OpenLocalCluster into a running stack', run: async (argv) => (await import('../operator/run.js')).runOperator(argv) },
  controller: { summary: 'NLS controller: one NodeLocalStorage per node', run: async (argv) => (await import('../operator/nls-controller/run.js')).runController(argv) },
  agent: { summary: 'node agent: discover storage, write NodeLocalStorage status', run: async (argv) => (await import('../node-agent/cli.js')).runAgent(argv) },
  'prepare-vg': { summary: "prepare this node's volume groups (the operator's Job)", run: async (argv) => (await import('../node-agent/prepare-vg/cli.js')).runPrepareVg(argv) },
  csi: { summary: 'CSI driver local.csi.aliyun.com (controller, node or both)', run: async (argv) => (await import('../csi-driver/cli.js')).runCsi(argv) },
  extender: { summary: 'kube-scheduler extender: place pods where their local volumes fit', run: async (argv) => (await import('../extender/cli.js')).runExtender(argv) },
  synth: { summary: 'print the install manifest or the operands of an OpenLocalCluster', run: async (argv) => { (await import('../synth/cli.js')).runSynth(argv); } },
  bundle: { summary: 'write the OLM bundle (manifests/, metadata/, bundle.Dockerfile) into a folder', run: async (argv) => { (await import('../olm-bundle/cli.js')).runBundle(argv); } },
  version: { summary: 'print the version', run: () => { console.log(version); } },
  dev: { summary: 'a local cluster: real kubelet nodes, OLM installs the operator (dev up | dev down)', run: runDev },
};

/**
 * `dev` runs the test environment (test/env), which only a source checkout has: the image is compiled from the
 * component folders alone. The specifier is not a literal so that the build does not compile test/env into dist/.
 */
async function runDev(argv: readonly string[]): Promise<void> {
  const devCli = '../test/env/dev/cli.js';
  let mod: { runDev(argv: readonly string[]): Promise<void> };
  try {
    mod = (await import(devCli)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new CliError('dev runs from a source checkout: npm start', 2);
  }
  await mod.runDev(argv);
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'Usage: open-local <command> [flags]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `open-local <command> --help` for its flags.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`open-local: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      console.error(err.message);
      return err.exitCode;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
