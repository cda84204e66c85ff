// Stateless execution verdicts, for the guest's witness mode (guest/core src/witness.rs):
//   npx node guest/vectors-gen/witness-exec.ts          (writes test/vectors/guest/witness-exec.json)
//   npx node guest/vectors-gen/witness-exec.ts --check  (exits 1 if the committed file differs)
//
// Replays test/vectors/stf/*.json through the TS node (node/state/witness.ts applyAndWitness) and, per
// batch, tampers with the node's witness: three copies with one NODE or LEAF replaced by its HASH (the root
// is unchanged: what is hidden may or may not be needed) and one with a byte of a LEAF's value changed (the
// root differs). Each copy is executed by the TS stateless executor (node/state/witness.ts verifyWitness):
// the post-state root it reaches, or the code it rejects with. The Rust executor must give the same verdict
// on every copy (the honest witnesses are test/vectors/state/*.json). Deterministic (XorShift32, fixed seed).
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
import { type PartialTrie, WitnessError, applyAndWitness, parseWitness, serializeWitness, verifyWitness } from "../../node/state/witness.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, "../..");
const STF_DIR = path.join(ROOT, "test/vectors/stf");
const OUT = path.join(ROOT, "test/vectors/guest/witness-exec.json");

type PNode = PartialTrie["root"];

interface StfVector {
  genesis: { chainId: number; verifyingContract: string; feeAccount: string };
  batches: { index: number; timestamp: number; proposer?: string | null; l1Messages: string[]; txs: Record<string, unknown>[] }[];
}

function txFromJson(j: Record<string, unknown>): Tx {
  const sig = j.sig as { r: string; s: string; v: 0 | 1 };
  return { ...(j as object), sig: { r: hexToBytes(sig.r), s: hexToBytes(sig.s), v: sig.v } } as Tx;
}

/** Every non-root NODE or LEAF, as its path of child indexes. */
function nodePaths(n: PNode, at: number[], out: number[][], leavesOnly = false): void {
  if (at.length > 0 && (n.t === 2 || (n.t === 3 && !leavesOnly))) out.push(at);
  if (n.t === 3) n.c.forEach((c, i) => nodePaths(c, [...at, i], out, leavesOnly));
}

/** The witness with the node at `at` replaced by its HASH, or (`change`) one byte of its leaf value flipped. */
function tampered(witness: Uint8Array, at: number[], change: boolean): Uint8Array {
  const pt = parseWitness(witness);
  let n = pt.root;
  for (const i of at.slice(0, -1)) n = (n as PNode & { t: 3 }).c[i]!;
  const parent = n as PNode & { t: 3 };
  const child = parent.c[at[at.length - 1]!]!;
  if (change && child.t === 2) {
    const enc = child.enc.slice();
    enc[enc.length - 1] ^= 1; // the last byte is never part of the key
    parent.c[at[at.length - 1]!] = { t: 2, enc, kp: child.kp };
  } else parent.c[at[at.length - 1]!] = { t: 1, h: pt.hash(child), ref: 0 };
  return serializeWitness(pt.root);
}

function main() {
  const rng = new XorShift32(0x5eed_7e57);
  const cases: ({ source: string; batch: number; preRoot: string; kind: string; at: string; witness: string } & ({ postRoot: string } | { error: string }))[] = [];
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
      const proposer = b.proposer ?? undefined;
      const batch = { index: b.index, timestamp: b.timestamp, proposer: proposer as `0x${string}` | undefined, txs: b.txs.map(txFromJson) };
      const l1 = b.l1Messages.map((m) => decodeL1Message(hexToBytes(m)));
      const pre = sc.root().slice();
      const { witness } = applyAndWitness(sc, state, batch, l1);
      const copies: { kind: string; at: number[]; w: Uint8Array }[] = [];
      const all: number[][] = [];
      nodePaths(parseWitness(witness.bytes).root, [], all);
      for (let k = 0; k < 3 && all.length > 0; k++) {
        const at = all[rng.int(all.length)]!;
        copies.push({ kind: "stripped", at, w: tampered(witness.bytes, at, false) });
      }
      const leaves: number[][] = [];
      nodePaths(parseWitness(witness.bytes).root, [], leaves, true);
      if (leaves.length > 0) {
        const at = leaves[rng.int(leaves.length)]!;
        copies.push({ kind: "leaf-changed", at, w: tampered(witness.bytes, at, true) });
      }
      for (const c of copies) {
        let expect: { postRoot: string } | { error: string };
        try {
          expect = { postRoot: bytesToHex(verifyWitness(c.w, pre, batch, l1).postRoot) };
        } catch (e) {
          if (!(e instanceof WitnessError)) throw e;
          expect = { error: e.code };
        }
        cases.push({ source: f, batch: b.index, preRoot: bytesToHex(pre), kind: c.kind, at: c.at.join(""), witness: bytesToHex(c.w), ...expect });
      }
    }
  }
  const count = (code: string) => cases.filter((c) => "error" in c && c.error === code).length;
  const json = {
    name: "witness-exec",
    source: "node/state/witness.ts verifyWitness on tampered copies of applyAndWitness witnesses (replay of test/vectors/stf)",
    stfFileKeccak: sources,
    accepted: cases.filter((c) => "postRoot" in c).length,
    insufficient: count("WITNESS_INSUFFICIENT"),
    rootMismatch: count("WITNESS_ROOT_MISMATCH"),
    cases,
  };
  const out = `${JSON.stringify(json, null, 1)}\n`;
  if (process.argv.includes("--check")) {
    let old = "";
    try {
      old = readFileSync(OUT, "utf8");
    } catch {}
    if (old !== out) {
      console.error("stale: test/vectors/guest/witness-exec.json");
      process.exit(1);
    }
    console.log("test/vectors/guest/witness-exec.json: up to date");
    return;
  }
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, out);
  console.log(`wrote ${cases.length} cases (${json.accepted} accepted, ${json.insufficient} insufficient, ${json.rootMismatch} root mismatch)`);
}

main();
