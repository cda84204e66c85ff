// Measurements for node/da: packing throughput (dense 254-bit packing vs the plain 31-of-32 scheme it was
// chosen over) and KZG cost per blob. Importable (bench/da.ts uses benchKzg/benchPacking) and runnable:
//   npx node node/da/bench.ts       (prints a table and a final JSON line)
import { randomBytes } from "node:crypto";
import { packBlobs, unpackBlobs, MAX_PACKED_DATA_BYTES, PAYLOAD_BYTES_PER_BLOB, BYTES_PER_BLOB } from "./packing.ts";
import { loadKzg, kzgSetupMs, computeVersionedHashes } from "./kzg.ts";

/** The alternative scheme: 31 payload bytes per field element, top byte zero (126976 bytes per blob). */
function pack31(data: Uint8Array): Uint8Array[] {
  const per = 31 * 4096;
  const total = data.length + 4;
  const count = Math.max(1, Math.ceil(total / per));
  const payload = new Uint8Array(count * per);
  new DataView(payload.buffer).setUint32(0, data.length);
  payload.set(data, 4);
  const out: Uint8Array[] = [];
  for (let b = 0; b < count; b++) {
    const blob = new Uint8Array(BYTES_PER_BLOB);
    for (let fe = 0; fe < 4096; fe++) blob.set(payload.subarray(b * per + fe * 31, b * per + fe * 31 + 31), fe * 32 + 1);
    out.push(blob);
  }
  return out;
}

function unpack31(blobs: Uint8Array[]): Uint8Array {
  const per = 31 * 4096;
  const payload = new Uint8Array(blobs.length * per);
  blobs.forEach((blob, b) => {
    for (let fe = 0; fe < 4096; fe++) {
      if (blob[fe * 32] !== 0) throw new Error("top byte");
      payload.set(blob.subarray(fe * 32 + 1, fe * 32 + 32), b * per + fe * 31);
    }
  });
  const len = new DataView(payload.buffer).getUint32(0);
  return payload.slice(4, 4 + len);
}

function timeIt(fn: () => void, minMs = 300): number {
  fn(); // warm
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

export interface PackingBench {
  /** Payload bytes per blob of each scheme. */
  dense_bytes_per_blob: number;
  plain31_bytes_per_blob: number;
  /** MB/s (10^6 bytes of batch data per second) for a 6-blob batch. */
  pack_mb_s: number;
  unpack_mb_s: number;
  plain31_pack_mb_s: number;
  plain31_unpack_mb_s: number;
}

/** Packing throughput on a full 6-blob batch of random bytes. */
export function benchPacking(): PackingBench {
  const data = new Uint8Array(randomBytes(MAX_PACKED_DATA_BYTES));
  const blobs = packBlobs(data);
  const d31 = data.subarray(0, 6 * 31 * 4096 - 4);
  const b31 = pack31(d31);
  const mbs = (bytes: number, ms: number) => Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
  return {
    dense_bytes_per_blob: PAYLOAD_BYTES_PER_BLOB,
    plain31_bytes_per_blob: 31 * 4096,
    pack_mb_s: mbs(data.length, timeIt(() => packBlobs(data))),
    unpack_mb_s: mbs(data.length, timeIt(() => unpackBlobs(blobs))),
    plain31_pack_mb_s: mbs(d31.length, timeIt(() => pack31(d31))),
    plain31_unpack_mb_s: mbs(d31.length, timeIt(() => unpack31(b31))),
  };
}

export interface KzgBench {
  setup_ms: number;
  /** Commitment only (what a verifier pays per blob). */
  commit_ms_per_blob: number;
  /** Commitment + blob proof (what a proposer pays per blob). */
  kzg_ms_per_blob: number;
}

/** KZG cost per blob with c-kzg 4.1.0 (commitment, and commitment + proof), over `n` blobs. */
export function benchKzg(n = 6): KzgBench {
  const kzg = loadKzg();
  const blobs = packBlobs(new Uint8Array(randomBytes(Math.min(n, 6) * PAYLOAD_BYTES_PER_BLOB - 5)));
  computeVersionedHashes([blobs[0]!]); // warm
  let t0 = performance.now();
  const commitments = blobs.map((b) => kzg.blobToKzgCommitment(b));
  const commit = (performance.now() - t0) / blobs.length;
  t0 = performance.now();
  blobs.forEach((b, i) => kzg.computeBlobKzgProof(b, commitments[i]!));
  const proof = (performance.now() - t0) / blobs.length;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { setup_ms: Math.round(kzgSetupMs()), commit_ms_per_blob: r(commit), kzg_ms_per_blob: r(commit + proof) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const p = benchPacking();
  const k = benchKzg();
  console.log(`packing (dense 254-bit): ${p.dense_bytes_per_blob} B/blob, pack ${p.pack_mb_s} MB/s, unpack+validate ${p.unpack_mb_s} MB/s`);
  console.log(`packing (plain 31/32):   ${p.plain31_bytes_per_blob} B/blob, pack ${p.plain31_pack_mb_s} MB/s, unpack ${p.plain31_unpack_mb_s} MB/s`);
  console.log(`kzg (c-kzg 4.1.0): setup ${k.setup_ms} ms, commitment ${k.commit_ms_per_blob} ms/blob, commitment+proof ${k.kzg_ms_per_blob} ms/blob`);
  console.log(JSON.stringify({ bench: "da-layer", ...p, ...k }));
}
