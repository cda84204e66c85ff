// Stateless re-execution of a batch range from its witnesses (docs/proving.md "The attest backend"): the
// same steps, in the same order, as the zkVM program of docs/proving.md "The program", with the node's own
// code. Per batch i: the pre-state globals are read from the witness (proven by its root), the input
// consistency rules I1-I4 and the validity rules V1-V6 are checked (node/derive/validity.ts), the batch is
// executed over the witness with every read proven (node/state/witness.ts verifyWitness), and the next
// batch's witness must hash to the post-state root. Then c(i) and b(i) are chained and the public values
// built (node/derive/commitment.ts publicValuesFor), with the withdrawal root of the range's withdrawals.
import { bytesToHex, hexToBytes } from "viem";
import type { Withdrawal } from "../clob/stf.ts";
import { checkBatchValidity, InputMismatch } from "../derive/validity.ts";
import { batchCommitment, nextBatchChain, publicValuesFor, type Hash, type PublicValues } from "../derive/commitment.ts";
import { decodeLeaf, globalsKey, Tag } from "../state/leaves.ts";
import { parseWitness, verifyWitness, WitnessError } from "../state/witness.ts";
import { WithdrawalTree } from "../state/withdrawals.ts";
import type { RangeInput } from "./backend.ts";
import { ProverError } from "./errors.ts";

/** The outcome of a stateless re-execution. */
export interface RangeExecution {
  values: PublicValues;
  /** The post-state root after each batch of the range, in order. */
  roots: Hash[];
  /** The withdrawals of the range, in batch order (the leaves of the withdrawal tree). */
  withdrawals: Withdrawal[];
  /** Batches that were no-ops (invalid data): index -> the failed rule. */
  invalid: Map<number, string>;
  txs: number;
}

/** Pre-state globals read from a witness: the GLOBALS leaf must be proven present. */
function witnessGlobals(witness: Uint8Array, index: number) {
  let leaf: Uint8Array | null | undefined;
  try {
    leaf = parseWitness(witness).lookup(globalsKey());
  } catch (e) {
    throw new ProverError("INPUT", `batch ${index}: malformed witness: ${(e as Error).message}`, { cause: e });
  }
  if (leaf === null || leaf === undefined) throw new ProverError("INPUT", `batch ${index}: the witness does not prove the GLOBALS leaf`);
  const g = decodeLeaf(leaf);
  if (g.tag !== Tag.GLOBALS) throw new ProverError("INPUT", `batch ${index}: bad GLOBALS leaf`);
  return g.v;
}

/**
 * Re-executes `range` statelessly. Throws ProverError INPUT when an input is inconsistent (wrong witness,
 * messages or data); never returns a wrong root (verifyWitness either proves every read or throws).
 */
export function executeRange(range: RangeInput): RangeExecution {
  if (range.batches.length === 0) throw new ProverError("INPUT", "empty batch range");
  let root = hexToBytes(range.prevStateRoot);
  let parentChain = range.prevBatchChain;
  const roots: Hash[] = [];
  const withdrawals: Withdrawal[] = [];
  const invalid = new Map<number, string>();
  let consumed = 0;
  let txs = 0;
  for (const b of range.batches) {
    const c = b.commitment;
    const pre = witnessGlobals(b.witness, c.index);
    let v;
    try {
      v = checkBatchValidity({ commitment: c, parentChain, data: b.data, versionedHashes: b.versionedHashes, messages: b.messages, pre });
    } catch (e) {
      if (e instanceof InputMismatch) throw new ProverError("INPUT", `batch ${c.index}: ${e.message}`, { cause: e });
      throw e;
    }
    if (v.outcome !== 0) invalid.set(c.index, v.detail);
    let out;
    try {
      out = verifyWitness(b.witness, root, v.batch, v.messages, { receipts: "none" });
    } catch (e) {
      if (e instanceof WitnessError) throw new ProverError("INPUT", `batch ${c.index}: witness ${e.code}: ${e.message}`, { cause: e });
      throw e;
    }
    root = out.postRoot;
    roots.push(bytesToHex(root));
    withdrawals.push(...out.result.withdrawals);
    consumed = pre.l1MessagesConsumed + b.messages.length;
    txs += v.batch.txs.length;
    parentChain = nextBatchChain(parentChain, batchCommitment(c)); // b(i): the next batch's V2 parent
  }
  let values: PublicValues;
  try {
    values = publicValuesFor({
      prevStateRoot: range.prevStateRoot,
      prevBatchChain: range.prevBatchChain,
      commitments: range.batches.map((b) => b.commitment),
      newStateRoot: bytesToHex(root),
      l1MessagesConsumed: consumed,
      withdrawalRoot: bytesToHex(new WithdrawalTree(withdrawals).root),
      prover: range.prover,
    });
  } catch (e) {
    throw new ProverError("INPUT", (e as Error).message, { cause: e });
  }
  return { values, roots, withdrawals, invalid, txs };
}
