import { encodeAuthHeader, type AuthOption } from '../../auth.js';
import type { EngineContext } from '../../context.js';
import { DockerArgumentError } from '../../errors.js';
import { isObject } from '../../json.js';
import { parseImageReference } from '../../reference.js';
import { pathSegment, type CallOptions } from '../../request.js';
import { progress } from '../../streams/json-lines.js';
import { ProgressOperation, type ProgressSummary } from '../../streams/operation.js';
import type { ProgressMessage } from '../../types/progress.js';
import { imageAuthHeaders } from './registry-auth.js';

/** Options of `POST /images/{name}/push`. */
export interface ImagePushOptions extends CallOptions {
  /** The tag to push when the reference has none; default `latest`. */
  tag?: string;
  /**
   * Registry credentials, as for pull. Left out, those of the client's
   * docker config for the registry; `false` (or none found) sends empty
   * credentials, which the engine requires to be present.
   */
  auth?: AuthOption | false;
  /** `os/arch[/variant]`: push only that platform of a multi-platform image (API ≥ 1.46). */
  platform?: string;
  /** Called with every progress message. */
  onProgress?: (message: ProgressMessage) => void;
}

/** What a push ended with. */
export interface ImagePushResult {
  /** The reference pushed, `repository:tag`. */
  image: string;
  tag: string;
  /** The manifest digest the registry now serves the tag as. */
  digest?: string;
  /** The manifest's size in bytes. */
  size?: number;
}

/** `docker push`; see `ImagesApi.push`. */
export function pushImage(ctx: EngineContext, image: string, options: ImagePushOptions = {}): ProgressOperation<ImagePushResult> {
  const { tag, auth, platform, onProgress, signal, timeout } = options;
  const ref = parseImageReference(image);
  if (ref.digest !== undefined) throw new DockerArgumentError(`push: "${image}" names a digest; push a tag`);
  if (tag !== undefined && ref.tag !== undefined) throw new DockerArgumentError(`push: "${image}" already names a tag; leave the tag option out`);
  if (tag !== undefined) parseImageReference(`x:${tag}`);
  const wanted = tag ?? ref.tag ?? 'latest';
  const segment = pathSegment(ref.repository, 'image name');
  const ociPlatform = platform === undefined ? undefined : platformObject(platform);
  return new ProgressOperation<ImagePushResult>({
    signal, onProgress,
    summary: new PushSummary(`${ref.repository}:${wanted}`, wanted),
    open: async (combined) => {
      if (ociPlatform !== undefined) await ctx.requires('1.46', 'the push platform option', combined);
      // dockerd refuses a push without the header ("missing X-Registry-Auth"): send empty credentials then, as the CLI does
      const headers = await imageAuthHeaders(ctx, auth, ref) ?? { 'x-registry-auth': encodeAuthHeader({}) };
      const res = await ctx.requester.send({
        method: 'POST', path: `/images/${segment}/push`, query: { tag: wanted, platform: ociPlatform }, headers, stream: true, signal: combined, timeout,
      });
      return progress(res.body, { signal: combined, request: res.request, mapError: res.mapError });
    },
  });
}

/** `os/arch[/variant]` as the OCI platform object the push query takes. */
function platformObject(platform: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant, ...rest] = platform.split('/');
  if (!os || !architecture || rest.length > 0 || variant === '') {
    throw new DockerArgumentError(`push: platform must be os/arch[/variant], got "${platform}"`);
  }
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}

/** podman reports the pushed manifest only in a status line. */
const DIGEST_STATUS = /^(\S+): digest: (sha256:[0-9a-f]{64}) size: (\d+)$/;

/** Reads the pushed digest and size from `aux` (dockerd) or the digest status line (both engines). */
class PushSummary implements ProgressSummary<ImagePushResult> {
  private readonly image: string;
  private readonly tag: string;
  private digest: string | undefined;
  private size: number | undefined;

  constructor(image: string, tag: string) {
    this.image = image;
    this.tag = tag;
  }

  add(message: ProgressMessage): void {
    const aux = message.aux;
    if (isObject(aux) && typeof aux.Digest === 'string') {
      this.digest = aux.Digest;
      if (typeof aux.Size === 'number') this.size = aux.Size;
      return;
    }
    const line = typeof message.status === 'string' ? DIGEST_STATUS.exec(message.status) : null;
    if (line && this.digest === undefined) {
      this.digest = line[2];
      this.size = Number(line[3]);
    }
  }

  result(): ImagePushResult {
    return {
      image: this.image, tag: this.tag,
      ...(this.digest !== undefined ? { digest: this.digest } : {}),
      ...(this.size !== undefined ? { size: this.size } : {}),
    };
  }
}
