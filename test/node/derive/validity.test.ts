// Batch validity (docs/stf.md "Batch validity") and the batch commitment / public values encodings
// (docs/l1-messages.md): every rule's documented outcome, applied by the STF and by the stateless witness
// executor, and c(i) / public values checked against viem's abi encoders.

import { expect } from "chai";
import { encodeAbiParameters, encodePacked, keccak256 } from "viem";
import { bytesToHex } from "../../../node/clob/eip712.ts";
import { encodeL1Message, nextQueueHash } from "../../../node/clob/l1messages.ts";
import { cloneState, createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { MAX_DRIFT, type Address, type L1Message, type Tx } from "../../../node/clob/types.ts";
import { Compression, DecodeReason, encodeBatch } from "../../../node/codec/index.ts";
import {
  type BatchCommitment,
  DataKind,
  type Hash,
  ZERO_HASH,
  batchCommitment,
  blobDataHash,
  calldataDataHash,
  decodePublicValues,
  encodePublicValues,
  nextBatchChain,
  publicValuesFor,
} from "../../../node/derive/commitment.ts";
import { BatchValidity, InputMismatch, checkBatchValidity, clockWindow } from "../../../node/derive/validity.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { applyAndWitness, verifyWitness } from "../../../node/state/witness.ts";
import { BASE, DOMAIN, FEE_ACCOUNT, QUOTE, Trader, deposit, makeKeys, setMarket } from "../clob/stf-helpers.ts";

const PROPOSER = "0x00000000000000000000000000000000000b0b00" as Address;

/** A follower's view of the chain: state, trie, b(i) and q(n), proposing batches as the Inbox would. */
class L1 {
  state = createGenesisState({ domain: DOMAIN, feeAccount: FEE_ACCOUNT });
  sc = StateCommitment.fromState(this.state);
  chain: Hash = ZERO_HASH;
  queue: Uint8Array[] = [];
  q: Hash[] = [ZERO_HASH];
  enqueue(m: L1Message): void {
    const b = encodeL1Message(m);
    this.queue.push(b);
    this.q.push(bytesToHex(nextQueueHash(Buffer.from(this.q.at(-1)!.slice(2), "hex"), b)));
  }
  /** c(i) of a calldata proposal of `data` consuming up to `end` at L1 time `l1Timestamp`. */
  commitment(data: Uint8Array, end: number, l1Timestamp: number): BatchCommitment {
    const start = this.state.l1MessagesConsumed;
    return {
      index: this.state.batchIndex + 1, dataKind: DataKind.CALLDATA, dataHash: calldataDataHash(data), l1MsgStart: start,
      queueHashStart: this.q[start], l1MsgEnd: end, queueHash: this.q[end], l1Timestamp, l1BlockNumber: 100 + this.state.batchIndex,
      proposer: PROPOSER,
    };
  }
  /** Checks validity, applies through the witness path, re-executes from the witness, advances b(i). */
  propose(data: Uint8Array, end: number, l1Timestamp: number) {
    const c = this.commitment(data, end, l1Timestamp);
    const messages = this.queue.slice(c.l1MsgStart, c.l1MsgEnd);
    const v = checkBatchValidity({ commitment: c, parentChain: this.chain, data, messages, pre: this.state });
    const preRoot = this.sc.root();
    const { root, witness } = applyAndWitness(this.sc, this.state, v.batch, v.messages);
    const w = verifyWitness(witness.bytes, preRoot, v.batch, v.messages);
    expect(hex(w.postRoot), "witness executor agrees").to.equal(hex(root));
    this.chain = nextBatchChain(this.chain, batchCommitment(c));
    return { v, c };
  }
  header(o: Partial<{ parentBatchHash: Hash; timestamp: number; l1MsgStart: number; l1MsgEnd: number }> = {}) {
    return { parentBatchHash: this.chain, timestamp: 0, l1MsgStart: this.state.l1MessagesConsumed, l1MsgEnd: this.queue.length, ...o };
  }
}

function encode(header: ReturnType<L1["header"]>, txs: Tx[]): Uint8Array {
  return encodeBatch({ header, txs }, { compression: Compression.NONE });
}

describe("derive/validity: batch validity rules and their outcomes", () => {
  it("every rule V1-V6: valid batches run their txs at the header clock; invalid ones only their L1 messages, at the previous clock", function () {
    this.timeout(60_000);
    const l1 = new L1();
    const [a, b] = makeKeys(2, "validity").map((k) => new Trader(k));
    for (const m of [setMarket(1), deposit(a.address, QUOTE, 10_000_000), deposit(b.address, BASE, 1_000_000)]) l1.enqueue(m);
    // batch 1: valid, clock 1000 within [L1 - MAX_DRIFT, L1]
    let r = l1.propose(encode(l1.header({ timestamp: 1000 }), [a.buy(100, 5, { expiry: 1005 })]), 3, 1000 + MAX_DRIFT);
    expect(r.v.outcome).to.equal(BatchValidity.VALID);
    expect(l1.state.timestamp).to.equal(1000);
    expect(l1.state.markets.get(1)!.book.orderCount).to.equal(1);
    expect(r.v.batch.proposer).to.equal(PROPOSER);

    const cases: { name: string; outcome: number; data: () => Uint8Array; l1Time: number; reason?: number }[] = [
      { name: "V1 empty calldata", outcome: BatchValidity.UNDECODABLE, data: () => new Uint8Array(0), l1Time: 1100, reason: DecodeReason.TRUNCATED },
      { name: "V1 v1 batch", outcome: BatchValidity.UNDECODABLE, data: () => Uint8Array.of(1, ...encode(l1.header({ timestamp: 1100 }), []).subarray(1)), l1Time: 1100, reason: DecodeReason.BAD_VERSION },
      { name: "V2 wrong parent", outcome: BatchValidity.WRONG_PARENT, data: () => encode(l1.header({ parentBatchHash: `0x${"11".repeat(32)}`, timestamp: 1100 }), []), l1Time: 1100 },
      { name: "V3 wrong range", outcome: BatchValidity.WRONG_L1_RANGE, data: () => encode(l1.header({ timestamp: 1100, l1MsgEnd: l1.queue.length - 1 }), []), l1Time: 1100 },
      { name: "V4 clock before previous", outcome: BatchValidity.CLOCK_BEFORE_PREVIOUS, data: () => encode(l1.header({ timestamp: l1.state.timestamp - 1 }), []), l1Time: 1100 },
      { name: "V5 clock after L1", outcome: BatchValidity.CLOCK_AFTER_L1, data: () => encode(l1.header({ timestamp: 1101 }), []), l1Time: 1100 },
      { name: "V6 clock too old", outcome: BatchValidity.CLOCK_TOO_OLD, data: () => encode(l1.header({ timestamp: l1.state.timestamp }), []), l1Time: 1000 + MAX_DRIFT + 1 },
    ];
    for (const k of cases) {
      l1.enqueue(deposit(b.address, QUOTE, 7)); // every invalid batch still applies its messages
      const before = { clock: l1.state.timestamp, consumed: l1.state.l1MessagesConsumed, nonce: l1.state.account(a.address)!.nonce };
      const data = k.data();
      r = l1.propose(data, l1.queue.length, k.l1Time);
      expect(r.v.outcome, k.name).to.equal(k.outcome);
      if (k.reason !== undefined) expect(r.v.reason, k.name).to.equal(k.reason);
      expect(r.v.batch.txs, k.name).to.have.length(0);
      expect(l1.state.timestamp, `${k.name}: the clock stays`).to.equal(before.clock);
      expect(l1.state.l1MessagesConsumed, `${k.name}: messages consumed`).to.equal(before.consumed + 1);
      expect(l1.state.batchIndex).to.equal(r.c.index);
    }
    expect(l1.state.account(b.address)!.available(QUOTE)).to.equal(7 * cases.length);
    // the boundaries are valid: t = L1 - MAX_DRIFT and t = L1; a GTT order expires by the header clock
    const lo = l1.state.timestamp + 1;
    r = l1.propose(encode(l1.header({ timestamp: lo }), []), l1.queue.length, lo + MAX_DRIFT);
    expect(r.v.outcome).to.equal(BatchValidity.VALID);
    r = l1.propose(encode(l1.header({ timestamp: 1006 + MAX_DRIFT }), [b.sell(100, 5)]), l1.queue.length, 1006 + MAX_DRIFT);
    expect(r.v.outcome).to.equal(BatchValidity.VALID);
    expect(l1.state.timestamp).to.equal(1006 + MAX_DRIFT);
    expect(l1.state.markets.get(1)!.book.orderCount, "a's bid (expiry 1005) expired: b's sell rests").to.equal(1);
    expect(clockWindow(1000, 1000 + MAX_DRIFT + 50)).to.deep.equal({ min: 1050, max: 1000 + MAX_DRIFT + 50 });
  });

  it("input consistency I1-I4 throws InputMismatch (wrong pre-state, messages or data), never an outcome", () => {
    const l1 = new L1();
    l1.enqueue(setMarket(1));
    const data = encode(l1.header({ timestamp: 10 }), []);
    const c = l1.commitment(data, 1, 10);
    const ok = { commitment: c, parentChain: l1.chain, data, messages: l1.queue.slice(0, 1), pre: l1.state };
    expect(checkBatchValidity(ok).outcome).to.equal(BatchValidity.VALID);
    const rule = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).to.be.instanceOf(InputMismatch);
        return (e as InputMismatch).rule;
      }
      return "none";
    };
    expect(rule(() => checkBatchValidity({ ...ok, commitment: { ...c, index: 2 } }))).to.equal("I1_INDEX");
    expect(rule(() => checkBatchValidity({ ...ok, pre: { ...l1.state, batchIndex: 0, l1MessagesConsumed: 1, timestamp: 0 } }))).to.equal("I2_L1_START");
    expect(rule(() => checkBatchValidity({ ...ok, messages: [] }))).to.equal("I3_MESSAGES");
    expect(rule(() => checkBatchValidity({ ...ok, messages: [encodeL1Message(setMarket(2))] }))).to.equal("I3_MESSAGES");
    expect(rule(() => checkBatchValidity({ ...ok, data: Uint8Array.of(...data, 0) }))).to.equal("I4_DATA");
    const blob = { ...c, dataKind: DataKind.BLOBS, dataHash: blobDataHash([`0x01${"22".repeat(31)}`]) } as BatchCommitment;
    expect(checkBatchValidity({ ...ok, commitment: blob, versionedHashes: [`0x01${"22".repeat(31)}`] }).outcome).to.equal(BatchValidity.VALID);
    expect(rule(() => checkBatchValidity({ ...ok, commitment: blob, versionedHashes: [`0x01${"23".repeat(31)}`] }))).to.equal("I4_DATA");
  });
});

