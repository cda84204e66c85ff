// Configuration of the embedded market maker: reference instruments, global risk limits and rates, and
// one block per market (model, ladder, differ, estimators). Validated all at once: every problem is
// reported with its key (as node/config.ts does). docs/market-maker.md "Configuration" lists every key.

import type { AnchorOptions } from "./models/anchor.ts";
import type { EstimatorConfig } from "./estimators/market.ts";
import type { DiffParams } from "./differ.ts";
import type { LadderParams } from "./ladder.ts";
import type { RiskLimits } from "./risk.ts";

export interface ReferenceConfig {
  /** Name used by markets' `references`. */
  name: string;
  source: "binance" | "hyperliquid" | "replay" | "synthetic";
  /** Exchange symbol (BTCUSDT) or coin (BTC). */
  symbol: string;
  /** replay: whose recording it is (picks the parser; default file: the shipped sample of that venue). */
  venue?: "binance" | "hyperliquid";
  /** replay: path of a recording (`<receive ns> <raw message>` lines, optionally gzipped). */
  file?: string;
  /** binance / hyperliquid: WebSocket URL or base (default the venue's public endpoint). */
  url?: string;
  /** binance: REST base for depth snapshots (default https://fapi.binance.com). */
  restUrl?: string;
  /** synthetic: seed and start price (reference units). */
  seed?: number;
  start?: number;
}

export interface MarketMakerMarketConfig {
  market: number;
  /** Names of reference instruments on this market's underlying; the anchor is chosen among them. */
  references: string[];
  /** Local ticks per reference price unit (e.g. 10 when a tick is 0.1 USDT). */
  priceScale: number;
  /** Quote units per tick per lot (the market's tickSize). */
  tickValue: number;
  model: "as" | "glft";
  /** Risk aversion (1/(tick lot)). */
  gamma: number;
  /** Fill intensity A e^{-k delta}: A (fills/s at zero depth), k (1/tick). */
  A: number;
  k: number;
  /** Avellaneda-Stoikov horizon (s). */
  tauS: number;
  /** Expected life of a quote (s), for jump risk. */
  quoteLifeS: number;
  /** Lots per quote unit q in GLFT. */
  quoteUnit: number;
  minHalfSpreadTicks: number;
  /** Depth multipliers per regime (low, normal, high, extreme). */
  regimeWiden: [number, number, number, number];
  /** Depth multiplier on the side a burst hits (level WIDEN). */
  burstWiden: number;
  /** Markout horizon index used for adverse-selection adjustments. */
  adverseHorizon: number;
  /** Adverse-selection horizon of the P&L attribution (s). */
  pnlHorizonS: number;
  ladder: Omit<LadderParams, "k">;
  diff: DiffParams;
  estimator: EstimatorConfig;
}

export interface MarketMakerConfig {
  /** Quote cycle period (ms). */
  cycleMs: number;
  references: ReferenceConfig[];
  anchor: AnchorOptions;
  limits: RiskLimits;
  rate: { actionsPerSec: number; burst: number };
  markets: MarketMakerMarketConfig[];
}

export class MakerConfigError extends Error {
  readonly code = "MM_CONFIG_INVALID";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid market maker configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "MakerConfigError";
    this.problems = problems;
  }
}

export const DEFAULT_ESTIMATOR: EstimatorConfig = {
  vol: { halfLifeS: 30, minDtS: 0.25, initialSigma: 1e-4, windowsS: [10, 60, 300] },
  regime: { thresholds: [5e-5, 3e-4, 1e-3], hysteresis: 0.2, minDwellS: 10 },
  hawkes: { mu: 0.5, selfExcite: 0.6, crossExcite: 0.1, beta: 1.5 },
  flowHalfLifeS: 10,
  bookLevels: 5,
  markout: { horizonsS: [1, 5, 30], alpha: 0.1 },
  burst: { oneSided: 0.75, widenRate: 6, pullRate: 15 },
  jump: { sigmas: 6, halfLifeS: 60 },
};

