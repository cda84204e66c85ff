// KZG commitments, proofs and versioned hashes for blobs (c-kzg 4.1.0, mainnet trusted setup).
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
}

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

/** Everything a type-3 transaction's network wrapper needs, plus the versioned hashes. */
export interface BlobSidecars {
  blobs: Uint8Array[];
  commitments: Uint8Array[];
  proofs: Uint8Array[];
  versionedHashes: Hex[];
}

/** Computes commitments, proofs and versioned hashes of blobs (~commitment+proof cost per blob). */
export function computeSidecars(blobs: readonly Uint8Array[]): BlobSidecars {
  const kzg = loadKzg();
  const commitments = blobs.map((b) => kzg.blobToKzgCommitment(b));
  const proofs = blobs.map((b, i) => kzg.computeBlobKzgProof(b, commitments[i]!));
  return { blobs: [...blobs], commitments, proofs, versionedHashes: commitments.map(versionedHash) };
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
