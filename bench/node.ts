// `npm run bench -- node [txs] [ackSeconds] [bulkOrders] [followerOrders]`: the sequencer's admission path on this machine's two cores.
//   recover_limit_tx_per_s   two worker threads doing nothing but native secp256k1 recovery (measured in
//                            this run, right before the admission figure)
//   admitted_tx_per_s        signed single-order PLACE transactions through the whole path: admission
//                            workers (hash + recovery), in-order admit() + nonce queues, soft execution
//                            (matching) in the open batch, WAL group commit with fsync, acknowledgement
//   admitted_ratio           admitted / recover_limit
//   ack_ms_p50/p99           submit -> acknowledgement (WAL fsync included) at 5,000 tx/s offered
//   admitted_orders_per_s_bulk  the same path with BULK transactions of 32 PLACE actions (orders = 32 x txs)
//   main_cpu_us_per_tx(_bulk_tx)  the main thread's CPU time per transaction (process.threadCpuUsage) in the
//                            single (bulk) run: what the main thread costs, robust to a loaded machine
//   process_cpu_us_per_tx    every thread's CPU time per single-order transaction (process.cpuUsage: main,
//                            admission workers, V8's GC helpers, libuv's pool): against ~75 us of recovery,
//                            the figure that decides the ratio on two busy cores
// `txs`, `ackSeconds` or `bulkOrders` 0 skips that run (e.g. `node 40000 0 0` to profile the singles alone).
// follower_resync_orders_per_s(_single): bench/follower.ts's resync of `followerOrders` (default 100,000; 0 skips)
// bulk (single-signature) orders by a fresh follower, run first. Last line: one JSON object.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { followerResync } from "./follower.ts";
import { addressOfPrivateKey, domainSeparator, signTx, txSigningHash } from "../node/clob/eip712.ts";
import { createGenesisState } from "../node/clob/state.ts";
import { L1MessageKind, MarketStatus, TxKind, type Address, type BulkAction, type BulkTx, type L1Message, type PlaceOrderTx } from "../node/clob/types.ts";
import { encodeTx } from "../node/codec/tx.ts";
import { StateStore } from "../node/state/store.ts";
import { Sequencer, type SequencerL1 } from "../node/sequencer/index.ts";

const BULK_ACTIONS = 32;
const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

function keysFor(n: number, tag = "bench-node"): { priv: Uint8Array; address: Address }[] {
  return Array.from({ length: n }, (_, i) => {
    const priv = keccak_256(new TextEncoder().encode(`${tag}-${i}`));
    return { priv, address: addressOfPrivateKey(priv) };
  });
}

/** Signed PLACE orders, round-robin over accounts (nonces in order), buys and sells crossing around 1000. */
function signOrders(keys: { priv: Uint8Array; address: Address }[], n: number, nonceBase: number[]): Uint8Array[] {
  const sep = domainSeparator(DOMAIN);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % keys.length;
    const tx: PlaceOrderTx = {
      kind: TxKind.PLACE, account: keys[k]!.address, nonce: nonceBase[k]!++, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
      market: 1, side: (((i * 7) >> 3) & 1) as 0 | 1, tif: 0, price: 995 + (i % 11), size: 1 + (i % 5), expiry: 0, clientId: 0, stp: 0,
    };
    out.push(encodeTx(signTx(sep, tx, keys[k]!.priv)));
  }
  return out;
}

/** Signed BULK transactions of `actions` PLACE actions each, round-robin over accounts. */
function signBulks(keys: { priv: Uint8Array; address: Address }[], n: number, actions: number, nonceBase: number[]): Uint8Array[] {
  const sep = domainSeparator(DOMAIN);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % keys.length;
    const acts: BulkAction[] = [];
    for (let j = 0; j < actions; j++) {
      const x = i * actions + j;
      acts.push({ op: TxKind.PLACE, market: 1, side: (((x * 7) >> 3) & 1) as 0 | 1, tif: 0, price: 995 + (x % 11), size: 1 + (x % 5), expiry: 0, clientId: 0, stp: 0 });
    }
    const tx: BulkTx = { kind: TxKind.BULK, account: keys[k]!.address, nonce: nonceBase[k]!++, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 }, actions: acts };
    out.push(encodeTx(signTx(sep, tx, keys[k]!.priv)));
  }
  return out;
}

interface Pushed {
  perS: number;
  ms: number;
  /** Main thread event-loop utilisation. */
  busy: number;
  /** Main thread active (event-loop) time per tx, us: counts time descheduled on a loaded machine. */
  usPerTx: number;
  /** Main thread CPU time per tx, us (process.threadCpuUsage): the figure that survives a loaded machine. */
  mainCpuUsPerTx: number;
  /** Whole process CPU time (every thread) per tx, us. */
  cpuUsPerTx: number;
}

