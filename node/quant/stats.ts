// Small statistics helpers shared by node/mm and benchmarks.

/** The q-quantile (0..1) of `xs` by nearest rank on a sorted copy; NaN for an empty list. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

/** Exponential smoothing weight for an event `dt` seconds after the previous one, with half-life `halfLife` s. */
export function decayWeight(dt: number, halfLife: number): number {
  return dt <= 0 ? 1 : Math.exp((-Math.LN2 * dt) / halfLife);
}
