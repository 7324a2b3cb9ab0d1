import type { ProgressMessage } from '../../src/cli/progress/index.js';

/**
 * Progress streams as engines send them (shapes and texts from dockerd
 * 20.10 and podman 4.3): a pull, classic builds (passing and failing), a
 * podman build.
 */

export interface LayerSpec {
  readonly id: string;
  readonly size: number;
}

export const LAYERS: readonly LayerSpec[] = [
  { id: '4abcf2066143', size: 3_408_729 },
  { id: '9f3c3e2ee6ab', size: 1_240_102 },
  { id: 'c1e3a8f0b7d2', size: 412 },
];

/** `POST /images/create?fromImage=alpine&tag=3.19`, `steps` byte updates per layer and phase. */
export function pullStream(layers: readonly LayerSpec[] = LAYERS, steps = 4): ProgressMessage[] {
  const m: ProgressMessage[] = [{ status: 'Pulling from library/alpine', id: '3.19' }];
  for (const l of layers) m.push({ status: 'Pulling fs layer', progressDetail: {}, id: l.id });
  for (const l of layers.slice(1)) m.push({ status: 'Waiting', progressDetail: {}, id: l.id });
  for (const l of layers) {
    for (let i = 1; i <= steps; i++) {
      const current = Math.round((l.size * i) / steps);
      m.push({ status: 'Downloading', progressDetail: { current, total: l.size }, progress: '[==>   ]', id: l.id });
    }
    m.push({ status: 'Verifying Checksum', progressDetail: {}, id: l.id });
    m.push({ status: 'Download complete', progressDetail: {}, id: l.id });
  }
  for (const l of layers) {
    for (let i = 1; i <= steps; i++) {
      m.push({ status: 'Extracting', progressDetail: { current: Math.round((l.size * i) / steps), total: l.size }, id: l.id });
    }
    m.push({ status: 'Pull complete', progressDetail: {}, id: l.id });
  }
  m.push({ status: 'Digest: sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b' });
  m.push({ status: 'Status: Downloaded newer image for alpine:3.19' });
  return m;
}

/** A classic (`version=1`) dockerd build: steps, RUN stdout, RUN stderr in red, aux ID, results. */
export const classicBuild: ProgressMessage[] = [
  { stream: 'Step 1/3 : FROM busybox:test' },
  { stream: '\n' },
  { stream: ' ---> 5c899a2c913f\n' },
  { stream: 'Step 2/3 : RUN echo compiling && echo "careful" >&2 && echo done' },
  { stream: '\n' },
  { stream: ' ---> Running in 0d3c1ad2b1f4\n' },
  { stream: 'compiling\n' },
  { stream: '\u001b[91mcareful\n\u001b[0m' },
  { stream: 'done\n' },
  { stream: 'Removing intermediate container 0d3c1ad2b1f4\n' },
  { stream: ' ---> 7e8a3b2c1d0f\n' },
  { stream: 'Step 3/3 : CMD ["/bin/sh"]' },
  { stream: '\n' },
  { stream: ' ---> Running in 4f1e2d3c4b5a\n' },
  { stream: 'Removing intermediate container 4f1e2d3c4b5a\n' },
  { stream: ' ---> 9a8b7c6d5e4f\n' },
  { aux: { ID: 'sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b' } },
  { stream: 'Successfully built 9a8b7c6d5e4f\n' },
  { stream: 'Successfully tagged berth-demo:latest\n' },
];

/** A classic build whose RUN fails: the error arrives in-band with the exit code. */
export const failingBuild: ProgressMessage[] = [
  { stream: 'Step 1/2 : FROM busybox:test' },
  { stream: '\n' },
  { stream: ' ---> 5c899a2c913f\n' },
  { stream: 'Step 2/2 : RUN echo about to fail; exit 3' },
  { stream: '\n' },
  { stream: ' ---> Running in 6b5a4c3d2e1f\n' },
  { stream: 'about to fail\n' },
  {
    errorDetail: { code: 3, message: 'The command \'/bin/sh -c echo about to fail; exit 3\' returned a non-zero code: 3' },
    error: 'The command \'/bin/sh -c echo about to fail; exit 3\' returned a non-zero code: 3',
  },
];

/** podman's build stream: `STEP n/m:`, COMMIT, the id as a bare line, aux ID. */
export const podmanBuild: ProgressMessage[] = [
  { stream: 'STEP 1/2: FROM busybox:test\n' },
  { stream: 'STEP 2/2: RUN echo hi\n' },
  { stream: 'hi\n' },
  { stream: 'COMMIT berth-demo\n' },
  { stream: '--> 3f2a1b0c9d8e\n' },
  { stream: 'Successfully tagged localhost/berth-demo:latest\n' },
  { stream: '3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a\n' },
  { aux: { ID: 'sha256:3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a' } },
];
