// The prover's input of one batch (docs/proving.md "Prover inputs"): what the zkVM guest reads for batch i
// (docs/proving.md "The program"), recorded by derivation with the `proverInputs` option in the same atomic
// store write as the batch itself (node/state/store.ts), so a crash never leaves a derived batch without
// its input. The witness is built from the node's pre-state trie while the batch executes.
//
// Encoding: be32(len(json)) ‖ json {commitment, versionedHashes?, blobs?} ‖ be32(len(data)) ‖ data ‖ be32(n) ‖
// n × (be32(len) ‖ message) ‖ be32(len(witness)) ‖ witness. A blob batch stores its blobs in place of the
// data (`blobs`: their count, each 131,072 bytes): the guest binds them to the versioned hashes itself
// (docs/proving.md "Blob binding"); the decoder unpacks them for `data`.
import { BYTES_PER_BLOB, unpackBlobs } from "../da/packing.ts";
import type { BatchCommitment, Hash } from "./commitment.ts";

/** Everything the guest reads for one batch i of a range. */
export interface BatchInput {
  /** c(i) as the Inbox committed it (BatchProposed event + the proposing block). */
  commitment: BatchCommitment;
  /** The batch bytes: the calldata, or the bytes unpacked from the blobs (docs/da.md; empty if they do not unpack). */
  data: Uint8Array;
  /** Blob batches: the versioned hashes in order. */
  versionedHashes?: Hash[];
  /**
   * Blob batches: the blobs as L1 committed them (131,072 bytes each, in the order of the versioned hashes;
   * node/da checked each against its hash when fetched, the guest checks it again inside the proof).
   */
  blobs?: Uint8Array[];
  /** The L1 messages [l1MsgStart, l1MsgEnd) as enqueued (raw bytes). */
  messages: Uint8Array[];
  /** The pre-state witness of batch i (node/state/witness.ts), whose root is the state after batch i-1. */
  witness: Uint8Array;
}

export function encodeBatchInput(b: BatchInput): Uint8Array {
  if (b.blobs?.some((x) => x.length !== BYTES_PER_BLOB)) throw new RangeError("batch input: a blob is not 131072 bytes");
  const json = Buffer.from(JSON.stringify({ commitment: b.commitment, versionedHashes: b.versionedHashes, blobs: b.blobs?.length }));
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
  blob(b.blobs === undefined ? b.data : Buffer.concat(b.blobs));
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
  const head = JSON.parse(Buffer.from(blob()).toString()) as { commitment: BatchCommitment; versionedHashes?: Hash[]; blobs?: number };
  const payload = blob();
  let data: Uint8Array = payload;
  let blobs: Uint8Array[] | undefined;
  if (head.blobs !== undefined) {
    if (payload.length !== head.blobs * BYTES_PER_BLOB) throw new RangeError("batch input: blob bytes do not match the blob count");
    blobs = [];
    for (let o = 0; o < payload.length; o += BYTES_PER_BLOB) blobs.push(payload.subarray(o, o + BYTES_PER_BLOB));
    const u = unpackBlobs(blobs);
    data = u.ok ? u.data : new Uint8Array(0);
  }
  const n = u32();
  const messages: Uint8Array[] = [];
  for (let i = 0; i < n; i++) messages.push(blob());
  const witness = blob();
  if (off !== b.length) throw new RangeError("batch input: trailing bytes");
  return { commitment: head.commitment, versionedHashes: head.versionedHashes, ...(blobs === undefined ? {} : { blobs }), data, messages, witness };
}
