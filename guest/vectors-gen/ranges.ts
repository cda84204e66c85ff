// Range vectors for the guest's prove-range (guest/core src/range.rs, docs/proving.md), produced by the node:
// random trading scenarios proposed as an Inbox would (c(i) v2, b(i), q(n)), each batch checked by
// node/derive/validity.ts and applied by the TS STF (node/clob/stf.ts), the state root from
// node/state/commitment.ts, the withdrawal root from node/state/withdrawals.ts and the public values from
// node/derive/commitment.ts `publicValuesFor`. The Rust runner must reproduce the 320 public-value bytes,
// every batch's outcome and post-state root, and the range's receipts digest (`receiptBytes` below).
//
//   npx node guest/vectors-gen/ranges.ts              writes test/vectors/guest/ranges.json + ranges/*.bin
//   npx node guest/vectors-gen/ranges.ts --check      exits 1 if the committed files differ
//   npx node guest/vectors-gen/ranges.ts --diff [n] [seed]
//                                                      differential run: n fresh random scenarios (default 3,
//                                                      seed from the clock unless given), each executed by
//                                                      the TS STF and by `rollbook-guest prove-range` (release
//                                                      build); prints the divergences (0 expected) and exits 1
//                                                      on any
//
// Scenarios: 12 traders and 3 agent keys over 3 markets; per batch 0-3 L1 messages (deposits, forced
// withdrawals and cancels, SET_MARKET fee and status changes that re-lock buys) and 10-70 transactions of
// every kind: PLACE with every TIF and STP mode, GTT expiries a few seconds ahead (eager sweeps), client ids,
// CANCEL, CANCEL_BY_CLIENT_ID, CANCEL_ALL, AMEND of real orders, WITHDRAW (to others too), BULK of 1-24 mixed
// actions, APPROVE_AGENT / REVOKE_AGENT and agent-signed trading (expired, revoked and refused kinds
// included), and adversarial ones: a stranger's signature, nonce gaps and replays, unknown markets, huge
// sizes. About 1 batch in 7 is invalid (every rule V1-V6: truncated or empty data, wrong parent, wrong
// message range, clock before the previous / after L1 / too old): only its messages run.
// Some batches are proposed as blobs (node/da packing, c-kzg commitments; the range input carries the blobs
// and their commitments): 3% in the committed vectors (128 KiB per blob), 17% in differential runs. Deterministic for a seed (XorShift32).
//
// Witness mode: each batch also records its pre-state witness as the node's deriver does
// (node/state/witness.ts applyAndWitness), and each range is written a second time as the node's prover
// input (ranges/<name>.witness.bin, node/prover/guest-input.ts), whose public values the TS stateless
// executor of the attest backend (node/prover/execute.ts executeRange) must give equal to the full-state
// ones; the Rust `prove-witness-range` must reproduce them (guest/core src/witness_range.rs).

import { execFileSync } from "node:child_process";
import { keccak_256 as keccak } from "@noble/hashes/sha3.js";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex } from "../../node/clob/eip712.ts";
import { encodeL1Message, nextQueueHash } from "../../node/clob/l1messages.ts";
import { cloneState, createGenesisState } from "../../node/clob/state.ts";
import { type Address, type BulkAction, type L1Message, type Tx, L1MessageKind, MarketStatus } from "../../node/clob/types.ts";
import { Compression, encodeBatch } from "../../node/codec/index.ts";
import {
  type BatchCommitment,
  DataKind,
  type Hash,
  ZERO_HASH,
  batchCommitment,
  blobDataHash,
  calldataDataHash,
  kzgVersionedHash,
  encodePublicValues,
  nextBatchChain,
  publicValuesFor,
} from "../../node/derive/commitment.ts";
import { loadKzg } from "../../node/da/kzg.ts";
import { packBlobs } from "../../node/da/packing.ts";
import { checkBatchValidity } from "../../node/derive/validity.ts";
import { StateCommitment, hex } from "../../node/state/commitment.ts";
import { applyAndWitness } from "../../node/state/witness.ts";
import type { Fill, ReceiptLog } from "../../node/clob/receipts.ts";
import { encodeGuestInput } from "../../node/prover/guest-input.ts";
import { executeRange } from "../../node/prover/execute.ts";
import { WithdrawalTree, type WithdrawalRecord } from "../../node/state/withdrawals.ts";
import { XorShift32 } from "../../node/sim/rng.ts";
import { encodeRangeInput, proveRangeNative, proveWitnessRangeNative } from "../host/range.ts";
import { DEFAULT_MARKET, DOMAIN, FEE_ACCOUNT, type Key, Trader, makeKeys } from "../../test/node/clob/stf-helpers.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../..");
const OUT_JSON = path.join(ROOT, "test/vectors/guest/ranges.json");
const OUT_DIR = path.join(ROOT, "test/vectors/guest/ranges");
const PROPOSERS: Address[] = ["0x00000000000000000000000000000000000b0b00", "0x00000000000000000000000000000000000b0b01", FEE_ACCOUNT];
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const PROVER: Address = "0x00000000000000000000000000000000000000a1";

