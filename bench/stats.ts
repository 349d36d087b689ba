/**
 * The statistics every benchmark reports with, in one place.
 */

/** The median (mean of the two middle values for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The upper middle value (the median of an odd count), as the timing loops report it; NaN when there are none. */
export function upperMedian(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}
