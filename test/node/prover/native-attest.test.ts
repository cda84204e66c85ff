// The attest backend with the Rust guest's native runner as its executor (node/prover/native.ts): the same
// public values, roots and withdrawals as the node's own stateless executor on a real range (deposits,
// crossing orders, a withdrawal, a cancel, a blob batch of orders and a two-blob batch of garbage bytes),
// the same signed proof, tampered witnesses refused with the runner's code, and blobs that are not the
// committed ones (a changed byte, swapped blobs, a wrong versioned hash, a field element not below the
// scalar modulus) refused before execution. The runner recomputes each blob's commitment with its own KZG
// (guest/core src/kzg) and checks the versioned hash of c-kzg's. Builds the release runner first
// (incremental: seconds when it is up to date).
import { expect } from "chai";
import { bytesToHex, zeroHash, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { encodeL1Message, nextQueueHash } from "../../../node/clob/l1messages.ts";
import { createGenesisState } from "../../../node/clob/state.ts";
import type { Tx } from "../../../node/clob/types.ts";
import { encodeBatch } from "../../../node/codec/index.ts";
import { blobCommitment, loadKzg } from "../../../node/da/kzg.ts";
import { packBlobs } from "../../../node/da/packing.ts";
import { DataKind, batchCommitment, blobDataHash, calldataDataHash, kzgVersionedHash, nextBatchChain, type BatchCommitment, type Hash } from "../../../node/derive/commitment.ts";
import { checkBatchValidity } from "../../../node/derive/validity.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { AttestBackend } from "../../../node/prover/attest.ts";
import type { RangeInput } from "../../../node/prover/backend.ts";
import { ProverError } from "../../../node/prover/errors.ts";
import { executeRange } from "../../../node/prover/execute.ts";
import { GUEST_RUNNER, buildGuestRunner, nativeExecutor } from "../../../node/prover/native.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { parseWitness, serializeWitness, applyAndWitness } from "../../../node/state/witness.ts";
import { BASE, DOMAIN, FEE_ACCOUNT, QUOTE, Trader, deposit, makeKeys, setMarket } from "../clob/stf-helpers.ts";

const PROVER: Address = "0x00000000000000000000000000000000000000a1";

/** Bytes that are no batch (a pseudo-random fill), long enough for two blobs. */
function garbage(n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = 0x1234567;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * Four batches proposed as an Inbox would, each with the witness the node's deriver records: two calldata
 * batches, a blob batch of orders and a two-blob batch of garbage (UNDECODABLE: a no-op); blob commitments
 * by c-kzg.
 */
function buildRange(): RangeInput {
  const [ka, kb] = makeKeys(2, "native-attest");
  const alice = new Trader(ka);
  const bob = new Trader(kb);
  const state = createGenesisState({ domain: DOMAIN, feeAccount: FEE_ACCOUNT });
  const sc = StateCommitment.fromState(state);
  const prevStateRoot = hex(sc.root()) as Hash;
  const queue = [setMarket(1), deposit(alice.address, QUOTE, 10_000_000), deposit(bob.address, BASE, 100_000)].map(encodeL1Message);
  const q: Hash[] = [zeroHash];
  for (const m of queue) q.push(bytesToHex(nextQueueHash(Buffer.from(q.at(-1)!.slice(2), "hex"), m)));
  const plan: { txs: Tx[]; start: number; end: number; t: number; blob?: boolean; raw?: Uint8Array }[] = [
    { txs: [bob.sell(100, 5), bob.sell(101, 5), alice.buy(101, 7), bob.withdraw(BASE, 100, alice.address)], start: 0, end: 3, t: 1000 },
    { txs: [alice.buy(90, 3), alice.cancel(4), bob.sell(100, 2)], start: 3, end: 3, t: 1005 },
    { txs: [bob.sell(99, 1), alice.buy(99, 1)], start: 3, end: 3, t: 1010, blob: true },
    { txs: [], start: 3, end: 3, t: 1015, blob: true, raw: garbage(140_000) },
  ];
  let chain: Hash = zeroHash;
  const batches = plan.map((p, k) => {
    const data = p.raw ?? encodeBatch({ header: { parentBatchHash: chain, timestamp: p.t, l1MsgStart: p.start, l1MsgEnd: p.end }, txs: p.txs });
    const blobs = p.blob === true ? packBlobs(data) : undefined;
    const versionedHashes = blobs?.map((blob) => kzgVersionedHash(blobCommitment(blob)));
    const commitment: BatchCommitment = {
      index: k + 1, dataKind: blobs === undefined ? DataKind.CALLDATA : DataKind.BLOBS,
      dataHash: versionedHashes === undefined ? calldataDataHash(data) : blobDataHash(versionedHashes),
      l1MsgStart: p.start, queueHashStart: q[p.start], l1MsgEnd: p.end, queueHash: q[p.end], l1Timestamp: p.t + 12, l1BlockNumber: 10 + k, proposer: FEE_ACCOUNT,
    };
    const messages = queue.slice(p.start, p.end);
    const v = checkBatchValidity({ commitment, parentChain: chain, data, versionedHashes, messages, pre: state });
    expect(v.outcome).to.equal(p.raw === undefined ? 0 : 1);
    const { witness } = applyAndWitness(sc, state, v.batch, v.messages);
    chain = nextBatchChain(chain, batchCommitment(commitment));
    return { commitment, data, versionedHashes, blobs, messages, witness: witness.bytes };
  });
  expect(batches[3].blobs).to.have.length(2);
  return { prevStateRoot, prevBatchChain: zeroHash, batches, prover: PROVER };
}

/** `range` with batch `k`'s witness changed by `edit` (applied to the parsed witness's root node). */
function withWitness(range: RangeInput, k: number, w: Uint8Array): RangeInput {
  return { ...range, batches: range.batches.map((b, i) => (i === k ? { ...b, witness: w } : b)) };
}

describe("prover: attest backend executing with the Rust guest runner (native.ts)", function () {
  this.timeout(600_000);
  let range: RangeInput;
  const native = nativeExecutor(GUEST_RUNNER);

  before(() => {
    buildGuestRunner();
    loadKzg();
    range = buildRange();
  });

  /** The runner's refusal of `bad`: ProverError INPUT whose message carries `code`. */
  function refused(bad: RangeInput, code: string): void {
    let err: unknown;
    try {
      native(bad);
    } catch (e) {
      err = e;
    }
    expect(err, code).to.be.instanceOf(ProverError);
    expect((err as ProverError).code).to.equal("INPUT");
    expect((err as Error).message).to.match(new RegExp(code));
  }

  it("gives the node's stateless execution: public values, every root, the withdrawals", () => {
    const ts = executeRange(range);
    const rust = native(range);
    expect(rust.values).to.deep.equal(ts.values);
    expect(rust.roots).to.deep.equal(ts.roots);
    expect(rust.withdrawals).to.deep.equal(ts.withdrawals);
    expect(rust.withdrawals).to.have.length(1);
    expect(rust.txs).to.equal(ts.txs).and.equal(9);
    expect([...rust.invalid.keys()]).to.deep.equal([...ts.invalid.keys()]).and.deep.equal([4]);
    expect(rust.invalid.get(4)).to.equal("UNDECODABLE");
  });

  it("the attest backend signs the same proof with either executor", async () => {
    const ts = executeRange(range);
    const state = {
      stateRoot: async (i: number) => Buffer.from(ts.roots[i - 1].slice(2), "hex"),
      withdrawalsInRange: async () => ts.withdrawals,
    };
    const o = { signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: 31337, verifier: "0x00000000000000000000000000000000000000b2" as Address, state };
    const mine = await new AttestBackend(o).prove(range);
    const theirs = await new AttestBackend({ ...o, execute: native }).prove(range);
    expect(bytesToHex(theirs.publicValues)).to.equal(bytesToHex(mine.publicValues));
    expect(theirs.proof).to.equal(mine.proof);
  });

  it("refuses tampered witnesses with the runner's code", () => {
    const w = range.batches[1].witness;
    // a changed leaf: the witness no longer hashes to the previous batch's root
    const pt = parseWitness(w);
    const leaf = pt.leaves().find((e) => e.length > 30)!;
    const changed = Buffer.from(w);
    changed[changed.indexOf(Buffer.from(leaf)) + leaf.length - 1] ^= 1;
    // an unproven read: the GLOBALS leaf's subtree replaced by its hash
    const root = pt.root as { t: 3; c: (typeof pt.root)[] };
    const hidden = { t: 1 as const, h: pt.hash(root.c[0]), ref: 0 };
    const stripped = serializeWitness({ ...root, c: [hidden, ...root.c.slice(1)], h: null });
    // a missing sibling: the serialized witness cut short
    const truncated = w.subarray(0, w.length - 1);
    const cases: [Uint8Array, string][] = [
      [changed, "WITNESS_ROOT_MISMATCH"],
      [stripped, "WITNESS_INSUFFICIENT"],
      [truncated, "WITNESS_MALFORMED"],
    ];
    for (const [bad, code] of cases) refused(withWitness(range, 1, bad), code);
  });

  it("binds blobs to the versioned hashes: a changed byte, swapped blobs, a wrong hash, a non-canonical field element are refused first", () => {
    const withBatch = (k: number, edit: Partial<RangeInput["batches"][number]>): RangeInput => ({
      ...range, batches: range.batches.map((b, i) => (i === k ? { ...b, ...edit } : b)),
    });
    const [b3, b4] = [range.batches[2], range.batches[3]];
    // a byte inside a field element changed: another blob, so another commitment and versioned hash
    const changed = Uint8Array.from(b3.blobs![0]);
    changed[40 * 32 + 31] ^= 1;
    refused(withBatch(2, { blobs: [changed] }), "batch 3: BLOB_VERSIONED_HASH_MISMATCH");
    // field element 7 of batch 4's second blob set to the BLS12-381 scalar modulus r: not a blob (c-kzg refuses
    // it too); r - 1 is one, just not the committed one
    const withElement = (blob: Uint8Array, fe: string): Uint8Array => {
      const b = Uint8Array.from(blob);
      b.set(Buffer.from(fe, "hex"), 7 * 32);
      return b;
    };
    const r = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";
    const rMinus1 = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000";
    refused(withBatch(3, { blobs: [b4.blobs![0], withElement(b4.blobs![1], r)] }), "batch 4: BLOB_NOT_COMMITTABLE: NotCommittable\\(1\\)");
    refused(withBatch(3, { blobs: [b4.blobs![0], withElement(b4.blobs![1], rMinus1)] }), "batch 4: BLOB_VERSIONED_HASH_MISMATCH: VersionedHash\\(1\\)");
    // the two blobs of batch 4 in the other order
    refused(withBatch(3, { blobs: [b4.blobs![1], b4.blobs![0]] }), "batch 4: BLOB_VERSIONED_HASH_MISMATCH");
    // a wrong versioned hash (c(i)'s dataHash no longer matches either: the binding is checked before I4)
    const wrong = `${b3.versionedHashes![0].slice(0, -2)}00` as Hash;
    refused(withBatch(2, { versionedHashes: [wrong] }), "batch 3: BLOB_VERSIONED_HASH_MISMATCH");
    // one blob dropped
    refused(withBatch(3, { blobs: [b4.blobs![0]] }), "batch 4: BLOB_COUNT_MISMATCH");
    // a blob batch input without its blobs cannot become a guest input
    refused(withBatch(2, { blobs: undefined }), "batch 3: blob batch input without its blobs");
  });
});