/** One batch as the range input carries it. */
interface RangeBatch {
  c: BatchCommitment;
  data: Uint8Array;
  /** Blob batches: the blobs packing `data` and their KZG commitments. */
  blobs?: { commitment: Uint8Array; blob: Uint8Array }[];
  messages: Uint8Array[];
  outcome: number;
  postRoot: Hash;
  txs: number;
  /** The pre-state witness (node/state/witness.ts). */
  witness: Uint8Array;
  versionedHashes?: Hash[];
  /** The batch's receipts as the digest hashes them (`receiptBytes`). */
  receipts: Uint8Array;
  /** Receipt codes: transactions (a BULK's own), BULK actions, L1 messages. */
  codes: Codes;
}

/** code -> count, per receipt class (the runner's `prove-range --stats`). */
interface Codes {
  tx: Record<number, number>;
  action: Record<number, number>;
  l1: Record<number, number>;
}

function countCodes(log: ReceiptLog): Codes {
  const c: Codes = { tx: {}, action: {}, l1: {} };
  const add = (m: Record<number, number>, code: number) => (m[code] = (m[code] ?? 0) + 1);
  for (const r of log.l1()) add(c.l1, r.code);
  for (const t of log.txs()) {
    add(c.tx, t.code);
    for (const a of t.actions) add(c.action, a.code);
  }
  return c;
}

function sumCodes(cs: Codes[]): Codes {
  const out: Codes = { tx: {}, action: {}, l1: {} };
  for (const c of cs) {
    for (const k of ["tx", "action", "l1"] as const) for (const [code, n] of Object.entries(c[k])) out[k][Number(code)] = (out[k][Number(code)] ?? 0) + n;
  }
  return out;
}

interface Range {
  name: string;
  input: Uint8Array;
  /** The same range as the node's prover input (witness mode). */
  witnessInput: Uint8Array;
  publicValues: Hash;
  batches: RangeBatch[];
  txs: number;
  /** keccak256 of the batches' `receiptBytes`, in order. */
  receiptsDigest: Hash;
  codes: Codes;
}

/**
 * A batch's receipts, the fields the STF vectors compare (docs/guest.md "Range vectors"; the Rust
 * `receipts_digest` of guest/runner src/stf.rs): be32(L1 count), per L1 receipt code (1) ‖ be64 amount ‖
 * be64 withdrawalId (none: 2^64 - 1); be32(tx count), per tx status (1) ‖ code (1) ‖ be64 orderId ‖ fills ‖
 * be32(action count) ‖ per action status ‖ code ‖ be64 orderId ‖ fills; fills: be32(count) ‖ per fill be64
 * makerOrderId, price, size, takerFee, makerFee (two's complement).
 */
