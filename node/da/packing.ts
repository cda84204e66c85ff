// Blob packing: batch bytes <-> 1..6 EIP-4844 blobs, field-element safe.
//
// Format (docs/da.md, "Packing format"), version 1, "254-bit dense":
//   * A blob is 4096 field elements (FE) of 32 bytes, each a big-endian integer that must be < the
//     BLS12-381 scalar modulus r (~0x73ed...). Keeping the top 2 bits of every FE zero guarantees it
//     (2^254 < r), so each FE carries 254 bits.
//   * FEs are taken in groups of 4 (128 bytes) carrying 127 payload bytes: FE j's bytes 1..31 hold
//     payload bytes [31j, 31j+31) of the group; the 3 remaining bytes (124..126) are split into four
//     6-bit pieces stored in the low 6 bits of byte 0 of FE 0..3 (most significant piece first).
//     One blob = 1024 groups = 130048 payload bytes (vs 126976 with the plain 31-of-32 scheme: +2.4%).
//   * The payload of the k blobs, concatenated, is `version (1 byte, = 1) ‖ length be(4) ‖ data ‖ zeros`.
//   * Canonical: k is the smallest blob count that holds 5 + length bytes, all padding is zero, and every
//     FE has its top 2 bits zero. Any other input is rejected by unpackBlobs, so blob contents <-> bytes
//     is a bijection (one batch has exactly one packing, hence one set of versioned hashes).

/** Bytes in one blob (4096 field elements x 32 bytes). */
export const BYTES_PER_BLOB = 131072;
/** Field elements per blob. */
export const FIELD_ELEMENTS_PER_BLOB = 4096;
/** Payload bytes one blob carries with the dense packing (1024 groups x 127 bytes). */
export const PAYLOAD_BYTES_PER_BLOB = 130048;
/** Most blobs one proposal may carry (Inbox limit, EIP-7691 max per block on mainnet at Prague). */
export const MAX_BLOBS_PER_BATCH = 6;
/** Packing format version written in the first payload byte. */
export const PACKING_VERSION = 1;
/** Header: version (1) + data length (4, big-endian). */
export const PACKING_HEADER_BYTES = 5;
/** Largest batch that fits in MAX_BLOBS_PER_BATCH blobs: 6 x 130048 - 5 = 780283 bytes. */
export const MAX_PACKED_DATA_BYTES = MAX_BLOBS_PER_BATCH * PAYLOAD_BYTES_PER_BLOB - PACKING_HEADER_BYTES;

const GROUP_PAYLOAD = 127;
const GROUP_BYTES = 128;
const GROUPS_PER_BLOB = 1024;

/** Why a set of blobs does not unpack. Stable codes: derivation treats every one as "no valid batch data". */
export type UnpackErrorCode =
  | "BLOB_COUNT" // 0 or more than MAX_BLOBS_PER_BATCH blobs
  | "BLOB_SIZE" // a blob is not exactly 131072 bytes
  | "FIELD_ELEMENT_TOP_BITS" // an FE has one of its top 2 bits set (not produced by this packing)
  | "VERSION" // unknown packing version
  | "LENGTH" // declared length does not fit in the blobs
  | "NOT_MINIMAL" // fewer blobs would have held the data
  | "NONZERO_PADDING" // bytes after the data are not zero
  | "MALFORMED"; // input is not an array of byte arrays at all

export interface UnpackError {
  code: UnpackErrorCode;
  message: string;
  /** Blob index the problem was found in, when it is about one blob. */
  blob?: number;
}

export type UnpackResult = { ok: true; data: Uint8Array } | { ok: false; error: UnpackError };

/** Number of blobs the dense packing needs for `length` data bytes (1..6), or -1 if it does not fit. */
export function blobsNeeded(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_PACKED_DATA_BYTES) return -1;
  return Math.max(1, Math.ceil((length + PACKING_HEADER_BYTES) / PAYLOAD_BYTES_PER_BLOB));
}

/**
 * Packs batch bytes into 1..6 blobs (the fewest that hold them). Deterministic and canonical.
 * @throws RangeError if `data` is longer than MAX_PACKED_DATA_BYTES (a proposer-side bug: the batch
 *   builder must cap batches; use `blobsNeeded` to check first).
 */
