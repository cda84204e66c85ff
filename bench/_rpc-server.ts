// The rpc bench's server process: the node's sequencing path as startNode composes it (node/app/node.ts),
// without L1. A LevelDB StateStore in a temporary directory; the Sequencer over it (admission on worker
// threads, nonce queues, soft execution in the open batch, WAL group commit with fsync before each
// acknowledgement, sealing by the default policy on startNode's 250 ms tick); a NodeStateView fed by
// indexSoftExecution (the same wiring as startNode); the RPC server with the default rpc configuration
// (rate limits lifted for the load). What is absent: derivation and proposing (no L1), so sealed batches
// stay soft. The bench traders' deposits and the market come from an in-memory L1 message queue that the
// first batch consumes. Prints "READY <url>" and runs until its stdin closes; a stdin line "mark" prints
// "MARK <json>" with the CPU time of the process (all threads), of its child processes (the RPC's
// fan-out processes, if configured) and of the main thread, and the main
// thread's event-loop busy time, its event-loop delay (p99, max) and its GC pauses (count, total, longest),
// since the last mark, the CPU time by thread kind (main, admission workers, libuv's pool, V8's platform
// threads, others: bench/_thread-cpu.ts), the messages posted to the admission workers, and the events of the slow-episode report (GC pauses over 5 ms with their kind,
// main-thread stalls over 20 ms, WAL group writes over 10 ms, seals over 5 ms; absolute times).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PerformanceObserver, monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { indexSoftExecution } from "../node/app/soft-index.ts";
import { NodeStateView } from "../node/app/view.ts";
import { createGenesisState } from "../node/clob/state.ts";
import { DEFAULT_CONFIG } from "../node/config.ts";
import { rpcOptionsFromConfig } from "../node/rpc/options.ts";
import { createRpcServer } from "../node/rpc/server.ts";
import { Sequencer, sequencerOptionsFromConfig, type SequencerL1 } from "../node/sequencer/index.ts";
import { StateStore } from "../node/state/store.ts";
import { DOMAIN, benchKeys } from "./_rpc-common.ts";
import { syntheticMarket } from "../node/sequencer/synthetic.ts";
import { gcKind, type ServerEvent } from "./_rpc-timeline.ts";
import { ThreadCpu } from "./_thread-cpu.ts";

