// The differ: from our live orders and the target ladder to the fewest actions. docs/market-maker.md
// "Differ".
//
// Per side: (1) keep every live order whose price is within `priceTol` ticks and whose size is within
// `sizeTol` (relative) of a target level, one to one, nearest first (a kept order keeps its queue
// priority); a live order at a target's exact price with a different size is amended (a pure reduction
// keeps priority). (2) The remaining live orders and targets are paired best-first: each pair is one
// AMEND (one action instead of cancel + place; an order at or through the other side's new targets is
// never kept, only moved away or cancelled); (3) live orders left over are cancelled, targets left over
// are placed (POST_ONLY, new client ids). Orders with an action in flight are not touched, except a
// cancel when their price would cross the other side's target.
// Order of the emitted actions (so no intermediate state crosses our own orders): cancels; amends that
// move away from the other side (bids down, asks up, same-price size changes); then amends toward the
// other side and new orders.

import type { MakerAction, OrderSide } from "./actions.ts";
import type { Ladder, LadderLevel } from "./ladder.ts";
import type { OwnOrder } from "./orders.ts";

export interface DiffParams {
  /** Ticks a live order may be off its target and still be kept. */
  priceTol: number;
  /** Relative size difference a kept order may have. */
  sizeTol: number;
}

export interface DiffResult {
  actions: MakerAction[];
  kept: number;
}

const BUY: OrderSide = 0;
const SELL: OrderSide = 1;

export function diffLadder(market: number, live: readonly OwnOrder[], target: Ladder, p: DiffParams, newClientId: () => number): DiffResult {
  const cancels: MakerAction[] = [];
  const away: MakerAction[] = [];
  const toward: MakerAction[] = [];
  const minAsk = target.asks.length > 0 ? target.asks[0]!.price : Number.POSITIVE_INFINITY;
  const maxBid = target.bids.length > 0 ? target.bids[0]!.price : Number.NEGATIVE_INFINITY;
  let kept = 0;
  for (const side of [BUY, SELL] as const) {
    const levels = side === BUY ? target.bids : target.asks;
    const mine: OwnOrder[] = [];
    for (const o of live) {
      if (o.side !== side || o.cancelling) continue;
      const crosses = side === BUY ? o.price >= minAsk : o.price <= maxBid;
      if (o.pending > 0) {
        if (crosses) cancels.push(cancelOf(market, o));
        else kept++;
        continue;
      }
      mine.push(o);
    }
    // best first
    mine.sort(side === BUY ? (a, b) => b.price - a.price : (a, b) => a.price - b.price);
    const used = new Uint8Array(mine.length);
    const open: LadderLevel[] = [];
    // (1) keep or same-price amend
    for (const t of levels) {
      let best = -1;
      let bestDist = Number.POSITIVE_INFINITY;
      for (let i = 0; i < mine.length; i++) {
        // an order at or through the other side's targets cannot be kept (step 2 moves it away)
        if (used[i] || (side === BUY ? mine[i]!.price >= minAsk : mine[i]!.price <= maxBid)) continue;
        const d = Math.abs(mine[i]!.price - t.price);
        if (d <= p.priceTol && d < bestDist) {
          best = i;
          bestDist = d;
        }
      }
      if (best < 0) {
        open.push(t);
        continue;
      }
      const o = mine[best]!;
      used[best] = 1;
      if (Math.abs(o.size - t.size) <= p.sizeTol * t.size) kept++;
      else if (o.price === t.price) away.push({ kind: "amend", market, orderId: o.orderId, price: t.price, size: t.size });
      else {
        // within price tolerance but the size is off: amend to the exact target
        (movesAway(side, o.price, t.price) ? away : toward).push({ kind: "amend", market, orderId: o.orderId, price: t.price, size: t.size });
      }
    }
    // (2) pair the rest best-first: amend; (3) cancel or place what is left
    let j = 0;
    for (let i = 0; i < mine.length; i++) {
      if (used[i]) continue;
      const o = mine[i]!;
      if (j < open.length) {
        const t = open[j++]!;
        (movesAway(side, o.price, t.price) ? away : toward).push({ kind: "amend", market, orderId: o.orderId, price: t.price, size: t.size });
      } else cancels.push(cancelOf(market, o));
    }
    for (; j < open.length; j++) {
      const t = open[j]!;
      toward.push({ kind: "place", market, side, price: t.price, size: t.size, clientId: newClientId(), postOnly: true });
    }
  }
  return { actions: [...cancels, ...away, ...toward], kept };
}

function movesAway(side: OrderSide, from: number, to: number): boolean {
  return side === BUY ? to <= from : to >= from;
}

function cancelOf(market: number, o: OwnOrder): MakerAction {
  return o.orderId !== 0 ? { kind: "cancel", market, orderId: o.orderId } : { kind: "cancelByClientId", market, clientId: o.clientId };
}

/** Token bucket over actions: `rate` per second, bursts up to `burst`. */
export class RateLimiter {
  private tokens: number;
  private lastMs = Number.NaN;
  readonly rate: number;
  readonly burst: number;
  constructor(rate: number, burst: number) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
  }
  available(nowMs: number): number {
    if (!Number.isNaN(this.lastMs) && nowMs > this.lastMs) this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) / 1000) * this.rate);
    if (Number.isNaN(this.lastMs) || nowMs > this.lastMs) this.lastMs = nowMs;
    return Math.floor(this.tokens);
  }
  take(n: number): void {
    this.tokens -= n;
  }
}

/**
 * Applies the rate limit: cancels always go (they only reduce risk) and consume tokens; other actions go
 * in order while tokens last. Returns the actions to send now.
 */
export function rateLimit(actions: readonly MakerAction[], limiter: RateLimiter, nowMs: number): MakerAction[] {
  let budget = limiter.available(nowMs);
  const out: MakerAction[] = [];
  for (const a of actions) {
    const isCancel = a.kind === "cancel" || a.kind === "cancelByClientId" || a.kind === "cancelAll";
    if (isCancel) out.push(a);
    else if (budget > 0) {
      out.push(a);
      budget--;
    } else continue;
    if (isCancel) budget--;
  }
  limiter.take(out.length);
  return out;
}
