// Seeded synthetic reference source: a GBM-with-jumps mid (node/quant/gbm.ts) sampled every `dtMs`,
// published as a book (mid +- half spread, `levels` levels of geometric sizes) plus Poisson trades whose
// aggressor side leans with the last move. docs/market-maker.md "Synthetic source".

import { type JumpDiffusionParams, stepJumpDiffusion } from "../../quant/gbm.ts";
import { Rng } from "../../quant/rng.ts";
import type { RefEvent, RefLevel } from "./types.ts";

export interface SyntheticOptions {
  seed: number;
  symbol?: string;
  start: number;
  startMs: number;
  /** Sampling interval (ms). */
  dtMs: number;
  process: JumpDiffusionParams;
  /** Half spread as a fraction of the mid (default 1e-4). */
  halfSpread?: number;
  levels?: number;
  /** Trades per second (Poisson, default 2). */
  tradeRate?: number;
}

export class SyntheticSource {
  private readonly rng: Rng;
  private readonly o: SyntheticOptions;
  private price: number;
  private t: number;
  private lastMove = 0;
  private pending: RefEvent[] = [];
  jumps = 0;

  constructor(o: SyntheticOptions) {
    this.o = o;
    this.rng = new Rng(o.seed);
    this.price = o.start;
    this.t = o.startMs;
  }

  get mid(): number {
    return this.price;
  }

  /** The next event (the source never ends). */
  next(): RefEvent {
    if (this.pending.length === 0) this.step();
    return this.pending.shift()!;
  }

  private step(): void {
    const { dtMs, process } = this.o;
    const prev = this.price;
    const r = stepJumpDiffusion(prev, dtMs / 1000, process, this.rng);
    this.jumps += r.jumps;
    this.price = r.price;
    this.lastMove = this.price - prev;
    this.t += dtMs;
    const symbol = this.o.symbol ?? "SYN";
    const n = this.rng.poisson(((this.o.tradeRate ?? 2) * dtMs) / 1000);
    const hs = this.price * (this.o.halfSpread ?? 1e-4);
    for (let i = 0; i < n; i++) {
      const up = this.rng.uniform() < (this.lastMove > 0 ? 0.65 : this.lastMove < 0 ? 0.35 : 0.5);
      this.pending.push({
        kind: "trade", source: "synthetic", symbol, exchMs: this.t, recvMs: this.t,
        price: up ? this.price + hs : this.price - hs, size: 0.01 + this.rng.exponential(20), aggressor: up ? 1 : -1, tradeId: 0,
      });
    }
    const levels = this.o.levels ?? 5;
    const bids: RefLevel[] = [];
    const asks: RefLevel[] = [];
    for (let i = 0; i < levels; i++) {
      const off = hs * (1 + i);
      bids.push({ price: this.price - off, size: 0.5 * 1.5 ** i * (0.5 + this.rng.uniform()) });
      asks.push({ price: this.price + off, size: 0.5 * 1.5 ** i * (0.5 + this.rng.uniform()) });
    }
    this.pending.push({ kind: "book", source: "synthetic", symbol, exchMs: this.t, recvMs: this.t, bids, asks, depth: "levels" });
  }
}
