// Shared state-commitment vectors (test/vectors/state/*.json) for the Rust guest and Solidity, built on the
// committed STF vectors (test/vectors/stf/*.json): replaying each STF vector through the TS STF, every
// batch gets its pre- and post-state root and (for the small vectors) its witness. A trie vector gives a
// leaf set, its root and inclusion / exclusion proofs. `state.vectors.test.ts` checks the committed files
// (UPDATE_STATE_VECTORS=1 rewrites them).

import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, hexToBytes } from "../../../node/clob/eip712.ts";
import { decodeL1Message } from "../../../node/clob/l1messages.ts";
import { createGenesisState } from "../../../node/clob/state.ts";
import type { Tx } from "../../../node/clob/types.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import { accountKey, orderKey } from "../../../node/state/leaves.ts";
import { getProof } from "../../../node/state/proofs.ts";
import { applyAndWitness, verifyWitness } from "../../../node/state/witness.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
export const STF_DIR = path.join(here, "../../vectors/stf");
export const STATE_DIR = path.join(here, "../../vectors/state");

interface StfVector {
  name: string;
  genesis: { chainId: number; verifyingContract: string; feeAccount: string };
  batches: { index: number; timestamp: number; proposer: `0x${string}`; l1Messages: string[]; txs: Record<string, unknown>[] }[];
}

export interface StateVector {
  name: string;
  description: string;
  /** Root of the genesis state. */
  genesisRoot: string;
  batches: { index: number; preRoot: string; postRoot: string; witness?: string }[];
}

export interface TrieVector {
  name: string;
  description: string;
  leaves: string[];
  root: string;
  proofs: { key: string; siblings: string[]; leaf: string | null; present: boolean }[];
}

function txFromJson(j: Record<string, unknown>): Tx {
  const sig = j.sig as { r: string; s: string; v: 0 | 1 };
  return { ...(j as object), sig: { r: hexToBytes(sig.r), s: hexToBytes(sig.s), v: sig.v } } as Tx;
}

/** Witnesses are included for vectors up to this many batches (the random ones carry roots only). */
const WITNESS_MAX_BATCHES = 40;

export function buildStateVectors(): { state: StateVector[]; trie: TrieVector } {
  const files = readdirSync(STF_DIR).filter((f) => f.endsWith(".json")).sort();
  const out: StateVector[] = [];
  let trieVector: TrieVector | undefined;
  for (const f of files) {
    const v = JSON.parse(readFileSync(path.join(STF_DIR, f), "utf8")) as StfVector;
    const state = createGenesisState({
      domain: { chainId: v.genesis.chainId, verifyingContract: v.genesis.verifyingContract as `0x${string}` },
      feeAccount: v.genesis.feeAccount as `0x${string}`,
    });
    const sc = StateCommitment.fromState(state);
    const sv: StateVector = {
      name: v.name,
      description: `state roots${v.batches.length <= WITNESS_MAX_BATCHES ? " and witnesses" : ""} of test/vectors/stf/${f}`,
      genesisRoot: bytesToHex(sc.root()),
      batches: [],
    };
    for (const b of v.batches) {
      const batch = { index: b.index, timestamp: b.timestamp, proposer: b.proposer, txs: b.txs.map(txFromJson) };
      const l1 = b.l1Messages.map((m) => decodeL1Message(hexToBytes(m)));
      const pre = sc.root();
      const { root, witness } = applyAndWitness(sc, state, batch, l1);
      // self-check: the witness re-executes to the same root
      const chk = verifyWitness(witness.bytes, pre, batch, l1);
      if (bytesToHex(chk.postRoot) !== bytesToHex(root)) throw new Error(`${v.name} batch ${b.index}: witness root differs`);
      sv.batches.push({
        index: b.index,
        preRoot: bytesToHex(pre),
        postRoot: bytesToHex(root),
        ...(v.batches.length <= WITNESS_MAX_BATCHES ? { witness: bytesToHex(witness.bytes) } : {}),
      });
    }
    out.push(sv);
    if (v.name === "basics") {
      const leaves = [...sc.trie.entries()];
      const keys: Uint8Array[] = [];
      for (const a of state.accounts.slice(0, 3)) keys.push(accountKey(a.address));
      keys.push(accountKey("0x00000000000000000000000000000000deadbeef")); // absent
      for (const m of state.markets.values()) for (const o of [...m.book.orders()].slice(0, 2)) keys.push(orderKey(o.id));
      keys.push(orderKey(state.nextOrderId + 7)); // absent
      trieVector = {
        name: "trie-basics",
        description: "every leaf of the final state of the basics STF vector (key-path order), its root, and proofs",
        leaves: leaves.map((e) => bytesToHex(e)),
        root: bytesToHex(sc.root()),
        proofs: keys.map((k) => {
          const p = getProof(sc, k);
          const present = p.leaf !== null && p.leaf.slice(2, 2 + 2 * k.length) === bytesToHex(k).slice(2);
          return { key: p.key, siblings: p.siblings, leaf: p.leaf, present };
        }),
      };
    }
  }
  if (trieVector === undefined) throw new Error("no basics STF vector");
  return { state: out, trie: trieVector };
}
