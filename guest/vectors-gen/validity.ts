// Batch-validity vectors for the guest (guest/core src/validity.rs): node/derive/validity.ts
// checkBatchValidity (docs/stf.md "Batch validity", I1-I4 and V1-V6) on batches around every rule's edge.
//   npx node guest/vectors-gen/validity.ts          (writes test/vectors/guest/validity.json)
//   npx node guest/vectors-gen/validity.ts --check  (exits 1 if the committed file differs)
// Needs the STF v2 modules (node/derive, codec v2); they are imported at run time so that this file also
// type-checks in trees that do not have them yet. Deterministic (XorShift32, fixed seed).

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, hexToBytes } from "../../node/clob/eip712.ts";
import { nextQueueHash } from "../../node/clob/l1messages.ts";
import { XorShift32 } from "../../node/sim/rng.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(here, "../../test/vectors/guest/validity.json");

type Loose = Record<string, unknown>;
interface ValidityModule {
  checkBatchValidity(input: Loose): { outcome: number; reason?: number; batch: { timestamp: number; txs: unknown[] } };
}
interface CommitmentModule {
  blobDataHash(h: readonly string[]): string;
  calldataDataHash(d: Uint8Array): string;
}
interface CodecModule {
  encodeBatch(b: Loose, o?: Loose): Uint8Array;
}

const rng = new XorShift32(0x5a11_d17e);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => rng.int(256));
const hash = () => bytesToHex(bytes(32));

