import { Buffer } from 'node:buffer';
import * as fs from 'node:fs';
import { DockerArgumentError } from '../errors.js';

/**
 * The file-system calls the build-context packer makes, behind one small
 * interface so that tests can substitute failures a privileged process never
 * sees (a permission error when running as root) or count what was read.
 * Everything is synchronous except `read`, used for large files: per-file
 * asynchronous round trips are what makes packing many small files slow.
 */

/** A directory entry: its name and type. */
export interface ContextDirent {
  readonly name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** The metadata the packer reads from a file. */
export interface ContextStats {
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly nlink: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** @internal The packer's view of the file system. */
export interface ContextFileSystem {
  readdir(path: string): ContextDirent[];
  lstat(path: string): ContextStats;
  realpath(path: string): string;
  /** Opens a file for reading without following a symbolic link and without blocking on a FIFO. */
  open(path: string): number;
  fstat(fd: number): ContextStats;
  /** A key that two names of one file (hard links) share: device and inode at full precision. */
  fileId(fd: number): string;
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(fd: number): void;
  readlink(path: string): string;
  /** Reads a whole (small) file, following symbolic links. */
  readFile(path: string): Buffer;
}

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** The real file system. */
export const nodeContextFs: ContextFileSystem = {
  readdir: (path) => fs.readdirSync(path, { withFileTypes: true }),
  lstat: (path) => fs.lstatSync(path),
  realpath: (path) => fs.realpathSync(path),
  open: (path) => fs.openSync(path, OPEN_FLAGS),
  fstat: (fd) => fs.fstatSync(fd),
  fileId: (fd) => {
    const st = fs.fstatSync(fd, { bigint: true });
    return `${st.dev}:${st.ino}`;
  },
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  read: (fd, buffer, offset, length, position) => new Promise((resolve, reject) => {
    fs.read(fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
  }),
  close: (fd) => fs.closeSync(fd),
  readlink: (path) => fs.readlinkSync(path),
  readFile: (path) => fs.readFileSync(path),
};

/** The `code` of a Node system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'it no longer exists',
  ENOTDIR: 'a parent is no longer a directory',
  ELOOP: 'it is a symbolic link now',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/**
 * The error for a context entry that cannot be listed or read: a
 * {@link DockerArgumentError} naming the entry (relative to the context) and
 * the context, with the system error as `cause`.
 */
export function contextFileError(action: string, path: string, root: string, err: unknown): DockerArgumentError {
  if (err instanceof DockerArgumentError) return err;
  const code = errnoCode(err);
  const reason = code !== undefined ? `${REASONS[code] ?? (err as Error).message} (${code})` : String(err instanceof Error ? err.message : err);
  const what = path === '' ? 'the build context directory' : JSON.stringify(path);
  return new DockerArgumentError(`cannot ${action} ${what} in the build context ${root}: ${reason}`, { cause: err });
}