function receiptBytes(log: ReceiptLog): Uint8Array {
  const parts: Buffer[] = [];
  const u8 = (...x: number[]) => parts.push(Buffer.from(x));
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    parts.push(b);
  };
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(n)));
    parts.push(b);
  };
  const fills = (fs: Fill[]) => {
    u32(fs.length);
    for (const f of fs) for (const x of [f.makerOrderId, f.price, f.size, f.takerFee, f.makerFee]) u64(x);
  };
  const l1 = log.l1();
  u32(l1.length);
  for (const r of l1) {
    u8(r.code);
    u64(r.amount);
    u64(r.withdrawalId);
  }
  const txs = log.txs();
  u32(txs.length);
  for (const t of txs) {
    u8(t.status, t.code);
    u64(t.orderId);
    fills(t.fills);
    u32(t.actions.length);
    for (const a of t.actions) {
      u8(a.status, a.code);
      u64(a.orderId);
      fills(a.fills);
    }
  }
  return Buffer.concat(parts);
}

// ------------------------------------------------------------------------------------------ scenario

class Scenario {
  readonly rng: XorShift32;
  state = createGenesisState({ domain: DOMAIN, feeAccount: FEE_ACCOUNT });
  /** The state's commitment, kept up to date batch by batch (witnesses and roots). */
  sc = StateCommitment.fromState(this.state);
  chain: Hash = ZERO_HASH;
  queue: Uint8Array[] = [];
  q: Hash[] = [ZERO_HASH];
  now = 1_000;
  readonly traders: Trader[];
  readonly agents: Key[];
  readonly stranger: Key;
  withdrawals: WithdrawalRecord[] = [];
  /** The previous batch flooded the book with GTT orders: this one passes their expiry. */
  afterFlood = false;

  /** Share of batches proposed as blobs (128 KiB each in the input). */
  readonly blobRate: number;

  constructor(seed: number, blobRate: number) {
    this.rng = new XorShift32(seed);
    this.blobRate = blobRate;
    const keys = makeKeys(23, `ranges-${seed}`);
    this.traders = keys.slice(0, 12).map((k) => new Trader(k));
    this.agents = keys.slice(12, 22);
    this.stranger = keys[22];
  }

