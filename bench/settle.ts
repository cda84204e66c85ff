// Settlement benchmark: `npm run bench -- settle [--devnet-batches N] [--devnet-orders N]` (issue 17 "Must show").
//
// A real devnet (test/node/prover/harness.ts: anvil with 2 s interval mining, the deployed suite, market BASE/USDC),
// real signed orders, the real poster (blobs), Deriver with prover inputs, the attest backend and the Prover:
//   full:   one batch filled to 6 blobs with signed orders (two funded traders: GTC quotes on both sides up to
//           the open-order limit, the rest IOC orders, some crossing), proved alone as a range [i, i];
//   devnet: N batches of M orders (default 5 x 100, one blob each) posted one per block while the deriver and
//           the prover run with the node's default policy (prover.maxRangeAgeMs 4000, maxRangeBatches 32).
// L1 gas per range = the range's propose transactions' gas (execution only: blob gas is priced and paid apart,
// receipt.blobGasUsed) + Settlement.finalize gas - the gas of the policy.verify frame (debug_traceTransaction
// callTracer: the verifier call itself, attestation here, zk in production, is excluded as the issue asks).
// order_to_proven_s: from an order being signed to the Finalized event of its range being mined (no sequencer
// in the path: orders go to the proposer directly, so the sequencer's sealing wait, maxBatchAgeMs, is not in it).
// Last line: {"bench":"settle","gas_per_range_full":N,"gas_per_order_full":x,"gas_per_order_devnet":x,"order_to_proven_s_p50":x}.
import os from "node:os";
import { Registry } from "prom-client";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { Side, TimeInForce, type Tx } from "../node/clob/types.ts";
import { CapacityError, encodeBatch } from "../node/codec/index.ts";
import { loadKzg } from "../node/da/index.ts";
import { MAX_PACKED_DATA_BYTES } from "../node/da/packing.ts";
import { settlementAbi } from "../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS } from "../node/l1/anvil.ts";
import { AttestBackend } from "../node/prover/attest.ts";
import { JobStore } from "../node/prover/jobs.ts";
import { Prover } from "../node/prover/prover.ts";
import { DEFAULT_CONFIG } from "../node/config.ts";
import { BASE, Devnet, USDC, silent } from "../test/node/prover/harness.ts";
import path from "node:path";

const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
const proverKey = ANVIL_DEV_KEYS[4];

interface CallFrame { to?: string; gasUsed: string; calls?: CallFrame[] }

