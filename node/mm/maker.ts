// The embedded market maker: reference events in, quote cycles out through a MakerExchange, with the risk
// manager and kill switch in front of every cycle, P&L attribution, metrics and a status object.
// docs/market-maker.md "The maker".

import type { Registry } from "prom-client";
import type { Logger } from "../log.ts";
import { type BulkAck, ConfirmationLevel, LEVEL_NAMES, type ExchangeEvent, type MakerAction, type MakerExchange, chunkActions } from "./actions.ts";
import type { MarketMakerConfig } from "./config.ts";
import { rateLimit } from "./differ.ts";
import { REGIME_NAMES } from "./estimators/regime.ts";
import type { RefEvent } from "./feeds/types.ts";
import { type LadderLevel } from "./ladder.ts";
import { type MakerMetrics, makerMetrics } from "./metrics.ts";
import type { PnlSnapshot } from "./pnl.ts";
import { MarketQuoter } from "./quoter.ts";
import { type KillRecord, KillReason, type ResetRecord, RiskManager } from "./risk.ts";

export interface MarketMakerOptions {
  config: MarketMakerConfig;
  exchange: MakerExchange;
  /** Clock (ms); default Date.now. Simulations pass their own. */
  clock?: () => number;
  registry?: Registry;
  logger?: Logger;
}

export interface MarketStatus {
  market: number;
  model: string;
  anchor: string;
  fair: number;
  sigma: number;
  regime: string;
  burst: { side: number; level: number };
  inventory: number;
  pnl: PnlSnapshot;
  quotes: { bids: LadderLevel[]; asks: LadderLevel[] };
  /** "" when quoting, else why the quotes are pulled. */
  pulled: string;
  openOrders: number;
  unackedBulks: number;
  referenceAgeS: number;
  adverseSelection: { horizonS: number; buy: number; sell: number }[];
  failures: Record<string, number>;
}

export interface MakerStatus {
  killed: boolean;
  kills: KillRecord[];
  resets: ResetRecord[];
  /** Confirmation level of the last kill's cancel-all ("pending" until acknowledged). */
  killCancel: string;
  /** Why the last cancel-all was not taken ("" when it was or none was sent); cycles resend it. */
  killError: string;
  pnl: number;
  markets: MarketStatus[];
}

export class MarketMaker {
  readonly config: MarketMakerConfig;
  readonly risk: RiskManager;
  readonly quoters: MarketQuoter[];
  private readonly exchange: MakerExchange;
  private readonly clock: () => number;
  private readonly metrics: MakerMetrics | null;
  private readonly log: Logger | null;
  private readonly unsubscribe: () => void;
  private bulkSeq = 0;
  private killBatch = 0;
  private killLevel = 0;
  /** Resolves when the last kill's cancel-all is acknowledged (soft). */
  killAck: Promise<BulkAck> | null = null;
  /** Why the last cancel-all (kill or shutdown) was not taken, "" otherwise; while killed, cycles resend it. */
  killError = "";
  private readonly sends = new Set<Promise<unknown>>();

  constructor(o: MarketMakerOptions) {
    this.config = o.config;
    this.exchange = o.exchange;
    this.clock = o.clock ?? Date.now;
    this.metrics = o.registry ? makerMetrics(o.registry) : null;
    this.log = o.logger ?? null;
    this.risk = new RiskManager(o.config.limits);
    this.quoters = o.config.markets.map((m) => new MarketQuoter(m, o.config));
    // a failed cancel-all is recorded in killError (and resent by the next cycle), never an unhandled rejection
    this.risk.onKill((k) => void this.pullAll(k).catch(() => undefined));
    this.unsubscribe = this.exchange.subscribe((e) => this.onExchangeEvent(e));
  }

  /** A reference event of reference instrument `ref` (index into config.references). */
  onReference(ref: number, ev: RefEvent): void {
    for (const q of this.quoters) {
      const i = q.candidate(ref);
      if (i < 0) continue;
      if (ev.kind === "book") q.onBook(i, ev);
      else q.onTrade(i, ev);
    }
  }

  onExchangeEvent(e: ExchangeEvent): void {
    if (e.kind === "confirm") {
      for (const q of this.quoters) q.tracker.event(e);
      if (this.killBatch > 0 && e.batch >= this.killBatch && e.level > this.killLevel) this.killLevel = e.level;
      return;
    }
    const q = this.quoters.find((x) => x.market === e.market);
    if (!q) return;
    if (e.kind === "order") {
      q.tracker.event(e);
      return;
    }
    // fill
    const now = this.clock();
    const side = e.side === 0 ? 1 : -1;
    q.pnl.onMark(now / 1000, Number.isNaN(q.fair) ? e.price : q.fair);
    q.pnl.onFill(now / 1000, side, e.price, e.size, e.fee);
    q.est.onOwnFill(now / 1000, side);
    this.risk.recordFills(now, 1);
    this.metrics?.fills.inc({ market: String(q.market), side: side === 1 ? "buy" : "sell" });
  }