  enqueue(m: L1Message): void {
    const b = encodeL1Message(m);
    this.queue.push(b);
    this.q.push(bytesToHex(nextQueueHash(Buffer.from(this.q.at(-1)!.slice(2), "hex"), b)));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)];
  }

  /** A resting order of `t`'s account (any market), or undefined. */
  orderOf(t: Trader): { id: number; market: number; price: number; size: number; clientId: number } | undefined {
    const a = this.state.account(t.address.toLowerCase());
    if (a === undefined) return undefined;
    const mine: { id: number; market: number; price: number; size: number; clientId: number }[] = [];
    for (const [mid, m] of this.state.markets) for (const o of m.book.ordersOf(a.index)) mine.push({ id: o.id, market: mid, price: o.price, size: o.size, clientId: o.clientId });
    return mine.length === 0 ? undefined : this.pick(mine);
  }

  mid(market: number): number {
    return market === 2 ? 400 : 1000;
  }

  placeFields(market: number): Omit<Extract<BulkAction, { op: 1 }>, "op"> {
    const r = this.rng;
    const side = r.int(2) as 0 | 1;
    const m = this.mid(market);
    const price = r.chance(0.02) ? 0 : side === 0 ? m - 4 + r.int(7) : m + 4 - r.int(7);
    const tif = this.pick([0, 0, 0, 0, 1, 2, 3, 4] as const);
    return {
      market, side, tif, price, size: r.chance(0.02) ? 2 ** 40 : r.chance(0.02) ? 0 : 1 + r.int(20),
      expiry: r.chance(0.4) ? this.now + 1 + r.int(40) : 0, clientId: r.chance(0.3) ? 1 + r.int(12) : 0, stp: r.int(4) as 0 | 1 | 2 | 3,
    };
  }

  action(t: Trader): BulkAction {
    const r = this.rng;
    const market = r.chance(0.03) ? 77 : 1 + r.int(3);
    const o = this.orderOf(t);
    switch (r.int(8)) {
      case 0:
        return { op: 2, market: o?.market ?? market, orderId: o !== undefined && r.chance(0.8) ? o.id : 1 + r.int(this.state.nextOrderId + 5) };
      case 1:
        return { op: 3, market: o?.market ?? market, clientId: o !== undefined && o.clientId !== 0 ? o.clientId : r.int(13) };
      case 2:
        return r.chance(0.3) ? { op: 4, market } : { op: 1, ...this.placeFields(market) };
      case 3:
        if (o !== undefined) return { op: 5, market: o.market, orderId: o.id, price: Math.max(1, o.price + r.int(5) - 2), size: Math.max(1, o.size + r.int(7) - 3) };
        return { op: 1, ...this.placeFields(market) };
      default:
        return { op: 1, ...this.placeFields(market) };
    }
  }

  /** A transaction of `t` (as itself, through an agent, or an adversarial one). */
  tx(t: Trader): Tx {
    const r = this.rng;
    const act = this.action(t);
    const k = r.int(100);
    if (k < 8) {
      const acts: BulkAction[] = [];
      const n = 1 + r.int(r.chance(0.2) ? 24 : 6);
      for (let i = 0; i < n; i++) acts.push(this.action(t));
      return t.bulk(acts);
    }
    if (k < 11) return t.approveAgent(this.pick(this.agents).address, this.now + r.int(120) - (r.chance(0.1) ? 130 : 0));
    if (k < 13) return t.revokeAgent(r.chance(0.9) ? this.pick(this.agents).address : r.chance(0.5) ? t.address : ZERO);
    if (k < 16) {
      const to = r.chance(0.03) ? ZERO : r.chance(0.5) ? t.address : this.pick(this.traders).address;
      return t.withdraw(1 + r.int(3), r.chance(0.05) ? 0 : 1 + r.int(5000), to);
    }
    if (k < 24) {
      // signed by an agent key: mostly one the account lists as active, else any (expired, revoked or never
      // approved: WRONG_SIGNER, and the account's nonce is not consumed); an agent's WITHDRAW is refused too
      const a = this.state.account(t.address.toLowerCase());
      const active = (a?.agents ?? []).filter((e) => e.expiry > this.now).map((e) => this.agents.find((g) => g.address.toLowerCase() === e.agent)!);
      const key = active.length > 0 && r.chance(0.85) ? this.pick(active) : this.pick(this.agents);
      const ag = new Trader(key, DOMAIN, t.address);
      ag.nonce = t.nonce;
      const refused = r.chance(0.05);
      const tx = refused ? ag.withdraw(2, 10) : this.single(ag, act);
      if (!refused && active.includes(key)) t.nonce = ag.nonce;
      return tx;
    }
    if (k < 25) {
      // a signature whose r is random: recovery fails or yields another key (INVALID_SIGNATURE / WRONG_SIGNER)
      const saved = t.nonce;
      const tx = this.single(t, act);
      t.nonce = saved;
      const rb = Uint8Array.from({ length: 32 }, () => r.int(256));
      return { ...tx, sig: { ...tx.sig, r: rb } } as Tx;
    }
    if (k < 27) {
      // a stranger signs for t (WRONG_SIGNER), or a nonce gap / replay (NONCE_TOO_HIGH / LOW): t's nonce stays
      const saved = t.nonce;
      let tx: Tx;
      if (k === 25) {
        const s = new Trader(this.stranger, DOMAIN, t.address);
        s.nonce = t.nonce;
        tx = this.single(s, act);
      } else {
        t.nonce += r.chance(0.5) ? 1 : -1;
        if (t.nonce < 0) t.nonce = 1;
        tx = this.single(t, act);
      }
      t.nonce = saved;
      return tx;
    }
    return this.single(t, act);
  }

  single(t: Trader, a: BulkAction): Tx {
    switch (a.op) {
      case 1:
        return t.place(a);
      case 2:
        return t.cancel(a.orderId, a.market);
      case 3:
        return t.cancelByClientId(a.clientId, a.market);
      case 4:
        return t.cancelAll(a.market);
      case 5:
        return t.amend(a.orderId, a.price, a.size, a.market);
    }
  }

  messages(first: boolean): void {
    const r = this.rng;
    if (first) {
      this.enqueue({ kind: L1MessageKind.SET_MARKET, market: 1, params: DEFAULT_MARKET });
      this.enqueue({ kind: L1MessageKind.SET_MARKET, market: 2, params: { ...DEFAULT_MARKET, baseAsset: 3, lotSize: 1, tickSize: 1, makerFeePpm: 200, takerFeePpm: 300 } });
      this.enqueue({ kind: L1MessageKind.SET_MARKET, market: 3, params: { ...DEFAULT_MARKET, makerFeePpm: 0, takerFeePpm: 0, minSize: 2 } });
      for (const t of this.traders) {
        this.enqueue({ kind: L1MessageKind.DEPOSIT, account: t.address, asset: 1, amount: 10_000 + r.int(100_000) });
        this.enqueue({ kind: L1MessageKind.DEPOSIT, account: t.address, asset: 2, amount: 1_000_000 + r.int(50_000_000) });
        this.enqueue({ kind: L1MessageKind.DEPOSIT, account: t.address, asset: 3, amount: 1_000 + r.int(100_000) });
      }
      return;
    }
    for (let n = r.int(4); n > 0; n--) {
      const t = this.pick(this.traders);
      if (r.chance(0.08)) {
        // adversarial messages: raw bytes that are no message, a deposit of 0, a forced cancel in an unknown
        // market, a forced withdrawal by an address with nothing, invalid market params
        switch (r.int(5)) {
          case 0:
            this.queue.push(Uint8Array.of(9, 1, 2));
            this.q.push(bytesToHex(nextQueueHash(Buffer.from(this.q.at(-1)!.slice(2), "hex"), this.queue.at(-1)!)));
            break;
          case 1:
            this.enqueue({ kind: L1MessageKind.DEPOSIT, account: t.address, asset: 1, amount: 0 });
            break;
          case 2:
            this.enqueue({ kind: L1MessageKind.FORCED_CANCEL, account: t.address, market: 99, orderId: 0 });
            break;
          case 3:
            this.enqueue({ kind: L1MessageKind.FORCED_WITHDRAW, account: this.stranger.address, asset: 1, amount: 5 });
            break;
          default:
            this.enqueue({ kind: L1MessageKind.SET_MARKET, market: 1, params: { ...DEFAULT_MARKET, lotSize: 7 } });
        }
        continue;
      }
      switch (r.int(6)) {
        case 0:
        case 1:
          this.enqueue({ kind: L1MessageKind.DEPOSIT, account: t.address, asset: 1 + r.int(3), amount: r.chance(0.05) ? 2 ** 53 - 1 : r.int(100_000) });
          break;
        case 2:
          this.enqueue({ kind: L1MessageKind.FORCED_WITHDRAW, account: t.address, asset: 1 + r.int(3), amount: 1 + r.int(20_000) });
          break;
        case 3: {
          const o = this.orderOf(t);
          this.enqueue({ kind: L1MessageKind.FORCED_CANCEL, account: t.address, market: o?.market ?? 1, orderId: r.chance(0.3) ? 0 : o?.id ?? 5 });
          break;
        }
        default: {
          const market = 1 + r.int(3);
          const base = market === 2 ? { ...DEFAULT_MARKET, baseAsset: 3, lotSize: 1, tickSize: 1 } : DEFAULT_MARKET;
          const taker = r.int(2000);
          const status = r.chance(0.92) ? MarketStatus.ACTIVE : this.pick([MarketStatus.CANCEL_ONLY, MarketStatus.HALTED]);
          this.enqueue({ kind: L1MessageKind.SET_MARKET, market, params: { ...base, takerFeePpm: taker, makerFeePpm: r.int(taker + 500) - taker, status, minSize: market === 3 ? 2 : 1 } });
        }
      }
    }
  }

  /** Builds, checks and applies the next batch as the Inbox and a follower would. */
  batch(first: boolean, flood = false): RangeBatch {
    const r = this.rng;
    this.messages(first);
    const dt = this.afterFlood ? 2 : r.chance(0.1) ? 30 + r.int(60) : r.int(8);
    const t = this.now + dt;
    const kind = this.afterFlood || flood ? 50 : r.int(50); // 0-6: an invalid batch (V2 wrong parent, V6, V1 truncated / empty, V3, V5, V4)
    const l1Timestamp = kind === 1 ? t + 601 + r.int(100) : t + r.int(600);
    const txs: Tx[] = [];
    if (flood) {
      // 1024 GTT bids of one account in one market (the last 24 hit MAX_OPEN_ORDERS_PER_MARKET) and 320 of
      // another, all due at t + 1: the next sweep takes 1024 and spills the rest to later batches
      for (const [ti, bulks] of [[0, 16], [1, 5]] as const) {
        for (let b = 0; b < bulks; b++) {
          const acts: BulkAction[] = [];
          for (let i = 0; i < 64; i++) acts.push({ op: 1, market: 3, side: 0, tif: 0, price: 1 + r.int(20), size: 2, expiry: t + 1, clientId: 0, stp: 0 });
          txs.push(this.traders[ti].bulk(acts));
        }
      }
      // ten long-lived agents for one account: the ninth and tenth approvals are TOO_MANY_AGENTS
      for (const g of this.agents) txs.push(this.traders[2].approveAgent(g.address, t + 10_000));
    }
    if (this.afterFlood) {
      // the sweep takes 1024 of the flood and leaves the newest due orders resting: amending one is
      // ORDER_EXPIRED, cancelling one reports EXPIRED
      const a = this.state.account(this.traders[1].address.toLowerCase())!;
      const ids = [...this.state.markets.get(3)!.book.ordersOf(a.index)].map((o) => o.id).sort((x, y) => y - x);
      txs.push(this.traders[1].amend(ids[0], 5, 3, 3), this.traders[1].cancel(ids[1], 3));
      this.afterFlood = false;
    }
    this.afterFlood = flood;
    if (!first) for (let n = 10 + r.int(61); n > 0; n--) txs.push(this.tx(this.pick(this.traders)));
    const start = this.state.l1MessagesConsumed;
    const end = this.queue.length;
    const header = {
      parentBatchHash: kind === 0 ? (`0x${"11".repeat(32)}` as Hash) : this.chain,
      timestamp: kind === 5 ? l1Timestamp + 1 : kind === 6 ? Math.max(0, this.state.timestamp - 1) : t,
      l1MsgStart: start,
      l1MsgEnd: kind === 4 ? end + 1 : end,
    };
    const compression = r.chance(0.5) ? Compression.NONE : Compression.DEFLATE;
    let data = encodeBatch({ header, txs }, { compression });
    if (kind === 2) data = Uint8Array.from(data.subarray(0, 7 + r.int(30)));
    if (kind === 3) data = new Uint8Array(0);
    // some batches go as blobs (docs/da.md packing, real c-kzg commitments)
    const blobs = data.length > 0 && r.chance(this.blobRate) ? packBlobs(data).map((blob) => ({ blob, commitment: loadKzg().blobToKzgCommitment(blob) })) : undefined;
    const versionedHashes = blobs?.map((b) => kzgVersionedHash(b.commitment));
    const c: BatchCommitment = {
      index: this.state.batchIndex + 1,
      dataKind: versionedHashes === undefined ? DataKind.CALLDATA : DataKind.BLOBS,
      dataHash: versionedHashes === undefined ? calldataDataHash(data) : blobDataHash(versionedHashes),
      l1MsgStart: start,
      queueHashStart: this.q[start], l1MsgEnd: end, queueHash: this.q[end], l1Timestamp, l1BlockNumber: 100 + this.state.batchIndex,
      proposer: this.pick(PROPOSERS),
    };
    const messages = this.queue.slice(start, end);
    const v = checkBatchValidity({ commitment: c, parentChain: this.chain, data, versionedHashes, messages, pre: this.state });
    const { root, witness, result: res } = applyAndWitness(this.sc, this.state, v.batch, v.messages);
    for (const w of res.withdrawals) this.withdrawals.push(w);
    this.chain = nextBatchChain(this.chain, batchCommitment(c));
    if (v.outcome === 0) this.now = t;
    // resync nonces (rejected transactions do not consume them)
    for (const tr of this.traders) tr.nonce = this.state.account(tr.address.toLowerCase())?.nonce ?? 0;
    return { c, data, blobs, messages, outcome: v.outcome, postRoot: hex(root) as Hash, txs: v.batch.txs.length, witness: witness.bytes, versionedHashes, receipts: receiptBytes(res.receipts), codes: countCodes(res.receipts) };
  }

  /** `batches` batches as one proven range from the current state. */
  range(name: string, batches: number, first: boolean, flood = false): Range {
    const pre = cloneState(this.state);
    const prevRoot = hex(StateCommitment.fromState(pre).root()) as Hash;
    const prevChain = this.chain;
    this.withdrawals = [];
    const bs: RangeBatch[] = [];
    for (let i = 0; i < batches; i++) bs.push(this.batch(first && i === 0, flood && i === 0));
    const pv = publicValuesFor({
      prevStateRoot: prevRoot, prevBatchChain: prevChain, commitments: bs.map((b) => b.c), newStateRoot: bs.at(-1)!.postRoot,
      l1MessagesConsumed: this.state.l1MessagesConsumed, withdrawalRoot: hex(new WithdrawalTree(this.withdrawals).root) as Hash, prover: PROVER,
    });
    const input = encodeRangeInput(PROVER, prevChain, pre, bs.map((b) => ({ commitment: b.c, data: b.data, blobs: b.blobs, messages: b.messages })));
    const publicValues = bytesToHex(encodePublicValues(pv)) as Hash;
    const proverRange = {
      prevStateRoot: prevRoot, prevBatchChain: prevChain, prover: PROVER,
      batches: bs.map((b) => ({ commitment: b.c, data: b.data, versionedHashes: b.versionedHashes, blobs: b.blobs?.map((x) => x.blob), messages: b.messages, witness: b.witness })),
    };
    // the TS stateless executor (the attest backend's) gives the same public values from the witnesses
    const stateless = bytesToHex(encodePublicValues(executeRange(proverRange).values));
    if (stateless !== publicValues) throw new Error(`${name}: stateless public values ${stateless} differ from the full state's ${publicValues}`);
    return { name, input, witnessInput: encodeGuestInput(proverRange), publicValues, batches: bs, txs: bs.reduce((s, b) => s + b.txs, 0), receiptsDigest: hex(keccak(Buffer.concat(bs.map((b) => b.receipts)))) as Hash, codes: sumCodes(bs.map((b) => b.codes)) };
  }
}

