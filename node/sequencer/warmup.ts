// Warming the sequencer's hot paths at start (docs/sequencer.md "Warm-up"): a freshly started V8 runs the
// order path in its interpreter and baseline tiers until enough calls have been seen to optimize it, and
// the first traders after a (re)start paid that (an ack tail of tens of ms for about a second at 5,000
// orders/s, docs/benchmarks.md "rpc"). `warmSoftExecution` runs synthetic orders through the same code on
// a scratch state that nothing else sees: canonical encoding and decoding, admission, soft execution in a
// batch (resting, crossing and IOC orders, so the matching paths run too) and the receipts read back.
// The admission workers warm their own half (admission-worker.ts) on the same synthetic orders.
import { ErrorCode } from "../clob/errors.ts";
import { BatchExecutor, admit } from "../clob/stf.ts";
import { createGenesisState } from "../clob/state.ts";
import type { ReceiptLog } from "../clob/receipts.ts";
import { type Eip712Domain, type Tx } from "../clob/types.ts";
import { decodeTx, encodeTx } from "../codec/tx.ts";
import { SYNTHETIC_TRADERS, syntheticMarket, syntheticOrders } from "./synthetic.ts";

/** What a warm-up did: its milliseconds, the orders the scratch state accepted and the fills they made. */
export interface WarmUp {
  ms: number;
  accepted: number;
  fills: number;
}

/** A synthetic order as executed: a made-up tx hash, the order, its batch's receipt log and row. */
export type WarmTx = (hash: string, tx: Tx, log: ReceiptLog, row: number, batchIndex: number, timestamp: number) => void;

/**
 * Runs `n` synthetic orders through encoding, decoding, admission and soft execution on a scratch state of
 * chain `domain`, reading every receipt back, and hands each to `onTx` (a consumer warming its own code on
 * them: the view's indexing). Changes nothing outside the scratch state.
 */
export function warmSoftExecution(domain: Eip712Domain, n: number, onTx?: WarmTx): WarmUp {
  const t0 = performance.now();
  const out: WarmUp = { ms: 0, accepted: 0, fills: 0 };
  if (n <= 0) return out;
  const state = createGenesisState({ domain });
  const msgs = syntheticMarket(SYNTHETIC_TRADERS);
  // Orders of one trader alternate sides, so its own crossing orders meet the other trader's resting ones.
  const ex = new BatchExecutor(state, { index: state.batchIndex + 1, timestamp: state.timestamp + 1 }, msgs, {}, n);
  let i = 0;
  for (const tx of syntheticOrders(n)) {
    const d = decodeTx(encodeTx(tx));
    if (!d.ok) throw new Error(`warm-up: synthetic order does not decode (${d.reasonName})`);
    const row = ex.applyTx(d.tx, admit(state, d.tx, tx.account));
    const r = ex.receipts.tx(row);
    onTx?.(`0x${(i++).toString(16).padStart(64, "0")}`, d.tx, ex.receipts, row, ex.state.batchIndex, ex.now);
    if (r.code === ErrorCode.OK) out.accepted++;
    out.fills += r.fills.length;
  }
  out.ms = performance.now() - t0;
  return out;
}
