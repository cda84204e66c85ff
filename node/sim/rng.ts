// Seeded integer PRNG for workloads, benchmarks and property tests: identical streams on every platform.

/** xorshift32 (Marsaglia): 32-bit state, integer-only; a zero seed is replaced by a fixed nonzero one. */
export class XorShift32 {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** Next 32-bit unsigned value. */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** In [0, n), n <= 2^32 (modulo bias is irrelevant for workloads). */
  int(n: number): number {
    return this.next() % n;
  }
  /** In [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
}
