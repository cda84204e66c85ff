// Admission worker (worker_threads): the CPU-heavy half of admission (docs/sequencer.md "Admission").
// For each canonical single-tx encoding it computes the EIP-712 signing digest, the tx hash and the
// recovered signer (native secp256k1, native keccak), exactly as the STF would (node/clob/eip712.ts).
// Message in:  { id, data: Uint8Array (concatenated txs), offs: Uint32Array (n + 1 offsets), separator }
// Message out: { id, hashes: string[], signers: (string | null)[], bad: Uint8Array (1 = undecodable or
//               not well formed) } or { id, error } on an internal failure.

import { parentPort } from "node:worker_threads";
import { isWellFormed, recoverAddress, txHashFromDigest, txSigningHash, bytesToHex } from "../clob/eip712.ts";
import { decodeTx } from "../codec/tx.ts";

export interface AdmissionRequest {
  id: number;
  data: Uint8Array;
  offs: Uint32Array;
  separator: Uint8Array;
}

export type AdmissionReply =
  | { id: number; hashes: string[]; signers: (string | null)[]; bad: Uint8Array }
  | { id: number; error: string };

/** The work of one request (also used in-thread by tests and by the bench's recovery limit). */
export function admitBytes(req: AdmissionRequest): AdmissionReply {
  const n = req.offs.length - 1;
  const hashes: string[] = new Array(n);
  const signers: (string | null)[] = new Array(n);
  const bad = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = decodeTx(req.data.subarray(req.offs[i], req.offs[i + 1]));
    if (!r.ok || !isWellFormed(r.tx)) {
      bad[i] = 1;
      hashes[i] = "";
      signers[i] = null;
      continue;
    }
    const digest = txSigningHash(req.separator, r.tx);
    hashes[i] = bytesToHex(txHashFromDigest(digest, r.tx.sig));
    signers[i] = recoverAddress(digest, r.tx.sig);
  }
  return { id: req.id, hashes, signers, bad };
}

if (parentPort !== null) {
  const port = parentPort;
  port.on("message", (req: AdmissionRequest) => {
    let reply: AdmissionReply;
    try {
      reply = admitBytes(req);
    } catch (err) {
      reply = { id: req.id, error: (err as Error).message };
    }
    port.postMessage(reply);
  });
}
