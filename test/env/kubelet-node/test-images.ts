// The images every UML kubelet node has without a registry: the sandbox image (a static pause binary built from
// pause.c, tagged registry.k8s.io/pause:3.10) and a busybox image (Debian's static busybox) for test pods. Both are
// made as OCI archives and imported into the shared containerd image disk (../image-disk.ts), all cached by a
// hash of their inputs.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeOciArchive, type ImageSpec } from '../image-archive.js';
import { containerdImageDisk, NODE_PACKAGES, type ImageArchive, type ImageDisk } from '../image-disk.js';
import { PAUSE_IMAGE } from './config.js';

const run = promisify(execFile);
const PAUSE_SOURCE = new URL('pause.c', import.meta.url);
const BUSYBOX = '/bin/busybox';

export const BUSYBOX_IMAGE = 'open-local.test/busybox:1';
/** Applets linked in the busybox image (the static binary carries them all; these are what test pods call). */
const BUSYBOX_APPLETS = ['sh', 'sleep', 'cat', 'echo', 'ls', 'mount', 'ps', 'test', 'touch', 'df', 'mkdir', 'rm',
  // what the e2e scenarios' pods use to write, read and measure their volumes
  'dd', 'sha256sum', 'blockdev', 'stat', 'wc', 'head', 'tail', 'grep', 'sync', 'find', 'du', 'seq', 'tr', 'cut', 'awk'];

const PAUSE_SPEC: ImageSpec = { name: PAUSE_IMAGE, entrypoint: ['/pause'] };
const BUSYBOX_SPEC: ImageSpec = { name: BUSYBOX_IMAGE, entrypoint: ['/bin/sh'], cmd: ['-c', 'sleep 2147483647'] };

async function busyboxBinary(): Promise<Buffer> {
  let bin: Buffer;
  try {
    bin = await readFile(BUSYBOX);
  } catch (err) {
    throw new Error(`${BUSYBOX} is needed for the test image. Run: apt-get install -y ${NODE_PACKAGES}`, { cause: err });
  }
  // A dynamically linked busybox (Debian's "busybox" package) names its loader; the image has no libc.
  if (bin.includes('/lib64/ld-linux')) {
    throw new Error(`${BUSYBOX} is dynamically linked; the test image needs busybox-static. Run: apt-get install -y busybox-static`);
  }
  return bin;
}

/** A key that changes whenever the pause or busybox image would (their sources and specs). */
export async function testImagesKey(): Promise<string> {
  return createHash('sha256')
    .update(await readFile(PAUSE_SOURCE))
    .update(await busyboxBinary())
    .update(JSON.stringify([PAUSE_SPEC, BUSYBOX_SPEC, BUSYBOX_APPLETS]))
    .digest('hex');
}

/** Writes the pause and busybox archives into `dir`. */
export async function writeTestArchives(dir: string): Promise<ImageArchive[]> {
  const pauseRoot = join(dir, 'pause-root');
  const busyboxRoot = join(dir, 'busybox-root');
  await mkdir(pauseRoot);
  await mkdir(join(busyboxRoot, 'bin'), { recursive: true });
  await mkdir(join(busyboxRoot, 'tmp'));
  try {
    await run('cc', ['-static', '-O2', '-o', join(pauseRoot, 'pause'), PAUSE_SOURCE.pathname]);
  } catch (err) {
    throw new Error('cannot build the static pause binary (apt-get install -y gcc libc6-dev)', { cause: err });
  }
  await writeFile(join(busyboxRoot, 'bin', 'busybox'), await busyboxBinary(), { mode: 0o755 });
  for (const applet of BUSYBOX_APPLETS) await symlink('busybox', join(busyboxRoot, 'bin', applet));
  const archives = [
    { name: PAUSE_SPEC.name, path: join(dir, 'pause.tar') },
    { name: BUSYBOX_SPEC.name, path: join(dir, 'busybox.tar') },
  ];
  await writeOciArchive(archives[0]!.path, PAUSE_SPEC, pauseRoot);
  await writeOciArchive(archives[1]!.path, BUSYBOX_SPEC, busyboxRoot);
  return archives;
}

/**
 * The containerd image disk holding the pause and busybox images, built on the first call for these inputs
 * (seconds) and reused from the cache afterwards.
 */
export async function testImageDisk(): Promise<ImageDisk> {
  return containerdImageDisk(await testImagesKey(), writeTestArchives);
}
