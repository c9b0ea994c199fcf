// removeNode's execution paths against a scripted LVM (the commands it runs, the order, what it reports when a step
// fails). That the commands do what they should on real disks is proven in test/integration/node-agent/prepare-vg-uml.test.ts.
import { expect } from 'chai';
import type { ResourceToBeInited } from '../../../api/generated/types.js';
import { ExecError, type Exec, type RunOptions, type RunResult } from '../../../lib/exec.js';
import { createLogger } from '../../../lib/log.js';
import { Lvm } from '../../../node-agent/lvm/commands.js';
import { removeNode } from '../../../node-agent/prepare-vg/run.js';

interface FakeVg {
  name: string;
  tags: string;
  lvs: string[];
}

/**
 * A node whose LVM state changes as vgremove/pvremove run; `fail` makes a command fail like LVM (exit 5), `inert`
 * makes it exit 0 and change nothing.
 */
class FakeHost implements Exec {
  readonly mode = 'direct' as const;
  readonly ran: string[] = [];
  /** prepare-vg's record file on this host (host-records.ts); undefined when it does not exist. */
  records: string | undefined;
  private staged = '';
  private vgs: FakeVg[];
  private readonly pvs: Map<string, string>;
  private readonly fail: ReadonlySet<string>;
  private readonly inert: ReadonlySet<string>;

  constructor(vgs: FakeVg[], pvs: Map<string, string>, fail: ReadonlySet<string> = new Set(), inert: ReadonlySet<string> = new Set()) {
    this.vgs = vgs;
    this.pvs = pvs;
    this.fail = fail;
    this.inert = inert;
  }

  run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    const line = argv.join(' ');
    const ok = (stdout = ''): Promise<RunResult> => Promise.resolve({ stdout, stderr: '', code: 0 });
    if (argv[0] === 'realpath') return ok(`${argv.at(-1) ?? ''}\n`);
    if (argv[0] === 'cat') return this.records === undefined ? Promise.resolve({ stdout: '', stderr: `cat: ${argv.at(-1) ?? ''}: No such file or directory`, code: 1 }) : ok(this.records);
    if (argv[0] === 'mkdir' || argv[0] === 'sync') return ok();
    if (argv[0] === 'tee') {
      this.staged = options.input ?? '';
      return ok();
    }
    if (argv[0] === 'mv') {
      this.records = this.staged;
      return ok();
    }
    const [, command, target] = argv;
    const report = (section: string, rows: Record<string, string>[]) => ok(JSON.stringify({ report: [{ [section]: rows }] }));
    if (command === 'vgs') return report('vg', this.vgs.map((v) => ({ vg_name: v.name, vg_uuid: `u-${v.name}`, vg_size: '1000', vg_free: '1000', vg_tags: v.tags, vg_attr: 'wz--n-', pv_count: '1', vg_seqno: '3' })));
    if (command === 'pvs') return report('pv', [...this.pvs].map(([name, vg]) => ({ pv_name: name, vg_name: vg, pv_size: '100', pv_free: '100', pv_tags: '', pv_attr: 'a--' })));
    if (command === 'lvs') return report('lv', this.vgs.flatMap((v) => v.lvs.map((lv) => ({ lv_name: lv, vg_name: v.name, lv_size: '8', lv_attr: '-wi-a-----', origin: '', snap_percent: '', lv_tags: '', lv_path: `/dev/${v.name}/${lv}` }))));
    this.ran.push(line);
    if (this.fail.has(line)) return Promise.reject(new ExecError(argv, { code: 5, signal: null, stdout: '', stderr: `  ${line}: simulated failure`, timedOut: false, why: 'exit code 5' }));
    expect(options.timeoutMs).to.be.greaterThan(0);
    if (this.inert.has(line)) return ok();
    if (command === 'vgremove' && target !== undefined) {
      this.vgs = this.vgs.filter((v) => v.name !== target);
      for (const [pv, vg] of this.pvs) if (vg === target) this.pvs.set(pv, '');
      return ok();
    }
    if (command === 'pvremove' && target !== undefined) {
      this.pvs.delete(target);
      return ok();
    }
    throw new Error(`unexpected command ${line}`);
  }
}