/** A scenario cut into ranges of the given batch counts. */
function scenario(seed: number, name: string, cuts: number[], flood = -1, blobRate = 0.03): Range[] {
  const s = new Scenario(seed, blobRate);
  return cuts.map((n, i) => s.range(`${name}-${i}`, n, i === 0, i === flood));
}

const VECTORS: [number, string, number[], number][] = [
  [0x5eed_0001, "a", [1, 40, 60, 30], -1],
  [0x5eed_0002, "b", [30, 1, 90], -1],
  [0x5eed_0003, "c", [1, 70, 70], 1],
];

function vectors(): Range[] {
  return VECTORS.flatMap(([seed, name, cuts, flood]) => scenario(seed, name, cuts, flood));
}

function manifest(ranges: Range[]): string {
  return `${JSON.stringify(
    {
      name: "ranges",
      description: "random trading scenarios cut into ranges: RBRANGE1 inputs (ranges/<file>.bin, guest/core src/range.rs), the same ranges as the node's prover input with witnesses (ranges/<file>.witness.bin, guest/core src/witness_range.rs) and the TS node's public values, outcomes, post-state roots and receipts digest (docs/guest.md \"Range vectors\")",
      ranges: ranges.map((r) => ({
        file: `ranges/${r.name}.bin`, inputKeccak: hex(keccak(r.input)),
        witnessFile: `ranges/${r.name}.witness.bin`, witnessInputKeccak: hex(keccak(r.witnessInput)), txs: r.txs, publicValues: r.publicValues, receiptsDigest: r.receiptsDigest, codes: r.codes,
        batches: r.batches.map((b) => ({ index: b.c.index, outcome: b.outcome, txs: b.txs, postRoot: b.postRoot })),
      })),
    },
    null,
    1,
  )}\n`;
}

