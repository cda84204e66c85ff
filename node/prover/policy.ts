// When to cut the next range (issue 17 item 1 "ranges aggregated by a configurable policy", docs/proving.md
// "Aggregation"). One proof and one Settlement call per range, so longer ranges spread the fixed L1 cost
// (about 80k gas of finalize plus the verifier call) over more orders; shorter ones finalize sooner. The
// policy cuts a range of up to `maxBatches` batches starting at the first unfinalized batch when
//   - size: `maxBatches` batches are derived and waiting, or
//   - age:  the oldest waiting batch was proposed `maxAgeMs` ago or more;
// and then holds it while the L1 gas price is above `maxGasPriceWei`, for at most `maxGasWaitMs` more.
// Pure: the prover passes what it observed; tests drive it as a table.

export interface AggregationPolicy {
  /** Most batches in one range (>= 1). */
  maxBatches: number;
  /** Cut a range once its oldest batch is this old (ms since its L1 proposal). */
  maxAgeMs: number;
  /** Hold a due range while the L1 gas price is above this (wei); undefined = no limit. */
  maxGasPriceWei?: bigint;
  /** The most a due range is held for gas (ms); after that it goes at any price. */
  maxGasWaitMs: number;
}

export interface PendingView {
  /** The first unfinalized batch (Settlement.lastBatch + 1). */
  nextBatch: number;
  /** The node's last derived batch with a prover input. */
  derivedBatch: number;
  /** L1 timestamp (ms) of the proposal of `nextBatch` (when derived). */
  oldestAtMs?: number;
  /** Current L1 gas price (wei). */
  gasPriceWei: bigint;
  nowMs: number;
}

export type Decision =
  | { action: "wait"; reason: "nothing" | "young" | "gas" }
  | { action: "prove"; firstBatch: number; lastBatch: number; reason: "size" | "age" };

export function decideRange(p: AggregationPolicy, v: PendingView): Decision {
  if (v.derivedBatch < v.nextBatch) return { action: "wait", reason: "nothing" };
  const waiting = v.derivedBatch - v.nextBatch + 1;
  const lastBatch = Math.min(v.derivedBatch, v.nextBatch + p.maxBatches - 1);
  const age = v.oldestAtMs === undefined ? 0 : v.nowMs - v.oldestAtMs;
  let reason: "size" | "age";
  if (waiting >= p.maxBatches) reason = "size";
  else if (age >= p.maxAgeMs) reason = "age";
  else return { action: "wait", reason: "young" };
  if (p.maxGasPriceWei !== undefined && v.gasPriceWei > p.maxGasPriceWei && age < p.maxAgeMs + p.maxGasWaitMs) return { action: "wait", reason: "gas" };
  return { action: "prove", firstBatch: v.nextBatch, lastBatch, reason };
}
