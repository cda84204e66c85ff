// KZG sidecars on a worker thread (kzg-thread.ts): the commitments and proofs of a proposal's blobs cost
// ~0.4 s per blob for the EIP-7594 cell proofs on a quiet core (docs/da.md) and several seconds on a loaded
// one; computed on the node's main thread they would stall every acknowledgement for that long.
// Message in:  { id, blobs: Uint8Array[], wrappers: BlobWrapper[] } (no blobs: only load the trusted setup)
// Message out: { id, sidecars: BlobSidecars } or { id, error }.
import { parentPort } from "node:worker_threads";
import { computeSidecars, ensureProofs, type BlobSidecars, type BlobWrapper } from "./kzg.ts";

export interface KzgRequest {
  id: number;
  blobs: Uint8Array[];
  /** The proofs to compute (the first wrapper's with the commitments, then the others'). */
  wrappers: BlobWrapper[];
}

export type KzgReply = { id: number; sidecars: BlobSidecars } | { id: number; error: string };

if (parentPort !== null) {
  const port = parentPort;
  port.on("message", (req: KzgRequest) => {
    let reply: KzgReply;
    try {
      const sidecars = computeSidecars(req.blobs, req.wrappers[0]);
      for (const w of req.wrappers.slice(1)) ensureProofs(sidecars, w);
      reply = { id: req.id, sidecars };
    } catch (err) {
      reply = { id: req.id, error: (err as Error).message };
    }
    port.postMessage(reply);
  });
}