export function packBlobs(data: Uint8Array): Uint8Array[] {
  const count = blobsNeeded(data.length);
  if (count < 0) throw new RangeError(`batch of ${data.length} bytes exceeds ${MAX_PACKED_DATA_BYTES} bytes (6 blobs)`);
  const payload = new Uint8Array(count * PAYLOAD_BYTES_PER_BLOB);
  payload[0] = PACKING_VERSION;
  new DataView(payload.buffer).setUint32(1, data.length, false);
  payload.set(data, PACKING_HEADER_BYTES);
  const blobs: Uint8Array[] = [];
  for (let b = 0; b < count; b++) {
    const blob = new Uint8Array(BYTES_PER_BLOB);
    const src = b * PAYLOAD_BYTES_PER_BLOB;
    for (let g = 0; g < GROUPS_PER_BLOB; g++) {
      const i = src + g * GROUP_PAYLOAD;
      const o = g * GROUP_BYTES;
      blob.set(payload.subarray(i, i + 31), o + 1);
      blob.set(payload.subarray(i + 31, i + 62), o + 33);
      blob.set(payload.subarray(i + 62, i + 93), o + 65);
      blob.set(payload.subarray(i + 93, i + 124), o + 97);
      const x = (payload[i + 124]! << 16) | (payload[i + 125]! << 8) | payload[i + 126]!; // 24 bits
      blob[o] = (x >>> 18) & 0x3f;
      blob[o + 32] = (x >>> 12) & 0x3f;
      blob[o + 64] = (x >>> 6) & 0x3f;
      blob[o + 96] = x & 0x3f;
    }
    blobs.push(blob);
  }
  return blobs;
}

function fail(code: UnpackErrorCode, message: string, blob?: number): UnpackResult {
  return { ok: false, error: blob === undefined ? { code, message } : { code, message, blob } };
}

/**
 * Unpacks blobs produced by packBlobs. Total: never throws, whatever the input (wrong sizes, hostile
 * contents, non-Uint8Array entries); returns a typed error instead. Memory is bounded by the blob count
 * cap (at most 6 x 130048 bytes are allocated).
 */
export function unpackBlobs(blobs: readonly Uint8Array[]): UnpackResult {
  try {
    if (!Array.isArray(blobs) || blobs.length === 0 || blobs.length > MAX_BLOBS_PER_BATCH) {
      return fail("BLOB_COUNT", `expected 1..${MAX_BLOBS_PER_BATCH} blobs, got ${Array.isArray(blobs) ? blobs.length : typeof blobs}`);
    }
    for (let b = 0; b < blobs.length; b++) {
      const blob = blobs[b];
      if (!(blob instanceof Uint8Array) || blob.length !== BYTES_PER_BLOB) {
        return fail("BLOB_SIZE", `blob ${b}: expected ${BYTES_PER_BLOB} bytes`, b);
      }
      for (let fe = 0; fe < BYTES_PER_BLOB; fe += 32) {
        if ((blob[fe]! & 0xc0) !== 0) return fail("FIELD_ELEMENT_TOP_BITS", `blob ${b}: field element ${fe / 32} has top bits set`, b);
      }
    }
    const payload = new Uint8Array(blobs.length * PAYLOAD_BYTES_PER_BLOB);
    for (let b = 0; b < blobs.length; b++) {
      const blob = blobs[b]!;
      const dst = b * PAYLOAD_BYTES_PER_BLOB;
      for (let g = 0; g < GROUPS_PER_BLOB; g++) {
        const i = dst + g * GROUP_PAYLOAD;
        const o = g * GROUP_BYTES;
        payload.set(blob.subarray(o + 1, o + 32), i);
        payload.set(blob.subarray(o + 33, o + 64), i + 31);
        payload.set(blob.subarray(o + 65, o + 96), i + 62);
        payload.set(blob.subarray(o + 97, o + 128), i + 93);
        const x = (blob[o]! << 18) | (blob[o + 32]! << 12) | (blob[o + 64]! << 6) | blob[o + 96]!;
        payload[i + 124] = (x >>> 16) & 0xff;
        payload[i + 125] = (x >>> 8) & 0xff;
        payload[i + 126] = x & 0xff;
      }
    }
    if (payload[0] !== PACKING_VERSION) return fail("VERSION", `unknown packing version ${payload[0]}`, 0);
    const length = new DataView(payload.buffer).getUint32(1, false);
    const capacity = payload.length - PACKING_HEADER_BYTES;
    if (length > capacity) return fail("LENGTH", `declared length ${length} exceeds capacity ${capacity} of ${blobs.length} blob(s)`);
    if (blobsNeeded(length) !== blobs.length) {
      return fail("NOT_MINIMAL", `${length} bytes need ${blobsNeeded(length)} blob(s), got ${blobs.length}`);
    }
    const end = PACKING_HEADER_BYTES + length;
    for (let i = end; i < payload.length; i++) {
      if (payload[i] !== 0) return fail("NONZERO_PADDING", `nonzero padding byte at payload offset ${i}`, Math.floor(i / PAYLOAD_BYTES_PER_BLOB));
    }
    return { ok: true, data: payload.slice(PACKING_HEADER_BYTES, end) };
  } catch (err) {
    // Defensive: nothing above should throw, but a total function must not leak exceptions.
    return fail("MALFORMED", `unpack failed: ${(err as Error)?.message ?? String(err)}`);
  }
}
