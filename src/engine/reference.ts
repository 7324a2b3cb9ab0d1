import { DockerArgumentError } from './errors.js';

/**
 * Image references as the docker CLI reads them:
 * `[registry[:port]/]path[:tag][@digest]`. A first component counts as a
 * registry when it holds a `.` or `:`, or is `localhost`; otherwise the
 * registry is Docker Hub (`docker.io`), and a one-component path gets
 * `library/`.
 */

export const DOCKER_HUB = 'docker.io';
/** The key Docker Hub credentials are stored under in config.json and X-Registry-Config. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface ImageReference {
  /** `docker.io`, `registry.example.com:5000`, `localhost`, … */
  readonly registry: string;
  /** The repository path without the registry: `library/alpine`, `team/app`. */
  readonly path: string;
  readonly tag: string | undefined;
  /** `sha256:…` when the reference pins a digest. */
  readonly digest: string | undefined;
  /** The repository as the engine's `fromImage` takes it (registry omitted for Docker Hub). */
  readonly repository: string;
  /** The fully qualified name, e.g. `docker.io/library/alpine:3`. */
  readonly canonical: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const REGISTRY = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::\d+)?$/;

/** Parses an image reference; a malformed one is a {@link DockerArgumentError} naming it. */
export function parseImageReference(ref: string): ImageReference {
  const fail = (why: string): never => {
    throw new DockerArgumentError(`invalid image reference "${ref}": ${why}`);
  };
  if (typeof ref !== 'string' || ref === '') fail('empty');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`"${tag}" is not a tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first;
    parts.shift();
    if (!REGISTRY.test(registry)) fail(`"${registry}" is not a registry host`);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    fail('repository names are lower-case letters, digits and separators (. _ __ -) between slashes');
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  const repository = registry === DOCKER_HUB ? path.replace(/^library\//, '') : `${registry}/${path}`;
  const canonical = `${registry}/${path}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  return { registry, path, tag, digest, repository, canonical };
}

/** The key credentials for a registry are stored under (Docker Hub's is a URL, for history). */
export function authKeyFor(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry;
}

/** Normalises a config.json `auths` key (`https://reg/v1/`, `reg`, `http://reg`) to a registry host. */
export function registryOfAuthKey(key: string): string {
  let host = key.replace(/^[a-z]+:\/\//i, '');
  host = host.split('/')[0] ?? host;
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}
