// Start time and memory of a node holding N stored receipts (default 1,000,000), before and after the
// history index (node/app/history.ts, docs/benchmarks.md "History index"):
//   build   a store of N transactions (bench/workload.ts mix, batches of 10k) committed as derivation does,
//           with the index staged in each batch's write (the cost of staging is reported) and each
//           batch's data kept, as the node keeps it;
//   before  a fresh process opens the store and replays every stored batch into the in-memory view
//           (decode the batch data, hash each transaction, index its receipt): what startNode did;
//   after   a fresh process opens the store with the index and loads only recent trades and candles,
//           then serves reads from LevelDB (rb_getTx, fills and order history latencies).
// `npm run bench -- history [--txs N] [--batch N]`; the last line is one JSON object.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { txHash } from "../node/clob/eip712.ts";
import { createGenesisState } from "../node/clob/state.ts";
import { applyBatch } from "../node/clob/stf.ts";
import { decodeBatch, encodeBatch } from "../node/codec/batch.ts";
import { HistoryIndex } from "../node/app/history.ts";
import { DEFAULT_CANDLE_INTERVALS } from "../node/app/history-records.ts";
import { NodeStateView } from "../node/app/view.ts";
import { StateCommitment } from "../node/state/commitment.ts";
import { StateStore, type BatchCommit, type WriteOps } from "../node/state/store.ts";
import { Workload } from "./workload.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };
const ZERO = `0x${"00".repeat(32)}` as const;

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** The index, timing what staging its records costs. */
class TimedHistory extends HistoryIndex {
  stageMs = 0;
  override batch(ops: WriteOps, c: BatchCommit): void {
    const t = performance.now();
    super.batch(ops, c);
    this.stageMs += performance.now() - t;
  }
}

async function build(dir: string, txs: number, batchSize: number): Promise<{ batches: number; txs: number; ms: number; commitMs: number; stageMs: number; accounts: string[] }> {
  const wl = new Workload({ seed: 1, accounts: 2000, depth: 20_000, batchSize, gtt: 20 });
  const history = new TimedHistory({ domain: DOMAIN, keepReceipts: 0, candleIntervals: DEFAULT_CANDLE_INTERVALS });
  const store = await StateStore.open(dir, { indexer: history, sync: false });
  const state = createGenesisState({ domain: DOMAIN });
  const sc = StateCommitment.fromState(state);
  await store.writeFullState(sc, 0);
  const t0 = performance.now();
  let commitMs = 0, n = 0, batches = 0;
  while (n < txs) {
    const { batch, l1 } = wl.next(state);
    const result = applyBatch(state, batch, l1, { signerCache: wl.signers });
    const commit = sc.commitBatch(state);
    const hashes = batch.txs.map((tx) => txHash(DOMAIN, tx));
    const data = encodeBatch({ header: { parentBatchHash: ZERO, timestamp: batch.timestamp, l1MsgStart: 0, l1MsgEnd: 0 }, txs: [...batch.txs] });
    history.prepare({ index: batch.index, timestamp: batch.timestamp, txs: batch.txs, hashes });
    const t = performance.now();
    await store.commitBatch({ batchIndex: batch.index, root: commit.root, derived: commit.derived, receipts: result.receipts, batchData: data });
    commitMs += performance.now() - t;
    n += batch.txs.length;
    batches++;
    if (batches % 10 === 0) console.log(`  built ${batches} batches, ${n} transactions`);
  }
  await store.close();
  return { batches, txs: n, ms: Math.round(performance.now() - t0), commitMs: Math.round(commitMs), stageMs: Math.round(history.stageMs), accounts: wl.addresses.slice(0, 50) };
}

/** What startNode did before the index: replay every stored batch into the in-memory view. */
async function startBefore(dir: string): Promise<object> {
  const t0 = performance.now();
  const store = await StateStore.open(dir);
  const loaded = (await store.load())!;
  const t1 = performance.now();
  const view = new NodeStateView({ domain: DOMAIN, state: () => loaded.state, sequencer: () => undefined, retainBatches: 0 });
  const head = store.head()!.batchIndex;
  let txs = 0;
  for (let b = 1; b <= head; b++) {
    const receipts = await store.receipts(b);
    if (receipts === undefined) continue;
    const data = await store.batchData(b);
    const dec = data === undefined ? undefined : decodeBatch(data);
    const batch = dec?.ok === true ? dec.batch : undefined;
    const list = batch?.txs ?? [];
    const timestamp = batch?.header.timestamp ?? 0;
    view.onBatchOpened(b, timestamp, 0, [], receipts.l1(), list.length, false, receipts.expired());
    for (let i = 0; i < list.length; i++) view.onTx(b, timestamp, txHash(DOMAIN, list[i]!), list[i]!, receipts.tx(i));
    txs += list.length;
  }
  view.setLevels(head, 0);
  const t2 = performance.now();
  global.gc?.();
  const m = process.memoryUsage();
  await store.close();
  return { mode: "before", stateMs: Math.round(t1 - t0), indexMs: Math.round(t2 - t1), startMs: Math.round(t2 - t0), txs, rssMiB: Math.round(m.rss / 2 ** 20), heapMiB: Math.round(m.heapUsed / 2 ** 20) };
}

