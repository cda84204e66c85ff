// Stage 4a, batch validity: the rules docs/batch-format.md ("What derivation does with the header") states
// today. A batch that breaks one is a no-op batch: its L2 transactions are skipped, its L1 messages still
// apply (the Inbox advanced the queue), identically on every node. The STF formats work (issue 12) moves
// these rules into docs/stf.md "batch validity" and one function, node/derive/validity.ts; derivation
// then calls that function in place of this one, with the same inputs gathered by the pipeline.
import type { Hex } from "viem";
import type { BatchHeader } from "../codec/batch.ts";

/** What L1 says about the batch, gathered by the pipeline before the (pure) check. */
export interface BatchL1Facts {
  /** BatchProposed.l1MsgStart / l1MsgEnd. */
  l1MsgStart: number;
  l1MsgEnd: number;
  /** b(i-1): the Inbox batch chain value before this batch (0x00..00 before the first batch). */
  parentBatchChain: Hex;
  /** The proposing L1 block. */
  l1BlockNumber: number;
  l1Timestamp: number;
  /** Canonical hash of L1 block `header.l1OriginNumber` (undefined if it is not below the proposing block). */
  originCanonicalHash: Hex | undefined;
}

export type BatchVerdict = { valid: true } | { valid: false; rule: BatchRule };

/** Stable names of the rules, in the order they are checked (the first failure is reported). */
export type BatchRule = "PARENT_BATCH_HASH" | "L1_MESSAGE_RANGE" | "L1_ORIGIN" | "TIMESTAMP";

export function checkBatchRules(h: BatchHeader, l1: BatchL1Facts): BatchVerdict {
  if (h.parentBatchHash.toLowerCase() !== l1.parentBatchChain.toLowerCase()) return { valid: false, rule: "PARENT_BATCH_HASH" };
  if (h.l1MsgStart !== l1.l1MsgStart || h.l1MsgEnd !== l1.l1MsgEnd) return { valid: false, rule: "L1_MESSAGE_RANGE" };
  if (!(h.l1OriginNumber < l1.l1BlockNumber) || l1.originCanonicalHash === undefined || h.l1OriginHash.toLowerCase() !== l1.originCanonicalHash.toLowerCase()) {
    return { valid: false, rule: "L1_ORIGIN" };
  }
  if (h.timestamp > l1.l1Timestamp) return { valid: false, rule: "TIMESTAMP" };
  return { valid: true };
}
