// The guest's KZG inputs and vectors (guest/core/src/kzg, docs/guest.md "KZG"):
//   npx node guest/vectors-gen/kzg.ts          writes guest/core/src/kzg/g1_lagrange_brp.bin and
//                                              test/vectors/guest/kzg/{commitments.json,blobs.bin}
//   npx node guest/vectors-gen/kzg.ts --check  exits 1 if any of them differs from what it would write
//
// g1_lagrange_brp.bin: c-kzg's trusted_setup.txt (its sha256 must be the official d39b9f2d...) -> the 4096
// g1_lagrange points, each decompressed and subgroup-checked by @noble/curves, in bit-reversed order (entry i
// = file point brp(i), the point c-kzg multiplies blob element i by), 96-byte uncompressed x ‖ y.
// commitments.json + blobs.bin: blobs (zero, every element r - 1, single elements at indices 0, 1 and 4095,
// small values, random canonical ones, and non-canonical ones c-kzg refuses) with c-kzg 4.1.0's
// blobToKzgCommitment (or its error) and viem's versioned hash; option B's evaluations y = p(z) from c-kzg
// computeKzgProof. Deterministic (node/sim/rng.ts XorShift32, fixed seed).

import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { bytesToHex, commitmentToVersionedHash } from "viem";
import { loadKzg } from "../../node/da/kzg.ts";
import { XorShift32 } from "../../node/sim/rng.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, "../..");
const SETUP_FILE = path.join(ROOT, "node_modules/c-kzg/deps/c-kzg/trusted_setup.txt");
const SETUP_SHA256 = "d39b9f2d047cc9dca2de58f264b6a09448ccd34db967881a6713eacacf0f26b7";
const SETUP_BIN = path.join(ROOT, "guest/core/src/kzg/g1_lagrange_brp.bin");
const OUT_JSON = path.join(ROOT, "test/vectors/guest/kzg/commitments.json");
const OUT_BLOBS = path.join(ROOT, "test/vectors/guest/kzg/blobs.bin");

const N = 4096;
const R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
const sha256hex = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");
const bitReverse12 = (i: number): number => {
  let r = 0;
  for (let b = 0; b < 12; b++) r |= ((i >> b) & 1) << (11 - b);
  return r;
};

function setupBinary(): Uint8Array {
  const text = readFileSync(SETUP_FILE, "utf8");
  const sum = sha256hex(text);
  if (sum !== SETUP_SHA256) throw new Error(`trusted_setup.txt sha256 ${sum}, expected the official ${SETUP_SHA256}`);
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines[0] !== "4096" || lines[1] !== "65") throw new Error("trusted_setup.txt: unexpected header");
  const lagrange = lines.slice(2, 2 + N);
  const out = new Uint8Array(N * 96);
  for (let i = 0; i < N; i++) {
    const p = bls12_381.G1.Point.fromHex(lagrange[bitReverse12(i)]!);
    p.assertValidity(); // on the curve and in the order-r subgroup
    out.set(p.toBytes(false), i * 96);
  }
  return out;
}

const fe = (v: bigint): Uint8Array => {
  const b = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
};

