// The prover's input of one batch (docs/proving.md "Prover inputs"): what the zkVM guest reads for batch i
// (docs/proving.md "The program"), recorded by derivation with the `proverInputs` option in the same atomic
// store write as the batch itself (node/state/store.ts), so a crash never leaves a derived batch without
// its input. The witness is built from the node's pre-state trie while the batch executes.
//
// Encoding: be32(len(json)) ‖ json {commitment, versionedHashes?} ‖ be32(len(data)) ‖ data ‖ be32(n) ‖
// n × (be32(len) ‖ message) ‖ be32(len(witness)) ‖ witness.
import type { BatchCommitment, Hash } from "./commitment.ts";

/** Everything the guest reads for one batch i of a range. */
export interface BatchInput {
  /** c(i) as the Inbox committed it (BatchProposed event + the proposing block). */
  commitment: BatchCommitment;
  /** The batch bytes: the calldata, or the bytes unpacked from the blobs (docs/da.md). */
  data: Uint8Array;
  /** Blob batches: the versioned hashes in order (their KZG binding is checked by node/da on fetch). */
  versionedHashes?: Hash[];
  /** The L1 messages [l1MsgStart, l1MsgEnd) as enqueued (raw bytes). */
  messages: Uint8Array[];
  /** The pre-state witness of batch i (node/state/witness.ts), whose root is the state after batch i-1. */
  witness: Uint8Array;
}

export function encodeBatchInput(b: BatchInput): Uint8Array {
  const json = Buffer.from(JSON.stringify({ commitment: b.commitment, versionedHashes: b.versionedHashes }));
  const parts: Uint8Array[] = [];
  const u32 = (n: number) => {
    const x = Buffer.alloc(4);
    x.writeUInt32BE(n);
    parts.push(x);
  };
  const blob = (x: Uint8Array) => {
    u32(x.length);
    parts.push(x);
  };
  blob(json);
  blob(b.data);
  u32(b.messages.length);
  for (const m of b.messages) blob(m);
  blob(b.witness);
  return Buffer.concat(parts);
}

/** Inverse of encodeBatchInput; throws RangeError on truncated or malformed bytes. */
export function decodeBatchInput(bytes: Uint8Array): BatchInput {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const u32 = () => {
    if (off + 4 > b.length) throw new RangeError("batch input: truncated");
    const n = b.readUInt32BE(off);
    off += 4;
    return n;
  };
  const blob = () => {
    const n = u32();
    if (off + n > b.length) throw new RangeError("batch input: truncated");
    const x = new Uint8Array(b.subarray(off, off + n));
    off += n;
    return x;
  };
  const head = JSON.parse(Buffer.from(blob()).toString()) as { commitment: BatchCommitment; versionedHashes?: Hash[] };
  const data = blob();
  const n = u32();
  const messages: Uint8Array[] = [];
  for (let i = 0; i < n; i++) messages.push(blob());
  const witness = blob();
  if (off !== b.length) throw new RangeError("batch input: trailing bytes");
  return { commitment: head.commitment, versionedHashes: head.versionedHashes, data, messages, witness };
}
