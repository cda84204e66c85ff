// Vectors for the Rust guest core (guest/core), produced by the TypeScript implementations:
//   npx node guest/vectors-gen/commitments.ts          (writes test/vectors/guest/*.json)
//   npx node guest/vectors-gen/commitments.ts --check  (exits 1 if the committed files differ)
// Parts derived from test/vectors/stf/*.json record that file's keccak256 (`fileKeccak`): when the STF vectors
// are regenerated, rerun this script (the Rust tests report the stale file rather than a false mismatch).
//
// Sources (read-only use):
//   l1-messages.json   node/clob/l1messages.ts (encodeL1Message, decodeL1Message, nextQueueHash)
//   batch-chain.json   node/derive/commitment.ts (batchCommitment v2, nextBatchChain, blobDataHash), checked here
//                      against viem encodePacked of the v2 preimage (docs/l1-messages.md)
//   public-values.json test/contracts/helpers/settle.ts PUBLIC_VALUES_ABI with viem encodeAbiParameters, and
//                      viem sha256 for the ZisK publics buffer (as ziskPublics does)
//   withdrawals.json   node/state/withdrawals.ts, checked here against @openzeppelin/merkle-tree before writing
//   trie.json          node/state/trie.ts (Trie: root, prove) over random leaf sets, with deletions
// Everything is deterministic (node/sim/rng.ts XorShift32 with fixed seeds).

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { type Hex, encodeAbiParameters, keccak256, sha256 } from "viem";
import { bytesToHex, hexToBytes } from "../../node/clob/eip712.ts";
import { decodeL1Message, encodeL1Message, nextQueueHash } from "../../node/clob/l1messages.ts";
import type { L1Message } from "../../node/clob/types.ts";
import { XorShift32 } from "../../node/sim/rng.ts";
import { keyLen } from "../../node/state/leaves.ts";
import { Trie } from "../../node/state/trie.ts";
import { type WithdrawalRecord, WithdrawalTree, verifyWithdrawalProof } from "../../node/state/withdrawals.ts";
import { type BatchCommitment, batchCommitment as derivedCommitment, blobDataHash, nextBatchChain } from "../../node/derive/commitment.ts";
import { encodePacked } from "viem";

/** c(i) v2 with 64-bit fields as bigint: node/derive/commitment.ts when the values fit a JS safe integer, and
 * viem's encodePacked of the documented preimage always (the two must agree where both apply). */
function batchCommitment(c: {
  batchIndex: bigint; dataKind: 1 | 2; dataHash: Hex; l1MsgStart: bigint; l1MsgEnd: bigint; queueHash: Hex;
  l1Timestamp: bigint; l1BlockNumber: bigint; proposer: Hex; queueHashStart: Hex;
}): Hex {
  const packed = keccak256(encodePacked(
    ["uint64", "uint8", "bytes32", "uint64", "uint64", "bytes32", "uint64", "uint64", "address", "bytes32"],
    [c.batchIndex, c.dataKind, c.dataHash, c.l1MsgStart, c.l1MsgEnd, c.queueHash, c.l1Timestamp, c.l1BlockNumber, c.proposer, c.queueHashStart],
  ));
  const safe = [c.batchIndex, c.l1MsgStart, c.l1MsgEnd, c.l1Timestamp, c.l1BlockNumber].every((x) => x <= BigInt(Number.MAX_SAFE_INTEGER));
  if (safe) {
    const d: BatchCommitment = {
      index: Number(c.batchIndex), dataKind: c.dataKind, dataHash: c.dataHash, l1MsgStart: Number(c.l1MsgStart), queueHashStart: c.queueHashStart,
      l1MsgEnd: Number(c.l1MsgEnd), queueHash: c.queueHash, l1Timestamp: Number(c.l1Timestamp), l1BlockNumber: Number(c.l1BlockNumber),
      proposer: c.proposer.toLowerCase() as `0x${string}`,
    };
    if (derivedCommitment(d) !== packed) throw new Error("node/derive/commitment.ts disagrees with the documented preimage");
  }
  return packed;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, "../..");
