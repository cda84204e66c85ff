// KZG commitments, proofs and versioned hashes for blobs (c-kzg 4.1.0, mainnet trusted setup): the EIP-4844
// blob proof (network wrapper v0) and the EIP-7594 cell proofs (network wrapper v1, PeerDAS).
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { defineKzg, bytesToHex, type Hex, type Kzg } from "viem";

const require = createRequire(import.meta.url);

/** The subset of c-kzg 4.x used here. */
interface CKzg {
  loadTrustedSetup(precompute: number, filePath?: string): void;
  blobToKzgCommitment(blob: Uint8Array): Uint8Array;
  computeBlobKzgProof(blob: Uint8Array, commitment: Uint8Array): Uint8Array;
  verifyBlobKzgProof(blob: Uint8Array, commitment: Uint8Array, proof: Uint8Array): boolean;
  verifyBlobKzgProofBatch(blobs: Uint8Array[], commitments: Uint8Array[], proofs: Uint8Array[]): boolean;
  computeCells(blob: Uint8Array): Uint8Array[];
  computeCellsAndKzgProofs(blob: Uint8Array): [Uint8Array[], Uint8Array[]];
  verifyCellKzgProofBatch(commitments: Uint8Array[], cellIndices: number[], cells: Uint8Array[], proofs: Uint8Array[]): boolean;
}

/** EIP-7594 CELLS_PER_EXT_BLOB: cells (and cell proofs) per blob in the extended (erasure-coded) blob. */
export const CELLS_PER_EXT_BLOB = 128;
/** Bytes of one cell: 64 field elements. */
export const BYTES_PER_CELL = 2048;

let ckzg: CKzg | undefined;
let viemKzg: Kzg | undefined;
let setupMs = 0;

/**
 * Loads c-kzg and its embedded mainnet trusted setup once per process (~2-3 s). Safe to call repeatedly
 * and safe if another module already loaded the setup into the same c-kzg instance.
 */
export function loadKzg(): CKzg {
  if (ckzg) return ckzg;
  const lib = require("c-kzg") as CKzg;
  const t0 = performance.now();
  try {
    lib.loadTrustedSetup(0);
  } catch (err) {
    if (!/already loaded/i.test((err as Error).message)) throw err;
  }
  setupMs = performance.now() - t0;
  ckzg = lib;
  return lib;
}

/** Milliseconds the trusted setup took to load (0 before loadKzg). */
export function kzgSetupMs(): number {
  return setupMs;
}

/** viem's Kzg interface backed by c-kzg (for `sendTransaction({ blobs, kzg })` style callers). */
export function viemKzgInstance(): Kzg {
  viemKzg ??= defineKzg(loadKzg());
  return viemKzg;
}

/** EIP-4844 versioned hash: 0x01 ‖ sha256(commitment)[1:]. */
export function versionedHash(commitment: Uint8Array): Hex {
  const digest = createHash("sha256").update(commitment).digest();
  digest[0] = 0x01;
  return bytesToHex(digest);
}

/** KZG commitment of a blob. Throws on a blob that is not canonical (wrong size, FE >= modulus). */
export function blobCommitment(blob: Uint8Array): Uint8Array {
  return loadKzg().blobToKzgCommitment(blob);
}

/** Blob KZG proof (the EIP-4844 v0 network-wrapper proof) for a blob and its commitment. */
export function blobProof(blob: Uint8Array, commitment: Uint8Array): Uint8Array {
  return loadKzg().computeBlobKzgProof(blob, commitment);
}

/**
 * The 128 EIP-7594 cell KZG proofs of a blob (the network wrapper v1 proofs), in cell index order. c-kzg has no
 * proof-only call: this computes the extended blob's cells too (~2-3x the cost of a blob proof).
 */
export function cellProofs(blob: Uint8Array): Uint8Array[] {
  return loadKzg().computeCellsAndKzgProofs(blob)[1];
}

/** Which proofs a blob transaction's network wrapper carries: "v0" one blob proof per blob (EIP-4844), "v1" 128 cell proofs per blob (EIP-7594). */
export type BlobWrapper = "v0" | "v1";

/**
 * Everything a type-3 transaction's network wrapper needs, plus the versioned hashes. `proofs` (v0) and
 * `cellProofs` (v1) are computed on demand (`ensureProofs`): a sidecar built for one wrapper can be re-sent in
 * the other.
 */
export interface BlobSidecars {
  blobs: Uint8Array[];
  commitments: Uint8Array[];
  /** EIP-4844 blob proofs, one per blob (wrapper v0). Empty until computed. */
  proofs: Uint8Array[];
  /** EIP-7594 cell proofs, CELLS_PER_EXT_BLOB per blob (wrapper v1). Undefined until computed. */
  cellProofs?: Uint8Array[][];
  versionedHashes: Hex[];
}

