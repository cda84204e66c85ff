// Benchmark of the STF plus state commitment (node/state), witnesses and LevelDB commits.
//
//   npm run bench -- state [--accounts N] [--depth N] [--batch N] [--batches N] [--witness-batches N]
//                          [--seed S] [--gtt N] [--no-store] [--no-receipts]
//
// Workload: bench/workload.ts (the clob bench mix through the real STF: ~60% limit, 25% cancel, 10%
// amend, 5% market/IOC near the touch), 100k accounts, 1M resting orders, 10k-transaction batches. Eager
// expiry is in the mix: one in 20 (--gtt; 0 = none) of the mix's passive limit orders is good-till-time,
// expiring 1 to 4 batches later, so every timed batch's expiry sweep removes a few hundred orders (printed
// per batch as "expired").
// Admission is not timed (the issue measures signature recovery with admission): each batch comes with its
// admission verdicts (signer, well-formedness, account index; stf.ts admit()), aligned with its txs, as a
// node's admission hands them to execution. Receipts are complete (every fill and order update); each
// batch reuses the receipt log of the previous one after the store wrote it (ApplyOptions.receiptLog). Setup (deposits, pre-fill to the depth, building the trie,
// writing the full state to LevelDB) is not timed either.
// - orders_per_s: transactions per batch / median over the timed batches of (applyBatch +
//   StateCommitment.commitBatch) wall time. The median, because on a shared machine other processes
//   inflate single batches; the mean-based figure is printed too.
// - witness bytes per order: for the witness batches (run after the timed ones), the witness of each batch
//   is built (applyAndWitness) and its bytes attributed to transactions (node/state/witness.ts): mean =
//   total bytes / transactions, p99 over transactions.
// - commit_ms_per_10k: mean wall time of StateStore.commitBatch (one LevelDB write batch with the batch's
//   leaf changes, receipts, withdrawals, L1 cursor, head; fsync on) scaled to 10k transactions.
// The benchmark re-runs itself with a larger V8 young generation (--max-semi-space-size=64; the STF
// allocates per transaction), larger V8 inlining budgets (--max-inlined-bytecode-size-cumulative=3000,
// --max-inlined-bytecode-size=1000) and GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (transparent huge pages for
// the trie's large typed arrays, where THP is in "madvise" mode); a node should run with all of them
// (docs/operator.md, "Process settings"). Set GLIBC_TUNABLES yourself to override (e.g. to an empty string
// to compare).
//
// Last line: {"bench":"state","orders_per_s":N,"witness_bytes_per_order_mean":N,
//             "witness_bytes_per_order_p99":N,"commit_ms_per_10k":N}

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ReceiptLog } from "../node/clob/receipts.ts";
import { createGenesisState } from "../node/clob/state.ts";
import { applyBatch } from "../node/clob/stf.ts";
import { StateCommitment } from "../node/state/commitment.ts";
import { keccakBackend } from "../node/state/keccak.ts";
import { StateStore } from "../node/state/store.ts";
import { Workload } from "./workload.ts";
import { applyAndWitness } from "../node/state/witness.ts";

/**
 * V8 flags a node should run with (docs/operator.md "Process settings"): a 64 MiB young generation, and
 * larger inlining budgets (the STF's call chains and the leaf encoders' field writes exceed the defaults).
 */