export const DEFAULT_ANCHOR: AnchorOptions = {
  hawkes: { mu: 0.5, selfExcite: 0.4, crossExcite: 0.1, beta: 2 },
  horizonS: 1,
  clf: { refSize: 1, levels: 10, dScale: 1 },
  wHawkes: 0.6,
  wClf: 0.4,
  window: 20,
  staleS: 5,
};

export const DEFAULT_LIMITS: RiskLimits = {
  maxPosition: 200,
  maxNotional: 1e12,
  maxDailyLoss: 1e9,
  maxDrawdown: 1e9,
  maxActionsPerMin: 6000,
  maxFillsPerMin: 1200,
  pullStaleS: 5,
  killStaleS: 60,
  pullRegime: 3,
};

/** A market's configuration with defaults for every key not given. */
export function defaultMarketConfig(market: number, references: string[]): MarketMakerMarketConfig {
  return {
    market,
    references,
    priceScale: 10,
    tickValue: 1,
    model: "glft",
    gamma: 0.05,
    A: 1,
    k: 0.3,
    tauS: 30,
    quoteLifeS: 2,
    quoteUnit: 10,
    minHalfSpreadTicks: 1,
    regimeWiden: [0.8, 1, 1.6, 2.5],
    burstWiden: 2,
    adverseHorizon: 1,
    pnlHorizonS: 5,
    ladder: { levels: 4, depthRatio: 1.6, minStepTicks: 1, sideSize: 40, maxLevelSize: 20, minSize: 1, maxPosition: 100, sizeSkew: 0.8 },
    diff: { priceTol: 0, sizeTol: 0.25 },
    estimator: DEFAULT_ESTIMATOR,
  };
}

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects (arrays and scalars replace). */
function merge<T>(base: T, over: unknown): T {
  if (!isRec(over) || !isRec(base)) return (over === undefined ? base : over) as T;
  const out: Rec = { ...(base as Rec) };
  for (const [k, v] of Object.entries(over)) out[k] = merge((base as Rec)[k], v);
  return out as T;
}

/**
 * Validates a raw configuration (e.g. the `mm` block of the node's JSON config) and fills defaults.
 * Throws MakerConfigError listing every problem.
 */
