import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, sep } from 'node:path';
import { DockerArgumentError } from '../errors.js';
import { contextFileError, errnoCode, type ContextFileSystem } from './context-fs.js';

/**
 * Where the Dockerfile of a build comes from, decided the docker CLI's way:
 * a file inside the context is sent where it is and named by its path; a
 * file outside the context, or a Dockerfile given as text, is added to the
 * context under a generated name `.dockerfile.<hex>` which is also appended
 * to the context's `.dockerignore` (created when there is none), so that the
 * classic builder removes it again before `COPY` sees the context.
 */
export interface DockerfilePlan {
  /** What to pass as the `dockerfile` parameter of `POST /build`. */
  readonly name: string;
  /** The Dockerfile lies inside the context directory (and is sent from there). */
  readonly inContext: boolean;
  /** For a Dockerfile added under a generated name: its bytes. */
  readonly content?: Buffer;
  /** For a Dockerfile read from outside the context: its modification time. */
  readonly mtimeMs?: number;
}

export interface DockerfileOptions {
  /** Path of the Dockerfile, relative to the context directory or absolute. */
  readonly dockerfile?: string | undefined;
  /** The Dockerfile itself. */
  readonly dockerfileContent?: string | Buffer | undefined;
}

/** The name the CLI would give an added Dockerfile, derived from its content so that packs stay reproducible. */
export function generatedDockerfileName(content: Buffer): string {
  return `.dockerfile.${createHash('sha256').update(content).digest('hex').slice(0, 20)}`;
}

/** The `.dockerignore` the CLI sends when it adds a Dockerfile: the original (or `.dockerignore`), then the added name. */
export function dockerignoreWithAddedFile(original: Buffer | undefined, name: string): Buffer {
  return Buffer.concat([original ?? Buffer.from('.dockerignore'), Buffer.from(`\n${name}\n`)]);
}

/**
 * Decides where the Dockerfile comes from. `root` is the context directory
 * with symbolic links resolved. Without a path, `Dockerfile` is used, or
 * `dockerfile` when only that exists (as the CLI does). Symbolic links in the
 * Dockerfile's path are resolved, so a `Dockerfile` link to `build/Dockerfile`
 * is named `build/Dockerfile`, and a link leading out of the context makes
 * the Dockerfile an added one.
 */
export function planDockerfile(root: string, fs: ContextFileSystem, options: DockerfileOptions): DockerfilePlan {
  if (options.dockerfileContent !== undefined) {
    if (options.dockerfile !== undefined) {
      throw new DockerArgumentError('give either dockerfile (a path) or dockerfileContent (the Dockerfile itself), not both');
    }
    const content = typeof options.dockerfileContent === 'string' ? Buffer.from(options.dockerfileContent) : options.dockerfileContent;
    return { name: generatedDockerfileName(content), inContext: false, content };
  }
  const given = options.dockerfile;
  if (given !== undefined && given.trim() === '') throw new DockerArgumentError('dockerfile must not be empty');
  let path = given === undefined ? join(root, 'Dockerfile') : isAbsolute(given) ? given : join(root, given);
  if (given === undefined && !exists(fs, path) && exists(fs, join(root, 'dockerfile'))) path = join(root, 'dockerfile');
  let real: string;
  try {
    real = fs.realpath(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new DockerArgumentError(`cannot find the Dockerfile ${given ?? 'Dockerfile'} (looked for ${path})`, { cause: err });
    throw contextFileError('resolve the Dockerfile', given ?? 'Dockerfile', root, err);
  }
  let stats;
  try {
    stats = fs.lstat(real);
  } catch (err) {
    throw contextFileError('read the Dockerfile', given ?? 'Dockerfile', root, err);
  }
  if (!stats.isFile()) throw new DockerArgumentError(`the Dockerfile ${real} is not a file`);
  const rel = relative(root, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    let content: Buffer;
    try {
      content = fs.readFile(real);
    } catch (err) {
      throw new DockerArgumentError(`cannot read the Dockerfile ${real}: ${(err as Error).message}`, { cause: err });
    }
    return { name: generatedDockerfileName(content), inContext: false, content, mtimeMs: stats.mtimeMs };
  }
  return { name: rel.split(sep).join('/'), inContext: true };
}

function exists(fs: ContextFileSystem, path: string): boolean {
  try {
    fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}
