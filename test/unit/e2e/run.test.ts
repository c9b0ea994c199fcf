// `npm run e2e -- <scenario>`: which scenario files a name or number picks.
import { expect } from 'chai';
import { pickScenarios } from '../../e2e/run.js';

const FILES = ['01-install.test.ts', '02-provision.test.ts', '08-adopt.test.ts', '09-deletion.test.ts'];

describe('npm run e2e scenario names', () => {
  it('runs every scenario, in order, when none is named', () => {
    expect(pickScenarios(FILES, [])).to.deep.equal(FILES);
  });
  it('picks by name, by number, or by file name, in the order asked', () => {
    expect(pickScenarios(FILES, ['adopt', '01', '02-provision.test.ts'])).to.deep.equal(['08-adopt.test.ts', '01-install.test.ts', '02-provision.test.ts']);
  });
  it('names the scenarios there are when a name matches none', () => {
    expect(() => pickScenarios(FILES, ['upgrade'])).to.throw('scenario "upgrade" matches none of: 01-install.test.ts, 02-provision.test.ts, 08-adopt.test.ts, 09-deletion.test.ts');
  });
  it('takes a number or a name whole, not a prefix of one', () => {
    expect(() => pickScenarios(FILES, ['0'])).to.throw('matches none');
    expect(() => pickScenarios(FILES, ['prov'])).to.throw('matches none');
  });
});
