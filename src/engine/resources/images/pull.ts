import type { AuthOption } from '../../auth.js';
import type { EngineContext } from '../../context.js';
import { DockerArgumentError } from '../../errors.js';
import { parseImageReference, type ImageReference } from '../../reference.js';
import type { CallOptions } from '../../request.js';
import { progress } from '../../streams/json-lines.js';
import { ProgressOperation, type ProgressSummary } from '../../streams/operation.js';
import type { ProgressMessage } from '../../types/progress.js';
import { imageAuthHeaders } from './registry-auth.js';

/** Options of `POST /images/create?fromImage=…` (pull). */
export interface ImagePullOptions extends CallOptions {
  /** The tag (or `sha256:…` digest) to pull when the reference has none; default `latest`. */
  tag?: string;
  /** `os[/arch[/variant]]` to pull from a multi-platform image. */
  platform?: string;
  /**
   * Registry credentials: an AuthConfig, a `RegistryAuth`, or an encoded
   * `{ header }`. Left out, those of the client's docker config for the
   * image's registry are used, if any; `false` pulls anonymously.
   */
  auth?: AuthOption | false;
  /** Called with every progress message. */
  onProgress?: (message: ProgressMessage) => void;
}

/** What a pull ended with. */
export interface ImagePullResult {
  /** The reference pulled: `repository:tag` or `repository@digest`, as the engine was asked. */
  image: string;
  /** The manifest digest: the engine's `Digest:` line (dockerd), or the digest pulled by. podman sends none. */
  digest?: string;
  /** The engine's last word: `Downloaded newer image for …`, `Image is up to date for …` (dockerd), or its last status. */
  status: string;
}

/** The reference to pull and the query that asks for exactly it. */
export function pullTarget(image: string, tag: string | undefined): { ref: ImageReference; image: string; query: { fromImage: string; tag: string } } {
  const ref = parseImageReference(image);
  if (tag !== undefined && (ref.tag !== undefined || ref.digest !== undefined)) {
    throw new DockerArgumentError(`pull: "${image}" already names a ${ref.digest !== undefined ? 'digest' : 'tag'}; leave the tag option out`);
  }
  if (tag !== undefined) parseImageReference(tag.startsWith('sha256:') ? `x@${tag}` : `x:${tag}`);
  // always an explicit tag: without one the engine pulls every tag of the repository
  const wanted = tag ?? ref.digest ?? ref.tag ?? 'latest';
  const separator = wanted.includes(':') ? '@' : ':';
  return { ref, image: `${ref.repository}${separator}${wanted}`, query: { fromImage: ref.repository, tag: wanted } };
}

/** `docker pull`; see `ImagesApi.pull`. */
export function pullImage(ctx: EngineContext, image: string, options: ImagePullOptions = {}): ProgressOperation<ImagePullResult> {
  const { tag, platform, auth, onProgress, signal, timeout } = options;
  const target = pullTarget(image, tag);
  return new ProgressOperation<ImagePullResult>({
    signal, onProgress,
    summary: new PullSummary(target.image, target.ref.digest ?? (tag?.startsWith('sha256:') === true ? tag : undefined)),
    open: async (combined) => {
      const headers = await imageAuthHeaders(ctx, auth, target.ref);
      const res = await ctx.requester.send({
        method: 'POST', path: '/images/create', query: { ...target.query, platform }, headers, stream: true, signal: combined, timeout,
      });
      return progress(res.body, { signal: combined, request: res.request, mapError: res.mapError });
    },
  });
}

const DIGEST_LINE = /^Digest: (\S+)$/;
const STATUS_LINE = /^Status: (.*)$/s;

/** Reads the digest and the final status of a pull from its messages. */
class PullSummary implements ProgressSummary<ImagePullResult> {
  private readonly image: string;
  private digest: string | undefined;
  private status = '';
  private final: string | undefined;

  constructor(image: string, digest: string | undefined) {
    this.image = image;
    this.digest = digest;
  }

  add(message: ProgressMessage): void {
    const status = message.status;
    if (typeof status !== 'string' || status === '') return;
    this.status = status;
    const digest = DIGEST_LINE.exec(status);
    if (digest) this.digest = digest[1];
    const final = STATUS_LINE.exec(status);
    if (final) this.final = final[1];
  }

  result(): ImagePullResult {
    return { image: this.image, ...(this.digest !== undefined ? { digest: this.digest } : {}), status: this.final ?? this.status };
  }
}
