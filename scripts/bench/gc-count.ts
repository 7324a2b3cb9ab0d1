/**
 * Garbage collections over a trial's timed part, from `perf_hooks` gc
 * entries. Kept out of child.ts, which imports nothing.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/** What V8 collected while the counter ran. */
export interface GcCounts {
  /** Full (mark-compact) collections. */
  major: number;
  /** Scavenges of the young generation. */
  minor: number;
  /** Milliseconds spent in the collections' pauses, both kinds. */
  pauseMs: number;
}

/** Counts V8's collections from now until the returned function is called. */
export function countGcs(): () => GcCounts {
  const counts: GcCounts = { major: 0, minor: 0, pauseMs: 0 };
  const add = (entries: readonly PerformanceEntry[]): void => {
    for (const e of entries) {
      const detail: unknown = 'detail' in e ? e.detail : undefined;
      if (typeof detail !== 'object' || detail === null || !('kind' in detail)) continue;
      if (detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
      else if (detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor++;
      else continue;
      counts.pauseMs += e.duration;
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    add(observer.takeRecords());
    observer.disconnect();
    return counts;
  };
}
