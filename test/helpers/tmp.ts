import { mkdtempSync, rmSync } from 'node:fs';

/** The part of a tap test the helpers use. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A short temporary directory (unix socket paths are limited to ~107 bytes), removed at teardown. */
export function shortTempDir(t: Teardown, prefix = 'bt'): string {
  const dir = mkdtempSync(`/tmp/${prefix}-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
