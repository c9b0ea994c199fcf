// The Kubernetes CSI sidecar images synth renders, made here without a registry: each is one static binary (the
// peer scripts/build-peers.sh built from the Go module proxy) in an otherwise empty image, tagged exactly as
// synth's default (spec.images.*), so the rendered manifests run unchanged with imagePullPolicy IfNotPresent.
// A default whose tag is not the version we build is an error here, not a silently different image.
// node-driver-registrar and livenessprobe are our stand-ins (test/env/standins: the module proxy serves neither real
// one), tagged as synth's defaults whatever the tag, so the rendered node DaemonSet runs unchanged.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { operandImages } from '../../olm-bundle/images.js';
import { writeOciArchive, type ImageSpec } from './image-archive.js';
import type { ImageArchive } from './image-disk.js';
import { CSI_PROVISIONER_VERSION, CSI_RESIZER_VERSION, CSI_SNAPSHOTTER_VERSION, peerPath, type PeerName } from './peers.js';

export interface SidecarImage {
  /** The operand name (olm-bundle/images.ts: kebab case of the spec.images field). */
  readonly operand: string;
  readonly peer: PeerName;
  /** The version build-peers.sh builds (scripts/peers/versions.env); null for a stand-in, which has none. */
  readonly version: string | null;
}

/** Sidecars built as peers, and the stand-ins of the two the module proxy does not serve. */
export const SIDECAR_IMAGES: readonly SidecarImage[] = [
  { operand: 'csi-provisioner', peer: 'csi-provisioner', version: CSI_PROVISIONER_VERSION },
  { operand: 'csi-resizer', peer: 'csi-resizer', version: CSI_RESIZER_VERSION },
  { operand: 'csi-snapshotter', peer: 'csi-snapshotter', version: CSI_SNAPSHOTTER_VERSION },
  { operand: 'snapshot-controller', peer: 'snapshot-controller', version: CSI_SNAPSHOTTER_VERSION },
  { operand: 'node-driver-registrar', peer: 'standin-registrar', version: null },
  { operand: 'liveness-probe', peer: 'standin-livenessprobe', version: null },
];

/** The image spec of a sidecar: synth's default name, whose tag must be the built version (unless a stand-in). */
export function sidecarImageSpec(sidecar: SidecarImage, defaults = operandImages()): ImageSpec {
  const name = defaults.find((d) => d.name === sidecar.operand)?.image;
  if (!name) throw new Error(`the OpenLocalCluster schema has no default image for ${sidecar.operand}`);
  const tag = name.slice(name.lastIndexOf(':') + 1);
  if (sidecar.version !== null && tag !== sidecar.version) {
    throw new Error(
      `synth's default ${sidecar.operand} image is ${name}, but scripts/peers/versions.env builds ${sidecar.version}: ` +
        'make api/schemas/fragments/images.yaml name the tested version (then npm run gen)',
    );
  }
  // The upstream images run the binary as their entrypoint, from the root of the image.
  return { name, entrypoint: [`/${sidecar.peer}`] };
}

/** Writes one OCI archive per sidecar into `dir`. */
export async function writeSidecarArchives(dir: string): Promise<ImageArchive[]> {
  const archives: ImageArchive[] = [];
  for (const sidecar of SIDECAR_IMAGES) {
    const spec = sidecarImageSpec(sidecar);
    const root = join(dir, `${sidecar.peer}-root`);
    await mkdir(join(root, 'tmp'), { recursive: true });
    await copyFile(peerPath(sidecar.peer), join(root, sidecar.peer));
    const path = join(dir, `${sidecar.peer}.tar`);
    await writeOciArchive(path, spec, root);
    archives.push({ name: spec.name, path });
  }
  return archives;
}
