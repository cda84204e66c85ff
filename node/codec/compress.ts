// Compression of the batch records section (docs/batch-format.md, "Compression"). The algorithm id is a
// byte of the batch envelope; decompression is bounded by the declared records length, which must be at
// most MAX_RECORDS_BYTES, and the compressed section must be exactly one stream with no trailing bytes.
//
//   0 NONE     the section is the records bytes themselves
//   1 DEFLATE  raw DEFLATE (RFC 1951, no zlib/gzip wrapper), ending exactly at the section end
//   2 ZSTD     one Zstandard frame (RFC 8878) with no dictionary id, no content checksum, window <= 2^21,
//              frame content size (when present) equal to the declared length, ending at the section end

import zlib from "node:zlib";
import { DecodeReason, Invalid } from "./errors.ts";

export const Compression = { NONE: 0, DEFLATE: 1, ZSTD: 2 } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];

/** Largest decompressed records section (2 MiB); also the zstd window limit. */
export const MAX_RECORDS_BYTES = 1 << 21;
const ZSTD_WINDOW_LOG_MAX = 21;

/** Compressor settings used by the encoder (any conforming stream decodes; these are only our choice). */
const DEFLATE_LEVEL = 9;
const ZSTD_LEVEL = 19;

export function compress(algo: Compression, data: Uint8Array): Uint8Array {
  switch (algo) {
    case Compression.NONE:
      return data;
    case Compression.DEFLATE:
      return zlib.deflateRawSync(data, { level: DEFLATE_LEVEL });
    case Compression.ZSTD:
      return zlib.zstdCompressSync(data, {
        params: {
          [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
          [zlib.constants.ZSTD_c_checksumFlag]: 0,
          [zlib.constants.ZSTD_c_contentSizeFlag]: 1,
          [zlib.constants.ZSTD_c_windowLog]: Math.min(ZSTD_WINDOW_LOG_MAX, Math.max(10, Math.ceil(Math.log2(data.length + 1)))),
        },
      });
    default:
      throw new Error(`unknown compression ${algo as number}`);
  }
}

/**
 * Decompresses section[start, end) to exactly `length` bytes (length <= MAX_RECORDS_BYTES, checked by
 * the caller). Throws Invalid(BAD_COMPRESSED_FRAME | DECOMPRESS_FAILED | RECORDS_LENGTH_MISMATCH).
 * Never allocates more than `length` (+1) output bytes: zlib stops at maxOutputLength.
 */
export function decompress(algo: number, buf: Uint8Array, start: number, end: number, length: number): Uint8Array {
  const section = buf.subarray(start, end);
  switch (algo) {
    case Compression.NONE:
      if (section.length !== length) throw new Invalid(DecodeReason.RECORDS_LENGTH_MISMATCH, start);
      return section;
    case Compression.DEFLATE: {
      let out: Buffer;
      let consumed: number;
      try {
        // info: true exposes the engine, whose bytesWritten is the number of input bytes consumed.
        const res = zlib.inflateRawSync(section, { maxOutputLength: Math.max(1, length), info: true }) as unknown as {
          buffer: Buffer;
          engine: { bytesWritten: number };
        };
        out = res.buffer;
        consumed = res.engine.bytesWritten;
      } catch (e) {
        if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new Invalid(DecodeReason.RECORDS_LENGTH_MISMATCH, start);
        throw new Invalid(DecodeReason.DECOMPRESS_FAILED, start);
      }
      if (consumed !== section.length) throw new Invalid(DecodeReason.BAD_COMPRESSED_FRAME, start + consumed);
      if (out.length !== length) throw new Invalid(DecodeReason.RECORDS_LENGTH_MISMATCH, start);
      return out;
    }
    case Compression.ZSTD: {
      checkZstdFrame(buf, start, end, length);
      let out: Buffer;
      try {
        out = zlib.zstdDecompressSync(section, {
          maxOutputLength: Math.max(1, length),
          params: { [zlib.constants.ZSTD_d_windowLogMax]: ZSTD_WINDOW_LOG_MAX },
        });
      } catch (e) {
        if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new Invalid(DecodeReason.RECORDS_LENGTH_MISMATCH, start);
        throw new Invalid(DecodeReason.DECOMPRESS_FAILED, start);
      }
      if (out.length !== length) throw new Invalid(DecodeReason.RECORDS_LENGTH_MISMATCH, start);
      return out;
    }
    default:
      throw new Invalid(DecodeReason.BAD_COMPRESSION, start - 1);
  }
}

/**
 * Structural check of a zstd frame without decompressing (RFC 8878 section 3.1.1): magic, frame header
 * rules of this format, then a walk over the block headers to find the frame's end, which must be the
 * section end. libzstd (as used by node:zlib) silently ignores trailing bytes and extra frames and returns
 * an empty result for a truncated frame, so this walk is what makes the section exactly one frame.
 */
function checkZstdFrame(b: Uint8Array, start: number, end: number, length: number): void {
  const bad = (at: number): never => {
    throw new Invalid(DecodeReason.BAD_COMPRESSED_FRAME, at);
  };
  let p = start;
  if (end - p < 6) bad(p); // magic (4) + descriptor (1) + at least one more byte
  if (b[p] !== 0x28 || b[p + 1] !== 0xb5 || b[p + 2] !== 0x2f || b[p + 3] !== 0xfd) bad(p);
  p += 4;
  const fhd = b[p++]!;
  const fcsFlag = fhd >>> 6;
  const singleSegment = (fhd >>> 5) & 1;
  const unused = (fhd >>> 4) & 1;
  const reserved = (fhd >>> 3) & 1;
  const checksum = (fhd >>> 2) & 1;
  const dictIdFlag = fhd & 3;
  if (unused !== 0 || reserved !== 0 || checksum !== 0 || dictIdFlag !== 0) bad(p - 1);
  if (!singleSegment) {
    const wd = b[p++]!;
    const windowLog = 10 + (wd >>> 3);
    if (windowLog > ZSTD_WINDOW_LOG_MAX) bad(p - 1);
    // Window_Size = 2^windowLog + (2^windowLog / 8) * mantissa must also be <= 2^21.
    const windowSize = 2 ** windowLog + (2 ** windowLog / 8) * (wd & 7);
    if (windowSize > 2 ** ZSTD_WINDOW_LOG_MAX) bad(p - 1);
  }
  const fcsBytes = fcsFlag === 0 ? singleSegment : fcsFlag === 1 ? 2 : fcsFlag === 2 ? 4 : 8;
  if (end - p < fcsBytes) bad(p);
  if (fcsBytes > 0) {
    let fcs = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + b[p + i]!;
    if (fcsBytes === 2) fcs += 256;
    if (fcs !== length) bad(p);
    p += fcsBytes;
  }
  for (;;) {
    if (end - p < 3) bad(p);
    const h = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
    p += 3;
    const last = h & 1;
    const type = (h >>> 1) & 3;
    const size = h >>> 3;
    if (type === 3) bad(p - 3);
    const content = type === 1 ? 1 : size; // RLE blocks carry one byte
    if (end - p < content) bad(p);
    p += content;
    if (last) break;
  }
  if (p !== end) bad(p);
}
