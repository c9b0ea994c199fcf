import { CliError } from '../lib/cli-error.js';
import { STRATEGIES, type AllocatorOptions, type ExclusiveKind, type Strategy } from './allocator/types.js';

/** Open-Local's weight for a kind named without one (`--node-anti-affinity=Device`). */
const DEFAULT_WEIGHT = 5;

export function parseStrategy(text: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(text)) throw new CliError(`open-local extender: --strategy: "${text}" is not one of ${STRATEGIES.join(', ')}`);
  return text as Strategy;
}

/**
 * Open-Local's `--enabled-node-anti-affinity` syntax: `MountPoint=5,Device=3`; a kind alone weighs 5; weights are
 * 0..10. LVM is accepted and ignored, as Open-Local does (shared VGs are not worth keeping free).
 */
export function parseAntiAffinity(text: string): NonNullable<AllocatorOptions['antiAffinity']> {
  const weights: Partial<Record<ExclusiveKind, number>> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [kind = '', weightText] = item.split('=');
    const weight = weightText === undefined ? DEFAULT_WEIGHT : Number(weightText);
    if (!/^\d+$/.test(weightText ?? '5') || weight > 10) throw new CliError(`open-local extender: --node-anti-affinity: "${item}": the weight must be a whole number from 0 to 10`);
    if (kind === 'LVM') continue;
    if (kind !== 'Device' && kind !== 'MountPoint') throw new CliError(`open-local extender: --node-anti-affinity: "${item}": the kind must be Device, MountPoint or LVM`);
    weights[kind] = weight;
  }
  return weights;
}
