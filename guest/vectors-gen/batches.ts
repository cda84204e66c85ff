// Batch-decoding vectors for the guest (guest/core src/codec.rs, eip712.rs), produced by the node's codec
// v2 and EIP-712 hashing (docs/batch-format.md format v2, docs/stf.md "Authorization"):
//   npx node guest/vectors-gen/batches.ts          (writes test/vectors/guest/batches.json)
//   npx node guest/vectors-gen/batches.ts --check  (exits 1 if the committed file differs)
// Needs the v2 codec (node/codec with BULK and EXTENDED records, from the STF v2 branch).
//
// Random batches of every transaction kind (bulks of 1-64 actions, agent approvals and revocations,
// withdrawals to other accounts, nonce gaps, register reuse), signed with real keys, encoded with
// compression NONE and DEFLATE by encodeBatch; decodeBatch's result (header, compression, transactions
// with their signatures) and each transaction's EIP-712 digest (txSigningHash) are recorded. Then
// mutated copies (byte flips in every region, truncations, appended bytes, header edits) with the
// reason code decodeBatch gives. Deterministic (XorShift32, fixed seed).

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { addressOfPrivateKey, bytesToHex, signDigest, txSigningHash } from "../../node/clob/eip712.ts";
import { decodeBatch, encodeBatch } from "../../node/codec/index.ts";
import { XorShift32 } from "../../node/sim/rng.ts";

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../test/vectors/guest/batches.json");

// The codec and hashing are used through loose signatures: the v2 transaction shapes (BULK, agents) are
// built here as plain objects.
type Loose = Record<string, unknown>;
type Decoded =
  | { ok: true; batch: { header: Loose; txs: Loose[] }; compression: number }
  | { ok: false; reason: number; reasonName: string };
const encode = encodeBatch as unknown as (b: Loose, o?: Loose) => Uint8Array;
const decode = decodeBatch as unknown as (b: Uint8Array) => Decoded;
const digestOf = txSigningHash as unknown as (d: Loose, tx: Loose) => Uint8Array;

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" };
const rng = new XorShift32(0xba7c_4e5);

const u = (maxBits: number): number => {
  const bits = rng.int(maxBits + 1);
  if (bits === 0) return 0;
  if (bits <= 32) return Math.floor(rng.next() / 2 ** (32 - bits));
  return (rng.next() % 2 ** (bits - 32)) * 2 ** 32 + rng.next();
};
const bytes = (n: number) => Uint8Array.from({ length: n }, () => rng.int(256));
const addr = () => bytesToHex(bytes(20));

interface Ctx {
  keys: Uint8Array[];
  addrs: string[];
  nonce: number[];
  markets: number[];
  timestamp: number;
}

function tradingFields(c: Ctx, op: number): Loose {
  const market = rng.chance(0.7) ? c.markets[rng.int(c.markets.length)]! : u(32);
  const price = rng.chance(0.8) ? 1000 + rng.int(2000) : u(53);
  const size = rng.chance(0.5) ? 1 + rng.int(10) : u(53);
  switch (op) {
    case 1: {
      const expiry = rng.chance(0.6) ? 0 : Math.max(1, c.timestamp + rng.int(100_000) - 50_000);
      return { market, side: rng.int(2), tif: rng.int(5), price, size, expiry, clientId: rng.chance(0.5) ? 0 : 1 + u(40), stp: rng.int(4) };
    }
    case 2:
      return { market, orderId: rng.chance(0.8) ? 1 + rng.int(5000) : u(53) };
    case 3:
      return { market, clientId: u(53) };
    case 4:
      return { market };
    default:
      return { market, orderId: 1 + rng.int(5000), price, size };
  }
}

function randomTx(c: Ctx): { tx: Loose; key: Uint8Array } {
  const a = rng.int(c.addrs.length);
  const account = c.addrs[a]!;
  c.nonce[a] = rng.chance(0.85) ? c.nonce[a]! + 1 : rng.chance(0.5) ? u(53) : Math.max(0, c.nonce[a]! - rng.int(5));
  const nonce = c.nonce[a]!;
  const p = rng.int(100);
  let tx: Loose;
  if (p < 35) tx = { kind: 1, ...tradingFields(c, 1) };
  else if (p < 45) tx = { kind: 2, ...tradingFields(c, 2) };
  else if (p < 52) tx = { kind: 3, ...tradingFields(c, 3) };
  else if (p < 56) tx = { kind: 4, ...tradingFields(c, 4) };
  else if (p < 66) tx = { kind: 5, ...tradingFields(c, 5) };
  else if (p < 74) {
    const other = rng.int(c.addrs.length);
    tx = { kind: 6, asset: u(32), amount: u(53), recipient: rng.chance(0.4) ? account : other === a ? addr() : c.addrs[other]! };
  } else if (p < 88) {
    const n = rng.chance(0.02) ? 64 : 1 + rng.int(8);
    tx = { kind: 7, actions: Array.from({ length: n }, () => { const op = 1 + rng.int(5); return { op, ...tradingFields(c, op) }; }) };
  } else if (p < 94) tx = { kind: 8, agent: addr(), expiry: Math.max(0, c.timestamp + rng.int(1_000_000) - 1000) };
  else tx = { kind: 9, agent: addr() };
  return { tx: { ...tx, account, nonce }, key: c.keys[a]! };
}

