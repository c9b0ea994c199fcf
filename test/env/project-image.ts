// The project's own image, built here from the checkout's Dockerfile with Debian's buildah and no registry:
//
// - The base the Dockerfile names (node:24-bookworm-slim) is made locally: a debootstrap of Debian bookworm
//   (minbase, with the path excludes of Debian's slim images), the Node 24 binary of the npm registry package
//   `node@24` (the one scripts/install-node.sh installed and this process runs on) and the npm release that Node
//   ships, packed by image-archive.ts and loaded into buildah's store under exactly that name. Cached in the
//   peers cache by Debian suite + Node + npm versions; never rebuilt while present.
// - `buildah bud --pull=never --isolation chroot` of the Dockerfile unchanged, tagged as synth's default image
//   (spec.images.openLocal), exported as an OCI archive. Cached by a hash of its inputs: the files the Dockerfile
//   copies, the Dockerfile, .dockerignore and the base.
//
// buildah keeps its store beside the peers (its layer cache makes a rebuild after a source change skip `npm ci`).
// Needs root, buildah and debootstrap (scripts/setup.sh --test installs them).
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { operandImages } from '../../olm-bundle/images.js';
import { markUsed, pruneUnused } from './cache-prune.js';
import { writeOciArchive } from './image-archive.js';
import type { ImageArchive } from './image-disk.js';
import { peersDir } from './peers.js';
import { tailFile } from './processes.js';
import { bundledNpmVersion, dockerfileCopySources, dockerignoreMatcher } from './project-image/inputs.js';

const run = promisify(execFile);
const REPO = new URL('../../', import.meta.url).pathname;
/** The base the Dockerfile's FROM lines name, as buildah stores it. */
export const BASE_IMAGE = 'docker.io/library/node:24-bookworm-slim';
const SUITE = 'bookworm';
const NODE_MAJOR = 24;
/** What Debian's slim images leave out of every package (docker-debian-artifacts' slimify): docs, man, locales. */
const SLIM_DPKG_EXCLUDES = [
  'path-exclude /usr/share/doc/*',
  'path-include /usr/share/doc/*/copyright',
  'path-exclude /usr/share/man/*',
  'path-exclude /usr/share/info/*',
  'path-exclude /usr/share/locale/*',
  'path-include /usr/share/locale/locale.alias',
  'path-exclude /usr/share/lintian/*',
  'path-exclude /usr/share/linda/*',
].join('\n');
/**
 * What Debian's slim images delete after the install, by the same rules (debootstrap's first stage unpacks without
 * dpkg, so the excludes alone miss those files): a folder under the root and the find(1) tests of what goes.
 */
const SLIM_REMOVE = [
  ['usr/share/doc', '! -name copyright ! -type d'],
  ['usr/share/man', ''],
  ['usr/share/info', ''],
  ['usr/share/locale', '! -name locale.alias'],
  ['usr/share/lintian', ''],
  ['usr/share/linda', ''],
] as const;
/**
 * Part of the base's cache key: a change to how the base is made makes a new base. Node's C headers
 * (include/) are left out: the slim image has no compiler that could use them.
 */
const BASE_RECIPE = JSON.stringify([SLIM_DPKG_EXCLUDES, SLIM_REMOVE, ['bin', 'share'], 'minbase', 'user node 1000']);

/** synth's default open-local image (spec.images.openLocal): the name the built image carries. */
export function projectImageName(): string {
  const image = operandImages().find((i) => i.name === 'open-local')?.image;
  if (!image) throw new Error('the OpenLocalCluster schema has no default for spec.images.openLocal');
  return image;
}

export type Progress = (line: string) => void;

/** buildah's store beside the peers, and a run root (locks, mount state) of its own for each store. */
function storageArgs(): string[] {
  const root = join(peersDir(), 'buildah', 'storage');
  const runroot = `/run/open-local-operator/buildah-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`;
  return ['--root', root, '--runroot', runroot];
}

