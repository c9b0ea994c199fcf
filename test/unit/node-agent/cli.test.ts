import { expect } from 'chai';
import { CliError } from '../../../lib/cli-error.js';
import { parseAgentFlags, parseDuration } from '../../../node-agent/cli.js';

describe('node-agent/cli (open-local agent flags)', () => {
  it('has the DaemonSet defaults', () => {
    expect(parseAgentFlags(['--node-name=worker-1'])).to.deep.equal({
      nodeName: 'worker-1',
      kubeconfig: undefined,
      sysfs: '/sys',
      mountRoot: '/mnt/open-local',
      intervalMs: 60_000,
      httpAddress: ':8080',
      hostExec: 'nsenter',
      logLevel: 'info',
    });
  });

  it('accepts the DaemonSet arguments', () => {
    const c = parseAgentFlags(['--node-name=n', '--sysfs=/host/sys', '--mount-root=/mnt/open-local', '--http-addr=:8080', '--log-level=debug', '--interval=30s', '--host-exec=direct']);
    expect(c).to.include({ sysfs: '/host/sys', intervalMs: 30_000, logLevel: 'debug', hostExec: 'direct' });
  });

  const bad: [string[], RegExp][] = [
    [[], /--node-name is required/],
    [['--node-name=n', '--interval=soon'], /--interval: "soon" is not a duration/],
    [['--node-name=n', '--interval=10ms'], /shorter than 100ms/],
    [['--node-name=n', '--host-exec=ssh'], /--host-exec: "ssh" is not one of direct, nsenter/],
    [['--node-name=n', '--log-level=loud'], /--log-level/],
    [['--node-name=n', '--nodename=n'], /Unknown option/],
  ];
  for (const [argv, reason] of bad) {
    it(`rejects ${argv.join(' ') || 'no flags'}`, () => {
      expect(() => parseAgentFlags(argv)).to.throw(CliError, reason);
    });
  }

  const durations: [string, number][] = [['60s', 60_000], ['5m', 300_000], ['1h', 3_600_000], ['500ms', 500], ['60', 60_000], ['1.5s', 1500]];
  for (const [text, ms] of durations) {
    it(`reads ${text} as ${ms} ms`, () => {
      expect(parseDuration(text)).to.equal(ms);
    });
  }
});
