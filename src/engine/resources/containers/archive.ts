import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { EngineContext } from '../../context.js';
import { DockerProtocolError } from '../../errors.js';
import { asObject, type JsonObject } from '../../json.js';
import { destroyQuietly, pathSegment, type CallOptions } from '../../request.js';

/** Files in and out of a container: `/containers/{id}/archive` and `/export`. */

/** What `X-Docker-Container-Path-Stat` says about a path in a container. */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** A Go `os.FileMode`: type bits high (dir 1<<31, symlink 1<<27), permissions low. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface ArchiveOptions extends CallOptions {
  /** Path in the container. */
  path: string;
}

export interface PutArchiveOptions extends ArchiveOptions {
  /** Fail if a directory would replace a non-directory (or the reverse). */
  noOverwriteDirNonDir?: boolean;
  /** Keep the archive's uid/gid. */
  copyUIDGID?: boolean;
}

/** `HEAD /containers/{id}/archive`; see `ContainersApi.statPath`. */
export async function statPath(ctx: EngineContext, id: string, options: ArchiveOptions): Promise<ContainerPathStat> {
  const { path, ...call } = options;
  const res = await ctx.requester.empty({ method: 'HEAD', path: `/containers/${pathSegment(id, 'container id')}/archive`, query: { path }, ...call });
  return decodePathStat(res.header('x-docker-container-path-stat'));
}

/** `GET /containers/{id}/archive`; see `ContainersApi.getArchive`. */
export async function getArchive(ctx: EngineContext, id: string, options: ArchiveOptions): Promise<{ stat: ContainerPathStat; tar: Readable }> {
  const { path, ...call } = options;
  const res = await ctx.requester.send({
    method: 'GET', path: `/containers/${pathSegment(id, 'container id')}/archive`, query: { path }, stream: true, ...call,
  });
  try {
    return { stat: decodePathStat(res.header('x-docker-container-path-stat')), tar: res.body };
  } catch (err) {
    destroyQuietly(res.body);
    throw err;
  }
}

/** `PUT /containers/{id}/archive`; see `ContainersApi.putArchive`. */
export async function putArchive(ctx: EngineContext, id: string, tar: Readable | Buffer, options: PutArchiveOptions): Promise<void> {
  const { path, noOverwriteDirNonDir, copyUIDGID, ...call } = options;
  await ctx.requester.empty({
    method: 'PUT', path: `/containers/${pathSegment(id, 'container id')}/archive`,
    query: { path, noOverwriteDirNonDir, copyUIDGID }, body: tar, contentType: 'application/x-tar', ...call,
  });
}

/** `GET /containers/{id}/export`; see `ContainersApi.export`. */
export async function exportContainer(ctx: EngineContext, id: string, options: CallOptions = {}): Promise<Readable> {
  const res = await ctx.requester.send({ method: 'GET', path: `/containers/${pathSegment(id, 'container id')}/export`, stream: true, ...options });
  return res.body;
}

/** Decodes `X-Docker-Container-Path-Stat` (standard base64 of JSON). */
export function decodePathStat(header: string | undefined): ContainerPathStat {
  if (!header) throw new DockerProtocolError('the engine sent no X-Docker-Container-Path-Stat header');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as unknown;
  } catch (err) {
    throw new DockerProtocolError('X-Docker-Container-Path-Stat is not base64 JSON', { cause: err });
  }
  const o = asObject<JsonObject>(parsed, 'X-Docker-Container-Path-Stat');
  return {
    name: typeof o.name === 'string' ? o.name : '',
    size: typeof o.size === 'number' ? o.size : 0,
    mode: typeof o.mode === 'number' ? o.mode : 0,
    mtime: typeof o.mtime === 'string' ? o.mtime : '',
    linkTarget: typeof o.linkTarget === 'string' ? o.linkTarget : '',
  };
}

