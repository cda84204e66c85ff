// Post-state roots from witnesses, for the guest's pruned-trie update (guest/core src/ptrie.rs):
//   npx node guest/vectors-gen/witness-updates.ts          (writes test/vectors/guest/witness-updates.json)
//   npx node guest/vectors-gen/witness-updates.ts --check  (exits 1 if the committed file differs)
//
// Replays test/vectors/stf/*.json through the TS node exactly as test/node/state/state-vectors.ts does
// (node/state/witness.ts applyAndWitness); per batch it records the witness, the leaf changes the node
// committed (deleted keys, then put leaves) and the post-state root. docs/stf.md "Witness for stateless
// execution": applying those changes to the pruned trie must give the post-state root. Stripped copies
// replace one node of the witness by its HASH (the root is unchanged): node/state/witness.ts PartialTrie
// says whether the changes can still be applied (and to which root) or the witness is insufficient.
// Deterministic (XorShift32, fixed seed).

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "../../node/clob/eip712.ts";
import { decodeL1Message } from "../../node/clob/l1messages.ts";
import { createGenesisState } from "../../node/clob/state.ts";
import type { Tx } from "../../node/clob/types.ts";
import { XorShift32 } from "../../node/sim/rng.ts";
import { StateCommitment } from "../../node/state/commitment.ts";
import { InsufficientWitness, allPuts } from "../../node/state/derive.ts";
import { type PartialTrie, applyBatchRecording, buildWitness, parseWitness, serializeWitness } from "../../node/state/witness.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, "../..");
const STF_DIR = path.join(ROOT, "test/vectors/stf");
const OUT = path.join(ROOT, "test/vectors/guest/witness-updates.json");

type PNode = PartialTrie["root"];

interface StfVector {
  name: string;
  genesis: { chainId: number; verifyingContract: string; feeAccount: string };
  batches: { index: number; timestamp: number; l1Messages: string[]; txs: Record<string, unknown>[] }[];
}

function txFromJson(j: Record<string, unknown>): Tx {
  const sig = j.sig as { r: string; s: string; v: 0 | 1 };
  return { ...(j as object), sig: { r: hexToBytes(sig.r), s: hexToBytes(sig.s), v: sig.v } } as Tx;
}

/** Applies deletes then puts, as verifyWitness does; the root or the insufficiency. */
function applyTo(witness: Uint8Array, dels: Uint8Array[], puts: Uint8Array[]): string | null {
  const pt = parseWitness(witness);
  try {
    for (const k of dels) pt.delete(k);
    for (const e of puts) pt.put(e);
  } catch (e) {
    if (e instanceof InsufficientWitness) return null;
    throw e;
  }
  return bytesToHex(pt.hash());
}

/** Every non-root NODE or LEAF of a parsed witness, as its path of child indexes. */
function nodePaths(n: PNode, at: number[], out: number[][]): void {
  if (at.length > 0 && (n.t === 2 || n.t === 3)) out.push(at);
  if (n.t === 3) n.c.forEach((c, i) => nodePaths(c, [...at, i], out));
}

function stripped(witness: Uint8Array, at: number[]): Uint8Array {
  const pt = parseWitness(witness);
  let n = pt.root;
  for (const i of at.slice(0, -1)) n = (n as PNode & { t: 3 }).c[i]!;
  const parent = n as PNode & { t: 3 };
  const child = parent.c[at[at.length - 1]!]!;
  parent.c[at[at.length - 1]!] = { t: 1, h: pt.hash(child), ref: 0 };
  return serializeWitness(pt.root);
}

function main() {
  const rng = new XorShift32(0x7e1e_a5e5);
  const cases = [];
  const sources: Record<string, string> = {};
  for (const f of readdirSync(STF_DIR).filter((x) => x.endsWith(".json")).sort()) {
    const text = readFileSync(path.join(STF_DIR, f), "utf8");
    sources[f] = bytesToHex(keccak_256(new TextEncoder().encode(text)));
    const v = JSON.parse(text) as StfVector;
    const state = createGenesisState({
      domain: { chainId: v.genesis.chainId, verifyingContract: v.genesis.verifyingContract as `0x${string}` },
      feeAccount: v.genesis.feeAccount as `0x${string}`,
    });
    const sc = StateCommitment.fromState(state);
    for (const b of v.batches) {
      const batch = { index: b.index, timestamp: b.timestamp, txs: b.txs.map(txFromJson) };
      const l1 = b.l1Messages.map((m) => decodeL1Message(hexToBytes(m)));
      const pre = bytesToHex(sc.root());
      // applyAndWitness, keeping the generic derivation (the one the witness is built for and that
      // verifyWitness re-derives from the witness alone)
      const { reads } = applyBatchRecording(state, batch, l1);
      const pvKeys: Uint8Array[] = [];
      const derived = sc.deriveGeneric(state, pvKeys);
      const witness = buildWitness(sc.trie, reads, derived, pvKeys);
      const dels = derived.dels.map((k) => k.slice());
      const puts = [...allPuts(derived)].map((e) => e.slice());
      const fast = sc.commitBatch(state);
      const post = bytesToHex(fast.root);
      const base = { source: f, batch: b.index, preRoot: pre, dels: dels.map(bytesToHex), puts: puts.map(bytesToHex) };
      cases.push({ ...base, witness: bytesToHex(witness.bytes), postRoot: post });
      if (v.batches.length > 12 && b.index % 4 !== 0) continue; // stripped copies of every 4th batch of the long vectors
      const paths: number[][] = [];
      nodePaths(parseWitness(witness.bytes).root, [], paths);
      for (let k = 0; k < 3 && paths.length > 0; k++) {
        const at = paths[rng.int(paths.length)]!;
        const w = stripped(witness.bytes, at);
        cases.push({ ...base, stripped: at.join(""), witness: bytesToHex(w), postRoot: applyTo(w, dels, puts) });
      }
    }
  }
  const json = {
    name: "witness-updates",
    source: "node/state/witness.ts applyAndWitness, PartialTrie (replay of test/vectors/stf)",
    stfFileKeccak: sources,
    insufficient: cases.filter((c) => c.postRoot === null).length,
    cases,
  };
  const text = `${JSON.stringify(json, null, 1)}\n`;
  if (process.argv.includes("--check")) {
    let old = "";
    try {
      old = readFileSync(OUT, "utf8");
    } catch {}
    if (old !== text) {
      console.error("stale: test/vectors/guest/witness-updates.json");
      process.exit(1);
    }
    console.log("test/vectors/guest/witness-updates.json: up to date");
    return;
  }
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, text);
  console.log(`wrote ${cases.length} cases (${json.insufficient} insufficient) to test/vectors/guest/witness-updates.json`);
}

main();