const OUT = path.join(ROOT, "test/vectors/guest");
const ZERO32 = `0x${"00".repeat(32)}` as Hex;

const rng = new XorShift32(0x5eed_6e57);
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(256));
const hex = (n: number): Hex => bytesToHex(bytes(n));
const address = (): Hex => hex(20);
/** Uniform-ish integer in [0, 2^53-1] with a spread of magnitudes. */
const u53 = (): number => {
  const bits = rng.int(54);
  return bits === 0 ? 0 : Math.floor((rng.next() * 0x200000 + rng.int(0x200000)) / 2 ** (53 - bits)) % 2 ** bits;
};
const u32 = (): number => rng.next();

function fail(msg: string): never {
  throw new Error(`vectors-gen: ${msg}`);
}

// -------------------------------------------------------------------------------- L1 messages + queue

/** Decoded fields as JSON: integers as decimal strings; a u64 that TS cannot hold exactly -> null. */
function fieldsJson(m: L1Message): Record<string, unknown> {
  const n = (v: number) => (Number.isSafeInteger(v) ? String(v) : null);
  switch (m.kind) {
    case 1:
    case 2:
      return { account: m.account.toLowerCase(), asset: String(m.asset), amount: n(m.amount) };
    case 3:
      return { account: m.account.toLowerCase(), market: String(m.market), orderId: n(m.orderId) };
    case 4: {
      const p = m.params;
      return {
        market: String(m.market), baseAsset: String(p.baseAsset), quoteAsset: String(p.quoteAsset),
        lotSize: n(p.lotSize), tickSize: n(p.tickSize), minSize: n(p.minSize), makerFeePpm: String(p.makerFeePpm),
        takerFeePpm: String(p.takerFeePpm), status: String(p.status),
      };
    }
    default:
      return {};
  }
}