export async function main(args: string[]): Promise<void> {
  const arg = (n: string, d: number) => (args.includes(n) ? Number(args[args.indexOf(n) + 1]) : d);
  const devBatches = arg("--devnet-batches", 5);
  const devOrders = arg("--devnet-orders", 100);
  loadKzg();
  const net = await Devnet.start({ blockTime: 2 });
  try {
    const { deriver, store } = await net.deriver("node");
    const jobs = await JobStore.open(path.join(net.dir, "jobs"));
    await net.deposit(alice, USDC, 10n ** 11n);
    await net.deposit(bob, BASE, 10n ** 9n);

    const policyAddr = await net.pub.readContract({ address: net.d.contracts.settlement, abi: settlementAbi, functionName: "policy" });
    const verifyGas = async (tx: Hex): Promise<number> => {
      const trace = (await net.pub.request({ method: "debug_traceTransaction" as never, params: [tx, { tracer: "callTracer" }] as never })) as CallFrame;
      let g = 0;
      const walk = (f: CallFrame) => {
        if (f.to?.toLowerCase() === policyAddr.toLowerCase()) g += Number(f.gasUsed);
        else for (const c of f.calls ?? []) walk(c);
      };
      walk(trace);
      return g;
    };
    const newProver = (policy: { maxBatches: number; maxAgeMs: number }) => new Prover({
      l1: net.pub, wallet: net.wallet(privateKeyToAccount(proverKey)), settlement: net.d.contracts.settlement, source: store, jobs,
      backends: [new AttestBackend({ signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: net.d.chainId, verifier: net.d.contracts.attestationVerifier, state: store })],
      policy: { ...policy, maxGasWaitMs: 0 }, logger: silent, registry: new Registry(), pollMs: 100,
    });
    /** Finalize gas of the job that covers `last`, minus the verifier frame. */
    const finalizeCost = async (last: number) => {
      const job = (await jobs.list()).find((j) => j.lastBatch === last && j.state === "finalized");
      if (job?.txHash === undefined) throw new Error(`no finalized job ending at ${last}`);
      const v = await verifyGas(job.txHash);
      return { gas: job.gasUsed! - v, verifier: v, total: job.gasUsed!, first: job.firstBatch };
    };

    // ---------------------------------------------------------------- full: one 6-blob batch
    const t0 = performance.now();
    const orders: Tx[] = [];
    let price = 0;
    const k1 = ANVIL_DEV_KEYS[1];
    const k2 = ANVIL_DEV_KEYS[2];
    const rnd = (n: number) => Math.floor(Math.random() * n);
    for (let i = 0; i < 900; i++) orders.push(net.place(k1, Side.BUY, 900_000 - rnd(5000), 1 + rnd(50)), net.place(k2, Side.SELL, 1_100_000 + rnd(5000), 1 + rnd(50)));
    let bytes = 0;
    for (;;) {
      const chunk: Tx[] = [];
      for (let i = 0; i < 200; i++) {
        price = 1_000_000 + rnd(200_000) - 100_000;
        chunk.push(net.place(i % 2 ? k1 : k2, i % 2 ? Side.BUY : Side.SELL, price, 1 + rnd(20), TimeInForce.IOC));
      }
      let size: number;
      try {
        size = encodeBatch({ header: { parentBatchHash: `0x${"00".repeat(32)}`, timestamp: 1, l1MsgStart: 0, l1MsgEnd: 0 }, txs: [...orders, ...chunk] }).length;
      } catch (e) {
        if (e instanceof CapacityError) break;
        throw e;
      }
      if (size > MAX_PACKED_DATA_BYTES) break;
      orders.push(...chunk);
      bytes = size;
    }
    console.log(`full batch: ${orders.length} signed orders, ${bytes} bytes encoded (limit ${MAX_PACKED_DATA_BYTES}), built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // the batch consumes the deposits (2 messages + the market listing) as well
    const full = await net.post(orders, "blob");
    const blobs = full.result.versionedHashes.length;
    await deriver.syncToHead();
    const p1 = newProver({ maxBatches: 1, maxAgeMs: 0 });
    for (let i = 0; i < 20 && (await p1.step()) !== "idle"; i++);
    const fin = await finalizeCost(full.index);
    const proposeFull = Number(full.result.receipt.gasUsed);
    const gasPerRangeFull = proposeFull + fin.gas;
    const gasPerOrderFull = gasPerRangeFull / orders.length;
    console.log(`full: ${blobs} blobs, propose ${proposeFull} gas (+ blob gas ${full.result.receipt.blobGasUsed ?? "?"} not counted), finalize ${fin.total} gas of which verifier ${fin.verifier} -> range ${gasPerRangeFull} gas, ${gasPerOrderFull.toFixed(2)} gas/order`);

    // ---------------------------------------------------------------- devnet: small batches, live prover
    deriver.start();
    const live = newProver({ maxBatches: DEFAULT_CONFIG.prover.maxRangeBatches, maxAgeMs: DEFAULT_CONFIG.prover.maxRangeAgeMs });
    live.start();
    const signedAt = new Map<number, number[]>();
    const devPosted: Awaited<ReturnType<Devnet["post"]>>[] = [];
    for (let b = 0; b < devBatches; b++) {
      const txs: Tx[] = [];
      const times: number[] = [];
      for (let i = 0; i < devOrders; i++) {
        txs.push(net.place(i % 2 ? k1 : k2, i % 2 ? Side.BUY : Side.SELL, 1_000_000 + rnd(2000) - 1000, 1 + rnd(10), TimeInForce.IOC));
        times.push(Date.now());
      }
      const r = await net.post(txs, "blob");
      signedAt.set(r.index, times);
      devPosted.push(r);
    }
    const lastDev = devPosted[devPosted.length - 1].index;
    const provenAt = new Map<number, number>();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const last = Number(await net.pub.readContract({ address: net.d.contracts.settlement, abi: settlementAbi, functionName: "lastBatch" }));
      for (const i of signedAt.keys()) if (i <= last && !provenAt.has(i)) provenAt.set(i, Date.now());
      if (last >= lastDev) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await live.stop();
    await deriver.stop();
    if (provenAt.size !== signedAt.size) throw new Error("devnet batches not all finalized within 120 s");
    const lat: number[] = [];
    for (const [i, ts] of signedAt) for (const t of ts) lat.push((provenAt.get(i)! - t) / 1000);
    lat.sort((a, b) => a - b);
    const p50 = lat[Math.floor(lat.length / 2)];
    const ranges = (await jobs.list()).filter((j) => j.state === "finalized" && j.firstBatch > full.index);
    let devGas = devPosted.reduce((s, r) => s + Number(r.result.receipt.gasUsed), 0);
    for (const j of ranges) devGas += (await finalizeCost(j.lastBatch)).gas;
    const gasPerOrderDevnet = devGas / (devBatches * devOrders);
    console.log(`devnet: ${devBatches} batches x ${devOrders} orders, ranges ${ranges.map((j) => `${j.firstBatch}..${j.lastBatch}`).join(" ")}, L1 gas ${devGas} -> ${gasPerOrderDevnet.toFixed(1)} gas/order; order -> proven p50 ${p50.toFixed(2)} s, max ${lat[lat.length - 1].toFixed(2)} s`);
    console.log(`load: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    await jobs.close();
    await store.close();
    console.log(JSON.stringify({
      bench: "settle", gas_per_range_full: gasPerRangeFull, gas_per_order_full: Number(gasPerOrderFull.toFixed(2)),
      gas_per_order_devnet: Number(gasPerOrderDevnet.toFixed(1)), order_to_proven_s_p50: Number(p50.toFixed(2)),
      orders_full: orders.length, blobs_full: blobs, verifier_gas_full: fin.verifier,
    }));
  } finally {
    await net.stop();
  }
}

