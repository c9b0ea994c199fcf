// The containerd image disk of the UML kubelet nodes: an ext4 image file whose containerd root holds every test
// image already imported and unpacked. It is built once per set of inputs (by the host's containerd, the binary
// the guests run, with the disk on a loop device: several times faster than importing inside a UML guest) and
// cached beside the peers; each node then mounts a copy-on-write view of it (runInUml's { cow, backing } disk),
// so a node imports nothing and its writes never reach the shared file.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { markUsed, pruneUnused } from './cache-prune.js';
import { peersDir } from './peers.js';

const run = promisify(execFile);
const IMPORT_SCRIPT = new URL('kubelet-node/import-images-host.sh', import.meta.url);
/** The packages the nodes run from the host's filesystem (installed by scripts/setup.sh --test). */
export const NODE_PACKAGES = 'containerd runc containernetworking-plugins busybox-static';

/** `containerd --version`, or a message saying what to install. */
export async function containerdVersion(): Promise<string> {
  try {
    return (await run('containerd', ['--version'])).stdout.trim();
  } catch (err) {
    throw new Error(`containerd not found (the kubelet nodes run it in UML). Run: apt-get install -y ${NODE_PACKAGES}`, {
      cause: err,
    });
  }
}

/**
 * The importing containerd's config: no CRI plugin (it would set up pod networking on the host) and its opt folder
 * on the disk; root, state and socket are given on its command line.
 */
export function importConfig(root: string): string {
  return `# containerd config of the image import, written by test/env/image-disk.ts
version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[plugins."io.containerd.internal.v1.opt"]
  path = "${root}/opt"
`;
}

export interface ImageArchive {
  /** The image's full name, as containerd will list it. */
  readonly name: string;
  readonly path: string;
  /** More names the same image is listed under (the same bytes, another tag). */
  readonly alsoTagged?: readonly string[];
}

export interface ImageDisk {
  /** The ext4 image file: use it read-only, as the backing file of a copy-on-write disk. */
  readonly path: string;
  /** The image names containerd listed after the import. */
  readonly images: readonly string[];
  /** Whether this call built it (false: it came from the cache). */
  readonly built: boolean;
}

/**
 * The cached disk for `key` (which must change whenever an image's inputs do), building it when missing from the
 * archives `makeArchives` writes into the folder it is given. Safe against a concurrent build of the same key: the
 * first rename wins, the other is discarded.
 */
export async function containerdImageDisk(
  key: string,
  makeArchives: (dir: string) => Promise<readonly ImageArchive[]>,
  size = '1G',
): Promise<ImageDisk> {
  const script = await readFile(IMPORT_SCRIPT, 'utf8');
  const digest = createHash('sha256')
    .update([key, await containerdVersion(), importConfig('/'), script, size].join('\0'))
    .digest('hex')
    .slice(0, 16);
  const dir = join(peersDir(), `containerd-images-${digest}`);
  const disk = join(dir, 'disk.img');
  const listed = join(dir, 'images');
  try {
    const images = (await readFile(listed, 'utf8')).split('\n').filter(Boolean);
    await markUsed(dir);
    return { path: disk, images, built: false };
  } catch {
    // not built yet
  }
  await mkdir(peersDir(), { recursive: true });
  const work = await mkdtemp(join(peersDir(), `.containerd-images-${digest}-`));
  try {
    const img = join(work, 'disk.img');
    await writeFile(img, '');
    await truncate(img, parseGiB(size));
    await run('mkfs.ext4', ['-q', '-F', '-L', 'containerd', img]).catch((err: unknown) => {
      throw new Error('mkfs.ext4 failed (apt-get install -y e2fsprogs)', { cause: err });
    });
    const archiveDir = join(work, 'archives');
    await mkdir(archiveDir);
    const archives = await makeArchives(archiveDir);
    const config = join(work, 'containerd.toml');
    await writeFile(config, importConfig(join(work, 'root')));
    // containerd's socket and state under a short path: the peers cache may be deep enough to pass the 104 bytes a
    // unix socket path may have (a cold CI run with HOME=/tmp/cold-home did).
    const runDir = await mkdtemp(join(tmpdir(), 'ol-ctd-'));
    try {
      await run('sh', [IMPORT_SCRIPT.pathname, ...archives.map((a) => a.path)], {
        env: { ...process.env, CONTAINERD_CONFIG: config, DISK: img, WORK: work, RUN: runDir, TAGS: archives.flatMap((a) => (a.alsoTagged ?? []).map((t) => `${a.name} ${t}`)).join('\n') },
        maxBuffer: 16 << 20,
        timeout: 1_800_000,
      });
    } catch (err) {
      const e = err as Error & { stdout?: string; stderr?: string };
      const log = await readFile(join(work, 'containerd.log'), 'utf8').catch(() => '');
      throw new Error(`importing the images failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n--- containerd ---\n${log.slice(-3000)}`, {
        cause: err,
      });
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
    const images = (await readFile(join(work, 'images'), 'utf8')).split('\n').filter(Boolean);
    const missing = archives.flatMap((a) => [a.name, ...(a.alsoTagged ?? [])]).filter((n) => !images.includes(n));
    if (missing.length > 0) throw new Error(`containerd does not list ${missing.join(', ')} after the import (it lists ${images.join(', ')})`);
    await rm(config);
    await rm(archiveDir, { recursive: true });
    for (const p of ['containerd.log', 'root']) await rm(join(work, p), { recursive: true, force: true });
    await rename(work, dir).catch((err: unknown) => {
      // Another run built the same disk meanwhile: keep theirs.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    });
    await pruneUnused(peersDir(), 'containerd-images-', dir);
    return { path: disk, images, built: true };
  } finally {
    // Never delete through a disk still mounted there (a killed import): unmount it first.
    const root = join(work, 'root');
    if ((await readFile('/proc/self/mountinfo', 'utf8')).split('\n').some((l) => l.split(' ')[4] === root)) await run('umount', [root]);
    await rm(work, { recursive: true, force: true });
  }
}

function parseGiB(size: string): number {
  const m = /^(\d+)G$/.exec(size);
  if (!m?.[1]) throw new Error(`image disk size '${size}' must be whole GiB, e.g. 1G`);
  return Number(m[1]) * 1024 ** 3;
}