/**
 * Computes commitments, versioned hashes and the proofs of `wrapper` (default v0: blob proofs, ~commitment +
 * proof cost per blob; v1: cell proofs, see docs/da.md for the measured cost).
 */
export function computeSidecars(blobs: readonly Uint8Array[], wrapper: BlobWrapper = "v0"): BlobSidecars {
  const kzg = loadKzg();
  const commitments = blobs.map((b) => kzg.blobToKzgCommitment(b));
  const sidecars: BlobSidecars = { blobs: [...blobs], commitments, proofs: [], versionedHashes: commitments.map(versionedHash) };
  return ensureProofs(sidecars, wrapper);
}

/** Fills in the proofs `wrapper` needs if they are missing (in place); returns the same object. */
export function ensureProofs(sidecars: BlobSidecars, wrapper: BlobWrapper): BlobSidecars {
  const kzg = loadKzg();
  if (wrapper === "v0" && sidecars.proofs.length !== sidecars.blobs.length) {
    sidecars.proofs = sidecars.blobs.map((b, i) => kzg.computeBlobKzgProof(b, sidecars.commitments[i]!));
  }
  if (wrapper === "v1" && sidecars.cellProofs?.length !== sidecars.blobs.length) {
    sidecars.cellProofs = sidecars.blobs.map((b) => kzg.computeCellsAndKzgProofs(b)[1]);
  }
  return sidecars;
}

export type ProofCheck = { ok: true } | { ok: false; reason: "SHAPE" | "BAD_BLOB" | "INVALID_PROOF"; detail: string };

/**
 * Verifies EIP-7594 cell proofs of blobs against their commitments (c-kzg verifyCellKzgProofBatch over all
 * 128 cells of every blob; the cells are recomputed from the blobs). `cellProofs` is either per blob
 * (`Uint8Array[][]`) or flat in wrapper order (blob 0 cells 0..127, blob 1 ...). Never throws.
 */
export function verifyCellProofs(blobs: readonly Uint8Array[], commitments: readonly Uint8Array[], cellProofs: readonly Uint8Array[] | readonly Uint8Array[][]): ProofCheck {
  try {
    const flat = (cellProofs as readonly (Uint8Array | Uint8Array[])[]).flatMap((p) => (p instanceof Uint8Array ? [p] : p));
    if (blobs.length === 0 || commitments.length !== blobs.length) return { ok: false, reason: "SHAPE", detail: `${blobs.length} blobs, ${commitments.length} commitments` };
    if (flat.length !== blobs.length * CELLS_PER_EXT_BLOB) return { ok: false, reason: "SHAPE", detail: `${flat.length} cell proofs for ${blobs.length} blobs (expected ${blobs.length * CELLS_PER_EXT_BLOB})` };
    const kzg = loadKzg();
    const cells: Uint8Array[] = [];
    const indices: number[] = [];
    const comms: Uint8Array[] = [];
    for (let i = 0; i < blobs.length; i++) {
      if (!(blobs[i] instanceof Uint8Array) || blobs[i]!.length !== 131072) return { ok: false, reason: "BAD_BLOB", detail: `blob ${i} is not 131072 bytes` };
      const c = kzg.computeCells(blobs[i]!);
      for (let j = 0; j < CELLS_PER_EXT_BLOB; j++) {
        cells.push(c[j]!);
        indices.push(j);
        comms.push(commitments[i]!);
      }
    }
    return kzg.verifyCellKzgProofBatch(comms, indices, cells, flat) ? { ok: true } : { ok: false, reason: "INVALID_PROOF", detail: "verifyCellKzgProofBatch returned false" };
  } catch (err) {
    return { ok: false, reason: "BAD_BLOB", detail: (err as Error).message };
  }
}

/** Verifies EIP-4844 blob proofs (wrapper v0) of blobs against their commitments. Never throws. */
export function verifyBlobProofs(blobs: readonly Uint8Array[], commitments: readonly Uint8Array[], proofs: readonly Uint8Array[]): ProofCheck {
  try {
    if (blobs.length === 0 || commitments.length !== blobs.length || proofs.length !== blobs.length) {
      return { ok: false, reason: "SHAPE", detail: `${blobs.length} blobs, ${commitments.length} commitments, ${proofs.length} proofs` };
    }
    return loadKzg().verifyBlobKzgProofBatch([...blobs], [...commitments], [...proofs]) ? { ok: true } : { ok: false, reason: "INVALID_PROOF", detail: "verifyBlobKzgProofBatch returned false" };
  } catch (err) {
    return { ok: false, reason: "BAD_BLOB", detail: (err as Error).message };
  }
}