/** With the index: open, load recent trades and candles; then time reads served from disk. */
async function startAfter(dir: string, accounts: string[]): Promise<object> {
  const t0 = performance.now();
  const history = new HistoryIndex({ domain: DOMAIN, keepReceipts: 0, candleIntervals: DEFAULT_CANDLE_INTERVALS });
  const store = await StateStore.open(dir, { indexer: history });
  const loaded = (await store.load())!;
  const t1 = performance.now();
  const view = new NodeStateView({ domain: DOMAIN, state: () => loaded.state, sequencer: () => undefined, history });
  await view.load();
  view.setLevels(store.head()!.batchIndex, 0);
  const t2 = performance.now();
  global.gc?.();
  const m = process.memoryUsage();
  // Reads: transactions of random batches (cold and cached receipt logs), fills and order history of accounts.
  const head = store.head()!.batchIndex;
  const hashes: string[] = [];
  for (let k = 0; k < 200; k++) {
    const rec = await history.batchRecord(1 + ((k * 7919) % head));
    if (rec !== undefined && rec.hashes.length > 0) hashes.push(rec.hashes[(k * 104729) % rec.hashes.length]!);
  }
  const time = async (f: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  const pct = (l: number[], p: number): number => Math.round(100 * [...l].sort((a, b) => a - b)[Math.min(l.length - 1, Math.floor(p * l.length))]!) / 100;
  const txMs: number[] = [];
  for (const h of hashes) txMs.push(await time(() => view.tx(h)));
  const fillsMs: number[] = [], historyMs: number[] = [];
  for (const a of accounts) {
    fillsMs.push(await time(() => view.fills(a, 100)));
    historyMs.push(await time(() => view.orderHistory(a, 100)));
  }
  await store.close();
  return {
    mode: "after", stateMs: Math.round(t1 - t0), indexMs: Math.round(t2 - t1), startMs: Math.round(t2 - t0), restingOrders: history.openCount(),
    rssMiB: Math.round(m.rss / 2 ** 20), heapMiB: Math.round(m.heapUsed / 2 ** 20),
    txMsP50: pct(txMs, 0.5), txMsP99: pct(txMs, 0.99), fillsMsP50: pct(fillsMs, 0.5), historyMsP50: pct(historyMs, 0.5),
  };
}

export async function main(args: string[]): Promise<void> {
  const child = args.indexOf("--child");
  if (child >= 0) {
    const mode = args[child + 1];
    const dir = args[child + 2]!;
    const r = mode === "before" ? await startBefore(dir) : await startAfter(dir, JSON.parse(args[child + 3]!) as string[]);
    console.log(JSON.stringify(r));
    return;
  }
  const txs = arg(args, "txs", 1_000_000);
  const batchSize = arg(args, "batch", 10_000);
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-bench-history-"));
  try {
    console.log(`building a store of ${txs} transactions (batches of ${batchSize})`);
    const b = await build(path.join(dir, "db"), txs, batchSize);
    console.log(`  ${b.batches} batches, ${b.txs} transactions in ${b.ms} ms; commits ${b.commitMs} ms, of which staging the index ${b.stageMs} ms`);
    const run = path.join(path.dirname(fileURLToPath(import.meta.url)), "run.ts");
    const start = (mode: string): Record<string, number | string> => {
      const r = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=8192", run, "history", "--child", mode, path.join(dir, "db"), JSON.stringify(b.accounts)], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${mode}: ${r.stderr}`);
      const line = r.stdout.trim().split("\n").at(-1)!;
      console.log(`  start ${mode}: ${line}`);
      return JSON.parse(line) as Record<string, number | string>;
    };
    const before = start("before");
    const after = start("after");
    console.log(JSON.stringify({
      bench: "history", receipts: b.txs, batches: b.batches,
      index_stage_us_per_tx: Math.round((10_000 * b.stageMs) / b.txs) / 10, commit_ms_per_batch: Math.round(b.commitMs / b.batches),
      start_ms_before: before.startMs, start_ms_after: after.startMs, index_ms_before: before.indexMs, index_ms_after: after.indexMs,
      rss_mib_before: before.rssMiB, rss_mib_after: after.rssMiB, heap_mib_before: before.heapMiB, heap_mib_after: after.heapMiB,
      tx_ms_p50: after.txMsP50, tx_ms_p99: after.txMsP99, fills_ms_p50: after.fillsMsP50, history_ms_p50: after.historyMsP50,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
