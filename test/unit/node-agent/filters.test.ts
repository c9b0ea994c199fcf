import { expect } from 'chai';
import type { NameFilter } from '../../../api/generated/types.js';
import { applyNameFilter, compilePattern } from '../../../node-agent/filters.js';

describe('node-agent/filters', () => {
  const vgs = ['open-local-pool-0', 'open-local-pool-10', 'yoda-pool1', 'ackdistro-pool', 'system', 'open-local-pool-x'];
  const table: [string, readonly string[], NameFilter | undefined, readonly string[]][] = [
    ['selects nothing without include patterns (Open-Local: empty include = none)', vgs, undefined, []],
    ['selects nothing with an empty include list even if exclude is set', vgs, { exclude: ['system'] }, []],
    ['keeps Open-Local default NLSC pools', vgs, { include: ['open-local-pool-[0-9]+', 'yoda-pool[0-9]+', 'ackdistro-pool'] }, ['ackdistro-pool', 'open-local-pool-0', 'open-local-pool-10', 'yoda-pool1']],
    ['needs the whole name to match (a substring match is not enough)', vgs, { include: ['pool'] }, []],
    ['does not let a prefix match select a longer name', vgs, { include: ['open-local-pool-[0-9]'] }, ['open-local-pool-0']],
    ['removes excluded names, exclude wins over include', vgs, { include: ['open-local-pool-.*'], exclude: ['.*-x', 'open-local-pool-1[0-9]*'] }, ['open-local-pool-0']],
    ['sorts and de-duplicates results', ['b', 'a', 'b', 'c'], { include: ['.*'] }, ['a', 'b', 'c']],
    ['anchors user anchors harmlessly', ['/dev/sdb', '/dev/sdb1'], { include: ['^/dev/sd[a-z]$'] }, ['/dev/sdb']],
    // The deliberate difference from Open-Local's leftmost-first FindString: any alternative may match the whole name.
    ['DECISION: `a|ab` keeps "ab" (Open-Local kept only "a": its leftmost match of "ab" is "a")', ['a', 'ab', 'abc'], { include: ['a|ab'] }, ['a', 'ab']],
    ['DECISION: an alternation exclude removes partitions Open-Local would have kept', ['/dev/sda', '/dev/sda1', '/dev/sdb'], { include: ['/dev/sd.*'], exclude: ['/dev/sda|/dev/sda[0-9]+'] }, ['/dev/sdb']],
    ['matches mount paths with slashes and dots literally where escaped', ['/mnt/open-local/d1', '/mnt/open-local/d.x'], { include: ['/mnt/open-local/d\\.x'] }, ['/mnt/open-local/d.x']],
  ];
  for (const [name, names, filter, want] of table) {
    it(name, () => {
      const r = applyNameFilter(names, filter, 'listConfig.vgs');
      expect(r.selected).to.deep.equal(want);
      expect(r.problems).to.deep.equal([]);
    });
  }

  describe('invalid patterns never crash', () => {
    const invalid: [string, string, RegExp][] = [
      ['an unclosed class', '[a-z', /Invalid regular expression|Unterminated/],
      ['an unbalanced group', '(pool', /Invalid regular expression/],
      ['a lookahead (not RE2)', 'pool(?=-0)', /lookaround is not supported/],
      ['a lookbehind (not RE2)', '(?<!x)pool', /lookaround is not supported/],
      ['a backreference (not RE2)', '(a)\\1', /backreference/],
      ['a POSIX class (RE2 syntax JS would misread)', '[[:digit:]]+', /Invalid regular expression/],
      ['an inline flag group (RE2 syntax JS rejects)', '(?i)pool', /Invalid regular expression/],
    ];
    for (const [what, pattern, reason] of invalid) {
      it(`reports ${what} as a problem`, () => {
        expect(compilePattern(pattern)).to.be.a('string').that.matches(reason);
      });
    }

    it('treats a lookaround inside a character class as literal characters', () => {
      expect(compilePattern('[(?=]+')).to.be.instanceOf(RegExp);
    });

    it('skips an invalid include and still applies the valid ones, naming the field and index', () => {
      const r = applyNameFilter(vgs, { include: ['[bad', 'system'] }, 'listConfig.vgs');
      expect(r.selected).to.deep.equal(['system']);
      expect(r.problems).to.have.length(1);
      expect(r.problems[0]).to.match(/^listConfig\.vgs\.include\[0\] "\[bad" is invalid: /);
    });

    it('fails closed on an invalid exclude: the filter selects nothing rather than more', () => {
      const r = applyNameFilter(['/dev/sda', '/dev/sdb'], { include: ['/dev/sd.*'], exclude: ['/dev/sda('] }, 'listConfig.devices');
      expect(r.selected).to.deep.equal([]);
      expect(r.problems).to.have.length(2);
      expect(r.problems[0]).to.match(/^listConfig\.devices\.exclude\[0\]/);
      expect(r.problems[1]).to.equal('listConfig.devices selects nothing until its exclude patterns are fixed');
    });
  });
});