function blobsAndVectors() {
  const rng = new XorShift32(0x6b7a_6701);
  const randFe = (): bigint => {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(rng.next());
    return v % R;
  };
  const blobs: { name: string; blob: Uint8Array; error?: string }[] = [];
  const make = (name: string, set: (i: number) => bigint | null, error?: string) => {
    const blob = new Uint8Array(N * 32);
    for (let i = 0; i < N; i++) {
      const v = set(i);
      if (v !== null) blob.set(fe(v), i * 32);
    }
    blobs.push({ name, blob, ...(error ? { error } : {}) });
  };
  make("zero blob (point at infinity)", () => null);
  make("every element r - 1", () => R - 1n);
  make("element 0 = 1 (the first Lagrange point)", (i) => (i === 0 ? 1n : null));
  make("element 1 = 1 (file point 2048: bit-reversed order)", (i) => (i === 1 ? 1n : null));
  make("element 4095 = r - 1", (i) => (i === 4095 ? R - 1n : null));
  make("element i = i + 1", (i) => BigInt(i + 1));
  for (let k = 0; k < 3; k++) make(`random canonical elements ${k}`, () => randFe());
  make("random elements < 2^248 (packed data shape)", () => randFe() >> 7n);
  make("half the elements zero", (i) => (i % 2 === 0 ? randFe() : null));
  make("element 0 = r (non-canonical)", (i) => (i === 0 ? R : null), "NonCanonical 0");
  make("element 4095 = 2^256 - 1 (non-canonical)", (i) => (i === 4095 ? (1n << 256n) - 1n : null), "NonCanonical 4095");
  make("random, element 2000 = r + 1 (non-canonical)", (i) => (i === 2000 ? R + 1n : randFe()), "NonCanonical 2000");
  make("element 100 = 2^255 (non-canonical)", (i) => (i === 100 ? 1n << 255n : null), "NonCanonical 100");

  const require = createRequire(import.meta.url);
  loadKzg();
  const ckzg = require("c-kzg") as {
    blobToKzgCommitment(b: Uint8Array): Uint8Array;
    computeKzgProof(b: Uint8Array, z: Uint8Array): [Uint8Array, Uint8Array];
  };
  const cases = blobs.map(({ name, blob, error }, index) => {
    let commitment: Uint8Array | undefined;
    let ckzgError: string | undefined;
    try {
      commitment = ckzg.blobToKzgCommitment(blob);
    } catch (e) {
      ckzgError = (e as Error).message;
    }
    if ((error === undefined) !== (ckzgError === undefined)) throw new Error(`${name}: c-kzg ${ckzgError ?? "accepted"}`);
    if (error) return { name, blob: index, error: "KZG_NON_CANONICAL_FIELD_ELEMENT", index: Number(error.split(" ")[1]), ckzgError };
    const c = bytesToHex(commitment!);
    return { name, blob: index, commitment: c, versionedHash: commitmentToVersionedHash({ commitment: c }) };
  });
  // option B: y = p(z) at random points and at a point of the evaluation domain (z = ω^brp(3): y = blob[3])
  const w = powMod(7n, (R - 1n) / 4096n, R);
  const evaluations = [];
  for (const [blob, z] of [[1, randFe()], [5, randFe()], [6, randFe()], [7, randFe()], [6, powMod(w, BigInt(bitReverse12(3)), R)]] as const) {
    const [, y] = ckzg.computeKzgProof(blobs[blob]!.blob, fe(z));
    evaluations.push({ blob, z: bytesToHex(fe(z)), y: bytesToHex(y) });
  }
  const all = new Uint8Array(blobs.length * N * 32);
  blobs.forEach((b, i) => all.set(b.blob, i * N * 32));
  return { all, cases, evaluations };
}

function powMod(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

const setup = setupBinary();
const { all, cases, evaluations } = blobsAndVectors();
const json = `${JSON.stringify(
  {
    name: "kzg",
    generator: "guest/vectors-gen/kzg.ts (c-kzg 4.1.0 blobToKzgCommitment / computeKzgProof, viem commitmentToVersionedHash)",
    setupFileSha256: SETUP_SHA256,
    setupBinSha256: sha256hex(setup),
    blobsFile: "kzg/blobs.bin",
    blobsSha256: sha256hex(all),
    cases,
    evaluations,
  },
  null,
  1,
)}\n`;
const files: [string, Uint8Array | string][] = [[SETUP_BIN, setup], [OUT_BLOBS, all], [OUT_JSON, json]];
if (process.argv.includes("--check")) {
  let stale = 0;
  for (const [f, data] of files) {
    let old: Buffer | undefined;
    try {
      old = readFileSync(f);
    } catch {}
    if (!old || !old.equals(Buffer.from(data))) {
      console.error(`stale: ${path.relative(ROOT, f)}`);
      stale++;
    }
  }
  if (stale > 0) process.exit(1);
  console.log("kzg vectors: up to date");
} else {
  for (const [f, data] of files) writeFileSync(f, data);
  console.log(`wrote ${files.map(([f]) => path.relative(ROOT, f)).join(", ")} (${cases.length} cases, ${evaluations.length} evaluations)`);
}
