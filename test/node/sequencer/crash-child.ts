// Child process of the sequencer crash test: a sequencer on a LevelDB store under load from a submitter
// in the same process; the parent SIGKILLs it at random moments.
//   node crash-child.ts <dir> <ackedFile> [accounts]
// On start it recovers (store + WAL replay), then checks every transaction listed in <ackedFile> (lines
// "hash"): each must be answered by the sequencer (queued / soft / dropped with a reason) or be in a
// committed batch. It prints "verified <n>" or "LOST <hash>" (exit 3), then "ready", then "ACK <hash>" for
// every acknowledged submission. Sealed batches land at once: decoded, applied by the STF to the canonical
// state and committed in one store write that deletes their WAL entries (what derivation does when a
// batch is included on L1), then reported to the sequencer.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { txHash } from "../../../node/clob/eip712.ts";
import { decodeBatch } from "../../../node/codec/batch.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { Sequencer } from "../../../node/sequencer/index.ts";
import { DOMAIN, Trader, makeKeys } from "../clob/stf-helpers.ts";
import { MemoryL1, encodeSealed, fundingMessages, genesis, landBatch } from "./helpers.ts";

const [dir, ackedFile, accountsS] = process.argv.slice(2);
const keys = makeKeys(Number(accountsS ?? 16), "crash-seq");
const l1 = new MemoryL1(fundingMessages(keys));
const store = await StateStore.open(path.join(dir!, "db"));
const loaded = await store.load();
const canonical = loaded === null ? { state: genesis(), sc: undefined as unknown as StateCommitment } : { state: loaded.state, sc: loaded.commitment };
if (loaded === null) {
  canonical.sc = StateCommitment.fromState(canonical.state);
  await store.writeFullState(canonical.sc, 0);
}
// The L1 clock moves with the canonical batches so every restart builds on a later head.
l1.advance(canonical.state.batchIndex * 12);
// With WAL group spacing (sequencer.walGroupIntervalMs; the node's default is 0): acknowledgements wait on
// the spacing's timer and must survive the kills as well.
const seq = await Sequencer.open({ db: store.db, canonical: canonical.state, l1, seal: { maxTxs: 64, maxAgeMs: 40 }, walGroupIntervalMs: 3 });

// ---- verify acknowledged transactions
if (existsSync(ackedFile!)) {
  const acked = readFileSync(ackedFile!, "utf8").split("\n").filter((l) => l !== "");
  const included = new Set<string>();
  for (let i = 1; i <= canonical.state.batchIndex; i++) {
    const data = await store.batchData(i);
    if (data === undefined) continue;
    const d = decodeBatch(data);
    if (d.ok) for (const tx of d.batch.txs) included.add(txHash(DOMAIN, tx));
  }
  let answered = 0;
  for (const h of acked) {
    if (seq.status(h) !== undefined || included.has(h)) {
      answered++;
      continue;
    }
    process.stdout.write(`LOST ${h}\n`);
    process.exit(3);
  }
  process.stdout.write(`verified ${answered} (${included.size} in ${canonical.state.batchIndex} batches)\n`);
}
if (process.argv.includes("--verify-only")) {
  await seq.close();
  await store.close();
  process.exit(0);
}
process.stdout.write("ready\n");

// ---- land sealed batches
let landing = false;
setInterval(() => {
  if (landing) return;
  landing = true;
  void (async () => {
    seq.sealIfDue();
    while (seq.sealed().length > 0) {
      const b = seq.sealed()[0]!;
      await landBatch(seq, store, canonical, l1, encodeSealed(b), b.index);
    }
    landing = false;
  })();
}, 20);

// ---- submit load: every account keeps a few orders in flight
const traders = keys.map((k) => new Trader(k));
for (const t of traders) t.nonce = seq.nextNonce(t.address);
let i = 0;
function next(t: Trader): void {
  const tx = (i++ & 1) === 0 ? t.buy(100 + (i % 9), 1 + (i % 3)) : t.sell(100 + (i % 9), 1 + (i % 3));
  void seq.submit(encodeTx(tx)).then((r) => {
    if (r.verdict === "valid") process.stdout.write(`ACK ${r.hash}\n`);
    else process.stdout.write(`REJ ${JSON.stringify(r)}\n`);
    next(t);
  });
}
for (const t of traders) for (let k = 0; k < 4; k++) next(t);
