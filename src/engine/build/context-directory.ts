import { Buffer } from 'node:buffer';
import { resolve } from 'node:path';
import { DockerArgumentError } from '../errors.js';
import { contextFileError, errnoCode, type ContextFileSystem, type ContextStats } from './context-fs.js';
import { Pacer, tarTime, type BuildContextSummary, type ContextSource, type PackControl } from './context-source.js';
import { ContextWalker, type WalkEntry } from './context-walk.js';
import { DockerIgnore } from './dockerignore.js';
import { dockerignoreWithAddedFile, planDockerfile, type DockerfilePlan } from './dockerfile.js';
import type { TarHeader, TarOutput } from './tar-output.js';

/**
 * A build context made from a directory. `prepare()` does what the docker
 * CLI does before it uploads: resolve the directory, read `.dockerignore`,
 * find the Dockerfile, and walk everything that will be sent, opening each
 * file once to prove it can be read (contents are not read). `pack()` walks
 * again and writes the entries: small files read whole and synchronously,
 * large ones streamed in chunks as the consumer takes them.
 */

/** How to read the directory: the file system, the rules, the Dockerfile, a fixed mtime. */
export interface DirectoryContextOptions {
  readonly fs: ContextFileSystem;
  /** Rules, or the text of a `.dockerignore`; by default the directory's own `.dockerignore`. */
  readonly ignore?: DockerIgnore | string | undefined;
  readonly dockerfile?: string | undefined;
  readonly dockerfileContent?: string | Buffer | undefined;
  /** A fixed modification time for every entry, in milliseconds. */
  readonly mtimeMs?: number | undefined;
}

/** Files up to this size are read in one synchronous call; larger ones are streamed. */
export const SMALL_FILE_BYTES = 256 << 10;
/** The read size for streamed files. */
const CHUNK_BYTES = 512 << 10;

interface Prepared {
  readonly root: string;
  readonly rules: DockerIgnore;
  readonly plan: DockerfilePlan;
  /** Entries that are not on disk, or whose content berth replaces (an amended `.dockerignore`). */
  readonly replaced: ReadonlyMap<string, { content: Buffer; mode: number; mtimeMs: number }>;
  readonly generated: readonly string[];
}

/** A build context read from a directory (see the module comment). */
export class DirectoryContext implements ContextSource {
  private readonly dir: string;
  private readonly options: DirectoryContextOptions;
  private prepared: Prepared | undefined;

  constructor(dir: string, options: DirectoryContextOptions) {
    this.dir = dir;
    this.options = options;
  }

  async prepare(signal: AbortSignal | undefined): Promise<BuildContextSummary> {
    const prepared = this.resolve();
    const pacer = new Pacer(signal);
    const walker = this.walker(prepared);
    const seen = new Map<string, string>();
    let files = 0;
    let directories = 0;
    let bytes = 0;
    for (let entry = walker.next(); entry !== undefined; entry = walker.next()) {
      if (pacer.due()) await pacer.pause();
      const replaced = prepared.replaced.get(entry.path);
      if (replaced !== undefined) {
        files++;
        bytes += replaced.content.length;
        continue;
      }
      if (entry.kind === 'directory') directories++;
      else if (entry.kind === 'symlink') files++;
      else if (entry.kind === 'file') {
        const size = this.checkReadable(entry, prepared.root, seen);
        if (size !== undefined) {
          files++;
          bytes += size;
        }
      }
    }
    this.prepared = prepared;
    return { dockerfile: prepared.plan.name, files, directories, bytes };
  }

  async pack(out: TarOutput, control: PackControl): Promise<void> {
    const prepared = this.prepared ?? this.resolve();
    const pacer = new Pacer(control.signal);
    const seen = new Map<string, string>();
    const walker = this.walker(prepared);
    for (let entry = walker.next(); entry !== undefined; entry = walker.next()) {
      if (control.stopped()) return;
      const replaced = prepared.replaced.get(entry.path);
      if (replaced !== undefined) {
        out.add({ ...this.header(entry.path, replaced.mode, replaced.mtimeMs), type: 'file' }, replaced.content);
        control.entry(replaced.content.length);
      } else if (entry.kind === 'file') {
        await this.packFile(entry, prepared.root, out, control, seen);
      } else if (entry.kind === 'directory' || entry.kind === 'symlink') {
        this.packOther(entry, prepared.root, out);
        control.entry(0);
      }
      if (out.saturated) await out.ready();
      if (pacer.due()) await pacer.pause();
    }
  }

  /** Resolves the directory, the rules and the Dockerfile (cheap, synchronous). */
  private resolve(): Prepared {
    const fs = this.options.fs;
    let root: string;
    try {
      root = fs.realpath(resolve(this.dir));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new DockerArgumentError(`the build context ${this.dir} does not exist`, { cause: err });
      throw contextFileError('resolve', '', this.dir, err);
    }
    let rootStats: ContextStats;
    try {
      rootStats = fs.lstat(root);
    } catch (err) {
      throw contextFileError('stat', '', root, err);
    }
    if (!rootStats.isDirectory()) throw new DockerArgumentError(`the build context ${this.dir} is not a directory`);
    const onDisk = this.readDockerignore(root);
    const option = this.options.ignore;
    const ignore = option instanceof DockerIgnore ? option
      : typeof option === 'string' ? DockerIgnore.parse(option, 'the ignore option')
        : onDisk === undefined ? DockerIgnore.empty : DockerIgnore.parse(onDisk.content.toString('utf8'));
    const plan = planDockerfile(root, fs, this.options);
    const rules = ignore.withBuildFiles(plan.inContext ? plan.name : undefined);
    const replaced = new Map<string, { content: Buffer; mode: number; mtimeMs: number }>();
    const generated: string[] = [];
    if (plan.content !== undefined) {
      const mtimeMs = this.options.mtimeMs ?? plan.mtimeMs ?? 0;
      replaced.set(plan.name, { content: plan.content, mode: 0o600, mtimeMs });
      generated.push(plan.name);
      replaced.set('.dockerignore', {
        content: dockerignoreWithAddedFile(onDisk?.content, plan.name),
        mode: onDisk?.stats.mode ?? 0o600,
        mtimeMs: this.options.mtimeMs ?? onDisk?.stats.mtimeMs ?? 0,
      });
      if (onDisk === undefined) generated.push('.dockerignore');
    }
    return { root, rules, plan, replaced, generated };
  }

