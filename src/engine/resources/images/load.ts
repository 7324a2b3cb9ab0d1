import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { EngineContext } from '../../context.js';
import { DockerArgumentError, DockerProtocolError } from '../../errors.js';
import { parseImageReference } from '../../reference.js';
import type { CallOptions } from '../../request.js';
import { progress } from '../../streams/json-lines.js';
import { ProgressOperation, type ProgressSummary } from '../../streams/operation.js';
import type { ProgressMessage } from '../../types/progress.js';

/** A tar archive to send: bytes, a Node stream, or any async iterable of bytes. */
export type TarSource = Buffer | Readable | AsyncIterable<Uint8Array>;

/** Options of `POST /images/create?fromSrc=-` (import). */
export interface ImageImportOptions extends CallOptions {
  /** `name[:tag]` for the new image (sent as `repo=name:tag`: podman ignores a separate `tag`). Untagged when left out. */
  repo?: string;
  /** Dockerfile instructions applied to the image: `CMD ["/app"]`, `ENV A=b`, `WORKDIR /x`, … */
  changes?: readonly string[];
  /** The commit message (the image's `Comment`). */
  message?: string;
  /** `os[/arch[/variant]]` of the image. */
  platform?: string;
  onProgress?: (message: ProgressMessage) => void;
}

/** What an import made. */
export interface ImageImportResult {
  /** The new image's id, `sha256:…`. */
  id: string;
}

/** Options of `POST /images/load`. */
export interface ImageLoadOptions extends CallOptions {
  /** Suppress per-layer progress. */
  quiet?: boolean;
  onProgress?: (message: ProgressMessage) => void;
}

/** What a load brought in. */
export interface ImageLoadResult {
  /** Tags and untagged ids loaded, as the engine names them (`busybox:test`, podman `docker.io/library/busybox:test`, `sha256:…`). */
  images: string[];
}

const TAR = 'application/x-tar';

/** `docker import` from a root filesystem tar; see `ImagesApi.import`. */
export function importImage(ctx: EngineContext, tar: TarSource, options: ImageImportOptions = {}): ProgressOperation<ImageImportResult> {
  const { repo, changes, message, platform, onProgress, signal, timeout } = options;
  if (repo !== undefined) {
    const ref = parseImageReference(repo);
    if (ref.digest !== undefined) throw new DockerArgumentError(`import: repo "${repo}" names a digest; give name[:tag]`);
  }
  for (const c of changes ?? []) {
    if (typeof c !== 'string' || c.trim() === '' || /[\r\n]/.test(c)) throw new DockerArgumentError(`import: each change is one Dockerfile instruction, got ${JSON.stringify(c)}`);
  }
  checkTar(tar, 'import');
  return new ProgressOperation<ImageImportResult>({
    signal, onProgress, summary: new ImportSummary(),
    open: async (combined) => {
      const res = await ctx.requester.send({
        method: 'POST', path: '/images/create',
        query: { fromSrc: '-', repo, changes: changes === undefined ? undefined : [...changes], message, platform },
        body: tar, contentType: TAR, stream: true, signal: combined, timeout,
      });
      return progress(res.body, { signal: combined, request: res.request, mapError: res.mapError });
    },
  });
}

/** `docker load` of a `docker save` archive; see `ImagesApi.load`. */
export function loadImages(ctx: EngineContext, tar: TarSource, options: ImageLoadOptions = {}): ProgressOperation<ImageLoadResult> {
  const { quiet, onProgress, signal, timeout } = options;
  checkTar(tar, 'load');
  return new ProgressOperation<ImageLoadResult>({
    signal, onProgress, summary: new LoadSummary(),
    open: async (combined) => {
      const res = await ctx.requester.send({
        method: 'POST', path: '/images/load', query: { quiet }, body: tar, contentType: TAR, stream: true, signal: combined, timeout,
      });
      if (/json/i.test(res.header('content-type') ?? '')) {
        return progress(res.body, { signal: combined, request: res.request, mapError: res.mapError });
      }
      // not JSON: the engine wrote its report as plain text
      const text = (await ctx.requester.collect(res, ctx.requester.maxResponseBytes, 'POST /images/load')).toString('utf8');
      return (async function* plain(): AsyncGenerator<ProgressMessage, void, undefined> {
        if (text.trim() !== '') yield { stream: text };
      })();
    },
  });
}

function checkTar(tar: TarSource, what: string): void {
  const ok = Buffer.isBuffer(tar) || (typeof tar === 'object' && tar !== null && Symbol.asyncIterator in tar);
  if (!ok) throw new DockerArgumentError(`${what}: the archive must be a Buffer, a Readable or an async iterable of bytes`);
}

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/** An import's id: the last status (or podman's `id`) that is an image id. */
class ImportSummary implements ProgressSummary<ImageImportResult> {
  private id: string | undefined;

  add(message: ProgressMessage): void {
    for (const candidate of [message.status, message.id]) {
      const value = candidate?.trim();
      if (value !== undefined && IMAGE_ID.test(value)) this.id = value;
    }
  }

  result(): ImageImportResult {
    if (this.id === undefined) throw new DockerProtocolError('POST /images/create?fromSrc=-: the engine did not say which image it made');
    return { id: this.id };
  }
}

const LOADED = /^Loaded image(?: ID)?(?:\(s\))?: (.+)$/;

/** The images a load names in its `Loaded image: …` lines. */
class LoadSummary implements ProgressSummary<ImageLoadResult> {
  private readonly images: string[] = [];

  add(message: ProgressMessage): void {
    const text = message.stream ?? message.status;
    if (typeof text !== 'string') return;
    for (const line of text.split('\n')) {
      const m = LOADED.exec(line.trim());
      if (m) for (const name of (m[1] ?? '').split(',')) if (name.trim() !== '') this.images.push(name.trim());
    }
  }

  result(): ImageLoadResult {
    return { images: [...this.images] };
  }
}