/** Runs a long command with its output in `log`; the error carries the log's tail. */
async function runLogged(command: string, args: readonly string[], log: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const fd = openSync(log, 'a');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${tailFile(log, 30)}`);
  } finally {
    closeSync(fd);
  }
}

async function buildah(args: readonly string[]): Promise<string> {
  try {
    return (await run('buildah', [...storageArgs(), ...args], { maxBuffer: 64 << 20 })).stdout.trim();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('buildah not found. Run: apt-get install -y buildah debootstrap', { cause: err });
    throw new Error(`buildah ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** The host's node@24 package folder (bin/node, include, share) and its CHANGELOG's npm release. */
async function nodePackage(): Promise<{ dir: string; node: string; npm: string }> {
  const node = process.versions.node;
  if (Number(node.split('.')[0]) !== NODE_MAJOR) {
    throw new Error(`the base image needs Node ${NODE_MAJOR} (this is Node ${node}): run with the Node of scripts/install-node.sh`);
  }
  const dir = dirname(dirname(await realpath(process.execPath)));
  const changelog = await readFile(join(dir, 'CHANGELOG.md'), 'utf8').catch((err: unknown) => {
    throw new Error(`${dir} is not the npm registry's node package (no CHANGELOG.md): run with scripts/install-node.sh's Node`, { cause: err });
  });
  return { dir, node, npm: bundledNpmVersion(changelog) };
}

export interface BuiltImage {
  readonly name: string;
  /** Whether this call built it (false: from the cache). */
  readonly built: boolean;
  readonly ms: number;
}

/**
 * node:24-bookworm-slim in buildah's store, made from debootstrap + the host's Node 24 package + its npm when the
 * cache has no archive for these versions, and loaded from that archive when the store lacks it.
 */
export async function nodeBaseImage(progress: Progress = () => undefined): Promise<BuiltImage> {
  const t0 = Date.now();
  const pkg = await nodePackage();
  const recipe = createHash('sha256').update(BASE_RECIPE).digest('hex').slice(0, 8);
  const dir = join(peersDir(), `node-base-${SUITE}-node${pkg.node}-npm${pkg.npm}-${recipe}`);
  const archive = join(dir, 'image.tar');
  let built = false;
  if (!existsSync(join(dir, '.complete'))) {
    progress(`base ${BASE_IMAGE}: debootstrap ${SUITE} (minbase) + Node ${pkg.node} + npm ${pkg.npm} (cold: ~2 min)`);
    await mkdir(peersDir(), { recursive: true });
    const work = await mkdtemp(join(peersDir(), '.node-base-'));
    try {
      const rootfs = join(work, 'rootfs');
      const log = join(work, 'debootstrap.log');
      await mkdir(join(rootfs, 'etc', 'dpkg', 'dpkg.cfg.d'), { recursive: true });
      // In place before the first package unpacks, so no doc, man page or locale is ever written.
      await writeFile(join(rootfs, 'etc', 'dpkg', 'dpkg.cfg.d', 'docker-slim'), `${SLIM_DPKG_EXCLUDES}\n`);
      await runLogged('debootstrap', ['--variant=minbase', SUITE, rootfs, 'http://deb.debian.org/debian'], log).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('debootstrap not found. Run: apt-get install -y debootstrap', { cause: err });
        throw err;
      });
      // As Debian's slim images: no docs, man pages or locales, no apt lists or caches, no logs of the build.
      for (const [path, keep] of SLIM_REMOVE) {
        const abs = join(rootfs, path);
        if (existsSync(abs)) await run('sh', ['-c', `find "$1" -mindepth 1 -depth ${keep} -delete 2>/dev/null || true`, 'sh', abs]);
      }
      for (const p of ['var/lib/apt/lists', 'var/cache/apt', 'var/log', 'debootstrap']) await rm(join(rootfs, p), { recursive: true, force: true });
      await mkdir(join(rootfs, 'var', 'lib', 'apt', 'lists', 'partial'), { recursive: true });
      await mkdir(join(rootfs, 'var', 'cache', 'apt', 'archives', 'partial'), { recursive: true });
      await mkdir(join(rootfs, 'var', 'log', 'apt'), { recursive: true });
      // Node as the official image lays it out: /usr/local/bin/node, npm in /usr/local/lib/node_modules/npm.
      await run('cp', ['-a', join(pkg.dir, 'bin'), join(pkg.dir, 'share'), join(rootfs, 'usr', 'local')]);
      await runLogged('npm', ['pack', `npm@${pkg.npm}`, '--pack-destination', work, '--silent'], log);
      const npmDir = join(rootfs, 'usr', 'local', 'lib', 'node_modules', 'npm');
      await mkdir(npmDir, { recursive: true });
      await run('tar', ['-xzf', join(work, `npm-${pkg.npm}.tgz`), '-C', npmDir, '--strip-components=1', '--no-same-owner']);
      await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr', 'local', 'bin', 'npm'));
      await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr', 'local', 'bin', 'npx'));
      // The official image's unprivileged user.
      await run('chroot', [rootfs, 'sh', '-c', 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node']);
      await writeOciArchive(
        join(work, 'image.tar'),
        {
          name: BASE_IMAGE,
          entrypoint: [],
          cmd: ['node'],
          env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `NODE_VERSION=${pkg.node}`],
        },
        rootfs,
        { keepOwners: true },
      );
      await rm(rootfs, { recursive: true, force: true });
      await rm(log, { force: true });
      await rm(join(work, `npm-${pkg.npm}.tgz`), { force: true });
      await writeFile(join(work, '.complete'), '');
      await rename(work, dir).catch((err: unknown) => {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      });
      built = true;
    } finally {
      await unmountUnder(work);
      await rm(work, { recursive: true, force: true });
    }
  }
  // The store holds the base when its digest is the archive's (the store may be older, or emptied).
  const want = (await run('tar', ['-xOf', archive, 'index.json'])).stdout;
  const digest = (JSON.parse(want) as { manifests: { digest: string }[] }).manifests[0]?.digest;
  const have = await buildah(['images', '--format', '{{.Digest}}', BASE_IMAGE]).catch(() => '');
  if (!digest || !have.split('\n').includes(digest)) {
    progress(`base ${BASE_IMAGE}: loading ${archive} into buildah's store`);
    const id = (await buildah(['pull', '--quiet', `oci-archive:${archive}`])).split('\n').pop() ?? '';
    await buildah(['tag', id, BASE_IMAGE]);
  }
  return { name: BASE_IMAGE, built, ms: Date.now() - t0 };
}