describe("derive/commitment: c(i), b(i) and public values", () => {
  it("c(i) is keccak of the packed v2 preimage (the Inbox's abi.encodePacked); b(i) chains it", () => {
    const c: BatchCommitment = {
      index: 7, dataKind: DataKind.BLOBS, dataHash: `0x${"aa".repeat(32)}`, l1MsgStart: 3, queueHashStart: `0x${"bb".repeat(32)}`,
      l1MsgEnd: 9, queueHash: `0x${"cc".repeat(32)}`, l1Timestamp: 1_750_000_000, l1BlockNumber: 21_000_000, proposer: "0x00000000000000000000000000000000000000b0",
    };
    const viem = keccak256(encodePacked(
      ["uint64", "uint8", "bytes32", "uint64", "uint64", "bytes32", "uint64", "uint64", "address", "bytes32"],
      [7n, 1, c.dataHash, 3n, 9n, c.queueHash, 1_750_000_000n, 21_000_000n, c.proposer, c.queueHashStart],
    ));
    expect(batchCommitment(c)).to.equal(viem);
    expect(nextBatchChain(ZERO_HASH, viem)).to.equal(keccak256(`0x${"00".repeat(32)}${viem.slice(2)}`));
  });

  it("public values: abi.encode of the 10-tuple, strict decode, and the range rules the guest enforces", () => {
    const base = { index: 1, dataKind: DataKind.CALLDATA, dataHash: calldataDataHash(new Uint8Array(0)), l1MsgStart: 0, queueHashStart: ZERO_HASH, l1MsgEnd: 2, queueHash: `0x${"12".repeat(32)}`, l1Timestamp: 5, l1BlockNumber: 6, proposer: PROPOSER } as BatchCommitment;
    const next = { ...base, index: 2, l1MsgStart: 2, queueHashStart: base.queueHash, l1MsgEnd: 3, queueHash: `0x${"34".repeat(32)}` } as BatchCommitment;
    const range = { prevStateRoot: `0x${"01".repeat(32)}`, prevBatchChain: ZERO_HASH, commitments: [base, next], newStateRoot: `0x${"02".repeat(32)}`, l1MessagesConsumed: 3, withdrawalRoot: ZERO_HASH, prover: "0x00000000000000000000000000000000000000A1" } as const;
    const pv = publicValuesFor(range);
    expect(pv.newBatchChain).to.equal(nextBatchChain(nextBatchChain(ZERO_HASH, batchCommitment(base)), batchCommitment(next)));
    expect([pv.firstBatch, pv.lastBatch, pv.l1MessagesConsumed, pv.l1QueueHash]).to.deep.equal([1, 2, 3, next.queueHash]);
    const enc = encodePublicValues(pv);
    const viem = encodeAbiParameters(
      ["bytes32", "bytes32", "uint64", "uint64", "bytes32", "bytes32", "uint64", "bytes32", "bytes32", "address"].map((type) => ({ type })),
      [pv.prevStateRoot, pv.newStateRoot, 1n, 2n, pv.prevBatchChain, pv.newBatchChain, 3n, pv.l1QueueHash, pv.withdrawalRoot, pv.prover],
    );
    expect(bytesToHex(enc)).to.equal(viem);
    expect(decodePublicValues(enc)).to.deep.equal(pv);
    expect(decodePublicValues(enc.subarray(1))).to.equal(null);
    const padded = enc.slice();
    padded[64] = 1;
    expect(decodePublicValues(padded)).to.equal(null);
    expect(() => publicValuesFor({ ...range, l1MessagesConsumed: 2 })).to.throw(/consumed 2 messages/);
    expect(() => publicValuesFor({ ...range, commitments: [base, { ...next, l1MsgStart: 1 }] })).to.throw(/do not continue/);
    expect(() => publicValuesFor({ ...range, commitments: [base, { ...next, index: 3 }] })).to.throw(/does not follow/);
  });

  it("an invalid batch never moves the clock, so the next valid batch's window starts at the last valid clock", () => {
    const s = createGenesisState({ domain: DOMAIN });
    const pre = cloneState(s);
    applyBatch(s, { index: 1, timestamp: pre.timestamp, txs: [] }, []);
    expect(s.timestamp).to.equal(0);
  });
});
