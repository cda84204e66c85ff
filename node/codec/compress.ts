// Compression of the batch records section (docs/batch-format.md, "Compression"). The algorithm id is a
// byte of the batch envelope; decompression is bounded by the declared records length, which must be at
// most MAX_RECORDS_BYTES, and the compressed section must be exactly one stream with no trailing bytes.
//
//   0 NONE     the section is the records bytes themselves
//   1 DEFLATE  raw DEFLATE (RFC 1951, no zlib/gzip wrapper), ending exactly at the section end
//   2          reserved for Zstandard (measured: 0.04 B/order smaller than DEFLATE on the market-maker
//              stream, see docs/benchmarks.md "da"; not in v1 because the Rust guest has no pure-Rust zstd
//              decoder available while miniz_oxide inflates DEFLATE). Rejected as BAD_COMPRESSION.

import zlib from "node:zlib";
import { DecodeReason, Invalid } from "./errors.ts";

export const Compression = { NONE: 0, DEFLATE: 1 } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];

/** Largest decompressed records section (2 MiB). */
export const MAX_RECORDS_BYTES = 1 << 21;

/** Compressor level used by the encoder (any conforming stream decodes; this is only our choice). */
const DEFLATE_LEVEL = 9;

export function compress(algo: Compression, data: Uint8Array): Uint8Array {
  switch (algo) {
    case Compression.NONE:
      return data;
    case Compression.DEFLATE:
      return zlib.deflateRawSync(data, { level: DEFLATE_LEVEL });
    default:
      throw new Error(`unknown compression ${algo as number}`);
  }
}

/**
 * Decompresses section[start, end) to exactly `length` bytes (length <= MAX_RECORDS_BYTES, checked by
 * the caller). Throws Invalid(BAD_COMPRESSION | BAD_COMPRESSED_FRAME | DECOMPRESS_FAILED |
 * RECORDS_LENGTH_MISMATCH). Never allocates more than max(1, length) output bytes: zlib stops at maxOutputLength.
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
    default:
      throw new Invalid(DecodeReason.BAD_COMPRESSION, start - 1);
  }
}
