import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { bundledNpmVersion, dockerfileCopySources, dockerignoreMatcher } from '../../env/project-image/inputs.js';

describe('env: project image inputs', () => {
  it("reads the sources of the repository's Dockerfile (not COPY --from)", () => {
    const sources = dockerfileCopySources(readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8'));
    expect(sources).to.include.members(['package.json', 'package-lock.json', 'tsconfig.json', 'lib', 'operator']);
    expect(sources).to.not.include('/src/dist');
  });

  it('joins continuation lines and skips --chown', () => {
    expect(dockerfileCopySources('FROM x\nCOPY --chown=1:1 a \\\n  b/ ./\nCOPY --from=build /src/dist ./dist\n')).to.deep.equal(['a', 'b']);
  });

  it('refuses forms the cache key would have to guess', () => {
    expect(() => dockerfileCopySources('COPY ["a", "b"]\n')).to.throw(/plain COPY/);
    expect(() => dockerfileCopySources('COPY src/*.ts ./\n')).to.throw(/glob/);
    expect(() => dockerfileCopySources('COPY ../x ./\n')).to.throw(/inside the build context/);
    expect(() => dockerfileCopySources('FROM x\nRUN true\n')).to.throw(/copies nothing/);
  });

  it('matches .dockerignore paths and root-level *.ext, and refuses negations', () => {
    const ignored = dockerignoreMatcher('node_modules\n# comment\ndist/\n*.md\n');
    expect(ignored('node_modules')).to.equal(true);
    expect(ignored('dist/bin/x.js')).to.equal(true);
    expect(ignored('README.md')).to.equal(true);
    expect(ignored('lib/README.md')).to.equal(false);
    expect(ignored('lib/x.ts')).to.equal(false);
    expect(() => dockerignoreMatcher('!keep\n')).to.throw(/not one the image cache key reads/);
  });

  it("takes the npm release from the newest 'upgrade npm to' line of Node's changelog", () => {
    expect(bundledNpmVersion('## 24.2\n* deps: upgrade npm to 11.19.0\n## 24.1\n* deps: upgrade npm to 11.18.0\n')).to.equal('11.19.0');
    expect(() => bundledNpmVersion('## 24.2\n')).to.throw(/cannot tell which npm/);
  });
});
