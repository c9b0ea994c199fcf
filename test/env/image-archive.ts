// OCI image archives made without a registry or an image builder: one uncompressed layer (a tar of a folder),
// its config and manifest, in an OCI layout packed as a tar that `ctr images import` takes. The JSON documents
// are pure functions of the layer's digest; the tar work is done by tar(1) with fixed owners, order and times, so
// the same folder always gives the same image digest.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ImageSpec {
  /** Full reference, e.g. 'registry.k8s.io/pause:3.10': the name containerd stores the image under. */
  readonly name: string;
  readonly entrypoint: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
}

export interface LayerInfo {
  /** sha256:<hex> of the uncompressed layer tar (it is both the blob digest and the diff ID). */
  readonly digest: string;
  readonly size: number;
}

export interface Blob {
  readonly digest: string;
  readonly size: number;
  readonly data: string;
}

export interface OciDocuments {
  readonly config: Blob;
  readonly manifest: Blob;
  /** index.json of the layout (not a blob). */
  readonly index: string;
}

function blob(doc: object): Blob {
  const data = JSON.stringify(doc);
  return { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, size: Buffer.byteLength(data), data };
}

/** `name` is a full reference with a tag (no digest): containerd's import keeps it as the image name. */
export function checkImageName(name: string): void {
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+:[\w][\w.-]{0,127}$/.test(name)) {
    throw new Error(`image name '${name}' must be a full reference with a registry host and a tag, e.g. example.test/app:1`);
  }
}

/** The config, manifest and index of a linux/amd64 image of one layer. */
export function ociDocuments(spec: ImageSpec, layer: LayerInfo): OciDocuments {
  checkImageName(spec.name);
  if (!/^sha256:[0-9a-f]{64}$/.test(layer.digest)) throw new Error(`layer digest '${layer.digest}' is not sha256:<hex>`);
  const config = blob({
    architecture: 'amd64',
    os: 'linux',
    config: {
      Entrypoint: spec.entrypoint,
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
    // One history entry per layer: buildah refuses a base whose history does not account for its layers.
    history: [{ created_by: 'open-local test/env/image-archive.ts' }],
  });
  const manifest = blob({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.size }],
  });
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifest.digest,
        size: manifest.size,
        platform: { architecture: 'amd64', os: 'linux' },
        // containerd names the imported image after the first annotation; other tools read the second.
        annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
      },
    ],
  });
  return { config, manifest, index };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// Same bytes for the same folder: sorted names, owner root, times at the epoch.
const REPRODUCIBLE_TAR = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu'];

async function tar(args: readonly string[], keepOwners = false): Promise<void> {
  // A root file system keeps its owners (a home folder, setgid programs); other layers are root's.
  const flags = keepOwners ? REPRODUCIBLE_TAR.filter((f) => !f.startsWith('--owner=') && !f.startsWith('--group=')) : REPRODUCIBLE_TAR;
  try {
    await run('tar', [...flags, ...args]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(`tar ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/**
 * Writes `out`: an OCI archive of one image whose only layer is the content of `rootfs`. Written to a temporary
 * name beside `out` and renamed, so `out` is never half written. Files are root's unless `keepOwners` (for a whole
 * root file system). Returns the manifest digest.
 */
export async function writeOciArchive(out: string, spec: ImageSpec, rootfs: string, opts: { keepOwners?: boolean } = {}): Promise<string> {
  const work = await mkdtemp(join(dirname(out), '.oci-'));
  try {
    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const layerTmp = join(work, 'layer.tar');
    await tar(['-C', rootfs, '-cf', layerTmp, '.'], opts.keepOwners);
    const layerHex = await sha256File(layerTmp);
    const layer = { digest: `sha256:${layerHex}`, size: (await stat(layerTmp)).size };
    await rename(layerTmp, join(blobs, layerHex));
    const docs = ociDocuments(spec, layer);
    for (const b of [docs.config, docs.manifest]) await writeFile(join(blobs, b.digest.slice('sha256:'.length)), b.data);
    await writeFile(join(layout, 'index.json'), docs.index);
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const tmpOut = `${out}.${process.pid}.tmp`;
    await tar(['-C', layout, '-cf', tmpOut, 'oci-layout', 'index.json', 'blobs']);
    await rename(tmpOut, out);
    return docs.manifest.digest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