const NODE_FLAGS = ["--max-semi-space-size=64", "--max-inlined-bytecode-size-cumulative=3000", "--max-inlined-bytecode-size=1000"];
/** glibc backs large malloc'd buffers (the trie's typed arrays) with transparent huge pages: fewer TLB misses. */
const HUGE_PAGES = "glibc.malloc.hugetlb=1";

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export async function main(args: string[]): Promise<void> {
  if (!process.execArgv.some((a) => a.startsWith("--max-semi-space-size")) && process.env.STATE_BENCH_CHILD === undefined) {
    const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), "run.ts");
    const env = { ...process.env, STATE_BENCH_CHILD: "1", GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? HUGE_PAGES };
    const r = spawnSync(process.execPath, [...NODE_FLAGS, runner, "state", ...args], { stdio: "inherit", env });
    process.exitCode = r.status ?? 1;
    return;
  }
  const accounts = arg(args, "accounts", 100_000);
  const depth = arg(args, "depth", 1_000_000);
  const batchSize = arg(args, "batch", 10_000);
  const batches = arg(args, "batches", 30);
  const witnessBatches = arg(args, "witness-batches", 3);
  const seed = arg(args, "seed", 1);
  const gtt = arg(args, "gtt", 20);
  const useStore = !args.includes("--no-store");
  // --no-receipts: the STF's receipts: "none" mode (what receipts cost; not the must-show figure)
  const receipts = args.includes("--no-receipts") ? ("none" as const) : ("full" as const);
  console.log(`state bench: ${accounts} accounts, ${depth} resting orders, ${batchSize} txs/batch, keccak ${keccakBackend}`);

  const wl = new Workload({ seed, accounts, depth, batchSize, depositsPerBatch: 50_000, gtt });
  const state = createGenesisState({ domain: { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" } });
  let t = performance.now();
  const resting = () => {
    let n = 0;
    for (const m of state.markets.values()) n += m.book.orderCount;
    return n;
  };
  for (;;) {
    const { batch, l1 } = wl.next(state);
    applyBatch(state, batch, l1, { signerCache: wl.signers });
    if (batch.txs.length > 0 && resting() >= depth) break;
  }
  console.log(`setup: ${state.batchIndex} batches, ${resting()} resting orders, ${state.accounts.length} accounts (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  t = performance.now();
  const sc = StateCommitment.fromState(state);
  console.log(`trie: ${sc.trie.size} leaves built in ${((performance.now() - t) / 1000).toFixed(1)} s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  let dir = "";
  let store: StateStore | null = null;
  if (useStore) {
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-bench-state-"));
    store = await StateStore.open(dir, { keepReceipts: 100 });
    t = performance.now();
    await store.writeFullState(sc, state.batchIndex);
    console.log(`leveldb: full state written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  // Timed: STF + commitment. LevelDB commit timed separately.
  let txs = 0;
  let ms = 0;
  const perBatch: number[] = [];
  let commitMs = 0;
  let commits = 0;
  let commitTxs = 0;
  // Each batch writes its receipts into the previous batch's log once the store has written that one
  // (ApplyOptions.receiptLog): no fresh buffers, no page faults on them.
  let spare: ReceiptLog | undefined;
  for (let b = 0; b < batches; b++) {
    const { batch, l1, admitted } = wl.next(state);
    const t0 = performance.now();
    const result = applyBatch(state, batch, l1, { admitted, receipts, receiptLog: spare });
    const t1 = performance.now();
    const { root, derived } = sc.commitBatch(state);
    const t2 = performance.now();
    if (b > 0) {
      // the first batch warms up the JIT for the timed paths
      txs += batch.txs.length;
      ms += t2 - t0;
      perBatch.push((t2 - t0) / batch.txs.length);
    }
    let c = 0;
    if (store !== null) {
      const t3 = performance.now();
      await store.commitBatch({
        batchIndex: batch.index, root, derived, receipts: result.receipts, withdrawals: result.withdrawals,
        l1Cursor: { batch: batch.index },
      });
      c = performance.now() - t3;
      if (b > 0) {
        commitMs += c;
        commits++;
        commitTxs += batch.txs.length;
      }
    }
    spare = result.receipts;
    const s = sc.stats;
    const ts = sc.trie.stats;
    console.log(
      `batch ${batch.index}: stf ${(t1 - t0).toFixed(1)} ms, commitment ${(t2 - t1).toFixed(1)} ms (derive ${s.deriveMs.toFixed(1)}, trie ${s.trieMs.toFixed(1)}: keys ${ts.keyMs.toFixed(1)} structure ${ts.structMs.toFixed(1)} leaves ${ts.leafMs.toFixed(1)} nodes ${ts.nodeMs.toFixed(1)}; ${s.puts} puts, ${s.dels} dels, ${ts.nodes} nodes hashed), leveldb ${c.toFixed(1)} ms, expired ${result.receipts.expiredCount}`,
    );
  }
  perBatch.sort((a, b) => a - b);
  const ordersPerS = perBatch.length === 0 ? 0 : Math.round(1000 / perBatch[perBatch.length >> 1]);
  console.log(`STF + state root: ${ordersPerS} orders/s (median batch), ${Math.round((txs / ms) * 1000)} orders/s (mean) over ${txs} txs`);

  // Witness batches (not timed).
  const perTx: number[] = [];
  let wBytes = 0;
  let wTxs = 0;
  for (let b = 0; b < witnessBatches; b++) {
    const { batch, l1 } = wl.next(state);
    const t0 = performance.now();
    const { witness, root, derived, result } = applyAndWitness(sc, state, batch, l1, { signerCache: wl.signers });
    const dt = performance.now() - t0;
    if (store !== null) {
      await store.commitBatch({ batchIndex: batch.index, root, derived, receipts: result.receipts, withdrawals: result.withdrawals });
    }
    wBytes += witness.bytes.length;
    wTxs += batch.txs.length;
    perTx.push(...witness.perTx.slice(1));
    console.log(`witness batch ${batch.index}: ${witness.bytes.length} bytes, ${(witness.bytes.length / batch.txs.length).toFixed(0)} B/tx (built in ${dt.toFixed(0)} ms)`);
  }
  perTx.sort((a, b) => a - b);
  const mean = wTxs === 0 ? 0 : Math.round(wBytes / wTxs);
  const p99 = perTx.length === 0 ? 0 : Math.round(perTx[Math.min(perTx.length - 1, Math.floor(perTx.length * 0.99))]);
  const commitPer10k = commits === 0 ? 0 : Math.round(((commitMs / commitTxs) * 10_000) * 10) / 10;
  if (store !== null) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    JSON.stringify({ bench: "state", orders_per_s: ordersPerS, witness_bytes_per_order_mean: mean, witness_bytes_per_order_p99: p99, commit_ms_per_10k: commitPer10k }),
  );
}
