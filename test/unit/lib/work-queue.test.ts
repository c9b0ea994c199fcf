import { expect } from 'chai';
import { createLogger } from '../../../lib/log.js';
import { WorkQueue, type QueueTimers } from '../../../lib/work-queue.js';

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

  it('keeps the earliest addAfter deadline: a pending 600 s requeue does not swallow a 500 ms retry', async () => {
    const clock = manualClock();
    const runs: number[] = [];
    const q = new WorkQueue(() => {
      runs.push(clock.now());
      return Promise.resolve();
    }, log, { timers: clock });
    q.addAfter('a', 600_000);
    q.addAfter('a', 500);
    q.addAfter('a', 30_000);
    await clock.advance(499);
    expect(runs).to.deep.equal([]);
    await clock.advance(1);
    expect(runs).to.deep.equal([500]);
    await clock.advance(700_000);
    expect(runs, 'the superseded deadlines never run').to.deep.equal([500]);
    q.stop();
  });

  it('a later, longer addAfter leaves the pending shorter deadline alone', async () => {
    const clock = manualClock();
    const runs: number[] = [];
    const q = new WorkQueue(() => {
      runs.push(clock.now());
      return Promise.resolve();
    }, log, { timers: clock });
    q.addAfter('a', 1000);
    await clock.advance(400);
    q.addAfter('a', 5000);
    await clock.advance(600);
    await clock.advance(10_000);
    expect(runs).to.deep.equal([1000]);
    q.stop();
  });

  describe('batchMs', () => {
    const batched = (clock: ReturnType<typeof manualClock>, runs: number[], runMs = 0): WorkQueue =>
      new WorkQueue(async () => {
        runs.push(clock.now());
        if (runMs > 0) await new Promise<void>((r) => clock.setTimeout(r, runMs));
      }, log, { batchMs: 200, timers: clock });

    it('runs an add after a quiet spell at once, and a burst within the window once, when the window ends', async () => {
      const clock = manualClock();
      const runs: number[] = [];
      const q = batched(clock, runs);
      q.add('a');
      await clock.advance(0);
      expect(runs, 'the first add is not delayed').to.deep.equal([0]);
      for (const t of [10, 50, 120, 199]) {
        await clock.advance(t - clock.now());
        q.add('a');
      }
      await clock.advance(0);
      expect(runs, 'adds inside the window wait').to.deep.equal([0]);
      await clock.advance(1);
      expect(runs, 'four adds, one run at the window\'s end').to.deep.equal([0, 200]);
      await clock.advance(1000);
      q.add('a');
      await clock.advance(0);
      expect(runs, 'quiet again: at once').to.deep.equal([0, 200, 1200]);
      q.stop();
    });

    it('batches per key: another key is not held by the first one\'s window', async () => {
      const clock = manualClock();
      const runs: number[] = [];
      const q = batched(clock, runs);
      q.add('a');
      await clock.advance(0);
      await clock.advance(50);
      q.add('b');
      await clock.advance(0);
      expect(runs).to.deep.equal([0, 50]);
      q.stop();
    });

    it('an add during a run longer than the window runs right after it', async () => {
      const clock = manualClock();
      const runs: number[] = [];
      const q = batched(clock, runs, 300);
      q.add('a');
      await clock.advance(0);
      await clock.advance(100);
      q.add('a');
      await clock.advance(200);
      expect(runs, 'the window had passed when the run ended').to.deep.equal([0, 300]);
      q.stop();
    });

    it('idle() waits for a key held by its window; stop() drops it', async () => {
      const runs: number[] = [];
      const q = new WorkQueue(() => {
        runs.push(Date.now());
        return Promise.resolve();
      }, log, { batchMs: 50 });
      q.add('a');
      await new Promise((r) => setTimeout(r, 5));
      q.add('a');
      await q.idle();
      expect(runs).to.have.length(2);
      expect((runs[1] ?? 0) - (runs[0] ?? 0)).to.be.at.least(45);
      q.add('a');
      q.stop();
      await q.idle();
      expect(runs).to.have.length(2);
    });
  });
});

/** Timers driven by the test: advance() fires what falls due, in deadline order, and lets the queue run. */
function manualClock(): QueueTimers & { advance(ms: number): Promise<void> } {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      pending.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number);
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...pending.entries()].filter(([, t]) => t.at <= end).sort((x, y) => x[1].at - y[1].at)[0];
        if (!next) break;
        pending.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        await settle();
      }
      now = end;
      await settle();
    },
  };
}
