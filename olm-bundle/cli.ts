import { relative } from 'node:path';
import { CliError } from '../lib/cli-error.js';
import { parseFlags } from '../lib/flags.js';
import { renderBundle } from './bundle.js';
import { readBundleInputs, writeBundle } from './io.js';

export const bundleUsage = `Usage: open-local bundle -o DIR [flags]

Writes the OLM registry+v1 bundle (manifests/, metadata/annotations.yaml, bundle.Dockerfile) into DIR.
  -o, --output DIR     folder to write into (npm run bundle: olm-bundle)
  --image IMAGE        operator image (default: the pinned open-local image); must be pinned`;

/** `open-local bundle`: generate the OLM bundle from synth/ and api/. */
export function runBundle(argv: readonly string[]): void {
  const { values } = parseFlags('bundle', argv, {
    output: { type: 'string', short: 'o' },
    image: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(bundleUsage);
    return;
  }
  if (values.output === undefined) throw new CliError(`open-local bundle: -o DIR is required\n\n${bundleUsage}`);
  let files: ReadonlyMap<string, string>;
  try {
    files = renderBundle(readBundleInputs({ operatorImage: values.image }));
  } catch (err) {
    throw new CliError(`open-local bundle: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  writeBundle(values.output, files);
  console.error(`wrote ${files.size} files to ${relative(process.cwd(), values.output) || '.'}`);
}
