// The input file of the zkVM guest (docs/proving.md "The input file"): the items the program reads, in order,
// each as one frame be32(len) ‖ bytes, so a host maps frame k to the k-th `sp1_zkvm::io::read_vec` (SP1:
// `stdin.write_vec(frame)`) or feeds the file to `cargo-zisk prove -i` (ZisK: `ziskos::read_input` reads
// the same frames). Frames:
//   base:      prevStateRoot (32) ‖ prevBatchChain (32) ‖ prover (20) ‖ be32(batch count)
//   per batch: c(i) preimage (157 bytes, node/derive/commitment.ts commitmentPreimage)
//              data (calldata, or the bytes unpacked from the blobs)
//              versioned hashes (32 × k; empty for calldata)
//              messages: be32(n) ‖ n × (be32(len) ‖ message)
//              witness (node/state/witness.ts serialization)
import { hexToBytes } from "viem";
import { commitmentPreimage } from "../derive/commitment.ts";
import type { RangeInput } from "./backend.ts";

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
    frames.push(b.data);
    frames.push(Buffer.concat((b.versionedHashes ?? []).map((h) => hexToBytes(h))));
    frames.push(Buffer.concat([u32(b.messages.length), ...b.messages.flatMap((m) => [u32(m.length), m])]));
    frames.push(b.witness);
  }
  return Buffer.concat(frames.flatMap((f) => [u32(f.length), f]));
}
