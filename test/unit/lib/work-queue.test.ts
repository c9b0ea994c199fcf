import { expect } from 'chai';
import { createLogger } from '../../../lib/log.js';
import { WorkQueue } from '../../../lib/work-queue.js';

const log = createLogger('test', 'silent');

describe('lib/work-queue', () => {
  it('runs a key once for several adds, and once more if added while running', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const q = new WorkQueue(async (k) => {
      runs.push(k);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    }, log);
    q.add('a');
    q.add('a');
    await new Promise((r) => setTimeout(r, 5));
    q.add('a');
    q.add('a');
    release();
    await q.idle();
    expect(runs).to.deep.equal(['a', 'a']);
  });

  it('runs different keys concurrently', async () => {
    const active = new Set<string>();
    let maxActive = 0;
    const q = new WorkQueue(async (k) => {
      active.add(k);
      maxActive = Math.max(maxActive, active.size);
      await new Promise((r) => setTimeout(r, 10));
      active.delete(k);
    }, log);
    q.add('a');
    q.add('b');
    await q.idle();
    expect(maxActive).to.equal(2);
  });

  it('retries a failing key with backoff instead of a tight loop', async () => {
    const times: number[] = [];
    const q = new WorkQueue(() => {
      times.push(Date.now());
      return times.length < 3 ? Promise.reject(new Error('boom')) : Promise.resolve();
    }, log);
    q.add('a');
    while (times.length < 3) await new Promise((r) => setTimeout(r, 20));
    q.stop();
    expect(times.length).to.equal(3);
    expect((times[1] ?? 0) - (times[0] ?? 0)).to.be.at.least(450);
    expect((times[2] ?? 0) - (times[1] ?? 0)).to.be.at.least(950);
  });
});
