import type { Readable } from 'node:stream';
import { startImageBuild } from '../build/build-request.js';
import type { ImageBuildOptions } from '../build/build-options.js';
import type { ImageBuild } from '../build/image-build.js';
import type { EngineContext } from '../context.js';
import { DockerArgumentError, NotFoundError } from '../errors.js';
import { filtersQuery, type Filters } from '../filters.js';
import { asArray, asArrayOrNull, asObject, stringField, type JsonObject } from '../json.js';
import { parseImageReference } from '../reference.js';
import { pathSegment, type CallOptions } from '../request.js';
import type { ProgressOperation } from '../streams/operation.js';
import type { ImageDeleteResponseItem, ImageHistoryResponseItem, ImageInspect, ImageSummary } from '../types/images.js';
import {
  importImage, loadImages, type ImageImportOptions, type ImageImportResult, type ImageLoadOptions, type ImageLoadResult, type TarSource,
} from './images/load.js';
import { pullImage, type ImagePullOptions, type ImagePullResult } from './images/pull.js';
import { pushImage, type ImagePushOptions, type ImagePushResult } from './images/push.js';

/** Filters of `GET /images/json`. */
export interface ImageListFilters extends Filters {
  before?: readonly string[];
  dangling?: readonly boolean[];
  /** `key` or `key=value`. */
  label?: readonly string[];
  /** `repo[:tag]`, wildcards allowed. */
  reference?: readonly string[];
  since?: readonly string[];
  until?: readonly string[];
}

export interface ImageListOptions extends CallOptions {
  /** Include intermediate images. */
  all?: boolean;
  filters?: ImageListFilters;
  /** Include `RepoDigests` entries per manifest (API ≥ 1.42 engines answer anyway). */
  digests?: boolean;
  /** Compute `SharedSize` (slow). */
  sharedSize?: boolean;
}

export interface ImageRemoveOptions extends CallOptions {
  /** Remove even when tagged in several repositories or used by stopped containers. */
  force?: boolean;
  /** Keep untagged parents. */
  noprune?: boolean;
}

export interface ImageInspectOptions extends CallOptions {
  /** `os/arch[/variant]` of a multi-platform image (API ≥ 1.49). */
  platform?: string;
}

