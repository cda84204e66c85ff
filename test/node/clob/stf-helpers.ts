// Shared helpers of the STF tests: deterministic keys, native signing, tx builders, market setup and
// whole-state invariant checks.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { addressOfPrivateKey, signTx } from "../../../node/clob/eip712.ts";
import { type ClobState, createGenesisState, stateDigest } from "../../../node/clob/state.ts";
import {
  type ApplyOptions,
  type BatchResult,
  applyBatch,
  orderLock,
} from "../../../node/clob/stf.ts";
import {
  type Address,
  type BulkAction,
  type Eip712Domain,
  type L1Message,
  L1MessageKind,
  type MarketParams,
  type PlaceOrderTx,
  MarketStatus,
  SelfTradePrevention,
  Side,
  TimeInForce,
  type Tx,
  TxKind,
} from "../../../node/clob/types.ts";

export const DOMAIN: Eip712Domain = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" };
export const FEE_ACCOUNT: Address = "0x000000000000000000000000000000000000fee1";

export interface Key {
  priv: Uint8Array;
  address: Address;
}

/** Deterministic private keys: keccak("rollbook-test-key" ‖ i). */
export function makeKeys(n: number, tag = "rollbook-test-key"): Key[] {
  const out: Key[] = [];
  for (let i = 0; i < n; i++) {
    const priv = keccak_256(new TextEncoder().encode(`${tag}-${i}`));
    out.push({ priv, address: addressOfPrivateKey(priv) });
  }
  return out;
}

const ZERO_SIG = () => ({ r: new Uint8Array(32), s: new Uint8Array(32), v: 0 as const });

type PlaceArgs = {
  market?: number;
  side?: Side;
  tif?: (typeof TimeInForce)[keyof typeof TimeInForce];
  price: number;
  size: number;
  expiry?: number;
  clientId?: number;
  stp?: (typeof SelfTradePrevention)[keyof typeof SelfTradePrevention];
};

/**
 * Builds signed transactions for one key, tracking its nonce. With `account`, the key signs as an agent of
 * that account (the nonce is the account's: set it before use).
 */
export class Trader {
  nonce = 0;
  readonly key: Key;
  readonly domain: Eip712Domain;
  private readonly account: Address | undefined;
  constructor(key: Key, domain: Eip712Domain = DOMAIN, account?: Address) {
    this.key = key;
    this.domain = domain;
    this.account = account;
  }
  get address(): Address {
    return this.account ?? this.key.address;
  }
  /** A BULK of these actions (docs/stf.md "BULK"). */
  bulk(actions: BulkAction[]): Tx {
    return this.sign({ kind: TxKind.BULK, account: this.address, nonce: this.nonce++, sig: ZERO_SIG(), actions });
  }
  approveAgent(agent: Address, expiry: number): Tx {
    return this.sign({ kind: TxKind.APPROVE_AGENT, account: this.address, nonce: this.nonce++, sig: ZERO_SIG(), agent, expiry });
  }
  revokeAgent(agent: Address): Tx {
    return this.sign({ kind: TxKind.REVOKE_AGENT, account: this.address, nonce: this.nonce++, sig: ZERO_SIG(), agent });
  }
  private sign<T extends Tx>(tx: T): T {
    return signTx(this.domain, tx, this.key.priv);
  }
  place(a: PlaceArgs): PlaceOrderTx {
    return this.sign({
      kind: TxKind.PLACE,
      account: this.address,
      nonce: this.nonce++,
      sig: ZERO_SIG(),
      market: a.market ?? 1,
      side: a.side ?? Side.BUY,
      tif: a.tif ?? TimeInForce.GTC,
      price: a.price,
      size: a.size,
      expiry: a.expiry ?? 0,
      clientId: a.clientId ?? 0,
      stp: a.stp ?? SelfTradePrevention.EXPIRE_MAKER,
    });
  }
  buy(price: number, size: number, o: Partial<PlaceArgs> = {}): PlaceOrderTx {
    return this.place({ ...o, side: Side.BUY, price, size });
  }
  sell(price: number, size: number, o: Partial<PlaceArgs> = {}): PlaceOrderTx {
    return this.place({ ...o, side: Side.SELL, price, size });
  }
  cancel(orderId: number, market = 1): Tx {
    return this.sign({ kind: TxKind.CANCEL, account: this.address, nonce: this.nonce++, sig: ZERO_SIG(), market, orderId });
  }
  cancelByClientId(clientId: number, market = 1): Tx {
    return this.sign({ kind: TxKind.CANCEL_BY_CLIENT_ID, account: this.address, nonce: this.nonce++, sig: ZERO_SIG(), market, clientId });
  }
  cancelAll(market = 1): Tx {
    return this.sign({ kind: TxKind.CANCEL_ALL, account: this.address, nonce: this.nonce++, sig: ZERO_SIG(), market });
  }
  amend(orderId: number, price: number, size: number, market = 1): Tx {
    return this.sign({ kind: TxKind.AMEND, account: this.address, nonce: this.nonce++, sig: ZERO_SIG(), market, orderId, price, size });
  }
  withdraw(asset: number, amount: number, recipient: Address = this.address): Tx {
    return this.sign({ kind: TxKind.WITHDRAW, account: this.address, nonce: this.nonce++, sig: ZERO_SIG(), asset, amount, recipient });
  }
}