/** Commitments and versioned hashes only (what a verifier needs: no proofs). */
export function computeVersionedHashes(blobs: readonly Uint8Array[]): Hex[] {
  const kzg = loadKzg();
  return blobs.map((b) => versionedHash(kzg.blobToKzgCommitment(b)));
}

export type BlobCheck = { ok: true; versionedHash: Hex } | { ok: false; reason: "BAD_BLOB" | "HASH_MISMATCH"; detail: string };

/**
 * Checks that a blob is the one committed to by `expected` (a versioned hash read from L1): recomputes the
 * KZG commitment and compares versioned hashes. Never throws.
 */
export function checkBlob(blob: Uint8Array, expected: Hex): BlobCheck {
  let got: Hex;
  try {
    if (!(blob instanceof Uint8Array) || blob.length !== 131072) return { ok: false, reason: "BAD_BLOB", detail: "blob is not 131072 bytes" };
    got = versionedHash(loadKzg().blobToKzgCommitment(blob));
  } catch (err) {
    return { ok: false, reason: "BAD_BLOB", detail: (err as Error).message };
  }
  if (got.toLowerCase() !== expected.toLowerCase()) return { ok: false, reason: "HASH_MISMATCH", detail: `computed ${got}, expected ${expected}` };
  return { ok: true, versionedHash: got };
}

// ---------------------------------------------------------------------------------------------------------
// KZG records: a blob's commitment and EIP-4844 blob proof, published by the proposer beside the data
// (docs/da.md "KZG records"), so that a follower checks a blob with one proof verification (~2 ms) instead
// of recomputing its commitment (~45 ms).

/** Bytes of a KZG record: commitment (48) ‖ blob proof (48). */
export const KZG_RECORD_BYTES = 96;

/** A blob's KZG commitment and blob proof, as published beside it. Untrusted until verified. */
export interface KzgRecord {
  commitment: Uint8Array;
  proof: Uint8Array;
}

/** commitment ‖ proof (96 bytes). */
export function encodeKzgRecord(r: KzgRecord): Uint8Array {
  if (r.commitment.length !== 48 || r.proof.length !== 48) throw new RangeError("KZG commitment and proof must be 48 bytes each");
  const out = new Uint8Array(KZG_RECORD_BYTES);
  out.set(r.commitment, 0);
  out.set(r.proof, 48);
  return out;
}

/** Inverse of encodeKzgRecord; undefined unless exactly 96 bytes. The points are not checked here. */
export function decodeKzgRecord(b: Uint8Array): KzgRecord | undefined {
  if (b.length !== KZG_RECORD_BYTES) return undefined;
  return { commitment: b.slice(0, 48), proof: b.slice(48, 96) };
}

/**
 * Checks blobs against the versioned hashes L1 committed to with supplied records instead of recomputing
 * commitments: blob i is accepted iff versionedHash(records[i].commitment) equals expected[i] (so the
 * commitment is the one on L1) and the blob proof of blobs[i] against that commitment verifies (so the blob
 * is the committed polynomial). All blobs are verified in one batch (verifyBlobKzgProofBatch); if that fails,
 * each blob is verified alone so the good ones are still known. Returns one flag per blob: false means "not
 * shown by the record" (missing, wrong commitment, wrong proof, not a blob), never "the blob is wrong": the
 * caller falls back to recomputing the commitment for those. Never throws.
 */
export function checkBlobsWithRecords(blobs: readonly Uint8Array[], expected: readonly Hex[], records: readonly (KzgRecord | undefined)[]): boolean[] {
  const ok = blobs.map(() => false);
  const idx: number[] = [];
  for (let i = 0; i < blobs.length; i++) {
    const r = records[i];
    const e = expected[i];
    if (r === undefined || e === undefined || blobs[i]!.length !== 131072 || r.commitment.length !== 48 || r.proof.length !== 48) continue;
    if (versionedHash(r.commitment) !== e.toLowerCase()) continue;
    idx.push(i);
  }
  if (idx.length === 0) return ok;
  const all = verifyBlobProofs(idx.map((i) => blobs[i]!), idx.map((i) => records[i]!.commitment), idx.map((i) => records[i]!.proof));
  if (all.ok) {
    for (const i of idx) ok[i] = true;
    return ok;
  }
  if (idx.length === 1) return ok;
  for (const i of idx) ok[i] = verifyBlobProofs([blobs[i]!], [records[i]!.commitment], [records[i]!.proof]).ok;
  return ok;
}
