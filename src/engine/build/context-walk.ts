import { join } from 'node:path';
import { DockerArgumentError } from '../errors.js';
import { contextFileError, type ContextDirent, type ContextFileSystem } from './context-fs.js';
import type { DockerIgnore, IgnoreMatchState } from './dockerignore.js';

/**
 * The walk over a build-context directory: depth first, the entries of each
 * directory sorted by name (byte order of their UTF-8, as Go's walk), the
 * `.dockerignore` rules applied as the docker CLI applies them while it
 * packs. Lazy: a directory is listed when the walk reaches it and only the
 * listings on the current path are held, so memory follows the depth of the
 * tree, not its size. Excluded directories are never listed unless an
 * exception names something under them.
 */

/** What a walk entry is. `generated` entries are not on disk (a Dockerfile given as text, a generated `.dockerignore`). */
export type WalkEntryKind = 'file' | 'directory' | 'symlink' | 'special' | 'generated';

/** One entry the walk decided to send. */
export interface WalkEntry {
  /** Relative to the context root, `/`-separated, no trailing slash. */
  readonly path: string;
  readonly absolute: string;
  readonly kind: WalkEntryKind;
}

/** What the walk reads and which rules it applies. */
export interface WalkOptions {
  readonly fs: ContextFileSystem;
  readonly ignore: DockerIgnore;
  /**
   * Paths always written whatever the patterns say (the Dockerfile and
   * `.dockerignore`); their parent directories are always entered.
   */
  readonly alwaysInclude?: readonly string[];
  /** Names added to the root that do not exist on disk. */
  readonly generated?: readonly string[];
}

interface Item {
  readonly name: string;
  readonly kind: WalkEntryKind;
}

interface Frame {
  readonly dir: string;
  readonly items: readonly Item[];
  index: number;
  readonly state: IgnoreMatchState | undefined;
}

/** The lazy, sorted, rule-applying walk; call {@link ContextWalker.next} until it returns undefined. */
export class ContextWalker {
  private readonly root: string;
  private readonly options: WalkOptions;
  private readonly always: ReadonlySet<string>;
  private readonly alwaysParents: ReadonlySet<string>;
  private readonly stack: Frame[] = [];
  private started = false;

  constructor(root: string, options: WalkOptions) {
    this.root = root;
    this.options = options;
    this.always = new Set(options.alwaysInclude ?? []);
    const parents = new Set<string>();
    for (const path of this.always) {
      for (let at = path.indexOf('/'); at >= 0; at = path.indexOf('/', at + 1)) parents.add(path.slice(0, at));
    }
    this.alwaysParents = parents;
  }

  /** The next entry to write, or undefined at the end. Throws a {@link DockerArgumentError} for a directory that cannot be listed. */
  next(): WalkEntry | undefined {
    if (!this.started) {
      this.started = true;
      this.stack.push({ dir: '', items: this.list(''), index: 0, state: undefined });
    }
    for (;;) {
      const frame = this.stack[this.stack.length - 1];
      if (frame === undefined) return undefined;
      const item = frame.items[frame.index++];
      if (item === undefined) {
        this.stack.pop();
        continue;
      }
      const path = frame.dir === '' ? item.name : `${frame.dir}/${item.name}`;
      const absolute = join(this.root, path);
      if (item.kind === 'generated') return { path, absolute, kind: 'generated' };
      const isDirectory = item.kind === 'directory';
      const verdict = this.options.ignore.evaluate(path, isDirectory, frame.state);
      if (isDirectory && (verdict.descend || this.alwaysParents.has(path))) {
        this.stack.push({ dir: path, items: this.list(path), index: 0, state: verdict.state });
      }
      if (!verdict.excluded || this.always.has(path)) return { path, absolute, kind: item.kind };
    }
  }

  private list(dir: string): Item[] {
    const fs = this.options.fs;
    const absolute = dir === '' ? this.root : join(this.root, dir);
    let dirents: ContextDirent[];
    try {
      dirents = fs.readdir(absolute);
    } catch (err) {
      throw contextFileError('list', dir, this.root, err);
    }
    const items: Item[] = dirents.map((d) => ({ name: d.name, kind: kindOf(d) }));
    if (dir === '') {
      for (const name of this.options.generated ?? []) {
        if (items.some((i) => i.name === name)) {
          throw new DockerArgumentError(`the build context ${this.root} already holds a file named ${name}`);
        }
        items.push({ name, kind: 'generated' });
      }
    }
    return items.sort((a, b) => compareNames(a.name, b.name));
  }

}

/** Sockets, FIFOs and devices are `special`: the packer skips them. */
function kindOf(d: ContextDirent): WalkEntryKind {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'directory';
  if (d.isSymbolicLink()) return 'symlink';
  return 'special';
}

/**
 * Orders names by code point, which is the byte order of their UTF-8 (Go's
 * order); plain string comparison orders UTF-16 units, which puts U+E000–
 * U+FFFF after the astral planes.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800; // U+E000–U+FFFF sort before the surrogate-encoded planes
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