/** Images: build, pull, push, import, load, save, inspect, list, tag, remove, prune, history. */
export class ImagesApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /**
   * `POST /build` — builds an image with the classic builder (`version=1`)
   * from a directory, a tar stream, or a Dockerfile given as text. Returns
   * at once an {@link ImageBuild}: iterate it for typed progress events,
   * await it (or `done()`) for `{ id, tags, log }`. A failed step rejects
   * with a `DockerStreamError` carrying the step's exit code and the last
   * lines of output; an engine that refuses the build while the context is
   * still uploading rejects with its HTTP error. `signal` stops the upload
   * and the response, and the engine cancels the build.
   *
   * Bad options throw a `DockerArgumentError` at once; an unreadable
   * context file rejects before anything is uploaded. BuildKit
   * (`version=2`) is not used: over this endpoint it reports progress only
   * as protobuf traces.
   */
  build(options: ImageBuildOptions): ImageBuild {
    return startImageBuild(this.ctx, options);
  }

  /**
   * `GET /images/{name}/json` — 404 (`NotFoundError`) when the engine has no
   * such image. Accepts names, `name:tag`, digests, IDs and fully qualified
   * `docker.io/library/…` references.
   */
  async inspect(name: string, options: ImageInspectOptions = {}): Promise<ImageInspect> {
    const { platform, ...call } = options;
    if (platform !== undefined) await this.ctx.requires('1.49', 'the image inspect platform option', call.signal);
    const v = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'GET', path: `/images/${pathSegment(name, 'image name')}/json`, query: { platform }, ...call,
    }), 'GET /images/{name}/json');
    stringField(v, 'Id', 'GET /images/{name}/json');
    return v as unknown as ImageInspect;
  }

  /**
   * Whether the engine has an image: `GET /images/{name}/json`, 404 → false.
   * Exact: `busybox` means `busybox:latest`, a digest matches only itself.
   */
  async exists(name: string, options: ImageInspectOptions = {}): Promise<boolean> {
    try {
      await this.inspect(name, options);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /** `GET /images/json` */
  async list(options: ImageListOptions = {}): Promise<ImageSummary[]> {
    const { all, filters, digests, sharedSize, ...call } = options;
    const v = await this.ctx.requester.json({
      method: 'GET', path: '/images/json',
      query: { all, filters: filtersQuery(filters), digests, 'shared-size': sharedSize }, ...call,
    });
    return asArray<ImageSummary>(v, 'GET /images/json');
  }

  /**
   * `POST /images/{name}/tag` — tags `source` as `target` (`repo[:tag]`,
   * default tag `latest`).
   */
  async tag(source: string, target: string, options: CallOptions = {}): Promise<void> {
    const ref = parseImageReference(target);
    if (ref.digest !== undefined) throw new DockerArgumentError(`cannot tag with a digest reference "${target}"`);
    const repo = target.slice(0, ref.tag !== undefined ? target.length - ref.tag.length - 1 : target.length);
    await this.ctx.requester.empty({
      method: 'POST', path: `/images/${pathSegment(source, 'image name')}/tag`, query: { repo, tag: ref.tag ?? 'latest' }, ...options,
    });
  }

  /** `DELETE /images/{name}` — 409 (`ConflictError`) when a container uses it, unless `force`. */
  async remove(name: string, options: ImageRemoveOptions = {}): Promise<ImageDeleteResponseItem[]> {
    const { force, noprune, ...call } = options;
    const v = await this.ctx.requester.json({
      method: 'DELETE', path: `/images/${pathSegment(name, 'image name')}`, query: { force, noprune }, ...call,
    });
    return asArrayOrNull<ImageDeleteResponseItem>(v, 'DELETE /images/{name}');
  }

  /** `POST /images/prune` — removes unused images (dangling only unless `dangling: [false]`). */
  async prune(options: CallOptions & { filters?: { dangling?: readonly boolean[]; until?: readonly string[]; label?: readonly string[]; 'label!'?: readonly string[] } } = {}): Promise<{ ImagesDeleted: ImageDeleteResponseItem[]; SpaceReclaimed: number }> {
    const { filters, ...call } = options;
    const v = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'POST', path: '/images/prune', query: { filters: filtersQuery(filters) }, ...call,
    }), 'POST /images/prune');
    return {
      ImagesDeleted: asArrayOrNull<ImageDeleteResponseItem>(v.ImagesDeleted, 'ImagesDeleted'),
      SpaceReclaimed: typeof v.SpaceReclaimed === 'number' ? v.SpaceReclaimed : 0,
    };
  }

  /** `GET /images/{name}/history` — the layers an image was built from. */
  async history(name: string, options: CallOptions = {}): Promise<ImageHistoryResponseItem[]> {
    return asArray<ImageHistoryResponseItem>(await this.ctx.requester.json({
      method: 'GET', path: `/images/${pathSegment(name, 'image name')}/history`, ...options,
    }), 'GET /images/{name}/history');
  }

  /**
   * `POST /images/create?fromImage=…` — pulls an image. Always asks for one
   * tag (default `latest`; a digest reference pulls that digest), never the
   * whole repository. `X-Registry-Auth` comes from `auth`, or else from the
   * client's docker config for the image's registry (none: the header is
   * left out). The result is both the progress messages and a promise:
   *
   * ```ts
   * const { image, digest } = await docker.images.pull('alpine:3');
   * for await (const m of docker.images.pull('alpine:3', { signal })) console.log(m.status);
   * ```
   *
   * Failures: dockerd refuses before streaming (404 `NotFoundError` for an
   * unknown repository or tag, 401 `UnauthorizedError`, 500 `ServerError`
   * when the registry cannot be reached); podman answers 200 and reports
   * them in-band — a `DockerStreamError`, as any in-band error is.
   */
  pull(image: string, options: ImagePullOptions = {}): ProgressOperation<ImagePullResult> {
    return pullImage(this.ctx, image, options);
  }

  /**
   * `POST /images/{name}/push?tag=…` — pushes one tag (default `latest`)
   * to its registry; the result carries the digest the registry serves it
   * as (dockerd's `aux`, podman's status line). Registry failures arrive
   * in-band: a `DockerStreamError`. Credentials as for {@link pull}.
   */
  push(image: string, options: ImagePushOptions = {}): ProgressOperation<ImagePushResult> {
    return pushImage(this.ctx, image, options);
  }

  /**
   * `POST /images/create?fromSrc=-` — makes an image of a root filesystem
   * tar (`docker import`); the result is the new image's id. Name it with
   * `repo: 'name:tag'`.
   */
  import(tar: TarSource, options: ImageImportOptions = {}): ProgressOperation<ImageImportResult> {
    return importImage(this.ctx, tar, options);
  }

  /**
   * `POST /images/load` — loads the images of a `docker save` archive
   * (see {@link save}); the result lists what the engine loaded.
   */
  load(tar: TarSource, options: ImageLoadOptions = {}): ProgressOperation<ImageLoadResult> {
    return loadImages(this.ctx, tar, options);
  }

  /**
   * `GET /images/{name}/get` (one image) or `GET /images/get?names=…`
   * (several): the images as a tar stream (`docker save`). The caller reads
   * or destroys it.
   */
  async save(names: string | readonly string[], options: CallOptions = {}): Promise<Readable> {
    const list = typeof names === 'string' ? [names] : names;
    if (list.length === 0) throw new DockerArgumentError('save: give at least one image name');
    const res = list.length === 1
      ? await this.ctx.requester.send({ method: 'GET', path: `/images/${pathSegment(list[0] as string, 'image name')}/get`, stream: true, ...options })
      : await this.ctx.requester.send({ method: 'GET', path: '/images/get', query: { names: list.map((n) => { pathSegment(n, 'image name'); return n; }) }, stream: true, ...options });
    return res.body;
  }
}