async function main() {
  const mod = (m: string) => import(path.join(here, "../../node", m));
  const { checkBatchValidity } = (await mod("derive/validity.ts")) as ValidityModule;
  const { blobDataHash, calldataDataHash } = (await mod("derive/commitment.ts")) as CommitmentModule;
  const { encodeBatch } = (await mod("codec/index.ts")) as CodecModule;

  const sig = { r: Uint8Array.of(...new Array(31).fill(0), 1), s: Uint8Array.of(...new Array(31).fill(0), 2), v: 1 };
  const tx = (nonce: number) => ({ kind: 4, account: "0x00000000000000000000000000000000000000a1", nonce, market: 1, sig });

  const cases: Loose[] = [];
  const base = () => {
    const pre = { batchIndex: rng.int(1000), timestamp: 1_750_000_000 + rng.int(100_000), l1MessagesConsumed: rng.int(50) };
    const qStart = hash();
    const messages = Array.from({ length: rng.int(4) }, () => bytes(1 + rng.int(60)));
    let q = hexToBytes(qStart);
    for (const m of messages) q = nextQueueHash(q, m);
    const start = pre.l1MessagesConsumed;
    const l1Timestamp = pre.timestamp + rng.int(300);
    const parentChain = hash();
    const header = { parentBatchHash: parentChain, timestamp: l1Timestamp - rng.int(Math.min(600, l1Timestamp - pre.timestamp) + 1), l1MsgStart: start, l1MsgEnd: start + messages.length };
    return { pre, qStart, q: bytesToHex(q), messages, start, l1Timestamp, parentChain, header };
  };
  const emit = (why: string, b: ReturnType<typeof base>, data: Uint8Array, over: Loose = {}, blobs?: string[]) => {
    const commitment: Loose = {
      index: b.pre.batchIndex + 1, dataKind: blobs ? 1 : 2, dataHash: blobs ? blobDataHash(blobs) : calldataDataHash(data),
      l1MsgStart: b.start, queueHashStart: b.qStart, l1MsgEnd: b.start + b.messages.length, queueHash: b.q,
      l1Timestamp: b.l1Timestamp, l1BlockNumber: 1000, proposer: "0x00000000000000000000000000000000000b0b00", ...over,
    };
    const versionedHashes = (over.versionedHashes as string[] | undefined) ?? blobs;
    delete commitment.versionedHashes;
    let expect: Loose;
    try {
      const v = checkBatchValidity({ commitment, parentChain: b.parentChain, data, versionedHashes, messages: b.messages, pre: b.pre });
      expect = { outcome: v.outcome, reason: v.reason ?? null, timestamp: String(v.batch.timestamp), txCount: v.batch.txs.length };
    } catch (e) {
      const rule = (e as { rule?: string }).rule;
      if (rule === undefined) throw e;
      expect = { inputMismatch: rule };
    }
    cases.push({
      why,
      pre: { batchIndex: String(b.pre.batchIndex), timestamp: String(b.pre.timestamp), l1MessagesConsumed: String(b.pre.l1MessagesConsumed) },
      commitment: Object.fromEntries(Object.entries(commitment).map(([k, v]) => [k, typeof v === "number" ? String(v) : v])),
      parentChain: b.parentChain,
      data: bytesToHex(data),
      versionedHashes: versionedHashes ?? [],
      messages: b.messages.map(bytesToHex),
      ...expect,
    });
  };
  const enc = (h: Loose, n = 1 + rng.int(3)) => encodeBatch({ header: h, txs: Array.from({ length: n }, (_, i) => tx(i)) }, { compression: rng.int(2) });

  for (let k = 0; k < 6; k++) {
    const b = base();
    emit("valid", b, enc(b.header));
    emit("valid, no txs", b, enc(b.header, 0));
    const vh = Array.from({ length: 1 + rng.int(6) }, () => bytesToHex(Uint8Array.of(1, ...bytes(31))));
    emit("valid, blob batch", b, enc(b.header), {}, vh);
    emit("I1 index", b, enc(b.header), { index: b.pre.batchIndex + 2 });
    emit("I1 index 0 after 0", { ...b, pre: { ...b.pre, batchIndex: 0 } }, enc(b.header), { index: 0 });
    emit("I2 start", b, enc(b.header), { l1MsgStart: b.start + 1 });
    emit("I3 count", b, enc(b.header), { l1MsgEnd: b.start + b.messages.length + 1 });
    emit("I3 chain", b, enc(b.header), { queueHash: hash() });
    emit("I3 chain start", b, enc(b.header), { queueHashStart: hash() });
    emit("I4 calldata hash", b, enc(b.header), { dataHash: hash() });
    emit("I4 blob hashes", b, enc(b.header), { versionedHashes: vh.slice(1) }, vh);
    emit("I4 no blob hashes", b, enc(b.header), { versionedHashes: [], dataHash: blobDataHash([]) }, vh);
    emit("I4 data kind 3", b, enc(b.header), { dataKind: 3 });
    emit("V1 empty", b, new Uint8Array(0));
    emit("V1 garbage", b, bytes(1 + rng.int(200)));
    emit("V1 version 1", b, Uint8Array.of(1, ...enc(b.header).subarray(1)));
    emit("V2 parent", b, enc({ ...b.header, parentBatchHash: hash() }));
    emit("V3 start", b, enc({ ...b.header, l1MsgStart: b.start + 1, l1MsgEnd: b.start + b.messages.length + 1 }));
    emit("V3 end", b, enc({ ...b.header, l1MsgEnd: b.start + b.messages.length + 1 }));
    emit("V4 clock before previous", b, enc({ ...b.header, timestamp: b.pre.timestamp - 1 }));
    emit("V4 edge: clock = previous", { ...b, l1Timestamp: b.pre.timestamp + 10 }, enc({ ...b.header, timestamp: b.pre.timestamp }));
    emit("V5 clock after L1", b, enc({ ...b.header, timestamp: b.l1Timestamp + 1 }));
    emit("V5 edge: clock = L1", b, enc({ ...b.header, timestamp: b.l1Timestamp }));
    const late = { ...b, l1Timestamp: b.pre.timestamp + 700 + rng.int(100) };
    emit("V6 clock too old", late, enc({ ...b.header, timestamp: late.l1Timestamp - 601 }));
    emit("V6 edge: clock = L1 - 600", late, enc({ ...b.header, timestamp: late.l1Timestamp - 600 }));
  }
  const json = { name: "validity", source: "node/derive/validity.ts checkBatchValidity (STF v2)", cases };
  const text = `${JSON.stringify(json, null, 1)}\n`;
  if (process.argv.includes("--check")) {
    let old = "";
    try {
      old = readFileSync(OUT, "utf8");
    } catch {}
    if (old !== text) {
      console.error("stale: test/vectors/guest/validity.json");
      process.exit(1);
    }
    console.log("test/vectors/guest/validity.json: up to date");
    return;
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${cases.length} cases to test/vectors/guest/validity.json`);
}

await main();