function randomBatch(nTx: number) {
  const nAcc = 1 + rng.int(8);
  const keys = Array.from({ length: nAcc }, () => keccak_256(bytes(32)));
  const c: Ctx = {
    keys,
    addrs: keys.map(addressOfPrivateKey),
    nonce: keys.map(() => rng.int(1000) - 1),
    markets: [0, 1, 2, 1 + rng.int(300)],
    timestamp: rng.chance(0.9) ? 1_750_000_000 + rng.int(10_000_000) : u(53),
  };
  const txs = [];
  for (let t = 0; t < nTx; t++) {
    const { tx, key } = randomTx(c);
    const sig = signDigest(digestOf(DOMAIN, tx), key);
    txs.push({ ...tx, sig });
  }
  const start = u(40);
  return { header: { parentBatchHash: bytesToHex(bytes(32)), timestamp: c.timestamp, l1MsgStart: start, l1MsgEnd: start + rng.int(50) }, txs };
}

const ACTION_FIELDS = ["market", "side", "tif", "price", "size", "expiry", "clientId", "stp", "orderId"];

/** A decoded transaction as the guest's JSON form (integers as strings, every action field present). */
function txJson(tx: Loose): Loose {
  const o: Loose = {};
  for (const [k, v] of Object.entries(tx)) {
    if (k === "sig") continue;
    if (k === "actions") o.actions = (v as Loose[]).map((a) => Object.fromEntries([["op", String(a.op)], ...ACTION_FIELDS.map((f) => [f, String(a[f] ?? 0)])]));
    else o[k] = typeof v === "number" ? String(v) : v;
  }
  const sig = tx.sig as { r: Uint8Array; s: Uint8Array; v: number };
  return { tx: o, r: bytesToHex(sig.r), s: bytesToHex(sig.s), v: sig.v, digest: bytesToHex(digestOf(DOMAIN, tx)) };
}

function decodedCase(why: string, b: Uint8Array) {
  const d = decode(b);
  if (!d.ok) return { why, input: bytesToHex(b), reason: d.reason, reasonName: d.reasonName };
  const h = d.batch.header;
  return {
    why,
    input: bytesToHex(b),
    header: { parentBatchHash: h.parentBatchHash, timestamp: String(h.timestamp), l1MsgStart: String(h.l1MsgStart), l1MsgEnd: String(h.l1MsgEnd) },
    compression: d.compression,
    txs: d.batch.txs.map(txJson),
  };
}

function mutate(b: Uint8Array): [string, Uint8Array] {
  const m = b.slice();
  switch (rng.int(7)) {
    case 0: {
      const at = rng.int(m.length);
      m[at]! ^= 1 << rng.int(8);
      return [`bit flip at ${at}`, m];
    }
    case 1: {
      const at = 57 + rng.int(Math.max(1, m.length - 57)); // records section and signatures
      m[at] = rng.int(256);
      return [`byte set at ${at}`, m];
    }
    case 2:
      return ["truncated", m.subarray(0, rng.int(m.length))];
    case 3:
      return ["appended byte", Uint8Array.from([...m, rng.int(256)])];
    case 4: {
      m[57 + rng.int(3)] = rng.int(256); // txCount / compression / recordsLength
      return ["envelope byte", m];
    }
    case 5: {
      const at = m.length - 64 * (1 + rng.int(2)) + 32; // s' of one of the last two signatures
      if (at > 0) m[at] = 0x7f | (m[at]! & 0x80);
      if (at > 0) m.fill(0xff, at + 1, at + 32);
      return ["high s", m];
    }
    default: {
      const at = 33 + rng.int(24); // timestamp, l1MsgStart, l1MsgEnd
      m[at] = rng.int(256);
      return [`header byte ${at}`, m];
    }
  }
}

function main() {
  const cases = [];
  const small: Uint8Array[] = [];
  for (let i = 0; i < 44; i++) {
    const nTx = i < 4 ? [0, 1, 2, 3][i]! : i < 41 ? 1 + rng.int(25) : 100 + rng.int(100);
    const batch = randomBatch(nTx);
    for (const compression of [0, 1]) {
      const b = encode(batch, { compression });
      cases.push(decodedCase(`random ${nTx} txs, compression ${compression}`, b));
      if (nTx <= 8) small.push(b);
    }
  }
  for (let i = 0; i < 320; i++) {
    const [why, m] = mutate(small[rng.int(small.length)]!);
    cases.push(decodedCase(why, m));
  }
  const reasons: Record<string, number> = {};
  for (const c of cases as Loose[]) {
    const k = "reasonName" in c ? String(c.reasonName) : "ok";
    reasons[k] = (reasons[k] ?? 0) + 1;
  }
  const txCount = (cases as Loose[]).reduce((n, c) => n + ((c.txs as unknown[] | undefined)?.length ?? 0), 0);
  const json = { name: "batches", source: "node/codec decodeBatch / encodeBatch (v2), node/clob/eip712.ts txSigningHash", domain: { chainId: String(DOMAIN.chainId), verifyingContract: DOMAIN.verifyingContract }, txCount, reasons, cases };
  const text = `${JSON.stringify(json)}\n`; // one line: the file is large
  if (process.argv.includes("--check")) {
    let old = "";
    try {
      old = readFileSync(OUT, "utf8");
    } catch {}
    if (old !== text) {
      console.error("stale: test/vectors/guest/batches.json");
      process.exit(1);
    }
    console.log("test/vectors/guest/batches.json: up to date");
    return;
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${cases.length} cases (${txCount} decoded txs) to test/vectors/guest/batches.json`, reasons);
}

main();