/** Submits `load` keeping up to `window` in flight; returns tx/s and the main thread's share. */
async function pushAll(seq: Sequencer, load: Uint8Array[], window = 8192): Promise<Pushed> {
  if (load.length === 0) return { perS: 0, ms: 0, busy: 0, usPerTx: 0, mainCpuUsPerTx: 0, cpuUsPerTx: 0 };
  let next = 0;
  let acked = 0;
  let invalid = 0;
  const t = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const main0 = process.threadCpuUsage();
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (next < load.length && next - acked < window) {
        seq.submit(load[next++]!).then((r) => {
          // Executed on admission, not parked: every bench tx's nonce is its account's next one.
          if ((r.verdict !== "valid" || r.level !== "soft") && invalid++ < 3) console.log("not admitted and executed:", JSON.stringify(r));
          acked++;
          if (acked === load.length) resolve();
          else if (next - acked < window / 2) pump();
        });
      }
    };
    pump();
  });
  const ms = performance.now() - t;
  if (invalid > 0) throw new Error(`${invalid} bench transactions were not admitted`);
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const main = process.threadCpuUsage(main0);
  return {
    perS: (load.length / ms) * 1000, ms, busy: elu.utilization, usPerTx: (elu.active * 1000) / load.length,
    mainCpuUsPerTx: (main.user + main.system) / load.length, cpuUsPerTx: (cpu.user + cpu.system) / load.length,
  };
}

async function recoverLimit(ms: number): Promise<number> {
  const keys = keysFor(64);
  const sep = domainSeparator(DOMAIN);
  const n = 512;
  const digests = new Uint8Array(32 * n);
  const sigs = new Uint8Array(64 * n);
  const vs = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const tx = signTx(sep, {
      kind: TxKind.PLACE, account: keys[i % 64]!.address, nonce: i, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
      market: 1, side: 0, tif: 0, price: 1000, size: 1, expiry: 0, clientId: 0, stp: 0,
    } as PlaceOrderTx, keys[i % 64]!.priv);
    digests.set(txSigningHash(sep, tx), 32 * i);
    sigs.set(tx.sig.r, 64 * i);
    sigs.set(tx.sig.s, 64 * i + 32);
    vs[i] = tx.sig.v;
  }
  const workers = [0, 1].map(() => new Worker(new URL("./_node-recover.ts", import.meta.url)));
  const results = await Promise.all(workers.map((w) => new Promise<{ count: number; ms: number }>((resolve) => {
    w.once("message", resolve);
    w.postMessage({ digests, sigs, vs, ms });
  })));
  await Promise.all(workers.map((w) => w.terminate()));
  return results.reduce((s, r) => s + (r.count / r.ms) * 1000, 0);
}

