import type { Readable } from 'node:stream';
import type { EngineContext } from '../context.js';
import { DockerAbortError, DockerApiError, DockerArgumentError, DockerError, abortError } from '../errors.js';
import { DecodedStream } from '../streams/source.js';
import { BuildEventDecoder } from './build-events.js';
import {
  DEFAULT_BUILD_LOG_LINES, buildQuery, checkBuildOptions, registryConfigHeader, tagsOf, type ImageBuildOptions,
} from './build-options.js';
import { BuildContextStream, dockerfileContext, packContext } from './context.js';
import { ImageBuild, type OpenedBuild } from './image-build.js';
import { uploadBody } from './upload-body.js';

/**
 * `POST /build`: the context chosen and checked, the request sent with the
 * context as its streamed body, the response decoded into build events.
 */

/** Starts a build (see {@link ImageBuild}); bad options throw a {@link DockerArgumentError} at once. */
export function startImageBuild(ctx: EngineContext, options: ImageBuildOptions): ImageBuild {
  checkBuildOptions(options);
  const cancel = new AbortController();
  const signal = options.signal === undefined ? cancel.signal : AbortSignal.any([options.signal, cancel.signal]);
  const opening = openBuild(ctx, options, signal);
  return new ImageBuild(opening, {
    tags: tagsOf(options.tag),
    onProgress: options.onProgress,
    cancel: (reason: DockerAbortError) => cancel.abort(reason),
  });
}

/** The context as a stream, and the Dockerfile name to build with. */
async function contextBody(options: ImageBuildOptions, signal: AbortSignal): Promise<{ body: Readable; dockerfile: string | undefined }> {
  const { context, dockerfile, dockerfileContent } = options;
  if (typeof context === 'string') {
    const packed = packContext(context, { dockerfile, dockerfileContent, signal });
    const summary = await packed.prepare().catch((err: unknown) => {
      packed.destroy();
      throw err;
    });
    return { body: packed, dockerfile: summary.dockerfile };
  }
  if (context === undefined) {
    const packed = dockerfileContext(dockerfileContent ?? '', { signal });
    return { body: packed, dockerfile: (await packed.prepare()).dockerfile };
  }
  if (context instanceof BuildContextStream && dockerfile === undefined) {
    return { body: context, dockerfile: (await context.prepare()).dockerfile };
  }
  return { body: context, dockerfile };
}

async function openBuild(ctx: EngineContext, options: ImageBuildOptions, signal: AbortSignal): Promise<OpenedBuild> {
  let body: Readable | undefined = typeof options.context === 'string' ? undefined : options.context;
  let bodyError: unknown;
  const noteBodyError = (err: unknown): void => { bodyError ??= err; };
  try {
    if (signal.aborted) throw abortError(signal);
    const source = await contextBody(options, signal);
    body = source.body;
    body.on('error', noteBodyError);
    const registryConfig = await registryConfigHeader(options.auth);
    if (signal.aborted) throw abortError(signal);
    const res = await ctx.requester.send({
      method: 'POST', path: '/build',
      query: buildQuery(options, source.dockerfile),
      body: uploadBody(body),
      contentType: 'application/x-tar',
      headers: { 'x-registry-config': registryConfig },
      stream: true,
      signal,
      // the engine answers only once the context is in and the build has started: no headers deadline unless asked
      timeout: options.timeout ?? 0,
    });
    const decoder = new BuildEventDecoder({ logLines: options.logLines ?? DEFAULT_BUILD_LOG_LINES, quiet: options.quiet, request: res.request });
    const events = new DecodedStream(res.body, decoder, { signal, request: res.request, mapError: res.mapError });
    return { events, decoder };
  } catch (err) {
    if (body !== undefined) destroyBody(body);
    throw contextFailure(err, bodyError, signal);
  }
}

/**
 * The error to report when the request failed: the signal's abort, the
 * context's own error when reading it failed (rather than the connection
 * error undici reports for it), else what the request said.
 */
function contextFailure(err: unknown, bodyError: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return abortError(signal);
  // the engine's answer wins over whatever the interrupted upload ran into
  if (bodyError === undefined || err instanceof DockerApiError || err instanceof DockerArgumentError) return err;
  if (bodyError instanceof DockerError) return bodyError;
  const text = bodyError instanceof Error ? bodyError.message : String(bodyError);
  return new DockerArgumentError(`the build context stream failed: ${text}`, { cause: bodyError });
}

function destroyBody(body: Readable): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}
