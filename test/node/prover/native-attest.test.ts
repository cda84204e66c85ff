// The attest backend with the Rust guest's native runner as its executor (node/prover/native.ts): the same
// public values, roots and withdrawals as the node's own stateless executor on a real range (deposits,
// crossing orders, a withdrawal, a cancel), the same signed proof, and tampered witnesses refused with the
// runner's code. Builds the release runner first (incremental: seconds when it is up to date).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, zeroHash, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { encodeL1Message, nextQueueHash } from "../../../node/clob/l1messages.ts";
import { createGenesisState } from "../../../node/clob/state.ts";
import type { Tx } from "../../../node/clob/types.ts";
import { encodeBatch } from "../../../node/codec/index.ts";
import { batchCommitment, calldataDataHash, nextBatchChain, type BatchCommitment, type Hash } from "../../../node/derive/commitment.ts";
import { checkBatchValidity } from "../../../node/derive/validity.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { AttestBackend } from "../../../node/prover/attest.ts";
import type { RangeInput } from "../../../node/prover/backend.ts";
import { ProverError } from "../../../node/prover/errors.ts";
import { executeRange } from "../../../node/prover/execute.ts";
import { nativeExecutor } from "../../../node/prover/native.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { parseWitness, serializeWitness, applyAndWitness } from "../../../node/state/witness.ts";
import { BASE, DOMAIN, FEE_ACCOUNT, QUOTE, Trader, deposit, makeKeys, setMarket } from "../clob/stf-helpers.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const PROVER: Address = "0x00000000000000000000000000000000000000a1";

/** Two batches proposed as an Inbox would, each with the witness the node's deriver records. */
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
  const plan: { txs: Tx[]; start: number; end: number; t: number }[] = [
    { txs: [bob.sell(100, 5), bob.sell(101, 5), alice.buy(101, 7), bob.withdraw(BASE, 100, alice.address)], start: 0, end: 3, t: 1000 },
    { txs: [alice.buy(90, 3), alice.cancel(4), bob.sell(100, 2)], start: 3, end: 3, t: 1005 },
  ];
  let chain: Hash = zeroHash;
  const batches = plan.map((p, k) => {
    const data = encodeBatch({ header: { parentBatchHash: chain, timestamp: p.t, l1MsgStart: p.start, l1MsgEnd: p.end }, txs: p.txs });
    const commitment: BatchCommitment = {
      index: k + 1, dataKind: 2, dataHash: calldataDataHash(data), l1MsgStart: p.start, queueHashStart: q[p.start], l1MsgEnd: p.end,
      queueHash: q[p.end], l1Timestamp: p.t + 12, l1BlockNumber: 10 + k, proposer: FEE_ACCOUNT,
    };
    const messages = queue.slice(p.start, p.end);
    const v = checkBatchValidity({ commitment, parentChain: chain, data, messages, pre: state });
    expect(v.outcome).to.equal(0);
    const { witness } = applyAndWitness(sc, state, v.batch, v.messages);
    chain = nextBatchChain(chain, batchCommitment(commitment));
    return { commitment, data, messages, witness: witness.bytes };
  });
  return { prevStateRoot, prevBatchChain: zeroHash, batches, prover: PROVER };
}

/** `range` with batch `k`'s witness changed by `edit` (applied to the parsed witness's root node). */
function withWitness(range: RangeInput, k: number, w: Uint8Array): RangeInput {
  return { ...range, batches: range.batches.map((b, i) => (i === k ? { ...b, witness: w } : b)) };
}

describe("prover: attest backend executing with the Rust guest runner (native.ts)", function () {
  this.timeout(600_000);
  let range: RangeInput;

  before(() => {
    const r = spawnSync("cargo", ["build", "--offline", "--release", "--quiet", "--manifest-path", path.join(ROOT, "guest/Cargo.toml"), "--bin", "rollbook-guest"], { stdio: "inherit" });
    expect(r.status, "cargo build of the guest runner").to.equal(0);
    range = buildRange();
  });

  it("gives the node's stateless execution: public values, every root, the withdrawals", () => {
    const ts = executeRange(range);
    const rust = nativeExecutor()(range);
    expect(rust.values).to.deep.equal(ts.values);
    expect(rust.roots).to.deep.equal(ts.roots);
    expect(rust.withdrawals).to.deep.equal(ts.withdrawals);
    expect(rust.withdrawals).to.have.length(1);
    expect(rust.txs).to.equal(ts.txs).and.equal(7);
  });

  it("the attest backend signs the same proof with either executor", async () => {
    const ts = executeRange(range);
    const state = {
      stateRoot: async (i: number) => Buffer.from(ts.roots[i - 1].slice(2), "hex"),
      withdrawalsInRange: async () => ts.withdrawals,
    };
    const o = { signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: 31337, verifier: "0x00000000000000000000000000000000000000b2" as Address, state };
    const mine = await new AttestBackend(o).prove(range);
    const native = await new AttestBackend({ ...o, execute: nativeExecutor() }).prove(range);
    expect(bytesToHex(native.publicValues)).to.equal(bytesToHex(mine.publicValues));
    expect(native.proof).to.equal(mine.proof);
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
    for (const [bad, code] of cases) {
      let err: unknown;
      try {
        nativeExecutor()(withWitness(range, 1, bad));
      } catch (e) {
        err = e;
      }
      expect(err, code).to.be.instanceOf(ProverError);
      expect((err as ProverError).code).to.equal("INPUT");
      expect((err as Error).message).to.contain(code);
    }
  });
});