  /** Total P&L across markets (quote units). */
  totalPnl(): number {
    let s = 0;
    for (const q of this.quoters) s += q.pnl.total;
    return s;
  }

  /**
   * One quote cycle at nowMs: marks, risk checks, then per market target ladder, differ, rate limit and
   * bulks. Returns the actions sent.
   */
  cycle(nowMs: number = this.clock()): MakerAction[] {
    const sent: MakerAction[] = [];
    // killed and the cancel-all was not taken: send it again (once per failure)
    if (this.risk.killed && this.killError !== "") void this.pullAll().catch(() => undefined);
    for (const q of this.quoters) if (!Number.isNaN(q.fair)) q.pnl.onMark(nowMs / 1000, q.fair);
    this.risk.checkPnl(nowMs, this.totalPnl());
    for (const q of this.quoters) {
      const fair = q.fair;
      const gate = this.risk.checkMarket(nowMs, {
        market: q.market, inventory: q.pnl.inventory, notional: Number.isNaN(fair) ? 0 : q.pnl.inventory * fair * q.cfg.tickValue,
        refAgeS: (nowMs - q.lastRefMs) / 1000, regime: q.est.regime,
      });
      if (this.risk.killed) break;
      const actions = rateLimit(q.plan(nowMs, gate.pull ? gate.reason : "", this.exchange.top(q.market)), q.limiter, nowMs);
      for (const bulk of chunkActions(actions)) this.send(q.market, bulk, nowMs);
      sent.push(...actions);
    }
    this.updateMetrics(nowMs);
    return sent;
  }

  /** The manual kill switch. */
  kill(detail: string, nowMs: number = this.clock()): void {
    this.risk.kill(KillReason.MANUAL, detail, nowMs);
  }

  /** The explicit reset after a kill. */
  reset(by: string, nowMs: number = this.clock()): void {
    this.risk.reset(by, nowMs, this.totalPnl());
    this.killBatch = 0;
    this.killLevel = 0;
    this.log?.warn({ by }, "market maker kill switch reset");
  }

  /** Stops quoting: one CANCEL_ALL per market in one bulk (shutdown uses it too). Resolves when soft. */
  pullAll(k?: KillRecord): Promise<BulkAck> {
    const now = this.clock();
    if (k) {
      this.log?.error({ reason: k.reason, detail: k.detail }, "market maker kill switch");
      this.metrics?.kills.inc({ reason: k.reason });
    }
    const actions: MakerAction[] = this.quoters.map((q) => ({ kind: "cancelAll", market: q.market }));
    this.killLevel = 0;
    this.killBatch = 0;
    const p = this.sendMulti(actions, now).then((ack) => {
      this.killBatch = ack.batch;
      this.killLevel = ack.level;
      return ack;
    });
    this.killAck = p;
    this.killError = "";
    p.catch((err: unknown) => {
      this.killError = (err as Error).message ?? String(err);
      this.log?.error({ err: this.killError }, "market maker cancel-all not taken");
    });
    return p;
  }

  /** Waits for every bulk sent so far to be acknowledged. */
  async settle(): Promise<void> {
    while (this.sends.size > 0) await Promise.allSettled([...this.sends]);
  }

  /** Cancels everything and stops listening (shutdown); resolves when the cancel-all is soft. */
  async stop(): Promise<void> {
    await this.pullAll();
    this.unsubscribe();
  }

  status(nowMs: number = this.clock()): MakerStatus {
    return {
      killed: this.risk.killed,
      kills: [...this.risk.kills],
      resets: [...this.risk.resets],
      killCancel: LEVEL_NAMES[this.killLevel] ?? "pending",
      killError: this.killError,
      pnl: this.totalPnl(),
      markets: this.quoters.map((q) => ({
        market: q.market,
        model: q.cfg.model,
        anchor: q.cfg.references[q.anchorIdx] ?? "",
        fair: q.fair,
        sigma: q.est.sigma,
        regime: REGIME_NAMES[q.est.regime],
        burst: { side: q.est.burst.side, level: q.est.burst.level },
        inventory: q.pnl.inventory,
        pnl: q.pnl.snapshot(),
        quotes: { bids: q.ladder.bids.map((l) => ({ ...l })), asks: q.ladder.asks.map((l) => ({ ...l })) },
        pulled: q.pulled,
        openOrders: q.tracker.orders().length,
        unackedBulks: q.tracker.unacked(),
        referenceAgeS: (nowMs - q.lastRefMs) / 1000,
        adverseSelection: q.est.markouts.horizons.map((h, i) => ({ horizonS: h, buy: q.est.markouts.get(1, i), sell: q.est.markouts.get(-1, i) })),
        failures: Object.fromEntries(q.tracker.failures),
      })),
    };
  }

