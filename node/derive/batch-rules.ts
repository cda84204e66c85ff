// Stage 4a, batch validity: rules V1-V6 of docs/stf.md "Batch validity" (normative there). A batch that
// breaks one is a no-op batch: its L2 transactions are skipped, its L1 messages still apply with the
// previous clock, identically on every node and in the guest. The STF formats work (issue 12) provides the
// same list as one function in node/derive/validity.ts; derivation calls this module until it lands there,
// with the same inputs (pre-state clock, b(i-1), the event's range and L1 timestamp).
import type { Hex } from "viem";
import type { DecodeBatchResult } from "../codec/batch.ts";
import { MAX_DRIFT } from "../clob/types.ts";

/** What L1 and the pre-state say about the batch, gathered by the pipeline before the (pure) check. */
export interface BatchL1Facts {
  /** BatchProposed.l1MsgStart / l1MsgEnd. */
  l1MsgStart: number;
  l1MsgEnd: number;
  /** b(i-1): the Inbox batch chain value before this batch (0x00..00 before the first batch). */
  parentBatchChain: Hex;
  /** Timestamp of the proposing L1 block (c.l1Timestamp). */
  l1Timestamp: number;
  /** The pre-state clock S.timestamp. */
  previousClock: number;
}

/** Outcome codes and names of docs/stf.md "Batch validity" (0 VALID). */
export const BatchOutcome = {
  VALID: 0,
  UNDECODABLE: 1,
  WRONG_PARENT: 2,
  WRONG_L1_RANGE: 3,
  CLOCK_BEFORE_PREVIOUS: 4,
  CLOCK_AFTER_L1: 5,
  CLOCK_TOO_OLD: 6,
} as const;
export type BatchRule = Exclude<keyof typeof BatchOutcome, "VALID">;

export type BatchVerdict = { valid: true; clock: number } | { valid: false; rule: BatchRule; code: number; clock: number; detail?: string };

/** Rules V1-V6 in order; the first failure decides. `clock` is the STF clock of the batch either way. */
export function checkBatchRules(decoded: DecodeBatchResult, l1: BatchL1Facts): BatchVerdict {
  const fail = (rule: BatchRule, detail?: string): BatchVerdict => ({ valid: false, rule, code: BatchOutcome[rule], clock: l1.previousClock, detail });
  if (!decoded.ok) return fail("UNDECODABLE", decoded.reasonName);
  const h = decoded.batch.header;
  if (h.parentBatchHash.toLowerCase() !== l1.parentBatchChain.toLowerCase()) return fail("WRONG_PARENT");
  if (h.l1MsgStart !== l1.l1MsgStart || h.l1MsgEnd !== l1.l1MsgEnd) return fail("WRONG_L1_RANGE");
  if (h.timestamp < l1.previousClock) return fail("CLOCK_BEFORE_PREVIOUS");
  if (h.timestamp > l1.l1Timestamp) return fail("CLOCK_AFTER_L1");
  if (h.timestamp + MAX_DRIFT < l1.l1Timestamp) return fail("CLOCK_TOO_OLD");
  return { valid: true, clock: h.timestamp };
}
