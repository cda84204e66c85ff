// `npm run bench -- view-heap [--orders N] [--seq-only] [--snapshot FILE] [--alloc]`: what each acknowledged order leaves on the
// sequencing node's main-thread heap, in-process (docs/benchmarks.md "rpc"). The rpc bench server's
// composition (bench/_rpc-server.ts: LevelDB StateStore, Sequencer with its admission workers and fsynced
// WAL, NodeStateView fed by indexSoftExecution) takes N pre-signed orders, each read from its request message by the
// RPC's fast reader when it is submitted (since the seventh session, so the decoded transaction and its bytes count as the node's), through `view.submit(tx, bytes)` (the RPC fast path's call; `--seq-only`: `Sequencer.submit(bytes, tx)` with no view) in rounds of 500, sealing on the
// 250 ms tick. Reports the heap retained per order after a full GC, and the GC pauses (scavenges and
// mark-compacts, count / total / longest) the orders caused. `--snapshot FILE`: also writes a heap snapshot
// after the orders and prints the object kinds retained per order (count and bytes by constructor / type,
// the heap after the orders minus the heap before them, from two snapshots). `--alloc`: samples every
// allocation during the orders, garbage included (the inspector's sampling heap profiler), and prints the
// bytes allocated per order by the allocating function, the young generation's work per order. Also reports
// how much the old generation grew during the orders before any forced GC (promoted bytes, garbage included).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Session } from "node:inspector/promises";
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from "node:v8";
import { runInNewContext } from "node:vm";
import { Worker } from "node:worker_threads";
import type { Address } from "../node/clob/types.ts";
import { indexSoftExecution } from "../node/app/soft-index.ts";
import { NodeStateView } from "../node/app/view.ts";
import { createGenesisState } from "../node/clob/state.ts";
import { DEFAULT_CONFIG } from "../node/config.ts";
import { FastTxReader } from "../node/rpc/fast-tx.ts";
import { METHODS } from "../node/rpc/methods.ts";
import { Sequencer, sequencerOptionsFromConfig, type SequencerL1 } from "../node/sequencer/index.ts";
import { StateStore } from "../node/state/store.ts";
import { DOMAIN } from "./_rpc-common.ts";
import { syntheticMarket } from "../node/sequencer/synthetic.ts";

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export async function main(args: string[]): Promise<void> {
  const n = arg(args, "orders", 20_000);
  const index = !args.includes("--seq-only");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  // Each order as the RPC's fast path reads it from its WebSocket message (node/rpc/fast-tx.ts).
  const fast = new FastTxReader(METHODS);
  // The request messages (the load's, signed on a worker thread: bench/_view-heap-load.ts); each is read when
  // it is submitted, so the decoded transaction and its bytes are the node's (counted in the retained heap),
  // the message buffers the load's (freed at the end).
  const load = new Worker(new URL("./_view-heap-load.ts", import.meta.url), { workerData: { n, traders: 1000 } });
  const { messages, addresses } = await new Promise<{ messages: Uint8Array[]; addresses: Address[] }>((ok, fail) => {
    load.once("message", ok);
    load.once("error", fail);
  });
  await load.terminate();
  const orders = messages.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength));
  const read = (m: Buffer) => {
    const r = fast.read(m);
    if (r === null) throw new Error("the fast reader refused a bench order");
    return r;
  };

  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-view-heap-"));
  const store = await StateStore.open(path.join(dir, "store"));
  const market = syntheticMarket(addresses);
  const head = { number: 1, hash: `0x${"11".repeat(32)}` as const, timestamp: Math.floor(Date.now() / 1000) };
  const l1: SequencerL1 = { head: () => head, messages: (from) => market.slice(from) };
  const seq = await Sequencer.open({ db: store.db, canonical: createGenesisState({ domain: DOMAIN }), l1, ...sequencerOptionsFromConfig(DEFAULT_CONFIG.sequencer) });
  const view = new NodeStateView({ domain: DOMAIN, state: () => seq.softState(), sequencer: () => seq });
  if (index) indexSoftExecution(view, seq);
  seq.sealIfDue();
  seq.seal();
  const tick = setInterval(() => seq.sealIfDue(), 250);

  gc();
  gc();
  const snapshotFile = args.includes("--snapshot") ? args[args.indexOf("--snapshot") + 1]! : undefined;
  const kindsBefore = snapshotFile === undefined ? null : heapKinds(writeHeapSnapshot(`${snapshotFile}.before`));
  gc();
  gc();
  const before = process.memoryUsage();
  const oldBefore = oldGenerationUsed();
  const pauses = { scavenge: { n: 0, ms: 0, max: 0 }, markCompact: { n: 0, ms: 0, max: 0 } };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      const p = kind === 1 ? pauses.scavenge : kind === 4 ? pauses.markCompact : undefined;
      if (p === undefined) continue;
      p.n++;
      p.ms += e.duration;
      p.max = Math.max(p.max, e.duration);
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  const session = args.includes("--alloc") ? new Session() : undefined;
  if (session !== undefined) {
    session.connect();
    await session.post("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const t0 = performance.now();
  let refused = 0;
  for (let i = 0; i < n; i += 500) {
    const round = orders.slice(i, i + 500).map(read).map((o) => (index ? view.submit(o.tx, o.bytes).then((r) => r.ok) : seq.submit(o.bytes, o.tx).then((r) => r.verdict === "valid")).then((ok) => (ok ? 0 : 1), () => 1));
    for (const r of await Promise.all(round)) refused += r;
  }
  const ms = performance.now() - t0;
  // Before any forced GC: what the orders' scavenges moved to the old generation, garbage included (exact
  // when no mark-compact ran during the orders, which would have freed some of it).
  const promoted = (oldGenerationUsed() - oldBefore) / n;
  if (session !== undefined) {
    const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: AllocNode } };
    session.disconnect();
    const bySite = new Map<string, number>();
    let total = 0;
    const walk = (node: AllocNode): void => {
      const f = node.callFrame;
      const site = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      total += node.selfSize;
      for (const c of node.children) walk(c);
    };
    walk(profile.head);
    console.log(`allocated during the orders (sampled, garbage included): ${(total / n).toFixed(0)} B per order; by allocating function:`);
    for (const [site, b] of [...bySite].sort((x, y) => y[1] - x[1]).slice(0, 25)) console.log(`  ${(b / n).toFixed(0).padStart(6)} B  ${site}`);
  }
  clearInterval(tick);
  await new Promise((ok) => setTimeout(ok, 50)); // the observer's last entries
  obs.disconnect();
  // The request messages (the load's) are alive before and after, so the difference is the node's alone.
  gc();
  gc();
  const after = process.memoryUsage();
  if (snapshotFile !== undefined) {
    const kindsAfter = heapKinds(writeHeapSnapshot(snapshotFile));
    const rows = [...kindsAfter].map(([k, a]) => {
      const b = kindsBefore!.get(k) ?? { count: 0, bytes: 0 };
      return { k, count: (a.count - b.count) / n, bytes: (a.bytes - b.bytes) / n };
    }).filter((r) => Math.abs(r.bytes) >= 1).sort((x, y) => y.bytes - x.bytes);
    console.log(`retained per order by kind (snapshot ${snapshotFile}; objects / bytes per order):`);
    for (const r of rows.slice(0, 30)) console.log(`  ${r.bytes.toFixed(1).padStart(7)} B ${r.count.toFixed(2).padStart(6)} x ${r.k}`);
  }
  const perOrder = (after.heapUsed - before.heapUsed) / n;
  const ext = (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / n;
  const f = (p: { n: number; ms: number; max: number }) => `${p.n} / ${p.ms.toFixed(0)} ms / ${p.max.toFixed(1)} ms`;
  console.log(`${n} orders (${refused} refused) through ${index ? "view.submit" : "Sequencer.submit"} in ${(ms / 1000).toFixed(2)} s, ${index ? "view fed by indexSoftExecution" : "sequencer only (--seq-only)"}`);
  console.log(`retained after full GC: ${perOrder.toFixed(0)} B heap per order, ${ext.toFixed(0)} B external (ArrayBuffers) per order`);
  console.log(`GC pauses during the orders (count / total / longest): scavenges ${f(pauses.scavenge)}, mark-compacts ${f(pauses.markCompact)}`);
  console.log(`old generation grew ${promoted.toFixed(0)} B per order during the orders (promoted, garbage included${pauses.markCompact.n > 0 ? ", less what the mark-compacts freed" : ""})`);
  orders.length = 0;
  messages.length = 0;
  await seq.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({
    bench: "view-heap", orders: n, index, refused, heap_bytes_per_order: Math.round(perOrder), external_bytes_per_order: Math.round(ext),
    old_generation_growth_bytes_per_order: Math.round(promoted), scavenges: pauses.scavenge.n, scavenge_ms: Number(pauses.scavenge.ms.toFixed(1)), scavenge_ms_max: Number(pauses.scavenge.max.toFixed(1)),
    mark_compacts: pauses.markCompact.n, mark_compact_ms: Number(pauses.markCompact.ms.toFixed(1)), mark_compact_ms_max: Number(pauses.markCompact.max.toFixed(1)),
  }));
}

/** Bytes in use in the old generation's object spaces (where the scavenger promotes to; not code, not read-only). */
function oldGenerationUsed(): number {
  return getHeapSpaceStatistics().filter((s) => s.space_name === "old_space" || s.space_name === "large_object_space").reduce((sum, s) => sum + s.space_used_size, 0);
}

/** Object count and self size by kind (constructor name, or the node type for strings, numbers, code...) in a heap snapshot file. */
function heapKinds(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const f = snap.snapshot.meta.node_fields;
  const width = f.length;
  const [iType, iName, iSize] = [f.indexOf("type"), f.indexOf("name"), f.indexOf("self_size")];
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const key = type === "object" || type === "closure" ? `${type} ${snap.strings[snap.nodes[i + iName]!]}` : type === "hidden" || type === "native" ? `${type} ${snap.strings[snap.nodes[i + iName]!]}`.slice(0, 60) : type;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

/** A node of the sampling heap profiler's tree. */
interface AllocNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: AllocNode[];
}
