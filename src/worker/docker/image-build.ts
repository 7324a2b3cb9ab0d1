import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  DockerAbortError, DockerApiError, DockerArgumentError, DockerStreamError, type BuildEvent, type Docker, type ImageBuildOptions,
} from '../../engine/index.js';
import { asError, LatentWorkerImageBuildError } from '../errors.js';
import type { ContextEncoding } from '../options.js';
import type { Redactor } from './redactor.js';

/**
 * Building a worker's image from its `dockerfile` when the engine lacks it.
 * Plain: the Dockerfile's text is the whole context (nothing to `COPY`).
 * `customContext`: `dockerfile` is the path of a tar archive on the master,
 * sent as the whole context, its compression checked against `encoding`
 * first (the engine detects the compression itself; a mismatch means the
 * wrong file). `buildargs` go with both (Buildbot dropped them unless the
 * context was custom), `target` and `pull` too, and the image is labelled
 * as the worker's.
 */

/** What to build. */
export interface BuildPlan {
  readonly image: string;
  /** Dockerfile text, or with `customContext` the path of the context archive. */
  readonly dockerfile: string;
  readonly customContext: boolean;
  readonly encoding: ContextEncoding;
  readonly buildargs: Readonly<Record<string, string>>;
  readonly target: string | undefined;
  /** Refresh the `FROM` images (`alwaysPull`). */
  readonly pull: boolean;
  readonly platform: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
}

/** Where the build reports and what it may be cancelled by. */
export interface BuildEnvironment {
  readonly docker: Docker;
  readonly workerName: string;
  readonly redactor: Redactor;
  readonly signal: AbortSignal;
  /** Called with every line of output (redacted). */
  readonly progress: (line: string) => void;
}

/** Builds the image; resolves with its id. Rejects with a {@link LatentWorkerImageBuildError} when the build failed. */
export async function buildImage(plan: BuildPlan, env: BuildEnvironment): Promise<string> {
  const { docker, workerName, redactor } = env;
  const options: ImageBuildOptions = {
    tag: plan.image,
    buildArgs: plan.buildargs,
    labels: plan.labels,
    pull: plan.pull,
    // a failed step's container too: a broken Dockerfile must not leave containers behind on every start
    forceRm: true,
    signal: env.signal,
    onProgress: (event) => {
      const line = progressLine(event);
      if (line !== undefined) env.progress(redactor.text(line));
    },
    ...(plan.target !== undefined ? { target: plan.target } : {}),
    ...(plan.platform !== undefined ? { platform: plan.platform } : {}),
  };
  if (plan.customContext) {
    await checkArchive(plan, workerName);
    options.context = createReadStream(plan.dockerfile);
  } else {
    options.dockerfileContent = plan.dockerfile;
  }
  try {
    const result = await docker.images.build(options);
    return result.id;
  } catch (err) {
    throw buildFailure(err, plan, workerName, redactor);
  }
}

/** The line an event adds to the build's output, if any (steps, output, pull statuses of `FROM` images). */
function progressLine(event: BuildEvent): string | undefined {
  return event.type === 'image' || event.type === 'aux' ? undefined : event.line;
}

/** A failed build as the worker reports it: the engine's verdict is permanent; a broken connection or an abort is not. */
function buildFailure(err: unknown, plan: BuildPlan, workerName: string, redactor: Redactor): Error {
  if (err instanceof DockerAbortError) return err;
  if (err instanceof DockerStreamError) {
    return new LatentWorkerImageBuildError(workerName, plan.image, redactor.text(err.engineMessage), {
      exitCode: err.errorCode, log: err.transcript.map((l) => redactor.text(l)), cause: err,
    });
  }
  if (err instanceof DockerApiError || err instanceof DockerArgumentError) {
    const why = err instanceof DockerApiError ? err.engineMessage : err.message;
    return new LatentWorkerImageBuildError(workerName, plan.image, redactor.text(why), { cause: err });
  }
  return asError(err);
}

const MAGIC: Readonly<Record<Exclude<ContextEncoding, 'identity'>, Buffer>> = {
  gzip: Buffer.from([0x1f, 0x8b]),
  bzip2: Buffer.from('BZh'),
  xz: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
};

/** What compression an archive's first bytes show (`identity` for anything else, a plain tar included). */
export function sniffEncoding(head: Buffer): ContextEncoding {
  for (const [encoding, magic] of Object.entries(MAGIC) as Array<[ContextEncoding, Buffer]>) {
    if (head.subarray(0, magic.length).equals(magic)) return encoding;
  }
  return 'identity';
}

/** Checks that the custom context can be read and is compressed as `encoding` says. */
async function checkArchive(plan: BuildPlan, workerName: string): Promise<void> {
  let head: Buffer;
  try {
    const file = await open(plan.dockerfile, 'r');
    try {
      const buf = Buffer.alloc(512);
      const { bytesRead } = await file.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (err) {
    throw new LatentWorkerImageBuildError(workerName, plan.image, `the context archive ${plan.dockerfile} cannot be read: ${asError(err).message}`, { cause: err });
  }
  const found = sniffEncoding(head);
  if (found !== plan.encoding) {
    throw new LatentWorkerImageBuildError(workerName, plan.image,
      `the context archive ${plan.dockerfile} is ${found === 'identity' ? 'not compressed' : `${found}-compressed`}, but encoding says ${plan.encoding}`);
  }
}