function l1Vectors() {
  const msgs: Uint8Array[] = [];
  const enc = (m: L1Message) => msgs.push(encodeL1Message(m));
  // edge values
  enc({ kind: 1, account: `0x${"00".repeat(20)}`, asset: 0, amount: 0 } as L1Message);
  enc({ kind: 1, account: `0x${"ff".repeat(20)}`, asset: 0xffffffff, amount: 2 ** 53 - 1 } as L1Message);
  enc({ kind: 3, account: address(), market: 7, orderId: 0 } as L1Message);
  enc({ kind: 4, market: 1, params: { baseAsset: 1, quoteAsset: 2, lotSize: 1, tickSize: 1, minSize: 1, makerFeePpm: -100_000, takerFeePpm: 100_000, status: 2 } } as L1Message);
  enc({ kind: 4, market: 0xffffffff, params: { baseAsset: 0, quoteAsset: 0xffffffff, lotSize: 2 ** 53 - 1, tickSize: 2 ** 40, minSize: 0, makerFeePpm: -2147483648, takerFeePpm: 0xffffffff, status: 255 } } as unknown as L1Message); // status out of range: bytes only
  // random well-formed messages of every kind
  for (let i = 0; i < 40; i++) {
    const kind = 1 + rng.int(4);
    if (kind === 4) {
      enc({
        kind, market: u32(),
        params: { baseAsset: u32(), quoteAsset: u32(), lotSize: u53(), tickSize: u53(), minSize: u53(), makerFeePpm: u32() | 0, takerFeePpm: u32(), status: rng.int(256) },
      } as L1Message);
    } else if (kind === 3) enc({ kind, account: address(), market: u32(), orderId: u53() } as L1Message);
    else enc({ kind, account: address(), asset: u32(), amount: u53() } as L1Message);
  }
  // u64 fields above 2^53-1 (encodeL1Message refuses them; the Inbox accepts any uint64): built by hand
  const big = (kind: number, v: bigint) => {
    const b = new Uint8Array(33);
    b[0] = kind;
    b.set(bytes(20), 1);
    new DataView(b.buffer).setUint32(21, 5);
    new DataView(b.buffer).setBigUint64(25, v);
    msgs.push(b);
  };
  big(2, 2n ** 64n - 1n);
  big(1, 2n ** 53n);
  big(3, 2n ** 63n + 12345n);
  // malformed: consumed with MALFORMED (TS kind 0), but still hashed into the queue
  msgs.push(new Uint8Array(0));
  msgs.push(Uint8Array.of(5, ...bytes(32)));
  msgs.push(Uint8Array.of(0, ...bytes(32)));
  msgs.push(Uint8Array.of(1, ...bytes(31)));
  msgs.push(Uint8Array.of(1, ...bytes(45)));
  msgs.push(Uint8Array.of(4, ...bytes(32)));
  msgs.push(Uint8Array.of(4, ...bytes(49))); // the 50-byte length an old table gave
  msgs.push(Uint8Array.of(2, ...bytes(34)));

  let q: Uint8Array = hexToBytes(ZERO32);
  const messages = msgs.map((m) => {
    const d = decodeL1Message(m);
    q = nextQueueHash(q, m);
    return { bytes: bytesToHex(m), kind: d.kind, fields: fieldsJson(d), queueHashAfter: bytesToHex(q) };
  });

  // the STF vectors' message streams: q after each batch (messages numbered from 0 across the vector)
  const stfDir = path.join(ROOT, "test/vectors/stf");
  const stf = readdirSync(stfDir).filter((f) => f.endsWith(".json")).sort().map((f) => {
    const text = readFileSync(path.join(stfDir, f));
    const v = JSON.parse(text.toString("utf8")) as { batches: { index: number; l1Messages: string[] }[] };
    let qq: Uint8Array = hexToBytes(ZERO32);
    let count = 0;
    const batches = v.batches.map((b) => {
      for (const m of b.l1Messages) qq = nextQueueHash(qq, hexToBytes(m));
      count += b.l1Messages.length;
      return { index: b.index, l1MsgEnd: count, queueHash: bytesToHex(qq) };
    });
    return { file: `test/vectors/stf/${f}`, fileKeccak: keccak256(text), batches };
  });

  return {
    name: "l1-messages",
    description: "L1 message bytes with node/clob/l1messages.ts decodings (kind 0 = malformed; u64 fields as decimal strings, null where TS cannot hold the value exactly) and the queue chain q(n+1) = H(q(n) || H(m_n)) over them in order; plus q at each batch end of the STF vectors",
    messages,
    stf,
  };
}

// -------------------------------------------------------------------------------- batch chain

