// Measurements for node/da: packing throughput (dense 254-bit packing vs the plain 31-of-32 scheme it was
// chosen over), KZG cost per blob, and the cost of the EIP-7594 cell proofs of the v1 network wrapper against
// the EIP-4844 blob proof of v0. Importable (bench/da.ts uses benchKzg/benchPacking) and runnable:
//   npx node node/da/bench.ts       (prints a table and a final JSON line)
import { randomBytes } from "node:crypto";
import { packBlobs, unpackBlobs, MAX_PACKED_DATA_BYTES, PAYLOAD_BYTES_PER_BLOB, BYTES_PER_BLOB } from "./packing.ts";
import { loadKzg, kzgSetupMs, computeVersionedHashes, versionedHash, verifyBlobProofs, verifyCellProofs, CELLS_PER_EXT_BLOB, type BlobSidecars } from "./kzg.ts";
import { wrapBlobTx } from "./blobtx.ts";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

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

export interface CellProofBench {
  blobs: number;
  /** EIP-4844 blob proof alone (v0 wrapper), per blob. */
  blob_proof_ms_per_blob: number;
  /** EIP-7594 cells + 128 cell proofs (c-kzg computeCellsAndKzgProofs; no proof-only call), per blob. */
  cell_proofs_ms_per_blob: number;
  /** What a proposer pays per blob with each wrapper: commitment + its proofs. */
  kzg_v0_ms_per_blob: number;
  kzg_v1_ms_per_blob: number;
  /** cell_proofs / blob_proof. */
  cell_vs_blob_proof_ratio: number;
  /** Verification (what a node's pool does): verifyBlobKzgProofBatch vs verifyCellKzgProofBatch (+ computeCells), per blob. */
  verify_v0_ms_per_blob: number;
  verify_v1_ms_per_blob: number;
  /** Network-form transaction bytes per blob: v0 (blob + commitment + 1 proof) and v1 (blob + commitment + 128 proofs), RLP included. */
  v0_tx_bytes_per_blob: number;
  v1_tx_bytes_per_blob: number;
  /** Building the network wrapper (RLP, copies) for the whole `blobs`-blob transaction. */
  wrap_v1_ms: number;
}

/** Cell proofs (v1) vs blob proof (v0) on `n` random full blobs (c-kzg 4.1.0, one core). */
export async function benchCellProofs(n = 6): Promise<CellProofBench> {
  const kzg = loadKzg();
  const blobs = packBlobs(new Uint8Array(randomBytes(Math.min(Math.max(n, 1), 6) * PAYLOAD_BYTES_PER_BLOB - 5)));
  const k = blobs.length;
  kzg.computeCellsAndKzgProofs(blobs[0]!); // warm
  let t0 = performance.now();
  const commitments = blobs.map((b) => kzg.blobToKzgCommitment(b));
  const commit = (performance.now() - t0) / k;
  t0 = performance.now();
  const proofs = blobs.map((b, i) => kzg.computeBlobKzgProof(b, commitments[i]!));
  const blobProof = (performance.now() - t0) / k;
  t0 = performance.now();
  const cells = blobs.map((b) => kzg.computeCellsAndKzgProofs(b)[1]);
  const cellProof = (performance.now() - t0) / k;
  t0 = performance.now();
  if (!verifyBlobProofs(blobs, commitments, proofs).ok) throw new Error("blob proofs do not verify");
  const verify0 = (performance.now() - t0) / k;
  t0 = performance.now();
  if (!verifyCellProofs(blobs, commitments, cells).ok) throw new Error("cell proofs do not verify");
  const verify1 = (performance.now() - t0) / k;
  const sc: BlobSidecars = { blobs, commitments, proofs, cellProofs: cells, versionedHashes: commitments.map(versionedHash) };
  const account = privateKeyToAccount(generatePrivateKey());
  const signed = await account.signTransaction({ type: "eip4844", chainId: 1, nonce: 0, gas: 100_000n, to: account.address, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, maxFeePerBlobGas: 1n, blobVersionedHashes: sc.versionedHashes });
  const bare = (signed.length - 2) / 2;
  const v0 = wrapBlobTx(signed, sc, "v0");
  t0 = performance.now();
  const v1 = wrapBlobTx(signed, sc, "v1");
  const wrapMs = performance.now() - t0;
  if (cells[0]!.length !== CELLS_PER_EXT_BLOB) throw new Error("unexpected cell proof count");
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    blobs: k,
    blob_proof_ms_per_blob: r(blobProof),
    cell_proofs_ms_per_blob: r(cellProof),
    kzg_v0_ms_per_blob: r(commit + blobProof),
    kzg_v1_ms_per_blob: r(commit + cellProof),
    cell_vs_blob_proof_ratio: Math.round((cellProof / blobProof) * 100) / 100,
    verify_v0_ms_per_blob: r(verify0),
    verify_v1_ms_per_blob: r(verify1),
    v0_tx_bytes_per_blob: Math.round((v0.length - bare) / k),
    v1_tx_bytes_per_blob: Math.round((v1.length - bare) / k),
    wrap_v1_ms: r(wrapMs),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const p = benchPacking();
  const k = benchKzg();
  const c = await benchCellProofs();
  console.log(`packing (dense 254-bit): ${p.dense_bytes_per_blob} B/blob, pack ${p.pack_mb_s} MB/s, unpack+validate ${p.unpack_mb_s} MB/s`);
  console.log(`packing (plain 31/32):   ${p.plain31_bytes_per_blob} B/blob, pack ${p.plain31_pack_mb_s} MB/s, unpack ${p.plain31_unpack_mb_s} MB/s`);
  console.log(`kzg (c-kzg 4.1.0): setup ${k.setup_ms} ms, commitment ${k.commit_ms_per_blob} ms/blob, commitment+proof ${k.kzg_ms_per_blob} ms/blob`);
  console.log(`cell proofs (EIP-7594, wrapper v1) vs blob proof (EIP-4844, v0), ${c.blobs} blobs: proof ${c.cell_proofs_ms_per_blob} vs ${c.blob_proof_ms_per_blob} ms/blob (x${c.cell_vs_blob_proof_ratio}); commitment+proofs v1 ${c.kzg_v1_ms_per_blob} vs v0 ${c.kzg_v0_ms_per_blob} ms/blob; verify v1 ${c.verify_v1_ms_per_blob} vs v0 ${c.verify_v0_ms_per_blob} ms/blob; tx bytes/blob v1 ${c.v1_tx_bytes_per_blob} vs v0 ${c.v0_tx_bytes_per_blob}; wrap ${c.wrap_v1_ms} ms`);
  console.log(JSON.stringify({ bench: "da-layer", ...p, ...k, ...c }));
}