function runDiff(n: number, seed0: number): number {
  execFileSync("cargo", ["build", "--offline", "--release", "--quiet", "--manifest-path", path.join(ROOT, "guest/Cargo.toml"), "--bin", "rollbook-guest"], { stdio: "inherit" });
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-ranges-"));
  let divergences = 0;
  let txs = 0;
  for (let k = 0; k < n; k++) {
    const seed = (seed0 + k) >>> 0;
    for (const r of scenario(seed, `diff-${seed}`, [1, 25, 25], -1, 0.17)) {
      // blob batches: the runner checks c-kzg's commitments (carried) and versioned hashes with its own KZG
      const got = proveRangeNative(r.input, { roots: true });
      const roots = got.batches.map((b) => `${b.outcome} ${b.root}`);
      const want = r.batches.map((b) => `${b.outcome} ${b.postRoot}`);
      const wit = proveWitnessRangeNative(r.witnessInput);
      const witRoots = wit.batches.map((b) => `${b.outcome} ${b.root}`);
      if (bytesToHex(got.encoded) !== r.publicValues || got.receiptsDigest !== r.receiptsDigest || roots.join() !== want.join() || bytesToHex(wit.encoded) !== r.publicValues || witRoots.join() !== want.join()) {
        divergences++;
        const f = path.join(dir, `${r.name}.bin`);
        writeFileSync(f, r.input);
        writeFileSync(path.join(dir, `${r.name}.witness.bin`), r.witnessInput);
        console.log(`DIVERGENCE seed ${seed} ${r.name}: input kept at ${f}`);
      }
      txs += r.txs;
    }
    console.log(`scenario ${k + 1}/${n} (seed ${seed}): ${txs} transactions so far, ${divergences} divergences`);
  }
  console.log(`${n} scenarios, ${txs} transactions: ${divergences} divergences`);
  return divergences;
}

