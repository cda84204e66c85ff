// Batch validity (docs/stf.md "Batch validity"): the one function that decides, from the Inbox's
// commitment c(i), the batch bytes, the L1 messages and the pre-state, whether batch i runs its
// transactions (VALID) or is a no-op batch that only applies its L1 messages (every other outcome), and
// builds the STF's batch input either way. Derivation calls it for every BatchProposed; the Rust guest
// implements the same rules (same order, same outcomes).
//
// Input consistency (I1-I4) is not a property of the batch: a violation throws InputMismatch (the caller
// fed the wrong pre-state, messages or data: a bug or an unhandled reorg). Validity (V1-V6) never throws.

import type { ClobState } from "../clob/state.ts";
import { decodeL1Message, nextQueueHash } from "../clob/l1messages.ts";
import type { Batch as StfBatch } from "../clob/stf.ts";
import { MAX_DRIFT, type L1Message } from "../clob/types.ts";
import { bytesToHex, hexToBytes } from "../clob/eip712.ts";
import { decodeBatch, type BatchHeader } from "../codec/batch.ts";
import { DecodeReason, reasonName } from "../codec/errors.ts";
import { type BatchCommitment, DataKind, type Hash, blobDataHash, calldataDataHash } from "./commitment.ts";

/** Outcome of the validity rules, first failing rule wins (docs/stf.md table). */
export const BatchValidity = {
  VALID: 0,
  /** V1: the bytes are not a v2 batch (the codec's reason is in `reason`). */
  UNDECODABLE: 1,
  /** V2: header.parentBatchHash != b(i-1). */
  WRONG_PARENT: 2,
  /** V3: header.l1MsgStart/l1MsgEnd != the range committed in c(i). */
  WRONG_L1_RANGE: 3,
  /** V4: header.timestamp < the previous clock. */
  CLOCK_BEFORE_PREVIOUS: 4,
  /** V5: header.timestamp > the proposing L1 block's timestamp. */
  CLOCK_AFTER_L1: 5,
  /** V6: header.timestamp + MAX_DRIFT < the proposing L1 block's timestamp. */
  CLOCK_TOO_OLD: 6,
} as const;
export type BatchValidity = (typeof BatchValidity)[keyof typeof BatchValidity];

export const BATCH_VALIDITY_NAME: Record<number, string> = Object.fromEntries(Object.entries(BatchValidity).map(([k, v]) => [v, k]));

/** Which input-consistency rule failed (docs/stf.md I1-I4). */
export type InputRule = "I1_INDEX" | "I2_L1_START" | "I3_MESSAGES" | "I4_DATA";

export class InputMismatch extends Error {
  readonly rule: InputRule;
  constructor(rule: InputRule, message: string) {
    super(`${rule}: ${message}`);
    this.name = "InputMismatch";
    this.rule = rule;
  }
}

/** The pre-state globals the rules read. */
export type PreGlobals = Pick<ClobState, "batchIndex" | "timestamp" | "l1MessagesConsumed">;

export interface ValidityInput {
  /** c(i) as the Inbox committed it (BatchProposed event + the proposing block's timestamp and number). */
  commitment: BatchCommitment;
  /** b(i-1). */
  parentChain: Hash;
  /** The batch bytes: the calldata, or the bytes unpacked from the blobs (docs/da.md). */
  data: Uint8Array;
  /**
   * Blob batches: the blobs' versioned hashes in order (their match with the blobs' KZG commitments is
   * checked where the blobs are fetched, node/da). Ignored for calldata batches.
   */
  versionedHashes?: readonly Hash[];
  /** The L1 messages [l1MsgStart, l1MsgEnd) as enqueued (raw bytes). */
  messages: readonly Uint8Array[];
  /** The pre-state (its batch index, clock and message count). */
  pre: PreGlobals;
}

export interface ValidityResult {
  outcome: BatchValidity;
  /** The codec's reason when outcome is UNDECODABLE. */
  reason?: DecodeReason;
  /** Human-readable: the failed rule and its values. */
  detail: string;
  /** The decoded header, when the bytes decoded. */
  header?: BatchHeader;
  /** What to pass to the STF: txs and the header's clock when VALID, no txs and the previous clock otherwise. */
  batch: StfBatch;
  /** The decoded L1 messages, in queue order. */
  messages: L1Message[];
}