const traders = Number(process.argv[2] ?? 1000);
const tickMs = process.argv[3] === undefined ? DEFAULT_CONFIG.rpc.tickMs : Number(process.argv[3]);
const fanoutProcs = process.argv[4] === undefined ? DEFAULT_CONFIG.rpc.fanoutProcs : Number(process.argv[4]);
const maxTickMs = process.argv[5] === undefined ? DEFAULT_CONFIG.rpc.maxTickMs : Number(process.argv[5]);
const warmUpOrders = process.argv[6] === undefined ? DEFAULT_CONFIG.sequencer.warmUpOrders : Number(process.argv[6]);
const walGroupIntervalMs = process.argv[7] === undefined ? DEFAULT_CONFIG.sequencer.walGroupIntervalMs : Number(process.argv[7]);
const dir = mkdtempSync(path.join(tmpdir(), "rollbook-rpc-bench-"));
const store = await StateStore.open(path.join(dir, "store"));
const messages = syntheticMarket(benchKeys(traders).map((k) => k.address));
const head = { number: 1, hash: `0x${"11".repeat(32)}` as const, timestamp: Math.floor(Date.now() / 1000) };
const l1: SequencerL1 = { head: () => head, messages: (from) => messages.slice(from) };
// Before the sequencer starts its admission workers: threads named "node" that exist now are V8's (bench/_thread-cpu.ts).
const threadCpu = new ThreadCpu();
const openedAt = performance.now();
const seq = await Sequencer.open({ db: store.db, canonical: createGenesisState({ domain: DOMAIN }), l1, ...sequencerOptionsFromConfig({ ...DEFAULT_CONFIG.sequencer, warmUpOrders, walGroupIntervalMs }) });
const view = new NodeStateView({ domain: DOMAIN, state: () => seq.softState(), sequencer: () => seq });
const indexAt = performance.now();
indexSoftExecution(view, seq); // with the sequencer's warm-up on, warms the fast reader and the view first
const indexMs = performance.now() - indexAt;
seq.sealIfDue(); // opens the first batch with the deposits
seq.seal();
const rpcOptions = rpcOptionsFromConfig(DEFAULT_CONFIG.rpc);
const server = await createRpcServer({
  view,
  options: { ...rpcOptions, tickMs, maxTickMs, fanoutProcs, limits: { ...rpcOptions.limits, connRate: 1e9, connBurst: 1e9, accountRate: 1e9, accountBurst: 1e9, maxConnections: 5000, maxBatch: 1000, maxBodyBytes: 8 << 20 } },
  logger: (await import("pino")).pino({ level: "warn" }),
});
const url = await server.listen("127.0.0.1", 0);
/** Server events on the absolute clock for the slow-episode report (bench/_rpc-timeline.ts), since the last mark. */
let events: ServerEvent[] = [];
const abs = (t = performance.now()): number => performance.timeOrigin + t;
const tick = setInterval(() => {
  const t = performance.now();
  seq.sealIfDue();
  const ms = performance.now() - t;
  if (ms > 5) events.push({ at: abs(t), ms, what: "seal" });
}, 250);
seq.wal.onWritten = (t, ms) => {
  if (ms > 10) events.push({ at: abs(t), ms, what: "wal" });
};
// Main-thread stalls: a 10 ms timer that fired more than 20 ms late.
let lastBeat = performance.now();
const beat = setInterval(() => {
  const now = performance.now();
  if (now - lastBeat > 30) events.push({ at: abs(lastBeat), ms: now - lastBeat - 10, what: "stall" });
  lastBeat = now;
}, 10);

// A stdin line "feed" prints "FEED <json>": the book feed's ticks since the last "feed" (how many wrote,
// the socket writes, the delay from a delta's first change to its tick, p50 and p99 ms, how late the ticks
// ran after their due time, p50 and p99 ms) and the fan-out
// processes' CPU per socket write.
let tickDelays = new Map<number, number>();
/** How late the ticks ran after their due time (ms, rounded up): the event loop's share of the delay. */
let tickLate = new Map<number, number>();
server.feeds.onTick = (ms, _writes, late) => {
  tickDelays.set(ms, (tickDelays.get(ms) ?? 0) + 1);
  const l = Math.ceil(late);
  tickLate.set(l, (tickLate.get(l) ?? 0) + 1);
};
const feedAt = { ticks: 0, writes: 0 };
const feedWrites = (): number => server.fanout?.writes ?? server.feeds.sent;
function quantile(h: Map<number, number>, p: number): number | null {
  const sorted = [...h].sort((a, b) => a[0] - b[0]);
  const n = sorted.reduce((a, [, c]) => a + c, 0);
  let seen = 0;
  for (const [v, c] of sorted) if ((seen += c) > p * n) return v;
  return null;
}
function feedLine(): void {
  // Per socket write carrying a tick's message: tick -> end of the write, and (fan-out processes) tick ->
  // arrival in the child (node/rpc/lag.ts; emptied here, so per "feed" line).
  const lag = server.feeds.writeCost?.lag;
  const hop = server.fanout?.hop;
  const lagQ = { writeLagP50: lag?.quantile(0.5) ?? null, writeLagP99: lag?.quantile(0.99) ?? null, hopP50: hop?.quantile(0.5) ?? null, hopP99: hop?.quantile(0.99) ?? null };
  lag?.drain();
  hop?.drain();
  const f = { ticks: server.feeds.ticks - feedAt.ticks, writes: feedWrites() - feedAt.writes, delayP50: quantile(tickDelays, 0.5), delayP99: quantile(tickDelays, 0.99), lateP50: quantile(tickLate, 0.5), lateP99: quantile(tickLate, 0.99), usPerWrite: server.fanout?.usPerWrite ?? null, ...lagQ };
  Object.assign(feedAt, { ticks: server.feeds.ticks, writes: feedWrites() });
  tickDelays = new Map();
  tickLate = new Map();
  console.log(`FEED ${JSON.stringify(f)}`);
}
console.log(`sequencer opened in ${(performance.now() - openedAt).toFixed(0)} ms, of which the main thread's warm-up (${warmUpOrders} synthetic orders) ${(seq.warmUpMs ?? 0).toFixed(0)} ms; the view's and fast reader's warm-up + indexing ${indexMs.toFixed(0)} ms`);
console.log(`READY ${url}`);