function batchVectors() {
  // a queue of 30 messages to take q(l1MsgEnd) from
  const queue: Hex[] = [ZERO32];
  for (let i = 0; i < 30; i++) queue.push(bytesToHex(nextQueueHash(hexToBytes(queue[i]), bytes(33))));
  const chains = [0, 1].map(() => {
    let b: Hex = ZERO32;
    let start = 0;
    let ts = 1_700_000_000 + rng.int(1_000_000);
    let block = 19_000_000 + rng.int(1_000_000);
    const batches = [];
    for (let i = 1; i <= 12; i++) {
      const end = Math.min(30, start + rng.int(5));
      ts += rng.int(40);
      block += 1 + rng.int(3);
      const blobs = rng.chance(0.5);
      let data: Record<string, unknown>;
      let dataHash: Hex;
      if (blobs) {
        const hashes = Array.from({ length: 1 + rng.int(6) }, () => bytesToHex(Uint8Array.of(1, ...bytes(31))));
        dataHash = blobDataHash(hashes);
        data = { blobHashes: hashes };
      } else {
        const calldata = i === 3 ? "0x" : hex(rng.int(300)); // batch 3: empty calldata (a no-op batch)
        dataHash = keccak256(calldata);
        data = { calldata };
      }
      const proposer = address();
      const input = {
        batchIndex: BigInt(i), dataKind: (blobs ? 1 : 2) as 1 | 2, dataHash, l1MsgStart: BigInt(start),
        l1MsgEnd: BigInt(end), queueHash: queue[end], l1Timestamp: BigInt(ts), l1BlockNumber: BigInt(block),
        proposer, queueHashStart: queue[start],
      };
      const c = batchCommitment(input);
      b = nextBatchChain(b, c);
      batches.push({
        index: i, dataKind: input.dataKind, ...data, dataHash, l1MsgStart: start, queueHashStart: queue[start], l1MsgEnd: end,
        queueHash: queue[end], l1Timestamp: ts, l1BlockNumber: block, proposer, commitment: c, batchChain: b,
      });
      start = end;
    }
    return batches;
  });
  // extremes of every integer field
  const max = 2n ** 64n - 1n;
  const extreme = {
    batchIndex: max, dataKind: 2 as const, dataHash: `0x${"ff".repeat(32)}` as Hex, l1MsgStart: max, l1MsgEnd: max,
    queueHash: `0x${"ee".repeat(32)}` as Hex, l1Timestamp: max, l1BlockNumber: max,
    proposer: `0x${"ff".repeat(20)}` as Hex, queueHashStart: `0x${"dd".repeat(32)}` as Hex,
  };
  return {
    name: "batch-chain",
    description: "batch commitments c(i) (v2: ... || proposer || q(l1MsgStart)) and the batch chain b(i) = H(b(i-1) || c(i)) from node/derive/commitment.ts (blob batches: dataHash = H(versioned hashes); calldata: H(bytes)); integers as JSON numbers except `extreme` (decimal strings)",
    chains,
    extreme: {
      index: String(extreme.batchIndex), dataKind: 2, dataHash: extreme.dataHash, l1MsgStart: String(max), l1MsgEnd: String(max),
      queueHash: extreme.queueHash, l1Timestamp: String(max), l1BlockNumber: String(max), proposer: extreme.proposer,
      queueHashStart: extreme.queueHashStart, commitment: batchCommitment(extreme),
    },
  };
}

// -------------------------------------------------------------------------------- public values

// PUBLIC_VALUES_ABI of test/contracts/helpers/settle.ts (that module pulls in hardhat's runtime; the
// tuple is repeated here and checked against docs/l1-messages.md field by field in the Rust test).
const PUBLIC_VALUES_ABI = [
  { type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }, { type: "uint64" }, { type: "bytes32" },
  { type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }, { type: "bytes32" }, { type: "address" },
] as const;

function publicValuesVectors() {
  const max = 2n ** 64n - 1n;
  const cases: {
    prevStateRoot: Hex; newStateRoot: Hex; firstBatch: bigint; lastBatch: bigint; prevBatchChain: Hex; newBatchChain: Hex;
    l1MessagesConsumed: bigint; l1QueueHash: Hex; withdrawalRoot: Hex; prover: Hex;
  }[] = [];
  cases.push({
    prevStateRoot: ZERO32, newStateRoot: ZERO32, firstBatch: 0n, lastBatch: 0n, prevBatchChain: ZERO32, newBatchChain: ZERO32,
    l1MessagesConsumed: 0n, l1QueueHash: ZERO32, withdrawalRoot: ZERO32, prover: `0x${"00".repeat(20)}`,
  });
  cases.push({
    prevStateRoot: `0x${"ff".repeat(32)}`, newStateRoot: `0x${"ff".repeat(32)}`, firstBatch: max, lastBatch: max,
    prevBatchChain: `0x${"ff".repeat(32)}`, newBatchChain: `0x${"ff".repeat(32)}`, l1MessagesConsumed: max,
    l1QueueHash: `0x${"ff".repeat(32)}`, withdrawalRoot: `0x${"ff".repeat(32)}`, prover: `0x${"ff".repeat(20)}`,
  });
  for (let i = 0; i < 8; i++) {
    const first = BigInt(1 + rng.int(1_000_000));
    cases.push({
      prevStateRoot: hex(32), newStateRoot: hex(32), firstBatch: first, lastBatch: first + BigInt(rng.int(100)),
      prevBatchChain: hex(32), newBatchChain: hex(32), l1MessagesConsumed: BigInt(u53()), l1QueueHash: hex(32),
      withdrawalRoot: hex(32), prover: address(),
    });
  }
  return {
    name: "public-values",
    description: "abi.encode of the proof public values tuple (docs/l1-messages.md) with viem encodeAbiParameters, and the ZisK publics buffer sha256(publicValues) ‖ zeros (256 bytes, docs/contracts.md); uint64 fields as decimal strings",
    cases: cases.map((c) => {
      const encoded = encodeAbiParameters(PUBLIC_VALUES_ABI, [
        c.prevStateRoot, c.newStateRoot, c.firstBatch, c.lastBatch, c.prevBatchChain, c.newBatchChain,
        c.l1MessagesConsumed, c.l1QueueHash, c.withdrawalRoot, c.prover,
      ]);
      const digest = sha256(encoded);
      return {
        ...c, firstBatch: String(c.firstBatch), lastBatch: String(c.lastBatch), l1MessagesConsumed: String(c.l1MessagesConsumed),
        encoded, sha256: digest, ziskPublics256: `${digest}${"00".repeat(256 - 32)}`,
      };
    }),
  };
}