/** Checks I1-I4 (throws InputMismatch) and V1-V6 (returns the outcome). */
export function checkBatchValidity(input: ValidityInput): ValidityResult {
  const { commitment: c, pre } = input;
  // I1-I4
  if (c.index !== pre.batchIndex + 1) throw new InputMismatch("I1_INDEX", `batch ${c.index} after state at batch ${pre.batchIndex}`);
  if (c.l1MsgStart !== pre.l1MessagesConsumed) {
    throw new InputMismatch("I2_L1_START", `batch starts at message ${c.l1MsgStart}, state consumed ${pre.l1MessagesConsumed}`);
  }
  if (input.messages.length !== c.l1MsgEnd - c.l1MsgStart) {
    throw new InputMismatch("I3_MESSAGES", `${input.messages.length} messages for range [${c.l1MsgStart}, ${c.l1MsgEnd})`);
  }
  let q = hexToBytes(c.queueHashStart);
  for (const m of input.messages) q = nextQueueHash(q, m);
  if (bytesToHex(q) !== c.queueHash.toLowerCase()) throw new InputMismatch("I3_MESSAGES", "messages do not chain to q(l1MsgEnd)");
  if (c.dataKind === DataKind.CALLDATA) {
    if (calldataDataHash(input.data) !== c.dataHash.toLowerCase()) throw new InputMismatch("I4_DATA", "calldata does not hash to dataHash");
  } else if (c.dataKind === DataKind.BLOBS) {
    const vh = input.versionedHashes;
    if (vh === undefined || vh.length === 0 || blobDataHash(vh) !== c.dataHash.toLowerCase()) {
      throw new InputMismatch("I4_DATA", "versioned hashes do not hash to dataHash");
    }
  } else {
    throw new InputMismatch("I4_DATA", `unknown dataKind ${c.dataKind as number}`);
  }
  const messages = input.messages.map((m) => decodeL1Message(m));

  const invalid = (outcome: BatchValidity, detail: string, extra: Partial<ValidityResult> = {}): ValidityResult => ({
    outcome, detail, messages, ...extra,
    batch: { index: c.index, timestamp: pre.timestamp, proposer: c.proposer, txs: [] },
  });
  // V1
  const d = decodeBatch(input.data);
  if (!d.ok) return invalid(BatchValidity.UNDECODABLE, `V1: ${reasonName(d.reason)} at ${d.offset}${d.inRecords ? " (records)" : ""}`, { reason: d.reason });
  const h = d.batch.header;
  // V2
  if (h.parentBatchHash !== input.parentChain.toLowerCase()) return invalid(BatchValidity.WRONG_PARENT, `V2: parent ${h.parentBatchHash} != b(i-1) ${input.parentChain}`, { header: h });
  // V3
  if (h.l1MsgStart !== c.l1MsgStart || h.l1MsgEnd !== c.l1MsgEnd) {
    return invalid(BatchValidity.WRONG_L1_RANGE, `V3: header range [${h.l1MsgStart}, ${h.l1MsgEnd}) != committed [${c.l1MsgStart}, ${c.l1MsgEnd})`, { header: h });
  }
  // V4-V6
  if (h.timestamp < pre.timestamp) return invalid(BatchValidity.CLOCK_BEFORE_PREVIOUS, `V4: clock ${h.timestamp} < previous ${pre.timestamp}`, { header: h });
  if (h.timestamp > c.l1Timestamp) return invalid(BatchValidity.CLOCK_AFTER_L1, `V5: clock ${h.timestamp} > L1 ${c.l1Timestamp}`, { header: h });
  if (h.timestamp + MAX_DRIFT < c.l1Timestamp) {
    return invalid(BatchValidity.CLOCK_TOO_OLD, `V6: clock ${h.timestamp} + ${MAX_DRIFT} < L1 ${c.l1Timestamp}`, { header: h });
  }
  return {
    outcome: BatchValidity.VALID, detail: "valid", header: h, messages,
    batch: { index: c.index, timestamp: h.timestamp, proposer: c.proposer, txs: d.batch.txs },
  };
}

/** Inclusive window of valid clocks for a batch proposed at `l1Timestamp` after clock `prevClock`. */
export function clockWindow(prevClock: number, l1Timestamp: number): { min: number; max: number } {
  return { min: Math.max(prevClock, l1Timestamp - MAX_DRIFT), max: l1Timestamp };
}
