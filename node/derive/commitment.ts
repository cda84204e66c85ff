// Batch commitments c(i), the batch chain b(i) and the proof public values (docs/l1-messages.md "Batch
// commitment" and "Proof public values", v2). Production code for derivation (it checks each batch's
// parentBatchHash against b(i-1) and recomputes b(i) from what the Inbox emitted) and for the prover (it
// builds the public values of a batch range). The Inbox (contracts/Inbox.sol) and the Rust guest
// (guest/core/src/batch.rs, public_values.rs) compute the same bytes; test/vectors/guest/batch-chain.json
// and public-values.json pin them.

import { bytesToHex, hexToBytes, isAddress, writeAddress } from "../clob/eip712.ts";
import { MAX_AMOUNT, type Address } from "../clob/types.ts";
import { keccak256 } from "../state/keccak.ts";
import { createHash } from "node:crypto";

export type Hash = `0x${string}`;

export const DataKind = { BLOBS: 1, CALLDATA: 2 } as const;
export type DataKind = (typeof DataKind)[keyof typeof DataKind];

/** b(0) and q(0): 32 zero bytes. */
export const ZERO_HASH: Hash = `0x${"00".repeat(32)}`;

/** Everything c(i) commits to (the Inbox's view of batch i). */
export interface BatchCommitment {
  /** i, from 1. */
  index: number;
  dataKind: DataKind;
  /** H(versioned hashes) for blobs, H(batch bytes) for calldata. */
  dataHash: Hash;
  l1MsgStart: number;
  /** q(l1MsgStart): the queue hash the batch's messages chain from. */
  queueHashStart: Hash;
  l1MsgEnd: number;
  /** q(l1MsgEnd). */
  queueHash: Hash;
  /** block.timestamp of the proposing transaction. */
  l1Timestamp: number;
  /** block.number of the proposing transaction. */
  l1BlockNumber: number;
  /** msg.sender of the proposing call: credited the proposer reward. */
  proposer: Address;
}

/** Byte length of the preimage of c(i): 8 + 1 + 32 + 8 + 8 + 32 + 8 + 8 + 20 + 32. */
export const COMMITMENT_PREIMAGE_LENGTH = 157;

