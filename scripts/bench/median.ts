/**
 * The median of some numbers (the mean of the middle two for an even
 * count). Its own module, importing nothing, so that trial processes can
 * use it without loading the runner's harness.
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