export const BASE = 1;
export const QUOTE = 2;

export const DEFAULT_MARKET: MarketParams = {
  baseAsset: BASE,
  quoteAsset: QUOTE,
  lotSize: 100,
  tickSize: 10,
  minSize: 1,
  makerFeePpm: -100,
  takerFeePpm: 500,
  status: MarketStatus.ACTIVE,
};

export function setMarket(market: number, params: Partial<MarketParams> = {}): L1Message {
  return { kind: L1MessageKind.SET_MARKET, market, params: { ...DEFAULT_MARKET, ...params } };
}
export function deposit(account: Address, asset: number, amount: number): L1Message {
  return { kind: L1MessageKind.DEPOSIT, account, asset, amount };
}

/** A chain with market 1 and funded traders. */
export class Chain {
  readonly state: ClobState;
  now = 1_000;
  /** The proposer credited the reward (undefined: no reward moves). */
  proposer: Address | undefined;
  readonly results: BatchResult[] = [];
  constructor(state?: ClobState) {
    this.state = state ?? createGenesisState({ domain: DOMAIN, feeAccount: FEE_ACCOUNT });
  }
  batch(txs: Tx[], msgs: L1Message[] = [], opts: ApplyOptions = {}, dt = 1): BatchResult {
    this.now += dt;
    const r = applyBatch(this.state, { index: this.state.batchIndex + 1, timestamp: this.now, proposer: this.proposer, txs }, msgs, opts);
    this.results.push(r);
    return r;
  }
  /** One tx in its own batch; returns its receipt. */
  tx(tx: Tx, dt = 0) {
    return this.batch([tx], [], {}, dt).receipts.tx(0);
  }
  digest(): string {
    return stateDigest(this.state);
  }
}

/** Per asset: sum over accounts of available + locked. */
export function totals(s: ClobState): Map<number, number> {
  const t = new Map<number, number>();
  for (const a of s.accounts) for (const [asset, av, lk] of a.balances()) t.set(asset, (t.get(asset) ?? 0) + av + lk);
  return t;
}

/**
 * Whole-state invariants: no negative or unsafe balances; per asset, total balances == supply; per account
 * and asset, locked == sum of the locks of its resting orders; books not crossed.
 */
export function checkInvariants(s: ClobState): void {
  const expectLocked = new Map<string, number>();
  for (const m of s.markets.values()) {
    const bb = m.book.bestBid();
    const ba = m.book.bestAsk();
    if (bb >= 0 && ba >= 0 && bb >= ba) throw new Error(`market ${m.id} crossed: ${bb} >= ${ba}`);
    for (const o of m.book.orders()) {
      const asset = o.side === Side.BUY ? m.params.quoteAsset : m.params.baseAsset;
      const k = `${o.owner}:${asset}`;
      const l = orderLock(o.side, o.price, o.size, m.params);
      if (l < 0) throw new Error("resting lock overflow");
      expectLocked.set(k, (expectLocked.get(k) ?? 0) + l);
    }
  }
  for (const a of s.accounts) {
    for (const [asset, available, locked] of a.balances()) {
      for (const v of [available, locked]) {
        if (!Number.isSafeInteger(v) || v < 0) throw new Error(`bad balance ${v} of ${a.address} asset ${asset}`);
      }
      const exp = expectLocked.get(`${a.index}:${asset}`) ?? 0;
      if (locked !== exp) throw new Error(`account ${a.index} asset ${asset}: locked ${locked} != orders ${exp}`);
      expectLocked.delete(`${a.index}:${asset}`);
    }
  }
  if (expectLocked.size > 0) throw new Error(`orders lock funds of missing balances: ${[...expectLocked.keys()]}`);
  const t = totals(s);
  for (const [asset, st] of s.assets) {
    if ((t.get(asset) ?? 0) !== st.supply) throw new Error(`asset ${asset}: balances ${t.get(asset)} != supply ${st.supply}`);
  }
  for (const [asset, v] of t) if (v !== 0 && !s.assets.has(asset)) throw new Error(`asset ${asset} has balances but no supply record`);
}