/**
 * Unmounts whatever is mounted under `dir` (a killed debootstrap leaves proc and sys mounted in its target), deepest
 * first, so that removing `dir` never reaches through a mount into the host's /proc or /sys.
 */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['--lazy', m]);
}

/** Every file under the Dockerfile's sources that .dockerignore keeps, sorted, with its content hash. */
async function contextHash(sources: readonly string[], ignored: (p: string) => boolean): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    if (ignored(rel)) return;
    const abs = join(REPO, rel);
    const st = await stat(abs).catch((err: unknown) => {
      throw new Error(`the Dockerfile copies '${rel}', which is not in the checkout`, { cause: err });
    });
    if (st.isDirectory()) {
      for (const e of (await readdir(abs)).sort()) await walk(`${rel}/${e}`);
    } else {
      hash.update(`${rel}\0${st.mode & 0o111 ? 'x' : '-'}\0`).update(await readFile(abs)).update('\0');
    }
  };
  for (const s of sources) await walk(s);
  return hash.digest('hex');
}

export interface ProjectImage extends ImageArchive {
  readonly built: boolean;
  /** Time of the base step (cached or not) and of the build + export (0 when cached). */
  readonly baseMs: number;
  readonly buildMs: number;
  readonly exportMs: number;
}

/** The OCI archive of the project image (built with buildah from the Dockerfile when its inputs changed). */
export async function projectImage(progress: Progress = () => undefined): Promise<ProjectImage> {
  const name = projectImageName();
  const base = await nodeBaseImage(progress);
  const dockerfile = await readFile(join(REPO, 'Dockerfile'), 'utf8');
  const dockerignore = await readFile(join(REPO, '.dockerignore'), 'utf8').catch(() => '');
  const sources = dockerfileCopySources(dockerfile);
  const key = createHash('sha256')
    .update([name, base.name, await baseDigest(), dockerfile, dockerignore, await contextHash(sources, dockerignoreMatcher(dockerignore))].join('\0'))
    .digest('hex')
    .slice(0, 16);
  const dir = join(peersDir(), `open-local-image-${key}`);
  const path = join(dir, 'image.tar');
  if (existsSync(join(dir, '.complete'))) {
    await markUsed(dir);
    return { name, path, built: false, baseMs: base.ms, buildMs: 0, exportMs: 0 };
  }
  const work = await mkdtemp(join(peersDir(), '.open-local-image-'));
  try {
    const log = join(work, 'build.log');
    // npm ci inside the build reaches the registry through the host's CA bundle (the network may present its own
    // CA): a global npmrc naming it, both bind-mounted for the RUN steps only, so the image does not change.
    const npmrc = join(work, 'npmrc');
    const ca = process.env['NODE_EXTRA_CA_CERTS'] ?? '/etc/ssl/certs/ca-certificates.crt';
    const volumes: string[] = [];
    if (existsSync(ca)) {
      await writeFile(npmrc, 'cafile=/run/open-local-build-ca.crt\n');
      volumes.push('--volume', `${ca}:/run/open-local-build-ca.crt:ro`, '--volume', `${npmrc}:/usr/local/etc/npmrc:ro`);
    }
    progress(`image ${name}: buildah bud of the Dockerfile and export (cold: ~3 min; log ${log})`);
    const t0 = Date.now();
    await runLogged(
      'buildah',
      [...storageArgs(), 'bud', '--pull=never', '--isolation', 'chroot', '--layers', ...volumes, '--tag', name, '--file', join(REPO, 'Dockerfile'), REPO],
      log,
    );
    const buildMs = Date.now() - t0;
    const t1 = Date.now();
    await buildah(['push', '--quiet', name, `oci-archive:${join(work, 'image.tar')}:${name}`]);
    const exportMs = Date.now() - t1;
    await rm(log);
    await rm(npmrc, { force: true });
    await writeFile(join(work, '.complete'), '');
    await rename(work, dir).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    });
    const pruned = await pruneUnused(peersDir(), 'open-local-image-', dir);
    progress(`image ${name}: built in ${buildMs} ms, exported in ${exportMs} ms${pruned.length > 0 ? `; deleted ${pruned.length} entries unused for a day` : ''}`);
    return { name, path, built: true, baseMs: base.ms, buildMs, exportMs };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function baseDigest(): Promise<string> {
  return buildah(['images', '--format', '{{.Digest}}', BASE_IMAGE]);
}
