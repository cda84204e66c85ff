// The VerifierPolicy proof envelope (contracts/verifiers/VerifierPolicy.sol, docs/contracts.md):
//   0x01 ‖ part*,  part = id (1 byte) ‖ be(len, 4) ‖ proof (len bytes),  ids strictly ascending.
// One part per verifier id; a prover includes only proofs it knows are valid (a failing part reverts).
import { concat, size, toHex, type Hex } from "viem";
import { ProverError } from "./errors.ts";

export const ENVELOPE_VERSION = 1;

export interface EnvelopePart {
  /** The verifier's id in the policy (its index in `VerifierPolicy.verifiers()`). */
  id: number;
  proof: Hex;
}

/** Builds the envelope; parts are sorted by id, duplicate or out-of-range ids are a CONFIG error. */
export function encodeEnvelope(parts: readonly EnvelopePart[]): Hex {
  const sorted = [...parts].sort((a, b) => a.id - b.id);
  for (let i = 0; i < sorted.length; i++) {
    const id = sorted[i].id;
    if (!Number.isInteger(id) || id < 0 || id > 255) throw new ProverError("CONFIG", `verifier id ${id} out of range`);
    if (i > 0 && sorted[i - 1].id === id) throw new ProverError("CONFIG", `two proofs for verifier id ${id}`);
  }
  return concat([
    toHex(ENVELOPE_VERSION, { size: 1 }),
    ...sorted.flatMap((p) => [toHex(p.id, { size: 1 }), toHex(size(p.proof), { size: 4 }), p.proof]),
  ]);
}

/** Inverse of encodeEnvelope (strict): null if malformed. */
export function decodeEnvelope(env: Hex): EnvelopePart[] | null {
  const b = Buffer.from(env.slice(2), "hex");
  if (b.length === 0 || b[0] !== ENVELOPE_VERSION) return null;
  const out: EnvelopePart[] = [];
  let off = 1;
  while (off < b.length) {
    if (b.length - off < 5) return null;
    const id = b[off];
    const len = b.readUInt32BE(off + 1);
    off += 5;
    if (len > b.length - off) return null;
    if (out.length > 0 && out[out.length - 1].id >= id) return null;
    out.push({ id, proof: `0x${b.subarray(off, off + len).toString("hex")}` });
    off += len;
  }
  return out;
}
