// The input file of the zkVM guest (docs/proving.md "The input file"): the magic `RBWRANG2`, then the items
// the program reads, in order, each as one frame be32(len) ‖ bytes; a host writes the whole file as one input
// (SP1 `stdin.write_vec`, ZisK `cargo-zisk prove -i`) and the program decodes it (guest/core
// src/witness_range.rs). Frames:
//   base:      prevStateRoot (32) ‖ prevBatchChain (32) ‖ prover (20) ‖ be32(batch count)
//   per batch: c(i) preimage (157 bytes, node/derive/commitment.ts commitmentPreimage)
//              data: a blob batch's blobs (k × 131,072 bytes, bound to the versioned hashes by the program
//              itself), else the calldata
//              versioned hashes (32 × k; empty for calldata)
//              messages: be32(n) ‖ n × (be32(len) ‖ message)
//              witness (node/state/witness.ts serialization)
import { hexToBytes } from "viem";
import { DataKind, commitmentPreimage } from "../derive/commitment.ts";
import type { RangeInput } from "./backend.ts";
import { ProverError } from "./errors.ts";

/** Format 2 (blob batches carry their blobs); format 1 had no magic and the unpacked bytes instead. */
export const GUEST_INPUT_MAGIC = new TextEncoder().encode("RBWRANG2");

export function encodeGuestInput(r: RangeInput): Uint8Array {
  const frames: Uint8Array[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  frames.push(Buffer.concat([hexToBytes(r.prevStateRoot), hexToBytes(r.prevBatchChain), hexToBytes(r.prover), u32(r.batches.length)]));
  for (const b of r.batches) {
    frames.push(commitmentPreimage(b.commitment));
    if (b.commitment.dataKind === DataKind.BLOBS) {
      if (b.blobs === undefined) throw new ProverError("INPUT", `batch ${b.commitment.index}: blob batch input without its blobs (derived before blobs were recorded: re-derive)`);
      frames.push(Buffer.concat(b.blobs));
    } else {
      frames.push(b.data);
    }
    frames.push(Buffer.concat((b.versionedHashes ?? []).map((h) => hexToBytes(h))));
    frames.push(Buffer.concat([u32(b.messages.length), ...b.messages.flatMap((m) => [u32(m.length), m])]));
    frames.push(b.witness);
  }
  return Buffer.concat([GUEST_INPUT_MAGIC, ...frames.flatMap((f) => [u32(f.length), f])]);
}
