// Deterministic STF workload for node/state tests, the crash test and `npm run bench -- state` (a bench
// input, so it lives in bench/).
//
// A batch is a pure function of (seed, batch index, pre-state), so a process that restarts from a stored
// state regenerates exactly the batch it would have applied. Signatures are not produced: transactions
// carry a fixed canonical dummy signature and the signer is supplied by admission verdicts (stf.ts admit(),
// both in `signers` and aligned with the batch as `admitted`): the bench measures STF + commitment with
// signers already recovered, as admission does.
//
// Mix per transaction (the clob bench mix): 60% limit GTC (one in ten marketable, 0..2 ticks through the
// opposite best; the rest passive at mid -/+ d, d = 1 + floor(2000 u^3): clustered at the touch), 25%
// cancel of a random resting order, 10% amend (half size down keeping priority, one fifth size up, the
// rest a 1..3 tick price move that does not cross), 5% taker (3/5 market, 2/5 IOC at the opposite best).
// With `gtt: N`, one in N passive limit orders of the mix is good-till-time, expiring 1 to 4 batches (12 s
// each) later, so every batch's expiry sweep (docs/stf.md "Expiry (eager)") has work.
// Setup batches: SET_MARKET + deposits for every account, then passive orders up to the target depth.

import { keccak_256 } from "@noble/hashes/sha3.js";
import type { ClobState } from "../node/clob/state.ts";
import { TxSignerCache, type Admitted, type Batch } from "../node/clob/stf.ts";
import {
  type Address,
  type L1Message,
  L1MessageKind,
  MarketStatus,
  SelfTradePrevention,
  Side,
  TimeInForce,
  type Tx,
  TxKind,
  type Signature,
} from "../node/clob/types.ts";
import { XorShift32 as Rng } from "../node/sim/rng.ts";

export const MID = 1_000_000;
const RANGE = 2000;
const SIG: Signature = { r: new Uint8Array(32).fill(1), s: new Uint8Array(32).fill(1), v: 0 };

export interface WorkloadOptions {
  seed?: number;
  accounts?: number;
  markets?: number;
  /** Resting orders to build up in setup. */
  depth?: number;
  /** Transactions per batch. */
  batchSize?: number;
  /** Deposits per setup batch. */
  depositsPerBatch?: number;
  /**
   * Edge cases on top of the mix (tests): ~10% of txs become expiring orders, post-only / FOK / other STP
   * modes, cancel by client id, cancel-all and withdrawals.
   */
  extras?: boolean;
  /** One in `gtt` passive limit orders of the mix gets an expiry 1..4 batches ahead (0: none). */
  gtt?: number;
  /** Account addresses (default accountAddress(i)): a benchmark that signs for real passes its keys' addresses. */
  addresses?: readonly Address[];
}

export function accountAddress(i: number): Address {
  const h = keccak_256(new TextEncoder().encode(`rollbook-state-workload-${i}`));
  return `0x${Buffer.from(h.subarray(12)).toString("hex")}` as Address;
}

export class Workload {
  readonly seed: number;
  readonly accounts: number;
  readonly markets: number;
  readonly depth: number;
  readonly batchSize: number;
  readonly depositsPerBatch: number;
  readonly extras: boolean;
  readonly gtt: number;
  readonly addresses: Address[] = [];
  /** Signer cache shared by every generated tx (identity-keyed). */
  readonly signers = new TxSignerCache();

  constructor(o: WorkloadOptions = {}) {
    this.seed = o.seed ?? 1;
    this.accounts = o.accounts ?? 1000;
    this.markets = o.markets ?? 1;
    this.depth = o.depth ?? 10_000;
    this.batchSize = o.batchSize ?? 1000;
    this.depositsPerBatch = o.depositsPerBatch ?? 20_000;
    this.extras = o.extras ?? false;
    this.gtt = o.gtt ?? 0;
    for (let i = 0; i < this.accounts; i++) this.addresses.push(o.addresses?.[i] ?? accountAddress(i));
  }

  /** Number of setup batches (markets + deposits); passive pre-fill follows until the depth is reached. */
  get depositBatches(): number {
    return Math.ceil((2 * this.accounts) / this.depositsPerBatch);
  }

  private restingCount(state: ClobState): number {
    let n = 0;
    for (const m of state.markets.values()) n += m.book.orderCount;
    return n;
  }