function putU64(b: Uint8Array, off: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64 field out of range: ${n}`);
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  b[off] = hi >>> 24;
  b[off + 1] = (hi >>> 16) & 0xff;
  b[off + 2] = (hi >>> 8) & 0xff;
  b[off + 3] = hi & 0xff;
  b[off + 4] = lo >>> 24;
  b[off + 5] = (lo >>> 16) & 0xff;
  b[off + 6] = (lo >>> 8) & 0xff;
  b[off + 7] = lo & 0xff;
}

function hash32(h: string, what: string): Uint8Array {
  const b = hexToBytes(h);
  if (b.length !== 32) throw new RangeError(`${what} must be 32 bytes`);
  return b;
}

/**
 * The preimage of c(i), as the Inbox hashes it (abi.encodePacked):
 * be(i,8) ‖ be(dataKind,1) ‖ dataHash ‖ be(l1MsgStart,8) ‖ be(l1MsgEnd,8) ‖ q(l1MsgEnd) ‖ be(l1Timestamp,8) ‖
 * be(l1BlockNumber,8) ‖ proposer (20) ‖ q(l1MsgStart).
 */
export function commitmentPreimage(c: BatchCommitment): Uint8Array {
  if (c.dataKind !== DataKind.BLOBS && c.dataKind !== DataKind.CALLDATA) throw new RangeError(`unknown dataKind ${c.dataKind}`);
  if (!isAddress(c.proposer)) throw new RangeError("proposer must be an address");
  const b = new Uint8Array(COMMITMENT_PREIMAGE_LENGTH);
  putU64(b, 0, c.index);
  b[8] = c.dataKind;
  b.set(hash32(c.dataHash, "dataHash"), 9);
  putU64(b, 41, c.l1MsgStart);
  putU64(b, 49, c.l1MsgEnd);
  b.set(hash32(c.queueHash, "queueHash"), 57);
  putU64(b, 89, c.l1Timestamp);
  putU64(b, 97, c.l1BlockNumber);
  writeAddress(b, 105, c.proposer);
  b.set(hash32(c.queueHashStart, "queueHashStart"), 125);
  return b;
}

/** c(i). */
export function batchCommitment(c: BatchCommitment): Hash {
  return bytesToHex(keccak256(commitmentPreimage(c)));
}

/** b(i) = H(b(i-1) ‖ c(i)). */
export function nextBatchChain(prev: Hash, commitment: Hash): Hash {
  const b = new Uint8Array(64);
  b.set(hash32(prev, "b(i-1)"), 0);
  b.set(hash32(commitment, "c(i)"), 32);
  return bytesToHex(keccak256(b));
}

/** dataHash of a blob batch: H(versionedHash_0 ‖ ... ‖ versionedHash_{k-1}). */
export function blobDataHash(versionedHashes: readonly Hash[]): Hash {
  const b = new Uint8Array(32 * versionedHashes.length);
  versionedHashes.forEach((h, i) => b.set(hash32(h, "versioned hash"), 32 * i));
  return bytesToHex(keccak256(b));
}

/** dataHash of a calldata batch: H(batch bytes) (empty bytes allowed). */
export function calldataDataHash(data: Uint8Array): Hash {
  return bytesToHex(keccak256(data));
}

/** EIP-4844 versioned hash of a KZG commitment: 0x01 ‖ sha256(commitment)[1..32]. */
export function kzgVersionedHash(commitment: Uint8Array): Hash {
  const h = createHash("sha256").update(commitment).digest();
  h[0] = 0x01;
  return bytesToHex(h);
}

// ---------------------------------------------------------------------------------------------------------
// proof public values

/** docs/l1-messages.md "Proof public values": covers batches (firstBatch-1, lastBatch]. */
export interface PublicValues {
  prevStateRoot: Hash;
  newStateRoot: Hash;
  firstBatch: number;
  lastBatch: number;
  prevBatchChain: Hash;
  newBatchChain: Hash;
  l1MessagesConsumed: number;
  l1QueueHash: Hash;
  withdrawalRoot: Hash;
  prover: Address;
}

/** abi.encode of the tuple: ten 32-byte words. */
export const PUBLIC_VALUES_LENGTH = 320;

/** abi.encode(bytes32, bytes32, uint64, uint64, bytes32, bytes32, uint64, bytes32, bytes32, address). */
export function encodePublicValues(p: PublicValues): Uint8Array {
  if (!isAddress(p.prover)) throw new RangeError("prover must be an address");
  const b = new Uint8Array(PUBLIC_VALUES_LENGTH);
  b.set(hash32(p.prevStateRoot, "prevStateRoot"), 0);
  b.set(hash32(p.newStateRoot, "newStateRoot"), 32);
  putU64(b, 64 + 24, p.firstBatch);
  putU64(b, 96 + 24, p.lastBatch);
  b.set(hash32(p.prevBatchChain, "prevBatchChain"), 128);
  b.set(hash32(p.newBatchChain, "newBatchChain"), 160);
  putU64(b, 192 + 24, p.l1MessagesConsumed);
  b.set(hash32(p.l1QueueHash, "l1QueueHash"), 224);
  b.set(hash32(p.withdrawalRoot, "withdrawalRoot"), 256);
  writeAddress(b, 288 + 12, p.prover);
  return b;
}

/** Strict inverse of encodePublicValues: null unless exactly 320 bytes with zero padding. */
export function decodePublicValues(b: Uint8Array): PublicValues | null {
  if (b.length !== PUBLIC_VALUES_LENGTH) return null;
  const word = (i: number): Hash => bytesToHex(b.subarray(32 * i, 32 * i + 32));
  const u64 = (i: number): number | null => {
    for (let k = 0; k < 24; k++) if (b[32 * i + k] !== 0) return null;
    let n = 0;
    for (let k = 24; k < 32; k++) n = n * 256 + b[32 * i + k];
    return n <= MAX_AMOUNT ? n : null;
  };
  for (let k = 0; k < 12; k++) if (b[288 + k] !== 0) return null;
  const firstBatch = u64(2);
  const lastBatch = u64(3);
  const consumed = u64(6);
  if (firstBatch === null || lastBatch === null || consumed === null) return null;
  return {
    prevStateRoot: word(0), newStateRoot: word(1), firstBatch, lastBatch, prevBatchChain: word(4),
    newBatchChain: word(5), l1MessagesConsumed: consumed, l1QueueHash: word(7), withdrawalRoot: word(8),
    prover: bytesToHex(b.subarray(300, 320)) as Address,
  };
}

/** What the prover knows after executing batches firstBatch..lastBatch in order. */
export interface ProvenRange {
  prevStateRoot: Hash;
  /** b(firstBatch - 1). */
  prevBatchChain: Hash;
  /** c(i) of every batch of the range, in order (firstBatch = commitments[0].index). */
  commitments: readonly BatchCommitment[];
  /** The state root after the last batch. */
  newStateRoot: Hash;
  /** state.l1MessagesConsumed after the last batch. */
  l1MessagesConsumed: number;
  /** Withdrawal root of the range (node/state/withdrawals.ts). */
  withdrawalRoot: Hash;
  prover: Address;
}

/**
 * The public values of a proven range, with the checks the guest makes on the chain: consecutive
 * indexes, each batch's l1MsgStart and q(l1MsgStart) equal to the previous one's end, and the state's
 * message count equal to the last batch's l1MsgEnd (docs/l1-messages.md). Throws on a violation.
 */
export function publicValuesFor(r: ProvenRange): PublicValues {
  const cs = r.commitments;
  if (cs.length === 0) throw new RangeError("empty batch range");
  let chain = r.prevBatchChain;
  for (let k = 0; k < cs.length; k++) {
    const c = cs[k];
    if (k > 0) {
      const p = cs[k - 1];
      if (c.index !== p.index + 1) throw new RangeError(`batch ${c.index} does not follow ${p.index}`);
      if (c.l1MsgStart !== p.l1MsgEnd || c.queueHashStart !== p.queueHash) throw new RangeError(`batch ${c.index}: messages do not continue batch ${p.index}'s`);
    }
    chain = nextBatchChain(chain, batchCommitment(c));
  }
  const last = cs[cs.length - 1];
  if (r.l1MessagesConsumed !== last.l1MsgEnd) throw new RangeError(`state consumed ${r.l1MessagesConsumed} messages, batch ${last.index} ends at ${last.l1MsgEnd}`);
  return {
    prevStateRoot: r.prevStateRoot, newStateRoot: r.newStateRoot, firstBatch: cs[0].index, lastBatch: last.index,
    prevBatchChain: r.prevBatchChain, newBatchChain: chain, l1MessagesConsumed: last.l1MsgEnd,
    l1QueueHash: last.queueHash, withdrawalRoot: r.withdrawalRoot, prover: r.prover.toLowerCase() as Address,
  };
}
