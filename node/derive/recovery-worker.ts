// Signature recovery for derivation on a worker thread (docs/derivation.md "Signer recovery pipeline"): the
// worker decodes the batch bytes it is given with the same total decoder the deriver uses (node/codec) and,
// for every well-formed transaction, computes the EIP-712 signing digest and recovers the signer exactly as
// the STF would (node/clob/eip712.ts), while the main thread executes earlier batches.
// Message in:  { id, data: Uint8Array (batch bytes), separator: Uint8Array, part?, parts? } (part k of n: the
//               transactions whose index is k modulo n, so one batch is recovered by every worker at once)
// Message out: { id, signers: (string | null)[], known: Uint8Array (1 = signer computed), r: Uint8Array
//               (32 bytes per tx: each signature's r, checked by the deriver before it uses a signer) },
//              { id, undecodable: true } or { id, error }; once at start { ready: true }.
import { parentPort } from "node:worker_threads";
import { isWellFormed, recoverAddress, txSigningHash } from "../clob/eip712.ts";
import { decodeBatch } from "../codec/batch.ts";

export interface RecoveryRequest {
  id: number;
  data: Uint8Array;
  separator: Uint8Array;
  /** Recover only the transactions whose index is `part` modulo `parts` (default 0 of 1: all). */
  part?: number;
  parts?: number;
}

export type RecoveryReply =
  | { id: number; signers: (string | null)[]; known: Uint8Array; r: Uint8Array }
  | { id: number; undecodable: true }
  | { id: number; error: string };

/** The work of one request (also called in-thread by tests). */
export function recoverBatch(req: RecoveryRequest): RecoveryReply {
  const d = decodeBatch(req.data);
  if (!d.ok) return { id: req.id, undecodable: true };
  const txs = d.batch.txs;
  const signers: (string | null)[] = new Array<string | null>(txs.length).fill(null);
  const known = new Uint8Array(txs.length);
  const r = new Uint8Array(32 * txs.length);
  const parts = Math.max(1, req.parts ?? 1);
  for (let i = req.part ?? 0; i < txs.length; i += parts) {
    const tx = txs[i]!;
    if (!isWellFormed(tx)) continue;
    signers[i] = recoverAddress(txSigningHash(req.separator, tx), tx.sig);
    known[i] = 1;
    r.set(tx.sig.r, 32 * i);
  }
  return { id: req.id, signers, known, r };
}

if (parentPort !== null) {
  const port = parentPort;
  port.on("message", (req: RecoveryRequest) => {
    let reply: RecoveryReply;
    try {
      reply = recoverBatch(req);
    } catch (err) {
      reply = { id: req.id, error: (err as Error).message };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true }); // modules loaded: SignerRecovery.ready() resolves
}