  /** The next batch after `state` (index state.batchIndex + 1), with its L1 messages. */
  next(state: ClobState): { batch: Batch; l1: L1Message[]; admitted: Admitted[] } {
    const index = state.batchIndex + 1;
    const rng = new Rng((Math.imul(this.seed, 0x9e3779b1) ^ Math.imul(index, 0x85ebca6b)) >>> 0);
    const timestamp = 1_700_000_000 + index * 12;
    if (index <= this.depositBatches) return { batch: { index, timestamp, txs: [] }, l1: this.setupMessages(index), admitted: [] };
    const txs: Tx[] = [];
    const admitted: Admitted[] = [];
    const nonces = new Map<number, number>();
    const prefill = this.restingCount(state) < this.depth && index <= this.depositBatches + Math.ceil(this.depth / this.batchSize) + 2;
    for (let i = 0; i < this.batchSize; i++) {
      const tx = prefill
        ? this.passive(state, rng, nonces)
        : this.extras && rng.int(10) === 0
          ? this.extra(state, rng, nonces, timestamp)
          : this.mixed(state, rng, nonces, timestamp);
      // Admission against the pre-batch state, with the signer pre-recovered.
      admitted.push(this.signers.admit(state, tx, tx.account));
      txs.push(tx);
    }
    return { batch: { index, timestamp, txs }, l1: [], admitted };
  }

  private setupMessages(index: number): L1Message[] {
    const l1: L1Message[] = [];
    if (index === 1) {
      for (let m = 0; m < this.markets; m++) {
        l1.push({
          kind: L1MessageKind.SET_MARKET,
          market: m,
          params: {
            baseAsset: 2 * m + 1,
            quoteAsset: 2 * m + 2,
            lotSize: 1000,
            tickSize: 1,
            minSize: 1,
            makerFeePpm: -100,
            takerFeePpm: 500,
            status: MarketStatus.ACTIVE,
          },
        });
      }
    }
    const from = (index - 1) * this.depositsPerBatch;
    const to = Math.min(2 * this.accounts, from + this.depositsPerBatch);
    for (let k = from; k < to; k++) {
      const acct = k >> 1;
      for (let m = 0; m < this.markets; m++) {
        l1.push({
          kind: L1MessageKind.DEPOSIT,
          account: this.addresses[acct],
          asset: (k & 1) === 0 ? 2 * m + 1 : 2 * m + 2,
          // Each asset's total supply must stay within 2^53 - 1 (SUPPLY_OVERFLOW refunds beyond).
          amount: Math.floor(8e15 / this.accounts),
        });
      }
    }
    return l1;
  }

  private nonce(state: ClobState, nonces: Map<number, number>, acct: number): number {
    let n = nonces.get(acct);
    if (n === undefined) n = state.account(this.addresses[acct])?.nonce ?? 0;
    nonces.set(acct, n + 1);
    return n;
  }

  private size(rng: Rng): number {
    return rng.int(10) === 0 ? 20 + rng.int(100) : 1 + rng.int(20);
  }

  private passivePrice(rng: Rng, side: Side): number {
    const u = rng.int(1024);
    const d = 1 + Math.floor((RANGE * u * u * u) / 2 ** 30);
    return side === Side.BUY ? MID - d : MID + d;
  }

  private place(state: ClobState, nonces: Map<number, number>, acct: number, market: number, side: Side, tif: TimeInForce, price: number, size: number, clientId = 0): Tx {
    return {
      kind: TxKind.PLACE, account: this.addresses[acct], nonce: this.nonce(state, nonces, acct), sig: SIG,
      market, side, tif, price, size, expiry: 0, clientId, stp: SelfTradePrevention.EXPIRE_MAKER,
    };
  }

  private passive(state: ClobState, rng: Rng, nonces: Map<number, number>): Tx {
    const acct = rng.int(this.accounts);
    const side = rng.int(2) as Side;
    const clientId = rng.int(8) === 0 ? 1 + rng.int(1_000_000) : 0;
    return this.place(state, nonces, acct, rng.int(this.markets), side, TimeInForce.GTC, this.passivePrice(rng, side), this.size(rng), clientId);
  }

  /** A resting order picked uniformly among ids (a few tries), or undefined. */
  private pickResting(state: ClobState, rng: Rng, market: number) {
    const book = state.markets.get(market)?.book;
    if (book === undefined || state.nextOrderId <= 1) return undefined;
    for (let t = 0; t < 12; t++) {
      const id = 1 + rng.int(state.nextOrderId - 1);
      const o = book.getOrder(id);
      if (o !== undefined) return o;
    }
    return undefined;
  }