/** CPU time (us) of this process's child processes (the RPC's fan-out processes), from /proc. */
function childrenCpuUs(): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(pid)) continue;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8");
      const rest = f.slice(f.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
      if (Number(rest[1]) === process.pid) ticks += Number(rest[11]) + Number(rest[12]); // utime + stime
    } catch {
      // the process ended meanwhile
    }
  }
  return (ticks * 1e6) / 100; // USER_HZ
}

/** Main-thread GC pauses since the last mark (perf_hooks "gc" entries: the isolate's pauses). */
const gc = { n: 0, ms: 0, maxMs: 0, over5: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.n++;
    gc.ms += e.duration;
    if (e.duration > gc.maxMs) gc.maxMs = e.duration;
    if (e.duration > 5) gc.over5++;
    if (e.duration > 5) events.push({ at: abs(e.startTime), ms: e.duration, what: gcKind((e as unknown as { detail?: { kind?: number } }).detail?.kind) });
  }
}).observe({ entryTypes: ["gc"] });
/** The WAL's group writes (write + fdatasync) at the last mark. */
const wal = { groups: 0, ms: 0 };
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

let cpu = process.cpuUsage();
let childCpu = childrenCpuUs();
let main = process.threadCpuUsage();
let elu = performance.eventLoopUtilization();
/** Messages posted to the admission workers at the last mark. */
let admissionAt = seq.admissionMessages;
createInterface({ input: process.stdin }).on("line", (l) => {
  if (l.trim() === "feed") return feedLine();
  if (l.trim() !== "mark") return;
  const c = process.cpuUsage(cpu);
  const m = process.threadCpuUsage(main);
  const e = performance.eventLoopUtilization(elu);
  const byThread = threadCpu.sample();
  const ch = childrenCpuUs();
  const fanoutCpuUs = ch - childCpu;
  childCpu = ch;
  cpu = process.cpuUsage();
  main = process.threadCpuUsage();
  elu = performance.eventLoopUtilization();
  const loopDelay = { p99Ms: Number((delay.percentile(99) / 1e6).toFixed(2)), maxMs: Number((delay.max / 1e6).toFixed(2)) };
  delay.reset();
  const w = seq.wal.stats;
  const walNow = { groups: w.groups - wal.groups, meanMs: Number(((w.writeMsTotal - wal.ms) / Math.max(1, w.groups - wal.groups)).toFixed(2)), maxMs: Number(w.maxWriteMs.toFixed(2)) };
  Object.assign(wal, { groups: w.groups, ms: w.writeMsTotal });
  w.maxWriteMs = 0;
  const gcNow = { n: gc.n, ms: Number(gc.ms.toFixed(1)), maxMs: Number(gc.maxMs.toFixed(2)), over5: gc.over5 };
  Object.assign(gc, { n: 0, ms: 0, maxMs: 0, over5: 0 });
  const admissionMessages = seq.admissionMessages - admissionAt;
  admissionAt = seq.admissionMessages;
  console.log(`MARK ${JSON.stringify({ cpuUs: c.user + c.system, fanoutCpuUs, mainCpuUs: m.user + m.system, mainBusyUs: Math.round(e.active * 1000), wallUs: Math.round((e.active + e.idle) * 1000), mempool: seq.pool.count, loopDelay, gc: gcNow, wal: walNow, admissionMessages, byThread, events })}`);
  events = [];
});
process.stdin.on("end", () => {
  clearInterval(tick);
  clearInterval(beat);
  void (async () => {
    await server.close();
    await seq.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
