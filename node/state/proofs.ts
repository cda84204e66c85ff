// Proofs a user checks against a finalized state root (docs/stf.md "State commitment" / "Proofs").
//
// A proof is JSON-friendly: { root, key, siblings, leaf } with hex strings. `leaf` null (or a leaf of
// another key) proves absence. verifyStateProof() needs nothing but keccak256: it rebuilds the root from
// the key path, the sibling hashes and the leaf, and returns the decoded leaf (or null when absent).

import type { StateCommitment } from "./commitment.ts";
import {
  type AccountLeaf,
  type DecodedLeaf,
  type OrderLeaf,
  accountKey,
  decodeLeaf,
  keyLen,
  marketKey,
  orderKey,
  globalsKey,
  levelKey,
  clientKey,
  assetKey,
} from "./leaves.ts";
import { verifyTrieProof } from "./trie.ts";

export interface StateProof {
  /** State root the proof is against (0x hex). */
  root: string;
  /** Leaf key (0x hex): tag byte and key fields (docs/stf.md leaf table). */
  key: string;
  /** Sibling hashes from the root down, three per level, in child order (0x hex each). */
  siblings: string[];
  /** The leaf at the end of the key's path (0x hex), or null. The key's own leaf proves inclusion. */
  leaf: string | null;
}

const toHex = (b: Uint8Array) => `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}`;
const fromHex = (s: string) => {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(s)) throw new Error("proof: bad hex");
  return new Uint8Array(Buffer.from(s.slice(2), "hex"));
};

/** Proof for any leaf key against the commitment's current root. */
export function getProof(sc: StateCommitment, key: Uint8Array): StateProof {
  const p = sc.trie.prove(key);
  const siblings: string[] = [];
  for (let i = 0; i < p.siblings.length; i += 32) siblings.push(toHex(p.siblings.subarray(i, i + 32)));
  return { root: toHex(sc.root()), key: toHex(key), siblings, leaf: p.leaf === null ? null : toHex(p.leaf) };
}

/**
 * Verify a proof. Returns the decoded leaf of `proof.key` when present, null when the proof shows it
 * absent; throws when the proof is invalid or not against `root` (defaults to proof.root: pass the
 * finalized root you trust).
 */
export function verifyStateProof(proof: StateProof, root: string = proof.root): DecodedLeaf | null {
  if (root.toLowerCase() !== proof.root.toLowerCase()) throw new Error("proof: not against the expected root");
  const siblings = new Uint8Array(32 * proof.siblings.length);
  proof.siblings.forEach((s, i) => {
    const b = fromHex(s);
    if (b.length !== 32) throw new Error("proof: sibling is not 32 bytes");
    siblings.set(b, 32 * i);
  });
  if (proof.siblings.length % 3 !== 0) throw new Error("proof: siblings not a multiple of 3");
  const key = fromHex(proof.key);
  if (key.length === 0 || keyLen(key[0]) !== key.length) throw new Error("proof: malformed key");
  const leaf = verifyTrieProof(fromHex(root), key, { siblings, leaf: proof.leaf === null ? null : fromHex(proof.leaf) }, keyLen);
  return leaf === null ? null : decodeLeaf(leaf);
}

// ---- typed helpers ----

export const proofKeys = { account: accountKey, order: orderKey, market: marketKey, globals: globalsKey, level: levelKey, client: clientKey, asset: assetKey };

export function getAccountProof(sc: StateCommitment, address: string): StateProof {
  return getProof(sc, accountKey(address.toLowerCase()));
}

export function getOrderProof(sc: StateCommitment, orderId: number): StateProof {
  return getProof(sc, orderKey(orderId));
}

/** The account (null: no such account) proven by an account proof. */
export function verifyAccountProof(proof: StateProof, root?: string): AccountLeaf | null {
  const d = verifyStateProof(proof, root);
  if (d === null) return null;
  if (d.tag !== 4) throw new Error("proof: not an account leaf");
  return d.v;
}

/**
 * Balance of `asset` proven by an account proof: zeros when the account does not exist or has no entry
 * for the asset (both are proofs of "no balance").
 */
export function verifyBalanceProof(proof: StateProof, asset: number, root?: string): { available: number; locked: number; nonce: number } {
  const a = verifyAccountProof(proof, root);
  if (a === null) return { available: 0, locked: 0, nonce: 0 };
  const b = a.balances.find((x) => x[0] === asset);
  return { available: b?.[1] ?? 0, locked: b?.[2] ?? 0, nonce: a.nonce };
}

/** The resting order (null: not resting) proven by an order proof. */
export function verifyOrderProof(proof: StateProof, root?: string): OrderLeaf | null {
  const d = verifyStateProof(proof, root);
  if (d === null) return null;
  if (d.tag !== 5) throw new Error("proof: not an order leaf");
  return d.v;
}
