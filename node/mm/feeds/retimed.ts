// A pull source (replay or synthetic) re-timed onto another clock: the first event lands at `startMs` and
// every later one keeps its spacing, so a recorded sample looped forever plays in real time on a devnet
// (or on a simulation's clock in tests). docs/market-maker.md "Replay".

import type { RefEvent } from "./types.ts";

/** Anything that yields reference events in time order (ReplaySource, SyntheticSource). */
export interface PullSource {
  /** The next event, or null when the source ended. */
  next(): RefEvent | null;
}

export class RetimedSource {
  private readonly src: PullSource;
  private readonly startMs: number;
  private offset = Number.NaN;
  private pending: RefEvent | null;
  /** Events delivered so far. */
  delivered = 0;

  constructor(src: PullSource, startMs: number) {
    this.src = src;
    this.startMs = startMs;
    this.pending = this.pull();
  }

  /** Receive time of the next event (Infinity when the source ended). */
  get nextMs(): number {
    return this.pending === null ? Number.POSITIVE_INFINITY : this.pending.recvMs;
  }

  /** Delivers every event due at `nowMs` (receive time <= nowMs), in order. */
  until(nowMs: number, deliver: (e: RefEvent) => void): void {
    while (this.pending !== null && this.pending.recvMs <= nowMs) {
      const e = this.pending;
      this.pending = this.pull();
      this.delivered++;
      deliver(e);
    }
  }

  private pull(): RefEvent | null {
    const e = this.src.next();
    if (e === null) return null;
    if (Number.isNaN(this.offset)) this.offset = this.startMs - e.recvMs;
    return { ...e, recvMs: e.recvMs + this.offset, exchMs: e.exchMs + this.offset };
  }
}