  private extra(state: ClobState, rng: Rng, nonces: Map<number, number>, now: number): Tx {
    const market = rng.int(this.markets);
    const book = state.markets.get(market)!.book;
    const k = rng.int(100);
    const acct = rng.int(this.accounts);
    const account = this.addresses[acct];
    const side = rng.int(2) as Side;
    if (k < 35) {
      // expiring passive order (some already about to expire), random STP mode
      const tx = this.place(state, nonces, acct, market, side, TimeInForce.GTC, this.passivePrice(rng, side), this.size(rng), rng.int(3) === 0 ? 1 + rng.int(50) : 0) as Tx & { expiry: number; stp: number };
      tx.expiry = now + 12 * (1 + rng.int(4));
      return tx;
    }
    if (k < 55) {
      // near the touch with a random tif / stp mode: post-only rejections, FOK, self trades
      const best = side === Side.BUY ? book.bestAsk() : book.bestBid();
      const price = best < 0 ? this.passivePrice(rng, side) : side === Side.BUY ? best + rng.int(3) - 1 : best - rng.int(3) + 1;
      const tifs = [TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.POST_ONLY];
      const tx = this.place(state, nonces, acct, market, side, tifs[rng.int(4)], Math.max(1, price), this.size(rng)) as Tx & { stp: number };
      tx.stp = rng.int(4);
      return tx;
    }
    if (k < 70) {
      // cancel by client id: of a resting order that has one, else (usually) unknown
      for (let t = 0; t < 4; t++) {
        const o = this.pickResting(state, rng, market);
        if (o !== undefined && o.clientId !== 0 && o.owner >= 1 && o.owner <= this.accounts) {
          const a = o.owner - 1;
          return { kind: TxKind.CANCEL_BY_CLIENT_ID, account: this.addresses[a], nonce: this.nonce(state, nonces, a), sig: SIG, market, clientId: o.clientId };
        }
      }
      return { kind: TxKind.CANCEL_BY_CLIENT_ID, account, nonce: this.nonce(state, nonces, acct), sig: SIG, market, clientId: 1 + rng.int(50) };
    }
    if (k < 80) return { kind: TxKind.CANCEL_ALL, account, nonce: this.nonce(state, nonces, acct), sig: SIG, market };
    if (k < 90) {
      return {
        kind: TxKind.WITHDRAW, account, nonce: this.nonce(state, nonces, acct), sig: SIG,
        asset: 1 + rng.int(2 * this.markets), amount: 1 + rng.int(1_000_000), recipient: account,
      };
    }
    // cancel / amend of an order that does not rest (ORDER_NOT_FOUND): exclusion reads
    const orderId = state.nextOrderId + 5 + rng.int(100);
    if (rng.int(2) === 0) return { kind: TxKind.CANCEL, account, nonce: this.nonce(state, nonces, acct), sig: SIG, market, orderId };
    return { kind: TxKind.AMEND, account, nonce: this.nonce(state, nonces, acct), sig: SIG, market, orderId, price: MID, size: 1 };
  }

  private mixed(state: ClobState, rng: Rng, nonces: Map<number, number>, now: number): Tx {
    const r = rng.int(100);
    const market = rng.int(this.markets);
    const book = state.markets.get(market)!.book;
    if (r < 60) {
      const acct = rng.int(this.accounts);
      const side = rng.int(2) as Side;
      if (rng.int(10) === 0) {
        const best = side === Side.BUY ? book.bestAsk() : book.bestBid();
        if (best >= 0) {
          const through = rng.int(3);
          return this.place(state, nonces, acct, market, side, TimeInForce.GTC, side === Side.BUY ? best + through : best - through, this.size(rng));
        }
      }
      const clientId = rng.int(8) === 0 ? 1 + rng.int(1_000_000) : 0;
      const tx = this.place(state, nonces, acct, market, side, TimeInForce.GTC, this.passivePrice(rng, side), this.size(rng), clientId);
      if (this.gtt > 0 && rng.int(this.gtt) === 0) (tx as Tx & { expiry: number }).expiry = now + 12 * (1 + rng.int(4));
      return tx;
    }
    if (r < 95) {
      const o = this.pickResting(state, rng, market);
      if (o === undefined) return this.passive(state, rng, nonces);
      const acct = o.owner - 1; // workload accounts start at index 1 (index 0 is the fee account)
      if (acct < 0 || acct >= this.accounts) return this.passive(state, rng, nonces);
      const nonce = this.nonce(state, nonces, acct);
      if (r < 85) return { kind: TxKind.CANCEL, account: this.addresses[acct], nonce, sig: SIG, market, orderId: o.id };
      const k = rng.int(10);
      let price = o.price;
      let size = o.size;
      if (k < 5) size = Math.max(1, o.size - 1 - rng.int(Math.max(1, o.size)));
      else if (k < 7) size = o.size + 1 + rng.int(10);
      else {
        const step = 1 + rng.int(3);
        price = o.side === Side.BUY ? o.price - step : o.price + step;
      }
      return { kind: TxKind.AMEND, account: this.addresses[acct], nonce, sig: SIG, market, orderId: o.id, price, size };
    }
    const acct = rng.int(this.accounts);
    const side = rng.int(2) as Side;
    const best = side === Side.BUY ? book.bestAsk() : book.bestBid();
    if (best < 0) return this.passive(state, rng, nonces);
    if (rng.int(5) < 3) {
      const protection = side === Side.BUY ? best + 50 : Math.max(1, best - 50);
      return this.place(state, nonces, acct, market, side, TimeInForce.MARKET, protection, 5 + rng.int(60));
    }
    return this.place(state, nonces, acct, market, side, TimeInForce.IOC, best, this.size(rng));
  }
}
