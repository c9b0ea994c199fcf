// `npm run e2e -- <scenario>` and `npm run test:e2e`: which scenario files a name or number picks, and how the
// scenarios are shared between clusters booted side by side.
import { expect } from 'chai';
import { MEASURED_SECONDS, pickScenarios, splitAcrossClusters } from '../../e2e/scenario-groups.js';

const FILES = ['01-install.test.ts', '02-provision.test.ts', '08-adopt.test.ts', '09-deletion.test.ts'];
const ALL = Object.keys(MEASURED_SECONDS).map((s) => `${s}.test.ts`);

describe('npm run e2e scenario names', () => {
  it('runs every scenario, in order, when none is named', () => {
    expect(pickScenarios(FILES, [])).to.deep.equal(FILES);
  });
  it('picks by name, by number, by file name or by file stem, in the order asked', () => {
    expect(pickScenarios(FILES, ['adopt', '01', '02-provision.test.ts', '09-deletion'])).to.deep.equal(['08-adopt.test.ts', '01-install.test.ts', '02-provision.test.ts', '09-deletion.test.ts']);
  });
  it('names the scenarios there are when a name matches none', () => {
    expect(() => pickScenarios(FILES, ['upgrade'])).to.throw('scenario "upgrade" matches none of: 01-install.test.ts, 02-provision.test.ts, 08-adopt.test.ts, 09-deletion.test.ts');
  });
  it('takes a number or a name whole, not a prefix of one', () => {
    expect(() => pickScenarios(FILES, ['0'])).to.throw('matches none');
    expect(() => pickScenarios(FILES, ['prov'])).to.throw('matches none');
  });
});

describe('scenarios shared between clusters', () => {
  const total = (g: readonly string[]): number => g.reduce((s, f) => s + MEASURED_SECONDS[f.replace('.test.ts', '')]!, 0);

  it('plays every scenario once, each cluster in file order: install first, deletion last', () => {
    const groups = splitAcrossClusters(ALL, 2);
    expect(groups).to.have.length(2);
    expect(groups.flat().sort()).to.deep.equal(ALL);
    for (const g of groups) expect(g).to.deep.equal([...g].sort());
    const withInstall = groups.find((g) => g.includes('01-install.test.ts'))!;
    expect(withInstall[0]).to.equal('01-install.test.ts');
    const withDeletion = groups.find((g) => g.includes('09-deletion.test.ts'))!;
    expect(withDeletion.at(-1)).to.equal('09-deletion.test.ts');
  });
  it('balances the measured wall time: the longer cluster is within the longest scenario of half the suite', () => {
    const groups = splitAcrossClusters(ALL, 2);
    const half = total(ALL) / 2;
    for (const g of groups) expect(Math.abs(total(g) - half)).to.be.below(Math.max(...Object.values(MEASURED_SECONDS)) / 2);
    expect(groups).to.deep.equal([
      ['01-install.test.ts', '06-failures.test.ts', '08-adopt.test.ts', '09-deletion.test.ts'],
      ['02-provision.test.ts', '03-volume-kinds.test.ts', '04-snapshot.test.ts', '05-scheduling.test.ts', '07-upgrade.test.ts'],
    ]);
  });
  it('weighs an unmeasured scenario as the heaviest one, never as free', () => {
    const groups = splitAcrossClusters(['06-failures.test.ts', '07-upgrade.test.ts', '08-adopt.test.ts', '10-new.test.ts'], 2);
    expect(groups).to.deep.equal([['06-failures.test.ts', '07-upgrade.test.ts'], ['08-adopt.test.ts', '10-new.test.ts']]);
  });
  it('boots no cluster without a scenario, and refuses a cluster count that is not a whole number ≥ 1', () => {
    expect(splitAcrossClusters(['08-adopt.test.ts'], 2)).to.deep.equal([['08-adopt.test.ts']]);
    expect(() => splitAcrossClusters(ALL, 0)).to.throw('whole number');
    expect(() => splitAcrossClusters(ALL, 1.5)).to.throw('whole number');
  });
});
