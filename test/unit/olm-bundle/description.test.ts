import { expect } from 'chai';
import { csvDescription, firstTable, introduction, markdownSection } from '../../../olm-bundle/description.js';

const readme = ['# Title', '', 'Intro line.', '', '## Status', '', 'Words.', '', '| A | B |', '|---|---|', '| x | y |', '', 'After.', '', '## Safety', '', '- careful', ''].join('\n');

describe('olm-bundle: description from the README', () => {
  it('cuts a section up to the next "## " heading', () => {
    expect(markdownSection(readme, 'Safety')).to.equal('- careful');
    expect(markdownSection(readme, 'Status')).to.match(/^Words\.[\s\S]*After\.$/);
  });

  it('takes the first table of a section, and the introduction under the title', () => {
    expect(firstTable(markdownSection(readme, 'Status'))).to.equal('| A | B |\n|---|---|\n| x | y |');
    expect(introduction(readme)).to.equal('Intro line.');
  });

  it('names the missing section when the README lost one', () => {
    expect(() => csvDescription(readme.replace('## Safety', '## Care'))).to.throw('"## Safety"');
  });
});
