import { access, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { DockerAbortError, isNotFound, type BuildEvent, type Docker, type ProgressMessage } from '../../engine/index.js';
import { CliError } from '../failure.js';
import type { ProgressRenderer } from '../progress/index.js';
import { DEMO_IMAGE, DEMO_IMAGE_LABEL, dockerfile } from './plan.js';

/**
 * The worker image: used when the engine has it, otherwise built from a
 * Dockerfile with no registry involved — `FROM scratch` plus the host's
 * static busybox when there is one, else `FROM` a `busybox:*` image the
 * engine already has.
 */

/** Where the host's static busybox is looked for (Debian's busybox-static installs it there). */
export const HOST_BUSYBOX = '/bin/busybox';

/** What the demo did for its image. */
export interface WorkerImage {
  readonly name: string;
  /** True when this run built it (and so removes it at the end, unless kept). */
  readonly built: boolean;
  /** What it was built from, for people. */
  readonly base: string | undefined;
  readonly durationMs: number;
}

/** What providing the image needs. */
export interface ImageOptions {
  readonly docker: Docker;
  readonly progress: ProgressRenderer;
  readonly signal: AbortSignal;
  readonly now: () => number;
  /** Replaying: the recorded build is answered whatever the context holds, so the host's busybox is not sent. */
  readonly replaying: boolean;
  /** Where the host's static busybox is (default {@link HOST_BUSYBOX}). */
  readonly busybox?: string;
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** A `busybox:*` image on the engine, if there is one. */
async function engineBusybox(docker: Docker, signal: AbortSignal): Promise<string | undefined> {
  const images = await docker.images.list({ filters: { reference: ['busybox'] }, signal });
  for (const image of images) {
    const tag = (image.RepoTags ?? []).find((t) => t.startsWith('busybox:'));
    if (tag !== undefined) return tag;
  }
  return undefined;
}

/** A build event as the progress renderer's message. */
function asMessage(event: BuildEvent): ProgressMessage | undefined {
  switch (event.type) {
    case 'step':
    case 'output':
      return { stream: `${event.line}\n` };
    case 'status':
    case 'aux':
      return event.message;
    default:
      return undefined;
  }
}

/** Uses the demo image if the engine has it, else builds it (with its progress shown). */
export async function provideWorkerImage(options: ImageOptions): Promise<WorkerImage> {
  const { docker, progress, signal, now, busybox = HOST_BUSYBOX } = options;
  const started = now();
  const check = progress.spinner(`looking for the worker image ${DEMO_IMAGE}`);
  const present = await docker.images.inspect(DEMO_IMAGE, { signal }).then(() => true, (err: unknown) => {
    if (isNotFound(err)) return false;
    throw err;
  }).catch((err: unknown) => { check.fail(); throw err; });
  if (present) {
    check.stop();
    progress.note(`the worker image ${DEMO_IMAGE} is on the engine`);
    return { name: DEMO_IMAGE, built: false, base: undefined, durationMs: now() - started };
  }
  check.stop();
  progress.note(`the worker image ${DEMO_IMAGE} is missing: building it`);
  const dir = await mkdtemp('/tmp/berth-demo-');
  try {
    let base: 'scratch' | { image: string };
    let described: string;
    if (options.replaying) {
      // the recorded build: the fake engine builds nothing and does not look into the context, so the Dockerfile alone goes
      base = 'scratch';
      described = 'scratch + a static busybox (as recorded)';
    } else if (await readable(busybox)) {
      await copyFile(busybox, join(dir, 'busybox'));
      base = 'scratch';
      described = `scratch + the host's ${busybox}`;
    } else {
      const image = await engineBusybox(docker, signal);
      if (image === undefined) {
        throw new CliError('failed', `cannot make the worker image: ${busybox} is missing and the engine has no busybox image`, {
          hint: 'install a static busybox (Debian: apt-get install busybox-static), or pull one: docker pull busybox',
        });
      }
      base = { image };
      described = image;
    }
    await writeFile(join(dir, 'Dockerfile'), `${dockerfile(base)}\n`);
    const build = docker.images.build({
      context: dir, tag: DEMO_IMAGE, labels: { [DEMO_IMAGE_LABEL]: 'worker' }, networkMode: 'none', forceRm: true, signal,
    });
    try {
      for await (const event of build) {
        const message = asMessage(event);
        if (message !== undefined) progress.update(message);
      }
      await build;
    } catch (err) {
      if (err instanceof DockerAbortError) throw err;
      throw new CliError('failed', `the worker image did not build: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    progress.note(`built ${DEMO_IMAGE} from ${described}`);
    return { name: DEMO_IMAGE, built: true, base: described, durationMs: now() - started };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
