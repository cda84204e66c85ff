// Where a subscription message's delivery time goes (docs/api.md "Subscriptions", docs/benchmarks.md
// "fanout"): a tick's shared message is stamped when the tick runs (ws-frame.ts SharedMessage.stamp, ms on
// the machine-wide clock `nowMs`), and the process that writes the sockets records, per socket write that
// carried it, the time from the stamp to the end of that write(2) (ws-frame.ts TurnCorker). A histogram in
// 0.1 ms buckets: cheap to add to (one array increment per write), merged across processes as
// [bucket, count] pairs.

/** Milliseconds on a clock every process of the machine shares (the wall clock, with sub-ms resolution). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Delays in 0.1 ms buckets; delays past the last bucket land in it. */
export class LagHistogram {
  static readonly BUCKETS = 50_000; // 5 s
  private readonly counts = new Float64Array(LagHistogram.BUCKETS); // exact to 2^53: a node running for years
  /** Buckets touched since the last `drain` (for the pairs). */
  private touched: number[] = [];
  count = 0;

  add(ms: number, n = 1): void {
    const b = Math.min(LagHistogram.BUCKETS - 1, Math.max(0, Math.round(ms * 10)));
    if (this.counts[b] === 0) this.touched.push(b);
    this.counts[b] += n;
    this.count += n;
  }

  /** Adds pairs [bucket, count, bucket, count, ...] (another histogram's `drain`). */
  merge(pairs: ArrayLike<number>): void {
    for (let i = 0; i + 1 < pairs.length; i += 2) this.add(pairs[i] / 10, pairs[i + 1]);
  }

  /** The delay (ms) at quantile `p` (0..1), or null when empty. */
  quantile(p: number): number | null {
    if (this.count === 0) return null;
    const sorted = [...this.touched].sort((a, b) => a - b);
    let seen = 0;
    for (const b of sorted) if ((seen += this.counts[b]) > p * this.count) return b / 10;
    return sorted.at(-1)! / 10;
  }

  /** Everything counted as [bucket, count] pairs, and the histogram emptied. */
  drain(): number[] {
    const out: number[] = [];
    for (const b of this.touched) {
      out.push(b, this.counts[b]);
      this.counts[b] = 0;
    }
    this.touched = [];
    this.count = 0;
    return out;
  }
}
