// Admission worker (worker_threads): the CPU-heavy half of admission (docs/sequencer.md "Admission").
// For each canonical single-tx encoding it computes the EIP-712 signing digest, the tx hash and the
// recovered signer (native secp256k1, native keccak), exactly as the STF would (node/clob/eip712.ts).
// Message in:  { id, data: Uint8Array (concatenated txs), offs: Uint32Array (n + 1 offsets) } (both
//               transferred; the domain separator comes once, in workerData)
// Message out: { id, out: Uint8Array } (transferred: no structured clone of strings), REPLY_BYTES per tx:
//               status (0 ok, 1 undecodable or not well formed, 2 signature recovery failed) ‖ tx hash as
//               "0x" + 64 hex ASCII ‖ signer as "0x" + 40 hex ASCII; or { id, error } on an internal failure.
// The main thread reads the whole reply as one latin1 string and slices the hash and signer out of it.

import { parentPort, workerData } from "node:worker_threads";
import { isWellFormed, recoverAddress, txHashFromDigest, txSigningHash } from "../clob/eip712.ts";
import { decodeTx, encodeTx } from "../codec/tx.ts";
import { syntheticOrders } from "./synthetic.ts";

export interface AdmissionRequest {
  id: number;
  data: Uint8Array;
  offs: Uint32Array;
  separator: Uint8Array;
}

export type AdmissionReply = { id: number; out: Uint8Array } | { id: number; error: string };

/** Bytes per transaction in a reply: status, tx hash (66 ASCII), signer (42 ASCII). */
export const REPLY_BYTES = 109;
export const STATUS_OK = 0;
export const STATUS_BAD = 1;
export const STATUS_NO_SIGNER = 2;

const HEX = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** The work of one request (also used in-thread by tests). */
export function admitBytes(req: AdmissionRequest): AdmissionReply {
  const n = req.offs.length - 1;
  const out = new Uint8Array(n * REPLY_BYTES);
  const text = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < n; i++) {
    const o = i * REPLY_BYTES;
    const r = decodeTx(req.data.subarray(req.offs[i], req.offs[i + 1]));
    if (!r.ok || !isWellFormed(r.tx)) {
      out[o] = STATUS_BAD;
      continue;
    }
    const digest = txSigningHash(req.separator, r.tx);
    const hash = txHashFromDigest(digest, r.tx.sig);
    out[o + 1] = 48; // "0x"
    out[o + 2] = 120;
    for (let k = 0, w = o + 3; k < 32; k++, w += 2) {
      out[w] = HEX[hash[k]! >> 4]!;
      out[w + 1] = HEX[hash[k]! & 15]!;
    }
    const signer = recoverAddress(digest, r.tx.sig);
    if (signer === null) out[o] = STATUS_NO_SIGNER;
    else text.write(signer, o + 67, 42, "latin1");
  }
  return { id: req.id, out };
}

/**
 * Runs `n` synthetic orders (placeholder signatures, so recovery yields some address or none) through
 * `admitBytes` before the first real request: decoding, hashing and recovery are optimized then, not
 * while the first traders wait (docs/sequencer.md "Warm-up"). Returns the milliseconds it took.
 */
export function warmAdmission(n: number): number {
  const t0 = performance.now();
  const txs = syntheticOrders(n).map((tx) => encodeTx(tx));
  const offs = new Uint32Array(txs.length + 1);
  txs.forEach((b, i) => (offs[i + 1] = offs[i]! + b.length));
  const data = new Uint8Array(offs[txs.length]!);
  txs.forEach((b, i) => data.set(b, offs[i]));
  admitBytes({ id: 0, data, offs, separator: new Uint8Array(32).fill(7) });
  return performance.now() - t0;
}

if (parentPort !== null) {
  const port = parentPort;
  const data = workerData as { warmUp?: number; separator: Uint8Array };
  const warm = data.warmUp ?? 0;
  if (warm > 0) warmAdmission(warm);
  port.on("message", (req: Omit<AdmissionRequest, "separator">) => {
    let reply: AdmissionReply;
    try {
      reply = admitBytes({ id: req.id, data: req.data, offs: req.offs, separator: data.separator });
    } catch (err) {
      reply = { id: req.id, error: (err as Error).message };
    }
    port.postMessage(reply, "out" in reply ? [reply.out.buffer as ArrayBuffer] : []);
  });
}