// -------------------------------------------------------------------------------- withdrawals

function treeJson(records: WithdrawalRecord[]) {
  const tree = new WithdrawalTree(records);
  const root = bytesToHex(tree.root);
  // cross-check against OpenZeppelin's own StandardMerkleTree
  if (records.length > 0) {
    const oz = StandardMerkleTree.of(
      records.map((r) => [BigInt(r.withdrawalId), r.recipient, r.asset, BigInt(r.amount)]),
      ["uint64", "address", "uint32", "uint64"],
    );
    if (oz.root !== root) fail(`withdrawal root differs from OpenZeppelin (${records.length} leaves)`);
    for (const [i, v] of oz.entries()) {
      const mine = tree.proof(Number(v[0])).map(bytesToHex);
      if (JSON.stringify(mine) !== JSON.stringify(oz.getProof(i))) fail(`withdrawal proof differs from OpenZeppelin (id ${v[0]})`);
    }
  } else if (root !== ZERO32) fail("empty withdrawal tree root is not zero");
  return {
    root,
    records: records.map((r) => {
      const proof = tree.proof(r.withdrawalId);
      if (!verifyWithdrawalProof(tree.root, r, proof)) fail("withdrawal proof does not verify");
      return { ...r, proof: proof.map(bytesToHex) };
    }),
  };
}

function withdrawalVectors() {
  const trees = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 33].map((n) => {
    let id = rng.int(1000);
    const records: WithdrawalRecord[] = Array.from({ length: n }, () => ({
      withdrawalId: (id += 1 + rng.int(3)), recipient: address().toLowerCase(), asset: u32(), amount: u53(),
    }));
    return treeJson(records);
  });
  const stfDir = path.join(ROOT, "test/vectors/stf");
  const stf = readdirSync(stfDir).filter((f) => f.endsWith(".json")).sort().map((f) => {
    const text = readFileSync(path.join(stfDir, f));
    const v = JSON.parse(text.toString("utf8")) as { batches: { expected: { withdrawals: WithdrawalRecord[] } }[] };
    const all = v.batches.flatMap((b) => b.expected.withdrawals);
    return { file: `test/vectors/stf/${f}`, fileKeccak: keccak256(text), ...treeJson(all) };
  });
  return {
    name: "withdrawals",
    description: "withdrawal trees (OpenZeppelin StandardMerkleTree over [uint64 withdrawalId, address recipient, uint32 asset, uint64 amount]) from node/state/withdrawals.ts, equal to @openzeppelin/merkle-tree (root and every proof); `stf`: the tree over all withdrawals of each STF vector",
    trees,
    stf,
  };
}

// -------------------------------------------------------------------------------- trie

const KEY_LENS = [0, 1, 5, 5, 21, 9, 14, 17];

