import { expect } from 'chai';
import { LvmFactsCache } from '../../../../csi-driver/node/volumes/lvm-cache.js';
import type { LvFacts, LvmFacts } from '../../../../csi-driver/node/volumes/lvm-facts.js';

const MIB = 1024 * 1024;
const facts = (...lvs: string[]): LvmFacts => ({
  vgs: [{ name: 'vg0', tags: ['open-local'], pvCount: 1, free: 100 * MIB, extentSize: 4 * MIB }],
  lvs: lvs.map((name) => ({ name, vgName: 'vg0', uuid: `u-${name}`, size: 8 * MIB, attr: '-wi-a-----', origin: '', tags: [] })),
});
const made = (name: string): LvFacts => ({ name, vgName: 'vg0', uuid: `u-${name}`, size: 8 * MIB, attr: '-wi-a-----', origin: '', tags: ['open-local'] });

/** A report source that answers each read with the next of `answers`, and resolves a read only when told. */
function source(answers: LvmFacts[]) {
  const pending: (() => void)[] = [];
  let reads = 0;
  const read = () => {
    const answer = answers[reads++] ?? facts();
    return new Promise<LvmFacts>((resolve) => pending.push(() => { resolve(answer); }));
  };
  return { read, get reads() { return reads; }, finish: async () => { pending.shift()?.(); await new Promise((r) => setImmediate(r)); } };
}

describe('csi-driver/node/volumes/lvm-cache', () => {
  it('reads once, then answers from what it keeps until maxAge, and reads again after', async () => {
    let now = 0;
    const src = source([facts('a'), facts('a', 'b')]);
    const cache = new LvmFactsCache(src.read, 1000, () => now);
    const first = cache.current();
    await src.finish();
    expect(await first).to.deep.equal({ facts: facts('a'), readNow: true });
    now = 1000;
    expect(await cache.current()).to.deep.equal({ facts: facts('a'), readNow: false });
    expect(src.reads).to.equal(1);
    now = 1001;
    const later = cache.current();
    await src.finish();
    expect((await later).facts.lvs.map((l) => l.name)).to.deep.equal(['a', 'b']);
  });

  it('adds an LV we created without reading, and reads again after any other change', async () => {
    const src = source([facts('a'), facts('x')]);
    const cache = new LvmFactsCache(src.read, 60_000, () => 0);
    const first = cache.current();
    await src.finish();
    await first;
    cache.created(made('b'));
    const known = await cache.current();
    expect(known.readNow).to.equal(false);
    expect(known.facts.lvs.map((l) => l.name)).to.deep.equal(['a', 'b']);
    expect(known.facts.vgs[0]?.free).to.equal(92 * MIB);
    cache.invalidate();
    const again = cache.current();
    await src.finish();
    expect(await again).to.deep.equal({ facts: facts('x'), readNow: true });
    expect(src.reads).to.equal(2);
  });

  it('does not keep a read overtaken by a change, nor share it with a caller that came after the change', async () => {
    const src = source([facts('a'), facts('a', 'b')]);
    const cache = new LvmFactsCache(src.read, 60_000, () => 0);
    const early = cache.current();
    // Our lvcreate of b finishes while that read (which may not show b) runs.
    cache.created(made('b'));
    const late = cache.current();
    expect(src.reads).to.equal(2);
    await src.finish();
    expect((await early).facts).to.deep.equal(facts('a'));
    await src.finish();
    expect((await late).facts.lvs.map((l) => l.name)).to.deep.equal(['a', 'b']);
    // The second read came after the change: it is kept.
    expect((await cache.current()).readNow).to.equal(false);
  });

  it('shares a running read between callers, but fresh() always reads anew', async () => {
    const src = source([facts('a'), facts('a'), facts('a')]);
    const cache = new LvmFactsCache(src.read, 60_000, () => 0);
    const one = cache.current();
    const two = cache.current();
    const fresh = cache.fresh();
    expect(src.reads).to.equal(2);
    await src.finish();
    await src.finish();
    expect((await one).readNow).to.equal(true);
    expect((await two).readNow).to.equal(false);
    expect(await fresh).to.deep.equal(facts('a'));
  });
});