  private send(market: number, actions: MakerAction[], nowMs: number): void {
    const q = this.quoters.find((x) => x.market === market)!;
    const id = ++this.bulkSeq;
    q.tracker.sent(id, actions, nowMs);
    this.risk.recordActions(nowMs, actions.length);
    for (const a of actions) this.metrics?.actions.inc({ kind: a.kind });
    const p = this.exchange.submit(actions).then(
      (ack) => this.acked(q, id, ack),
      (err: unknown) => {
        this.log?.warn({ err: (err as Error).message, market }, "bulk submission failed");
        q.tracker.acked(id, { batch: 0, level: ConfirmationLevel.SOFT, results: actions.map(() => ({ ok: false, code: "SUBMIT_FAILED", orderId: 0 })) });
      },
    );
    this.track(p);
  }

  /** A bulk over several markets (the kill's cancel-alls): each market's tracker sees its own actions. */
  private sendMulti(actions: MakerAction[], nowMs: number): Promise<BulkAck> {
    const id = ++this.bulkSeq;
    for (const q of this.quoters) q.tracker.sent(id, actions.filter((a) => a.market === q.market), nowMs);
    this.risk.recordActions(nowMs, actions.length);
    const p = this.exchange.submit(actions).then(
      (ack) => {
        for (const q of this.quoters) {
          const results = ack.results.filter((_, i) => actions[i]!.market === q.market);
          this.acked(q, id, { ...ack, results });
        }
        return ack;
      },
      (err: unknown) => {
        // not taken: the orders it was cancelling rest on (the trackers say so), the caller sees the error
        for (const q of this.quoters) {
          const n = actions.filter((a) => a.market === q.market).length;
          q.tracker.acked(id, { batch: 0, level: ConfirmationLevel.SOFT, results: Array.from({ length: n }, () => ({ ok: false, code: "SUBMIT_FAILED", orderId: 0 })) });
        }
        throw err;
      },
    );
    this.track(p);
    return p;
  }

  private acked(q: MarketQuoter, id: number, ack: BulkAck): void {
    q.tracker.acked(id, ack);
    for (const r of ack.results) if (!r.ok) this.metrics?.actionFailures.inc({ code: r.code });
  }

  private track(p: Promise<unknown>): void {
    this.sends.add(p);
    const done = (): void => {
      this.sends.delete(p);
    };
    p.then(done, done);
  }

  private updateMetrics(nowMs: number): void {
    const m = this.metrics;
    if (!m) return;
    let peakGap = 0;
    for (const q of this.quoters) {
      const market = String(q.market);
      const s = q.pnl.snapshot();
      m.inventory.set({ market }, s.inventory);
      m.inventoryLimitRatio.set({ market }, Math.abs(s.inventory) / this.config.limits.maxPosition);
      m.pnl.set({ market, component: "spread" }, s.spread);
      m.pnl.set({ market, component: "adverse" }, s.adverse);
      m.pnl.set({ market, component: "carry" }, s.carry);
      m.pnl.set({ market, component: "fees" }, s.fees);
      m.pnl.set({ market, component: "total" }, s.total);
      const b = q.ladder.bids[0];
      const a = q.ladder.asks[0];
      if (a && b) m.quotedSpread.set({ market }, a.price - b.price);
      m.regime.set({ market }, q.est.regime);
      m.referenceAge.set({ market }, Number.isFinite(q.lastRefMs) ? (nowMs - q.lastRefMs) / 1000 : 1e9);
      q.est.markouts.horizons.forEach((h, i) => {
        m.markout.set({ market, side: "buy", horizon: String(h) }, q.est.markouts.get(1, i));
        m.markout.set({ market, side: "sell", horizon: String(h) }, q.est.markouts.get(-1, i));
      });
    }
    peakGap = Math.max(0, this.risk.peakPnl - this.totalPnl());
    m.drawdown.set(peakGap);
    m.killSwitch.set(this.risk.killed ? 1 : 0);
  }
}