function randomLeaf(tag: number): Uint8Array {
  const kl = KEY_LENS[tag];
  return Uint8Array.of(tag, ...bytes(kl - 1), ...bytes(rng.int(tag === 4 ? 200 : 70)));
}

function trieVectors() {
  const sets = [1, 2, 3, 10, 60, 400].map((n) => {
    const trie = new Trie(keyLen, { native: false });
    const leaves = new Map<string, Uint8Array>();
    while (leaves.size < n) {
      const l = randomLeaf(leaves.size === 0 ? 1 : 2 + rng.int(6));
      leaves.set(bytesToHex(l.subarray(0, KEY_LENS[l[0]])), l);
    }
    for (const l of leaves.values()) trie.put(l);
    const root = bytesToHex(trie.commit());
    const proofFor = (key: Uint8Array) => {
      const p = trie.prove(key);
      const siblings: Hex[] = [];
      for (let i = 0; i < p.siblings.length; i += 32) siblings.push(bytesToHex(p.siblings.subarray(i, i + 32)));
      const present = p.leaf !== null && KEY_LENS[p.leaf[0]] === key.length && bytesToHex(p.leaf.subarray(0, key.length)) === bytesToHex(key);
      return { key: bytesToHex(key), siblings, leaf: p.leaf === null ? null : bytesToHex(p.leaf), present };
    };
    const keys = [...leaves.keys()];
    const all = [...leaves.values()].map(bytesToHex);
    const proofs = [];
    for (let i = 0; i < Math.min(12, keys.length); i++) proofs.push(proofFor(hexToBytes(keys[rng.int(keys.length)])));
    for (let i = 0; i < 12; i++) proofs.push(proofFor(absentKey(leaves)));
    // delete a third of the leaves (never GLOBALS): the root must be the root of what remains
    const deleted: Hex[] = [];
    for (const k of keys.slice(1)) if (rng.int(3) === 0) deleted.push(k as Hex);
    for (const k of deleted) {
      trie.delete(hexToBytes(k));
      leaves.delete(k);
    }
    const rootAfterDeletes = bytesToHex(trie.commit());
    const afterProofs = deleted.slice(0, 6).map((k) => proofFor(hexToBytes(k)));
    return { leaves: all, root, proofs, deleted, rootAfterDeletes, afterProofs };
  });
  return {
    name: "trie",
    description: "random leaf sets (tags 1-7, random values) in node/state/trie.ts Trie: root, inclusion and exclusion proofs {key, siblings, leaf, present}; then some leaves deleted: root of the rest and exclusion proofs of deleted keys",
    sets,
  };
}

/** A well-formed key of a random tag that is not in `leaves`. */
function absentKey(leaves: Map<string, Uint8Array>): Uint8Array {
  for (;;) {
    const l = randomLeaf(2 + rng.int(6));
    const k = l.subarray(0, KEY_LENS[l[0]]);
    if (!leaves.has(bytesToHex(k))) return k;
  }
}

// -------------------------------------------------------------------------------- main

function main() {
  const files: Record<string, unknown> = {};
  files["l1-messages.json"] = l1Vectors();
  files["batch-chain.json"] = batchVectors();
  files["public-values.json"] = publicValuesVectors();
  files["withdrawals.json"] = withdrawalVectors();
  files["trie.json"] = trieVectors();
  const check = process.argv.includes("--check");
  mkdirSync(OUT, { recursive: true });
  let stale = 0;
  for (const [name, v] of Object.entries(files)) {
    const text = `${JSON.stringify(v, null, 1)}\n`;
    const file = path.join(OUT, name);
    if (check) {
      let old = "";
      try {
        old = readFileSync(file, "utf8");
      } catch {}
      if (old !== text) {
        console.error(`stale: test/vectors/guest/${name}`);
        stale++;
      }
    } else writeFileSync(file, text);
  }
  if (check && stale > 0) process.exit(1);
  console.log(check ? "test/vectors/guest: up to date" : `wrote ${Object.keys(files).length} files to test/vectors/guest`);
}

main();
