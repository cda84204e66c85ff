// Risk management: limits that kill, gates that pull quotes, and the kill switch. docs/market-maker.md
// "Risk".
//
// Kill reasons (the maker stops quoting, sends one CANCEL_ALL per market, and stays down until an explicit
// reset): position and notional limits, daily loss and drawdown limits, order-action and fill rate
// limits, reference data stale for longer than `killStaleS`, and the manual trigger. Gates (quotes pulled
// on the market while the condition lasts, quoting resumes by itself): reference older than
// `pullStaleS`, regime at or above `pullRegime`.

export const KillReason = {
  POSITION_LIMIT: "position_limit",
  NOTIONAL_LIMIT: "notional_limit",
  DAILY_LOSS: "daily_loss",
  DRAWDOWN: "drawdown",
  ORDER_RATE: "order_rate",
  FILL_RATE: "fill_rate",
  STALE_REFERENCE: "stale_reference",
  MANUAL: "manual",
} as const;
export type KillReason = (typeof KillReason)[keyof typeof KillReason];
export const KILL_REASONS: readonly KillReason[] = Object.values(KillReason);

export interface RiskLimits {
  /** |inventory| (lots) above which the maker is killed. */
  maxPosition: number;
  /** |inventory| * mark * tickValue (quote units) above which the maker is killed. */
  maxNotional: number;
  /** Loss since the start of the UTC day (quote units, positive number). */
  maxDailyLoss: number;
  /** Peak-to-current P&L (quote units). */
  maxDrawdown: number;
  /** Order actions sent per rolling minute (all markets). */
  maxActionsPerMin: number;
  /** Fills per rolling minute (all markets). */
  maxFillsPerMin: number;
  /** Reference age (s) that pulls a market's quotes. */
  pullStaleS: number;
  /** Reference age (s) that kills. */
  killStaleS: number;
  /** Regime (0 low .. 3 extreme) at or above which a market's quotes are pulled. */
  pullRegime: number;
}

export interface KillRecord {
  reason: KillReason;
  detail: string;
  atMs: number;
}

export interface ResetRecord {
  by: string;
  atMs: number;
}

export interface MarketRiskInput {
  market: number;
  inventory: number;
  notional: number;
  /** Age of the reference price (s); Infinity when none yet (pulls, never kills). */
  refAgeS: number;
  regime: number;
}

export interface Gate {
  pull: boolean;
  reason: string;
}

/** A sliding one-minute counter. */
class MinuteCounter {
  private readonly times: number[] = [];
  private head = 0;
  add(nowMs: number, n: number): void {
    for (let i = 0; i < n; i++) this.times.push(nowMs);
  }
  count(nowMs: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= nowMs - 60_000) this.head++;
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }
}

export class RiskManager {
  readonly limits: RiskLimits;
  killed = false;
  /** Every kill, in order (kept across resets). */
  readonly kills: KillRecord[] = [];
  readonly resets: ResetRecord[] = [];
  private readonly actions = new MinuteCounter();
  private readonly fills = new MinuteCounter();
  private day = -1;
  private dayStartPnl = 0;
  private peak = 0;
  private lastResetMs = Number.NEGATIVE_INFINITY;
  private readonly listeners: ((k: KillRecord) => void)[] = [];

  constructor(limits: RiskLimits) {
    this.limits = limits;
  }

  onKill(listener: (k: KillRecord) => void): void {
    this.listeners.push(listener);
  }

  /** Trips the kill switch (idempotent while killed: later reasons are recorded too). */
  kill(reason: KillReason, detail: string, atMs: number): void {
    // while killed, a condition that persists is recorded once
    if (this.killed && reason !== KillReason.MANUAL && this.kills.some((k) => k.reason === reason && k.atMs >= this.lastResetMs)) return;
    const rec = { reason, detail, atMs };
    this.kills.push(rec);
    const first = !this.killed;
    this.killed = true;
    if (first) for (const l of this.listeners) l(rec);
  }

  /** The explicit reset: quoting may resume. Drawdown is measured from the P&L at reset. */
  reset(by: string, atMs: number, pnl: number): void {
    this.killed = false;
    this.lastResetMs = atMs;
    this.resets.push({ by, atMs });
    this.peak = pnl;
  }

  recordActions(nowMs: number, n: number): void {
    this.actions.add(nowMs, n);
    const c = this.actions.count(nowMs);
    if (c > this.limits.maxActionsPerMin) this.kill(KillReason.ORDER_RATE, `${c} actions in the last minute > ${this.limits.maxActionsPerMin}`, nowMs);
  }

  recordFills(nowMs: number, n: number): void {
    this.fills.add(nowMs, n);
    const c = this.fills.count(nowMs);
    if (c > this.limits.maxFillsPerMin) this.kill(KillReason.FILL_RATE, `${c} fills in the last minute > ${this.limits.maxFillsPerMin}`, nowMs);
  }

  /** Total P&L (quote units) across markets: daily loss and drawdown. */
  checkPnl(nowMs: number, pnl: number): void {
    const day = Math.floor(nowMs / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.dayStartPnl = pnl;
    }
    if (pnl > this.peak) this.peak = pnl;
    const loss = this.dayStartPnl - pnl;
    if (loss > this.limits.maxDailyLoss) this.kill(KillReason.DAILY_LOSS, `daily loss ${loss.toFixed(2)} > ${this.limits.maxDailyLoss}`, nowMs);
    const dd = this.peak - pnl;
    if (dd > this.limits.maxDrawdown) this.kill(KillReason.DRAWDOWN, `drawdown ${dd.toFixed(2)} > ${this.limits.maxDrawdown}`, nowMs);
  }

  /** Highest total P&L since start or the last reset (drawdowns are measured from it). */
  get peakPnl(): number {
    return this.peak;
  }

  /** Per-market limits (kill) and gates (pull). */
  checkMarket(nowMs: number, m: MarketRiskInput): Gate {
    const l = this.limits;
    if (Math.abs(m.inventory) > l.maxPosition) this.kill(KillReason.POSITION_LIMIT, `market ${m.market}: inventory ${m.inventory} beyond ${l.maxPosition}`, nowMs);
    if (Math.abs(m.notional) > l.maxNotional) this.kill(KillReason.NOTIONAL_LIMIT, `market ${m.market}: notional ${Math.abs(m.notional).toFixed(0)} > ${l.maxNotional}`, nowMs);
    // a reference never seen pulls (start-up); one that stopped kills after killStaleS
    if (Number.isFinite(m.refAgeS) && m.refAgeS > l.killStaleS) this.kill(KillReason.STALE_REFERENCE, `market ${m.market}: reference ${fmtAge(m.refAgeS)} old > ${l.killStaleS} s`, nowMs);
    if (this.killed) return { pull: true, reason: "killed" };
    if (m.refAgeS > l.pullStaleS) return { pull: true, reason: "stale_reference" };
    if (m.regime >= l.pullRegime) return { pull: true, reason: "regime" };
    return { pull: false, reason: "" };
  }
}

function fmtAge(s: number): string {
  return Number.isFinite(s) ? `${s.toFixed(1)} s` : "never seen";
}
