// Shared setup of the market-maker tests: keys, two markets on one underlying over the real STF, a maker
// configuration, a synthetic reference and a taker agent.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { addressOfPrivateKey, signTx } from "../../../../node/clob/eip712.ts";
import { type Address, type Eip712Domain, type L1Message, L1MessageKind, type MarketParams, MarketStatus, SelfTradePrevention, Side, TimeInForce, type Tx, TxKind } from "../../../../node/clob/types.ts";
import { type MarketMakerConfig, validateMakerConfig } from "../../../../node/mm/config.ts";
import { SyntheticSource } from "../../../../node/mm/feeds/synthetic.ts";
import { Rng } from "../../../../node/quant/rng.ts";
import { type Key, LocalExchange } from "./local-exchange.ts";

export const DOMAIN: Eip712Domain = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" };

export function key(tag: string): Key {
  const priv = keccak_256(new TextEncoder().encode(`rollbook-mm-test-${tag}`));
  return { priv, address: addressOfPrivateKey(priv) };
}

/** Market m: base asset 2m-1, quote asset 2m; 1 lot = 1000 base units, 1 tick = 10 quote units per lot. */
export function marketParams(m: number): MarketParams {
  return { baseAsset: 2 * m - 1, quoteAsset: 2 * m, lotSize: 1000, tickSize: 10, minSize: 1, makerFeePpm: -100, takerFeePpm: 500, status: MarketStatus.ACTIVE };
}

export const MARKETS = [1, 2];
export const START_S = 1_723_161_000;
export const BASE_FUNDS = 1_000_000_000; // base units (1e6 lots)
export const QUOTE_FUNDS = 1e15; // quote units

/** Deposits funding each of `accounts` with BASE_FUNDS and QUOTE_FUNDS in every market's assets. */
function marketsDeposits(accounts: readonly Address[]): L1Message[] {
  const deposits: L1Message[] = [];
  for (const account of accounts) {
    for (const m of MARKETS) {
      const p = marketParams(m);
      deposits.push({ kind: L1MessageKind.DEPOSIT, account, asset: p.baseAsset, amount: BASE_FUNDS });
      deposits.push({ kind: L1MessageKind.DEPOSIT, account, asset: p.quoteAsset, amount: QUOTE_FUNDS });
    }
  }
  return deposits;
}

/** An L1 queue that lists MARKETS, then funds `accounts` (marketsDeposits). */
export function marketsQueue(accounts: readonly Address[]): L1Message[] {
  return [...MARKETS.map((market): L1Message => ({ kind: L1MessageKind.SET_MARKET, market, params: marketParams(market) })), ...marketsDeposits(accounts)];
}

export function makeExchange(maker: Key, others: Key[], agent: Key = key(`${maker.address}-agent`)): LocalExchange {
  const deposits = marketsDeposits([maker, ...others].map((k) => k.address));
  return new LocalExchange({ domain: DOMAIN, maker, agent, markets: MARKETS.map((id) => ({ id, params: marketParams(id) })), deposits, start: START_S });
}

/** Two markets on one synthetic underlying (priceScale 10: a tick is 0.1 of the reference unit). */
export function makerConfig(overrides: Record<string, unknown> = {}): MarketMakerConfig {
  const market = (m: number) => ({
    market: m, references: ["syn"], priceScale: 10, tickValue: 10, model: m === 1 ? "glft" : "as",
    // GLFT: gamma per (tick x quote unit of 10 lots); AS: gamma per (tick x lot), horizon 5 s
    gamma: m === 1 ? 0.02 : 0.0005, A: 1, k: 0.02, tauS: 5, quoteUnit: 10,
    ladder: { levels: 4, depthRatio: 1.4, minStepTicks: 2, sideSize: 40, maxLevelSize: 25, minSize: 1, maxPosition: 60, sizeSkew: 0.8 },
  });
  return validateMakerConfig({
    cycleMs: 1000,
    references: [{ name: "syn", source: "synthetic", symbol: "BTC" }],
    markets: MARKETS.map(market),
    limits: { maxPosition: 100, maxActionsPerMin: 100_000, maxFillsPerMin: 10_000, pullStaleS: 5, killStaleS: 30 },
    rate: { actionsPerSec: 200, burst: 400 },
    ...overrides,
  });
}

export function syntheticSource(seed = 7): SyntheticSource {
  return new SyntheticSource({
    seed, symbol: "BTC", start: 61_800, startMs: (START_S - 30) * 1000, dtMs: 200,
    process: { mu: 0, sigma: 1.2e-4, jumpRate: 0.02, jumpMean: 0, jumpStd: 8e-4 }, halfSpread: 2e-5, levels: 5, tradeRate: 3,
  });
}

/** A taker sending IOC orders that cross the book's top, side chosen at random with a lean. */
export class Taker {
  readonly key: Key;
  private nonce = 0;
  private readonly rng: Rng;
  constructor(key: Key, seed: number) {
    this.key = key;
    this.rng = new Rng(seed);
  }
  orders(ex: LocalExchange, lean = 0.5): Tx[] {
    const out: Tx[] = [];
    for (const m of MARKETS) {
      const n = this.rng.int(3);
      const top = ex.top(m);
      for (let i = 0; i < n; i++) {
        const buy = this.rng.uniform() < lean;
        const ref = buy ? top.bestAsk : top.bestBid;
        if (ref < 0) continue;
        const price = buy ? ref + 5 : Math.max(1, ref - 5);
        out.push(this.tx(m, buy ? Side.BUY : Side.SELL, price, 1 + this.rng.int(6)));
      }
    }
    return out;
  }
  tx(market: number, side: Side, price: number, size: number): Tx {
    return signTx(DOMAIN, {
      kind: TxKind.PLACE, account: this.key.address, nonce: this.nonce++, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
      market, side, tif: TimeInForce.IOC, price, size, expiry: 0, clientId: 0, stp: SelfTradePrevention.EXPIRE_TAKER,
    }, this.key.priv);
  }
}

/** Lets the acknowledgements resolved by a batch run (their promise continuations). */
export function flush(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