  /** The directory's `.dockerignore` (following a symbolic link, as the CLI does), if there is one. */
  private readDockerignore(root: string): { content: Buffer; stats: ContextStats } | undefined {
    const path = `${root}/.dockerignore`;
    try {
      const stats = this.options.fs.lstat(path);
      return { content: this.options.fs.readFile(path), stats };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw contextFileError('read', '.dockerignore', root, err);
    }
  }

  private walker(prepared: Prepared): ContextWalker {
    const alwaysInclude = ['.dockerignore', ...(prepared.plan.inContext ? [prepared.plan.name] : [])];
    return new ContextWalker(prepared.root, {
      fs: this.options.fs, ignore: prepared.rules, alwaysInclude, generated: prepared.generated,
    });
  }

  /** Opens a file as the CLI's pre-upload check does; returns its size, or undefined when it is no regular file any more. */
  private checkReadable(entry: WalkEntry, root: string, seen: Map<string, string>): number | undefined {
    const { fd, st } = this.openFile(entry, root);
    try {
      if (!st.isFile()) return undefined;
      return this.earlierName(fd, st, entry.path, seen) === undefined ? st.size : 0;
    } catch (err) {
      throw contextFileError('read', entry.path, root, err);
    } finally {
      this.options.fs.close(fd);
    }
  }

  /** Opens an entry and reads its metadata; errors name the entry. */
  private openFile(entry: WalkEntry, root: string): { fd: number; st: ContextStats } {
    const fs = this.options.fs;
    let fd: number;
    try {
      fd = fs.open(entry.absolute);
    } catch (err) {
      throw contextFileError('read', entry.path, root, err);
    }
    try {
      return { fd, st: fs.fstat(fd) };
    } catch (err) {
      fs.close(fd);
      throw contextFileError('read', entry.path, root, err);
    }
  }

  /** For a file with several names: the path its first name went under, noting this one when it is the first. */
  private earlierName(fd: number, st: ContextStats, path: string, seen: Map<string, string>): string | undefined {
    if (st.nlink <= 1) return undefined;
    const id = this.options.fs.fileId(fd);
    const first = seen.get(id);
    if (first === undefined) seen.set(id, path);
    return first;
  }

  private async packFile(entry: WalkEntry, root: string, out: TarOutput, control: PackControl, seen: Map<string, string>): Promise<void> {
    const fs = this.options.fs;
    const { fd, st } = this.openFile(entry, root);
    try {
      if (!st.isFile()) return; // replaced by a FIFO or a directory since it was listed: skipped like one
      const header = this.header(entry.path, st.mode, st.mtimeMs);
      const first = this.earlierName(fd, st, entry.path, seen);
      if (first !== undefined) {
        out.add({ ...header, type: 'link', linkname: first });
        control.entry(0);
        return;
      }
      if (st.size <= SMALL_FILE_BYTES) {
        const content = Buffer.allocUnsafe(st.size);
        let read = 0;
        while (read < st.size) {
          const n = fs.readSync(fd, content, read, st.size - read, read);
          if (n === 0) break;
          read += n;
        }
        if (read < st.size) throw shrank(entry, root);
        out.add({ ...header, type: 'file' }, content);
        control.entry(st.size);
        return;
      }
      const writer = out.addStream({ ...header, type: 'file', size: st.size });
      for (let at = 0; at < st.size;) {
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, st.size - at));
        const n = await fs.read(fd, chunk, 0, chunk.length, at);
        if (control.stopped()) return;
        if (n === 0) throw shrank(entry, root);
        at += n;
        control.content(n);
        await writer.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        if (control.stopped()) return;
      }
      writer.end();
      control.entry(0);
    } catch (err) {
      throw contextFileError('read', entry.path, root, err);
    } finally {
      fs.close(fd);
    }
  }

  private packOther(entry: WalkEntry, root: string, out: TarOutput): void {
    const fs = this.options.fs;
    try {
      const st = fs.lstat(entry.absolute);
      if (entry.kind === 'directory' && st.isDirectory()) {
        out.add({ ...this.header(`${entry.path}/`, st.mode, st.mtimeMs), type: 'directory' });
      } else if (entry.kind === 'symlink' && st.isSymbolicLink()) {
        out.add({ ...this.header(entry.path, st.mode, st.mtimeMs), type: 'symlink', linkname: fs.readlink(entry.absolute) });
      }
    } catch (err) {
      throw contextFileError('read', entry.path, root, err);
    }
  }

  /** The fixed part of a header: uid and gid 0, no user or group names, the mode's permission bits. */
  private header(name: string, mode: number, mtimeMs: number): TarHeader {
    return { name, mode: mode & 0o7777, uid: 0, gid: 0, mtime: tarTime(this.options.mtimeMs ?? mtimeMs) };
  }
}

function shrank(entry: WalkEntry, root: string): DockerArgumentError {
  return new DockerArgumentError(`${JSON.stringify(entry.path)} in the build context ${root} got shorter while it was being sent`);
}
