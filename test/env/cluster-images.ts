// The image disk of a cluster that runs the rendered stack: the nodes' own images (pause, busybox), the CSI
// sidecars synth names (sidecar-images.ts, with the stand-ins of node-driver-registrar and livenessprobe) and the project image built from the Dockerfile (project-image.ts, also under the next release's tag),
// all imported once per set of inputs into one containerd disk that every kubelet node mounts copy-on-write.
import { createHash } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { containerdImageDisk, type ImageDisk } from './image-disk.js';
import { testImagesKey, writeTestArchives } from './kubelet-node/test-images.js';
import { peerPath } from './peers.js';
import { projectImage, type Progress } from './project-image.js';
import { SIDECAR_IMAGES, sidecarImageSpec, writeSidecarArchives } from './sidecar-images.js';
import { nextOperatorImage } from './olm/next-bundle.js';

export interface ClusterImages extends ImageDisk {
  /** The project image's name (synth's default spec.images.openLocal). */
  readonly projectImage: string;
  /**
   * The same image under the next release's tag, which the OLM upgrade scenario's v+1 bundle names: no registry
   * serves a v+1 here, and what the upgrade proves is OLM replacing the operator while volumes are in use, so the
   * v+1 operator runs the same bytes.
   */
  readonly nextOperatorImage: string;
}

/** Builds what is missing (the project image: minutes; the import: about a minute) and returns the disk. */
export async function clusterImageDisk(progress: Progress = () => undefined): Promise<ClusterImages> {
  const project = await projectImage(progress);
  const next = nextOperatorImage(project.name);
  // The project archive's path names the hash of its inputs; a sidecar is its spec and its binary's path, which
  // names its version (a stand-in's: the hash of its sources).
  const key = createHash('sha256')
    .update(await testImagesKey())
    .update(project.path)
    .update(next)
    .update(JSON.stringify(SIDECAR_IMAGES.map((s) => [sidecarImageSpec(s), peerPath(s.peer)])))
    .digest('hex');
  const t0 = Date.now();
  const disk = await containerdImageDisk(
    key,
    async (dir) => {
      progress('image disk: importing pause, busybox, the CSI sidecars and the project image');
      const projectTar = join(dir, 'open-local.tar');
      await copyFile(project.path, projectTar);
      return [...(await writeTestArchives(dir)), ...(await writeSidecarArchives(dir)), { name: project.name, path: projectTar, alsoTagged: [next] }];
    },
    '4G',
  );
  if (disk.built) progress(`image disk: built in ${Date.now() - t0} ms`);
  return { ...disk, projectImage: project.name, nextOperatorImage: next };
}