export function validateMakerConfig(raw: unknown): MarketMakerConfig {
  const problems: string[] = [];
  if (!isRec(raw)) throw new MakerConfigError(["mm: must be an object"]);
  const refs = Array.isArray(raw.references) ? (raw.references as unknown[]) : [];
  if (refs.length === 0) problems.push("mm.references: at least one reference instrument is required");
  const references: ReferenceConfig[] = [];
  refs.forEach((r, i) => {
    if (!isRec(r) || typeof r.name !== "string" || typeof r.symbol !== "string") {
      problems.push(`mm.references[${i}]: needs string name and symbol`);
      return;
    }
    if (!["binance", "hyperliquid", "replay", "synthetic"].includes(r.source as string)) problems.push(`mm.references[${i}].source: one of binance, hyperliquid, replay, synthetic`);
    if (references.some((x) => x.name === r.name)) problems.push(`mm.references[${i}].name: duplicate ${r.name}`);
    if (r.source === "replay" && r.venue !== "binance" && r.venue !== "hyperliquid") problems.push(`mm.references[${i}].venue: binance or hyperliquid (whose recording the replay is)`);
    for (const k of ["file", "url", "restUrl"] as const) if (r[k] !== undefined && typeof r[k] !== "string") problems.push(`mm.references[${i}].${k}: a string`);
    for (const k of ["seed", "start"] as const) if (r[k] !== undefined && !(typeof r[k] === "number" && Number.isFinite(r[k]))) problems.push(`mm.references[${i}].${k}: a number`);
    const ref: ReferenceConfig = { name: r.name, source: r.source as ReferenceConfig["source"], symbol: r.symbol };
    for (const k of ["venue", "file", "url", "restUrl", "seed", "start"] as const) if (r[k] !== undefined) (ref as unknown as Rec)[k] = r[k];
    references.push(ref);
  });
  const cycleMs = raw.cycleMs ?? 250;
  positive(problems, "mm.cycleMs", cycleMs);
  const anchor = merge(DEFAULT_ANCHOR, raw.anchor);
  positive(problems, "mm.anchor.horizonS", anchor.horizonS);
  positive(problems, "mm.anchor.window", anchor.window);
  const limits = merge(DEFAULT_LIMITS, raw.limits);
  for (const [k, v] of Object.entries(limits)) positive(problems, `mm.limits.${k}`, v);
  const rate = merge({ actionsPerSec: 50, burst: 100 }, raw.rate);
  positive(problems, "mm.rate.actionsPerSec", rate.actionsPerSec);
  positive(problems, "mm.rate.burst", rate.burst);
  const rawMarkets = Array.isArray(raw.markets) ? (raw.markets as unknown[]) : [];
  if (rawMarkets.length === 0) problems.push("mm.markets: at least one market is required");
  const markets: MarketMakerMarketConfig[] = [];
  rawMarkets.forEach((m, i) => {
    const key = `mm.markets[${i}]`;
    if (!isRec(m) || !Number.isSafeInteger(m.market) || (m.market as number) < 0) {
      problems.push(`${key}.market: a market id (integer >= 0)`);
      return;
    }
    const names = Array.isArray(m.references) ? (m.references as unknown[]) : [];
    if (names.length === 0) problems.push(`${key}.references: at least one reference name`);
    for (const n of names) if (!references.some((r) => r.name === n)) problems.push(`${key}.references: unknown reference ${String(n)}`);
    const c = merge(defaultMarketConfig(m.market as number, names as string[]), m);
    if (markets.some((x) => x.market === c.market)) problems.push(`${key}.market: duplicate ${c.market}`);
    if (c.model !== "as" && c.model !== "glft") problems.push(`${key}.model: "as" or "glft"`);
    for (const k of ["priceScale", "tickValue", "gamma", "A", "k", "tauS", "quoteLifeS", "quoteUnit", "minHalfSpreadTicks", "burstWiden", "pnlHorizonS"] as const) positive(problems, `${key}.${k}`, c[k]);
    if (!Array.isArray(c.regimeWiden) || c.regimeWiden.length !== 4 || c.regimeWiden.some((x) => !(x > 0))) problems.push(`${key}.regimeWiden: four positive numbers`);
    const L = c.ladder;
    for (const k of ["levels", "sideSize", "maxLevelSize", "minSize", "maxPosition", "minStepTicks"] as const) {
      if (!Number.isSafeInteger(L[k]) || L[k] < 1) problems.push(`${key}.ladder.${k}: an integer >= 1`);
    }
    if (L.maxLevelSize < L.minSize) problems.push(`${key}.ladder.maxLevelSize: at least ladder.minSize`);
    if (!(L.depthRatio >= 1)) problems.push(`${key}.ladder.depthRatio: >= 1`);
    if (!(L.sizeSkew >= 0 && L.sizeSkew <= 1)) problems.push(`${key}.ladder.sizeSkew: in [0, 1]`);
    if (L.maxPosition > limits.maxPosition) problems.push(`${key}.ladder.maxPosition: above mm.limits.maxPosition (${limits.maxPosition})`);
    if (!(c.diff.priceTol >= 0) || !(c.diff.sizeTol >= 0)) problems.push(`${key}.diff: priceTol and sizeTol >= 0`);
    if (!Number.isSafeInteger(c.adverseHorizon) || c.adverseHorizon < 0 || c.adverseHorizon >= c.estimator.markout.horizonsS.length) {
      problems.push(`${key}.adverseHorizon: an index into estimator.markout.horizonsS`);
    }
    const th = c.estimator.regime.thresholds;
    if (!(th[0] > 0 && th[0] < th[1] && th[1] < th[2])) problems.push(`${key}.estimator.regime.thresholds: positive and ascending`);
    markets.push(c);
  });
  if (problems.length > 0) throw new MakerConfigError(problems);
  return { cycleMs: cycleMs as number, references, anchor, limits, rate, markets };
}

function positive(problems: string[], key: string, v: unknown): void {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) problems.push(`${key}: a positive number`);
}
