import {
  DockerAbortError, DockerConnectionError, statusLine, type AuthOption, type Docker,
} from '../../engine/index.js';
import type { Clock } from '../clock.js';
import { asError, LatentWorkerCannotSubstantiate } from '../errors.js';
import { buildImage, type BuildPlan } from './image-build.js';
import type { Redactor } from './redactor.js';
import { timed, type StepReporter } from './steps.js';

/**
 * Making sure the engine has a worker's image, as Buildbot decides it but
 * without its blind spots: existence is asked of the engine
 * (`GET /images/{name}/json`: digests, IDs and `docker.io/library/` names
 * work; Buildbot compared strings with `RepoTags`); a missing image is built
 * from `dockerfile` if there is one, then pulled if `autopull` (always, with
 * `alwaysPull`); a failed build fails the start with the build's error (not
 * "not found" later); pulls stream their progress and read the registry
 * credentials; a present image is never compared with the Dockerfile.
 */

/** What image a start needs, and how to get it. */
export interface ImagePlan {
  readonly image: string;
  /** How to build it when missing (`dockerfile` configured). */
  readonly build: BuildPlan | undefined;
  readonly autopull: boolean;
  readonly alwaysPull: boolean;
  readonly platform: string | undefined;
}

/** What the steps need. */
export interface ImageEnvironment {
  readonly docker: Docker;
  readonly workerName: string;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly redactor: Redactor;
  readonly report: StepReporter;
  /** Called with every line of progress of a build or a pull (redacted). */
  readonly progress: (step: 'build' | 'pull', line: string) => void;
  readonly registryAuth: AuthOption | undefined;
}

/** How the image came to be there. */
export interface ProvidedImage {
  readonly image: string;
  /** Built now from `dockerfile`. */
  readonly built: boolean;
  /** Pulled now. */
  readonly pulled: boolean;
}

/**
 * Checks, builds and pulls as the plan says.
 * @throws LatentWorkerCannotSubstantiate when the image is not there and cannot be had;
 *   LatentWorkerImageBuildError when the build failed; the engine's error when it cannot be reached
 */
export async function provideImage(plan: ImagePlan, env: ImageEnvironment): Promise<ProvidedImage> {
  const { docker, clock, report, signal, workerName } = env;
  const present = await timed(clock, report, 'image-check', () => docker.images.exists(plan.image, { signal }), (p) => ({ present: p }));
  let built = false;
  if (!present && plan.build !== undefined) {
    const build = plan.build;
    await timed(clock, report, 'build', () => buildImage(build, {
      docker, workerName, redactor: env.redactor, signal, progress: (line) => env.progress('build', line),
    }), (id) => ({ id }));
    built = true;
  }
  let pulled = false;
  if (plan.autopull && !built && (!present || plan.alwaysPull)) {
    pulled = await pull(plan, env, present);
  }
  if (!present && !built && !pulled) {
    const how = plan.autopull ? '' : ' (autopull pulls it, a dockerfile builds it)';
    throw new LatentWorkerCannotSubstantiate(workerName, `image "${plan.image}" not found on the engine${how}`);
  }
  return { image: plan.image, built, pulled };
}

/** Pulls the image; a failure is fatal only when there is no local copy to fall back on. */
async function pull(plan: ImagePlan, env: ImageEnvironment, present: boolean): Promise<boolean> {
  try {
    await timed(env.clock, env.report, 'pull', async () => env.docker.images.pull(plan.image, {
      signal: env.signal,
      onProgress: (message) => {
        const line = statusLine(message);
        if (line !== undefined) env.progress('pull', env.redactor.text(line));
      },
      ...(env.registryAuth !== undefined ? { auth: env.registryAuth } : {}),
      ...(plan.platform !== undefined ? { platform: plan.platform } : {}),
    }), (r) => (r.digest !== undefined ? { digest: r.digest } : undefined));
    return true;
  } catch (err) {
    // an abort or an unreachable engine says nothing about the image: the start is retried
    if (err instanceof DockerAbortError || err instanceof DockerConnectionError) throw err;
    // a refresh that failed leaves the local image, which is used (the failed pull step was reported)
    if (present) return false;
    throw new LatentWorkerCannotSubstantiate(env.workerName,
      `image "${plan.image}" not found on the engine, and pulling it failed: ${env.redactor.text(asError(err).message)}`, { cause: err });
  }
}

/** Pulls an image that vanished after it was checked (the create answered 404); fails as a missing image does. */
export async function pullVanishedImage(plan: ImagePlan, env: ImageEnvironment): Promise<void> {
  await pull(plan, env, false);
}