const log = createLogger('test', 'silent');
const run = (host: FakeHost, config: ResourceToBeInited) => removeNode(config, { node: 'n1', configHash: 'h', exec: host, lvm: new Lvm(host), log, sysfs: '/sys', kubeletDir: '/var/lib/kubelet', stopped: () => undefined, stateDir: '/var/lib/open-local' });

describe('node-agent/prepare-vg/run removeNode (--remove, scripted LVM)', () => {
  it('removes the empty tagged VG, then unlabels its PVs; refuses the others; touches no mount point', async () => {
    const host = new FakeHost(
      [{ name: 'pool0', tags: 'open-local', lvs: [] }, { name: 'busy', tags: 'open-local', lvs: ['local-1', 'local-2'] }, { name: 'legacy', tags: '', lvs: [] }],
      new Map([['/dev/sdb', 'pool0'], ['/dev/sdc', 'pool0'], ['/dev/sdd', 'busy'], ['/dev/sde', 'legacy']]),
    );
    const r = await run(host, {
      vgs: [{ name: 'pool0', devices: ['/dev/sdb'] }, { name: 'busy', devices: ['/dev/sdd'] }, { name: 'legacy', devices: ['/dev/sde'] }, { name: 'gone', devices: ['/dev/sdz'] }],
      mountpoints: [{ path: '/mnt/open-local/d1', device: '/dev/sdf' }],
    });
    expect(host.ran).to.deep.equal(['lvm vgremove pool0', 'lvm pvremove /dev/sdb', 'lvm pvremove /dev/sdc']);
    expect(r).to.deep.equal({
      version: 1,
      node: 'n1',
      configHash: 'h',
      volumeGroups: [
        { name: 'pool0', state: 'Removed', devices: ['/dev/sdb', '/dev/sdc'], message: '' },
        { name: 'busy', state: 'Refused', devices: ['/dev/sdd'], size: '1000', message: 'holds 2 logical volumes: local-1, local-2; delete their PersistentVolumes first' },
        { name: 'legacy', state: 'Refused', devices: ['/dev/sde'], size: '1000', message: 'not created by open-local (no "open-local" tag); left alone' },
        { name: 'gone', state: 'Removed', devices: [], message: 'not present' },
      ],
      mountPoints: [],
    });
  });

  it('reports Failed and runs no pvremove when vgremove fails (e.g. an LV appeared since the report)', async () => {
    const host = new FakeHost([{ name: 'pool0', tags: 'open-local', lvs: [] }], new Map([['/dev/sdb', 'pool0']]), new Set(['lvm vgremove pool0']));
    const r = await run(host, { vgs: [{ name: 'pool0', devices: ['/dev/sdb'] }] });
    expect(host.ran).to.deep.equal(['lvm vgremove pool0']);
    expect(r.volumeGroups[0]).to.deep.include({ state: 'Failed', devices: ['/dev/sdb'], size: '1000' });
    expect(r.volumeGroups[0]?.message).to.match(/^vgremove failed: lvm vgremove pool0: exit code 5/);
  });

  it('reports Failed naming the PV whose label could not be wiped, and still wipes the others', async () => {
    const host = new FakeHost([{ name: 'pool0', tags: 'open-local', lvs: [] }], new Map([['/dev/sdb', 'pool0'], ['/dev/sdc', 'pool0']]), new Set(['lvm pvremove /dev/sdb']));
    const r = await run(host, { vgs: [{ name: 'pool0', devices: ['/dev/sdb', '/dev/sdc'] }] });
    expect(host.ran).to.deep.equal(['lvm vgremove pool0', 'lvm pvremove /dev/sdb', 'lvm pvremove /dev/sdc']);
    expect(r.volumeGroups[0]).to.deep.include({ state: 'Failed', devices: [] });
    expect(r.volumeGroups[0]?.message).to.match(/^volume group removed, but the LVM label could not be wiped from \/dev\/sdb: .*run `pvremove` on each/);
    // The next run finds the VG gone and says so, mentioning the leftover label without touching it.
    const again = await run(host, { vgs: [{ name: 'pool0', devices: ['/dev/sdb', '/dev/sdc'] }] });
    expect(host.ran).to.have.length(3);
    expect(again.volumeGroups[0]).to.deep.include({ state: 'Removed', devices: [] });
    expect(again.volumeGroups[0]?.message).to.match(/^not present; \/dev\/sdb still carries an LVM label of no volume group, left alone/);
  });

  it('does not believe exit 0: a VG or PV label still there after the run turns Removed into Failed', async () => {
    const host = new FakeHost([{ name: 'pool0', tags: 'open-local', lvs: [] }], new Map([['/dev/sdb', 'pool0'], ['/dev/sdc', 'pool0']]), new Set(), new Set(['lvm pvremove /dev/sdc']));
    const r = await run(host, { vgs: [{ name: 'pool0', devices: ['/dev/sdb'] }] });
    expect(r.volumeGroups[0]).to.deep.include({ state: 'Failed', devices: ['/dev/sdb', '/dev/sdc'], message: '/dev/sdc still carries an LVM label after the run' });
    const stuck = new FakeHost([{ name: 'pool0', tags: 'open-local', lvs: [] }], new Map(), new Set(), new Set(['lvm vgremove pool0']));
    expect((await run(stuck, { vgs: [{ name: 'pool0', devices: ['/dev/sdb'] }] })).volumeGroups[0]).to.deep.include({ state: 'Failed', message: 'volume group pool0 is still present after the run' });
  });

  it('forgets the removed VG\'s devices in the host record file, and keeps every other record', async () => {
    const host = new FakeHost([{ name: 'pool0', tags: 'open-local', lvs: [] }, { name: 'busy', tags: 'open-local', lvs: ['local-1'] }], new Map([['/dev/sdb', 'pool0'], ['/dev/sdd', 'busy']]));
    host.records = JSON.stringify({ version: 1, devices: { '/dev/sdb': { pvUuid: 'u-b', vg: 'pool0' }, '/dev/sdd': { pvUuid: 'u-d', vg: 'busy' }, '/dev/sdf': { fsUuid: 'f', mountPoint: '/mnt/open-local/d1' } } });
    await run(host, { vgs: [{ name: 'pool0', devices: ['/dev/sdb'] }, { name: 'busy', devices: ['/dev/sdd'] }] });
    expect(JSON.parse(host.records)).to.deep.equal({ version: 1, devices: { '/dev/sdd': { pvUuid: 'u-d', vg: 'busy' }, '/dev/sdf': { fsUuid: 'f', mountPoint: '/mnt/open-local/d1' } } });
  });

  it('still removes when the record file is unreadable, and says so', async () => {
    const host = new FakeHost([{ name: 'pool0', tags: 'open-local', lvs: [] }], new Map([['/dev/sdb', 'pool0']]));
    host.records = '{"version":1,';
    const r = await run(host, { vgs: [{ name: 'pool0', devices: ['/dev/sdb'] }] });
    expect(r.volumeGroups[0]).to.deep.include({ state: 'Removed', devices: ['/dev/sdb'] });
    expect(r.volumeGroups[0]?.message).to.match(/^could not remove the removed volume groups' devices from \/var\/lib\/open-local\/prepare-vg-records.json: .* is not JSON/);
  });

  it('inspects nothing when the config has no VG (a node without LVM tools succeeds)', async () => {
    const host = new FakeHost([], new Map());
    const r = await run(host, { mountpoints: [{ path: '/mnt/open-local/d1', device: '/dev/sdf' }] });
    expect(r).to.deep.equal({ version: 1, node: 'n1', configHash: 'h', volumeGroups: [], mountPoints: [] });
    expect(host.ran).to.deep.equal([]);
  });
});