const args = process.argv.slice(2);
if (args[0] === "--diff") {
  const n = Number(args[1] ?? 3);
  const seed = args[2] === undefined ? Date.now() % 2 ** 32 : Number(args[2]);
  console.log(`seed ${seed}`);
  process.exitCode = runDiff(n, seed) === 0 ? 0 : 1;
} else {
  const ranges = vectors();
  const json = manifest(ranges);
  if (args[0] === "--check") {
    let stale = readFileSync(OUT_JSON, "utf8") !== json;
    for (const r of ranges) {
      stale ||= !Buffer.from(readFileSync(path.join(OUT_DIR, `${r.name}.bin`))).equals(Buffer.from(r.input));
      stale ||= !Buffer.from(readFileSync(path.join(OUT_DIR, `${r.name}.witness.bin`))).equals(Buffer.from(r.witnessInput));
    }
    if (stale) {
      console.error("test/vectors/guest/ranges* are stale: run npx node guest/vectors-gen/ranges.ts");
      process.exitCode = 1;
    }
  } else {
    mkdirSync(OUT_DIR, { recursive: true });
    for (const r of ranges) {
      writeFileSync(path.join(OUT_DIR, `${r.name}.bin`), r.input);
      writeFileSync(path.join(OUT_DIR, `${r.name}.witness.bin`), r.witnessInput);
    }
    writeFileSync(OUT_JSON, json);
    console.log(`${ranges.length} ranges, ${ranges.reduce((s, r) => s + r.txs, 0)} transactions, ${ranges.reduce((s, r) => s + r.input.length, 0)} input bytes`);
  }
}