class BenchL1 implements SequencerL1 {
  private readonly queue: L1Message[];
  constructor(queue: L1Message[]) {
    this.queue = queue;
  }
  head() {
    return { number: 1, hash: `0x${"11".repeat(32)}` as const, timestamp: 1_700_000_000 };
  }
  messages(from: number) {
    return this.queue.slice(from);
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function main(args: string[]): Promise<void> {
  const total = Number(args[0] ?? 40_000);
  const ackSeconds = Number(args[1] ?? 3);
  const bulkOrdersTotal = Number(args[2] ?? 320_000);
  const follower = Number(args[3] ?? 100_000) > 0 ? await followerResync(Number(args[3] ?? 100_000)) : undefined;
  const accounts = 2000;
  const keys = keysFor(accounts);
  const nonces = keys.map(() => 0);
  let t = performance.now();
  const load = signOrders(keys, total, nonces);
  // Signed in the order they are submitted (nonces follow on per account): singles, bulks, then the ack run.
  const bulkLoad = signBulks(keys, Math.ceil(bulkOrdersTotal / BULK_ACTIONS), BULK_ACTIONS, nonces);
  const ackLoad = signOrders(keys, 5000 * ackSeconds, nonces);
  console.log(`signed ${load.length + ackLoad.length} PLACE txs and ${bulkLoad.length} BULK txs of ${accounts} accounts in ${Math.round(performance.now() - t)} ms`);

  const queue: L1Message[] = [{ kind: L1MessageKind.SET_MARKET, market: 1, params: { baseAsset: 1, quoteAsset: 2, lotSize: 1, tickSize: 1, minSize: 1, makerFeePpm: 0, takerFeePpm: 100, status: MarketStatus.ACTIVE } }];
  for (const k of keys) queue.push({ kind: L1MessageKind.DEPOSIT, account: k.address, asset: 1, amount: 1e12 }, { kind: L1MessageKind.DEPOSIT, account: k.address, asset: 2, amount: 1e12 });

  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-bench-node-"));
  const store = await StateStore.open(path.join(dir, "db"));
  const seq = await Sequencer.open({
    db: store.db, canonical: createGenesisState({ domain: DOMAIN }), l1: new BenchL1(queue),
    seal: { maxTxs: 4096, maxAgeMs: 100_000 }, limits: { maxTxs: 1_000_000 },
  });
  try {
    // warm-up: workers started, JIT
    await Promise.all(signOrders(keysFor(8, "bench-node-warmup"), 2000, new Array(8).fill(0)).map((b) => seq.submit(b)));

    const limit = await recoverLimit(1500);
    console.log(`recovery limit (2 threads, native secp256k1): ${Math.round(limit)} tx/s`);

    // Throughput: single-order transactions.
    const single = await pushAll(seq, load);
    const admitted = single.perS;
    console.log(`admitted ${load.length} single-order txs in ${Math.round(single.ms)} ms: ${Math.round(admitted)} tx/s (main thread busy ${(single.busy * 100).toFixed(0)}%, ${single.usPerTx.toFixed(1)} us/tx active, ${single.mainCpuUsPerTx.toFixed(1)} us/tx CPU; process CPU ${single.cpuUsPerTx.toFixed(1)} us/tx; ${seq.sealed().length} batches sealed, WAL groups ${seq.wal.stats.groups}, last group write ${seq.wal.stats.lastWriteMs.toFixed(2)} ms)`);

    // Throughput: BULK transactions of 32 orders (0 bulk orders: skipped, e.g. to profile the singles alone).
    const bulk = await pushAll(seq, bulkLoad, 2048);
    const bulkOrders = bulk.perS * BULK_ACTIONS;
    console.log(`admitted ${bulkLoad.length} BULK txs (${bulkLoad.length * BULK_ACTIONS} orders) in ${Math.round(bulk.ms)} ms: ${Math.round(bulk.perS)} tx/s = ${Math.round(bulkOrders)} orders/s (main thread busy ${(bulk.busy * 100).toFixed(0)}%, ${bulk.usPerTx.toFixed(1)} us/tx active, ${bulk.mainCpuUsPerTx.toFixed(1)} us/tx CPU; process CPU ${bulk.cpuUsPerTx.toFixed(1)} us/tx)`);
    let invalid = 0;

    // Ack latency at 5,000 tx/s offered.
    const lat: number[] = [];
    let sent = 0;
    let done = 0;
    const rate = 5000;
    const start = performance.now();
    await new Promise<void>((resolve) => {
      if (ackLoad.length === 0) resolve();
      const tick = (): void => {
        const due = Math.min(ackLoad.length, Math.floor(((performance.now() - start) / 1000) * rate));
        while (sent < due) {
          const t0 = performance.now();
          seq.submit(ackLoad[sent++]!).then((r) => {
            lat.push(performance.now() - t0);
            if (r.verdict !== "valid" || r.level !== "soft") invalid++;
            if (++done === ackLoad.length) resolve();
          });
        }
        if (sent < ackLoad.length) setTimeout(tick, 1);
      };
      tick();
    });
    if (invalid > 0) throw new Error(`${invalid} transactions of the ack run were not admitted and executed`);
    lat.sort((a, b) => a - b);
    const p50 = pct(lat, 50);
    const p99 = pct(lat, 99);
    console.log(`ack latency at ${rate} tx/s offered (${ackLoad.length} txs): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${pct(lat, 100).toFixed(2)} ms`);
    console.log(JSON.stringify({
      bench: "node",
      admitted_tx_per_s: Math.round(admitted),
      recover_limit_tx_per_s: Math.round(limit),
      admitted_ratio: Number((admitted / limit).toFixed(3)),
      admitted_orders_per_s_bulk: Math.round(bulkOrders),
      ack_ms_p50: Number(p50.toFixed(2)),
      ack_ms_p99: Number(p99.toFixed(2)),
      main_cpu_us_per_tx: Number(single.mainCpuUsPerTx.toFixed(1)),
      process_cpu_us_per_tx: Number(single.cpuUsPerTx.toFixed(1)),
      main_cpu_us_per_bulk_tx: Number(bulk.mainCpuUsPerTx.toFixed(1)),
      follower_resync_orders_per_s: follower?.bulk ?? null,
      follower_resync_orders_per_s_single: follower?.single ?? null,
    }));
  } finally {
    await seq.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
