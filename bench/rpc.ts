// `npm run bench -- rpc [--rate N] [--seconds S] [--subscribers K] [--traders T] [--conns C] [--bulk-orders N]
// [--tick-ms MS] [--server-fanout F] [--fanout-procs P] [--profile DIR] [--server-node-args "FLAGS"] [--no-node-settings] [--fanout-nice N] [--subscriber-nice N] [--warmup-seconds W] [--server-warmup N] [--wal-interval-ms MS]`: load test of the RPC from separate processes on loopback (docs/benchmarks.md "rpc"). A
// server process runs the node's sequencing path (bench/_rpc-server.ts: RPC over NodeStateView over the
// Sequencer with its admission workers and fsynced WAL, as startNode composes it, without L1); P subscriber
// processes (default 1) hold K WebSocket book subscribers between them; this process sends pre-signed orders over C WebSockets at
// `rate` per second (after a warm-up of W seconds, default 2, at the same rate with its own orders, reported
// apart) and measures acknowledgement latency, with the slow acks (> 20 ms) grouped into episodes and the
// server events (GC, stalls, slow WAL syncs, seals) that overlap them (bench/_rpc-timeline.ts), while the subscribers measure delta delivery
// latency (receipt time minus the time of the first change the delta carries). Then Bulk transactions of
// 64 orders at full speed. The server reports its CPU time per order for each phase (all threads and the
// main thread, and by thread kind: main, admission workers, libuv pool, V8 platform, other). `--profile DIR` writes the server's V8 CPU profile there. Ends with one JSON line.
// `--max-tick-ms MS` sets the server's rpc.maxTickMs (the feed tick's upper bound, docs/api.md "Subscriptions").
// With subscribers, the delivery latency is split on one clock (node/rpc/lag.ts): first change -> tick (the
// server's main thread), tick -> arrival in the fan-out process and tick -> end of each socket write (the
// fan-out process), tick -> read (the subscriber, from the delta's tickAt); and after the timed phase a
// floor phase (`--floor-rate R`, default 400 orders/s, for `--floor-seconds`, default 4; R 0: none) measures
// the same delivery with the order path nearly idle, so the report states the timed phase against it.

import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { setPriority } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { DEFAULT_CONFIG } from "../node/config.ts";
import { LagHistogram } from "../node/rpc/lag.ts";
import { toWire } from "../node/rpc/wire.ts";
import { benchKeys, signedBulks, signedOrders } from "./_rpc-common.ts";
import { describe, slowEpisodes, type ServerEvent } from "./_rpc-timeline.ts";
import { THREAD_KINDS, type ThreadCpuSample, type ThreadKind } from "./_thread-cpu.ts";

const dir = path.dirname(fileURLToPath(import.meta.url));

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

interface Child {
  child: ChildProcess;
  line: string;
  lines: string[];
  /** Resolves the next line starting with the prefix. */
  waitFor(prefix: string): Promise<string>;
  /** The main isolate's GCs from its `--trace-gc-nvp` lines since the last mark (bytes allocated and promoted to the old generation). */
  gcNvp: GcNvp;
}

interface GcNvp {
  scavenges: number;
  markCompacts: number;
  allocated: number;
  promoted: number;
}
const noGc = (): GcNvp => ({ scavenges: 0, markCompacts: 0, allocated: 0, promoted: 0 });
/** One `--trace-gc-nvp` line (V8 prints one per GC of each isolate; the main isolate's first pid:address tag is kept). */
const NVP = /^\[(\d+:0x[0-9a-f]+)\].* gc=(\S+) .*\ballocated=(\d+) promoted=(\d+)/;
/** The start of a V8 trace line with one of the bench's own lines (READY, MARK, FEED, ...) written into it. */
const TRACE_PREFIX = /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: (?=[A-Z]+ )/;

/** Starts a bench process; with `echo`, its stdout lines other than READY/MARK go to stderr (warnings, --trace-gc). */
/** The node's process settings as `npm start` and the Docker image run it (docs/operator.md "Process settings"). */
const NODE_SETTINGS = ["--v8-pool-size=1"];

function start(script: string, args: string[], ready: string, nodeArgs: string[] = [], echo = false): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, path.join(dir, script), ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  const waiting: { prefix: string; ok: (l: string) => void }[] = [];
  const waitFor = (prefix: string) => new Promise<string>((ok) => waiting.push({ prefix, ok }));
  const gcNvp = noGc();
  let isolate: string | undefined;
  return new Promise((ok, fail) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      // A worker isolate's GC trace is written in pieces: one of our lines can land after its "[pid:isolate] N ms: ".
      const l = line.replace(TRACE_PREFIX, "");
      const g = NVP.exec(l);
      if (g !== null) {
        isolate ??= g[1];
        if (g[1] !== isolate) return; // a worker thread's isolate
        if (g[2] === "s") gcNvp.scavenges++;
        else if (g[2] === "ms" || g[2] === "mc") gcNvp.markCompacts++;
        gcNvp.allocated += Number(g[3]);
        gcNvp.promoted += Number(g[4]);
        return;
      }
      // The rest of such a split trace line, without its isolate tag: not countable, not for the reader.
      if (/^pause=\S+ mutator=/.test(l)) return;
      lines.push(l);
      if (echo && !l.startsWith("READY") && !l.startsWith("MARK")) process.stderr.write(`server: ${l}\n`);
      const w = waiting.findIndex((x) => l.startsWith(x.prefix));
      if (w >= 0) waiting.splice(w, 1)[0].ok(l);
      if (l.startsWith(ready)) ok({ child, line: l, lines, waitFor, gcNvp });
    });
    child.once("exit", (code) => fail(new Error(`${script} exited (${code})`)));
  });
}

async function stop(p: Child): Promise<string[]> {
  p.child.removeAllListeners("exit");
  const done = new Promise((ok) => p.child.once("exit", ok));
  p.child.stdin!.end();
  await done;
  return p.lines;
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url);
    ws.onopen = () => ok(ws);
    ws.onerror = () => fail(new Error("connect failed"));
  });
}

/** The server's CPU (all threads) and main-thread busy time since its last mark (bench/_rpc-server.ts). */
interface Mark {
  cpuUs: number;
  fanoutCpuUs: number;
  mainCpuUs: number;
  mainBusyUs: number;
  wallUs: number;
  loopDelay: { p99Ms: number; maxMs: number };
  gc: { n: number; ms: number; maxMs: number; over5: number };
  wal: { groups: number; meanMs: number; maxMs: number };
  admissionMessages: number;
  /** CPU us and live threads by thread kind (bench/_thread-cpu.ts). */
  byThread: ThreadCpuSample;
  events: ServerEvent[];
  /** From the server's --trace-gc-nvp lines before the MARK line. */
  gcNvp: GcNvp;
}
async function mark(server: Child): Promise<Mark> {
  const line = server.waitFor("MARK ");
  server.child.stdin!.write("mark\n");
  const m = JSON.parse((await line).slice(5)) as Omit<Mark, "gcNvp">;
  const gcNvp = { ...server.gcNvp };
  Object.assign(server.gcNvp, noGc());
  return { ...m, gcNvp };
}

/** The server's book feed since its last "feed" line (bench/_rpc-server.ts): ticks, socket writes, change -> tick delay. */
async function feedMark(server: Child): Promise<{ ticks: number; writes: number; delayP50: number | null; delayP99: number | null; lateP50: number | null; lateP99: number | null; usPerWrite: number | null; writeLagP50: number | null; writeLagP99: number | null; hopP50: number | null; hopP99: number | null }> {
  const line = server.waitFor("FEED ");
  server.child.stdin!.write("feed\n");
  return JSON.parse((await line).slice(5));
}

const THREAD_NAMES: Record<ThreadKind, string> = { main: "main", workers: "admission workers", libuv: "libuv pool", v8: "V8 platform", other: "other" };
/** The server's CPU per order by thread kind, us (one decimal). */
function perOrderByThread(m: Mark, orders: number): Record<ThreadKind, number> {
  return Object.fromEntries(THREAD_KINDS.map((k) => [k, Number((m.byThread[k].us / Math.max(1, orders)).toFixed(1))])) as Record<ThreadKind, number>;
}
/** "server CPU per order by thread, us (live threads): main 80.4 (1), ..." and their sum against the process's own figure. */
function threadLine(m: Mark, orders: number): string {
  const per = perOrderByThread(m, orders);
  const sum = THREAD_KINDS.reduce((a, k) => a + m.byThread[k].us, 0) / Math.max(1, orders);
  const parts = THREAD_KINDS.map((k) => `${THREAD_NAMES[k]} ${per[k].toFixed(1)} (${m.byThread[k].threads})`);
  return `server CPU per order by thread, us (live threads): ${parts.join(", ")}; sum ${sum.toFixed(1)} of the process's ${(m.cpuUs / Math.max(1, orders)).toFixed(1)}; WAL ${m.wal.groups} groups`;
}

const pct = (a: number[], p: number) => (a.length === 0 ? NaN : a[Math.min(a.length - 1, Math.floor(p * a.length))]);
/** The processes whose parent is `pid` (from /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(p)) continue;
    try {
      const f = readFileSync(`/proc/${p}/stat`, "utf8");
      if (Number(f.slice(f.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

type FeedMark = Awaited<ReturnType<typeof feedMark>>;
/** One phase of the subscribers' deliveries, over every subscriber process, with where the time went. */
interface FanPhase {
  deltas: number;
  gaps: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  closes: Record<string, number>;
  cpu: number[];
  /** p50 / p99 ms of tick -> read (receipt - tickAt) and the subscriber processes' event-loop delay p99. */
  readP50: number | null;
  readP99: number | null;
  loopDelayP99: number[];
}

/**
 * Asks every subscriber process for its report since the last one (bench/_rpc-fanout.ts "report"), merges
 * them and prints the phase's lines with `title` (null: read and dropped, the time between phases).
 */
async function fanPhase(fans: Child[], subscribers: number, feed: FeedMark, seconds: number, title: string | null): Promise<FanPhase> {
  const r: FanPhase = { deltas: 0, gaps: 0, p50: null, p99: null, max: null, closes: {}, cpu: [], readP50: null, readP99: null, loopDelayP99: [] };
  const hist = new Map<number, number>();
  const read = new LagHistogram();
  const usPerMessage: number[] = [];
  for (const f of fans) {
    const line = f.waitFor("REPORT ");
    f.child.stdin!.write("report\n");
    const x = JSON.parse((await line).slice(7)) as { deltas: number; gaps: number; hist: Record<string, number>; closes: Record<string, number>; cpu: number; cpu_us_per_message: number; loop_delay_ms_p99: number; lag_read: number[] };
    usPerMessage.push(x.cpu_us_per_message);
    r.deltas += x.deltas;
    r.gaps += x.gaps;
    r.cpu.push(x.cpu);
    r.loopDelayP99.push(x.loop_delay_ms_p99);
    read.merge(x.lag_read);
    for (const [ms, c] of Object.entries(x.hist)) hist.set(Number(ms), (hist.get(Number(ms)) ?? 0) + c);
    for (const [code, c] of Object.entries(x.closes)) r.closes[code] = (r.closes[code] ?? 0) + c;
  }
  const sorted = [...hist].sort((a, b) => a[0] - b[0]);
  const q = (p: number): number | null => {
    let seen = 0;
    for (const [ms, c] of sorted) if ((seen += c) > p * r.deltas) return ms;
    return sorted.at(-1)?.[0] ?? null;
  };
  [r.p50, r.p99, r.max] = [q(0.5), q(0.99), sorted.at(-1)?.[0] ?? null];
  [r.readP50, r.readP99] = [read.quantile(0.5), read.quantile(0.99)];
  if (title === null) return r;
  console.log(`${title}fan-out: ${subscribers} subscribers received ${r.deltas} deltas (${r.gaps} seq gaps); delivery p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (state change -> receipt); closed by the server: ${JSON.stringify(r.closes)} (4008 = cut as a slow consumer); subscriber process CPU ${r.cpu.join(", ")} cores, ${usPerMessage.join(", ")} us per message`);
  console.log(`${title}fan-out ticks: ${feed.ticks} (${(feed.ticks / seconds).toFixed(1)}/s), socket writes ${feed.writes} (${(feed.writes / seconds).toFixed(0)}/s)${feed.usPerWrite === null ? "" : `, ${feed.usPerWrite.toFixed(2)} us CPU per write in the fan-out process`}; tick run after its due time p50 ${feed.lateP50} ms, p99 ${feed.lateP99} ms`);
  console.log(`${title}fan-out, where the time goes (p50 / p99 ms): first change -> tick ${feed.delayP50} / ${feed.delayP99} (per delta); tick -> arrival in the fan-out process ${feed.hopP50} / ${feed.hopP99}, tick -> end of the socket write ${feed.writeLagP50} / ${feed.writeLagP99} (per socket write); tick -> read by the subscriber ${r.readP50} / ${r.readP99} (per delivery; the subscriber processes' event-loop delay p99 ${r.loopDelayP99.join(", ")} ms)`);
  return r;
}

export async function main(args: string[]): Promise<void> {
  const rate = arg(args, "rate", 5000);
  const seconds = arg(args, "seconds", 10);
  const subscribers = arg(args, "subscribers", 1000);
  const traders = arg(args, "traders", 1000);
  const conns = arg(args, "conns", 4);
  const warmSeconds = arg(args, "warmup-seconds", 2);
  const bulkOrders = arg(args, "bulk-orders", 200_000);
  const perBulk = 64;

  const keys = benchKeys(traders);
  const nonces = keys.map(() => 0);
  let t = performance.now();
  const warm = signedOrders(keys, nonces, Math.round(rate * warmSeconds), 5).map((tx) => JSON.stringify(toWire(tx)));
  const orders = signedOrders(keys, nonces, rate * seconds, 1).map((tx) => JSON.stringify(toWire(tx)));
  // The fan-out floor phase's orders (after the timed phase, before the bulks: nonces in that order).
  const floorRate = arg(args, "floor-rate", 400);
  const floorSeconds = arg(args, "floor-seconds", 4);
  const floor = subscribers > 0 ? signedOrders(keys, nonces, Math.round(floorRate * floorSeconds), 11).map((tx) => JSON.stringify(toWire(tx))) : [];
  const batched = signedBulks(keys, nonces, Math.ceil(bulkOrders / perBulk), perBulk).map((tx) => JSON.stringify(toWire(tx)));
  console.log(`signed ${warm.length} warm-up orders, ${orders.length} orders and ${batched.length} bulks of ${perBulk} orders for ${traders} traders in ${((performance.now() - t) / 1000).toFixed(1)} s (before the timed phases)`);

  const profDir = args.includes("--profile") ? args[args.indexOf("--profile") + 1] : undefined;
  const tickMs = arg(args, "tick-ms", DEFAULT_CONFIG.rpc.tickMs);
  const serverFanout = arg(args, "server-fanout", DEFAULT_CONFIG.rpc.fanoutProcs);
  // `--server-node-args "--trace-gc ..."`: extra Node/V8 flags for the server process (diagnostics).
  const extra = args.includes("--server-node-args") ? args[args.indexOf("--server-node-args") + 1].split(" ").filter((a) => a !== "") : [];
  // The server runs with the node's process settings (`npm start`, the Docker image: docs/operator.md
  // "Process settings") unless `--no-node-settings`.
  const nodeSettings = args.includes("--no-node-settings") ? [] : NODE_SETTINGS;
  const maxTickMs = arg(args, "max-tick-ms", DEFAULT_CONFIG.rpc.maxTickMs);
  // `--server-warmup N`: the server's sequencer.warmUpOrders (synthetic orders through the order path at start).
  const serverWarmUp = arg(args, "server-warmup", DEFAULT_CONFIG.sequencer.warmUpOrders);
  // `--wal-interval-ms MS`: the server's sequencer.walGroupIntervalMs (least ms between WAL group writes' starts).
  const walIntervalMs = arg(args, "wal-interval-ms", DEFAULT_CONFIG.sequencer.walGroupIntervalMs);
  // --trace-gc-nvp: one line per GC with the bytes allocated and promoted (read into `gcNvp`, not echoed).
  const server = await start("_rpc-server.ts", [String(traders), String(tickMs), String(serverFanout), String(maxTickMs), String(serverWarmUp), String(walIntervalMs)], "READY", ["--trace-gc-nvp", ...nodeSettings, ...extra, ...(profDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profDir}`, "--cpu-prof-interval", "250"])], true);
  const url = server.line.split(" ")[1];
  const wsUrl = url.replace("http", "ws") + "/ws";
  const fanProcs = subscribers > 0 ? Math.max(1, arg(args, "fanout-procs", 1)) : 0;
  const fans = await Promise.all(Array.from({ length: fanProcs }, (_, i) => {
    const k = Math.floor(subscribers / fanProcs) + (i < subscribers % fanProcs ? 1 : 0);
    return start("_rpc-fanout.ts", [wsUrl, String(k)], "SUBSCRIBED");
  }));
  // Scheduling: `--fanout-nice N` overrides the nice value of the server's fan-out processes (the node
  // sets rpc.fanoutNice itself); `--subscriber-nice N` sets that of the subscriber processes, by default
  // rpc.fanoutNice: they stand for other machines, whose reading does not queue behind the writers for
  // this machine's cores (os.setPriority; below 0 needs CAP_SYS_NICE, else they keep 0 with a note).
  if (args.includes("--fanout-nice")) for (const pid of childPids(server.child.pid!)) setPriority(pid, arg(args, "fanout-nice", 0));
  const subscriberNice = arg(args, "subscriber-nice", DEFAULT_CONFIG.rpc.fanoutNice);
  try {
    for (const f of fans) setPriority(f.child.pid!, subscriberNice);
  } catch (err) {
    console.log(`subscriber processes stay at nice 0: ${(err as Error).message}`);
  }
  console.log(`server ${url}; ${subscribers} book subscribers in ${fanProcs} separate process(es); fan-out tick ${tickMs}-${maxTickMs} ms; server fan-out processes ${serverFanout}`);

  // ---- phase 1: signed orders at `rate`/s over `conns` WebSockets, one request per order: first a warm-up
  // (`--warmup-seconds`, default 2, its own pre-signed orders; reported on its own line), then the timed phase.
  const sockets = await Promise.all(Array.from({ length: conns }, () => connect(wsUrl)));
  /** Sends `list` at `perS`/s and resolves when every order is answered (or after 120 s). */
  const sendOrders = async (list: string[], perS = rate) => {
    const n = list.length;
    const sentAt = new Float64Array(n);
    const latency = new Float64Array(n);
    const lat: number[] = [];
    const r = { n, sentAt, latency, lat, errors: 0, firstError: "", acked: 0, t0: 0, lastAck: 0 };
    let allAcked: () => void = () => {};
    const done = new Promise<void>((ok) => (allAcked = ok));
    for (const ws of sockets) {
      ws.onmessage = (e) => {
        const s = String(e.data);
        const id = Number(s.slice(s.indexOf('"id":') + 5, s.indexOf(",", s.indexOf('"id":'))));
        const now = performance.now();
        latency[id] = now - sentAt[id];
        lat.push(latency[id]);
        if (s.includes('"error"')) {
          r.errors++;
          if (r.firstError === "") r.firstError = s.slice(0, 300);
        }
        r.lastAck = now;
        if (++r.acked === n) allAcked();
      };
    }
    const t0 = (r.t0 = performance.now());
    let sent = 0;
    await new Promise<void>((ok) => {
      const tick = () => {
        const due = Math.min(n, Math.floor(((performance.now() - t0) * perS) / 1000));
        while (sent < due) {
          sentAt[sent] = performance.now();
          sockets[sent % conns].send(`{"jsonrpc":"2.0","id":${sent},"method":"rb_placeOrder","params":[${list[sent]}]}`);
          sent++;
        }
        if (sent < n) setTimeout(tick, 2);
        else ok();
      };
      tick();
    });
    await Promise.race([done, new Promise((ok) => setTimeout(ok, 120_000).unref())]); // unref: the wait must not keep the bench alive after the last ack
    lat.sort((a, b) => a - b);
    return r;
  };
  /** The slow-episode report of a phase (bench/_rpc-timeline.ts) on the absolute clock. */
  const episodes = (r: Awaited<ReturnType<typeof sendOrders>>, events: ServerEvent[]): string[] => {
    const sentAbs = r.sentAt.map((t) => performance.timeOrigin + t);
    return describe(slowEpisodes(sentAbs, r.latency, events), r.n, performance.timeOrigin + r.t0);
  };
  let warmP99: number | null = null;
  if (warm.length > 0) {
    await mark(server);
    const w = await sendOrders(warm);
    const costW = await mark(server);
    warmP99 = Number(pct(w.lat, 0.99).toFixed(2));
    console.log(`warm-up (not in the figures below): ${w.acked}/${w.n} acked (${w.errors} errors${w.firstError ? `, first: ${w.firstError}` : ""}) in ${((w.lastAck - w.t0) / 1000).toFixed(2)} s; ack p50 ${pct(w.lat, 0.5).toFixed(2)} ms, p99 ${warmP99} ms, max ${w.lat.at(-1)?.toFixed(1)} ms; server GC ${costW.gc.n} pauses, longest ${costW.gc.maxMs} ms`);
    console.log(`warm-up ${threadLine(costW, w.acked)}`);
    for (const l of episodes(w, costW.events)) console.log(`warm-up ${l}`);
  }
  await feedMark(server);
  await mark(server);
  // The load process's own event-loop delay: a stalled sender or reader adds to the measured latency.
  const ownDelay = monitorEventLoopDelay({ resolution: 1 });
  ownDelay.enable();
  const p1 = await sendOrders(orders);
  const { lat, acked, errors, firstError, t0, lastAck } = p1;
  const total = p1.n;
  const feed1 = await feedMark(server);
  const cost1 = await mark(server);
  ownDelay.disable();
  const ordersPerS = (acked / (lastAck - t0)) * 1000;
  const perOrder = { cpuUs: cost1.cpuUs / Math.max(1, acked), fanoutUs: cost1.fanoutCpuUs / Math.max(1, acked), mainUs: cost1.mainCpuUs / Math.max(1, acked) };
  console.log(`orders: ${acked}/${total} acked (${errors} errors${firstError ? `, first: ${firstError}` : ""}) in ${((lastAck - t0) / 1000).toFixed(2)} s = ${ordersPerS.toFixed(0)}/s; ack p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms, max ${lat.at(-1)?.toFixed(1)} ms`);
  console.log(`server cost per order (fan-out to ${subscribers} subscribers included): ${perOrder.cpuUs.toFixed(1)} us CPU (all threads), ${perOrder.fanoutUs.toFixed(1)} us in fan-out processes, ${perOrder.mainUs.toFixed(1)} us main-thread CPU (event loop busy ${((100 * cost1.mainBusyUs) / cost1.wallUs).toFixed(0)}% of ${(cost1.wallUs / 1e6).toFixed(1)} s)`);
  console.log(`server main thread: event-loop delay p99 ${cost1.loopDelay.p99Ms} ms, max ${cost1.loopDelay.maxMs} ms; GC ${cost1.gc.n} pauses, ${cost1.gc.ms} ms, longest ${cost1.gc.maxMs} ms, ${cost1.gc.over5} over 5 ms; WAL ${cost1.wal.groups} groups, write + fdatasync mean ${cost1.wal.meanMs} ms, max ${cost1.wal.maxMs} ms; load process event-loop delay p99 ${(ownDelay.percentile(99) / 1e6).toFixed(2)} ms, max ${(ownDelay.max / 1e6).toFixed(2)} ms`);
  const n1 = Math.max(1, acked);
  console.log(`server main isolate: ${cost1.gcNvp.scavenges} scavenges, ${cost1.gcNvp.markCompacts} mark-compacts; ${(cost1.gcNvp.allocated / n1).toFixed(0)} B allocated and ${(cost1.gcNvp.promoted / n1).toFixed(0)} B promoted to the old generation per order; ${(cost1.admissionMessages / n1).toFixed(3)} admission-worker messages per order`);
  console.log(threadLine(cost1, acked));
  for (const l of episodes(p1, cost1.events)) console.log(l);

  // The subscribers' figures of the timed phase, then the floor phase: the same server, subscribers and
  // tick spacing with orders at `--floor-rate` (default 400/s, still a change in every 25 ms tick) for
  // `--floor-seconds`, so the order path's CPU is (nearly) absent; its delivery latency is what the machine
  // gives this fan-out at all, measured in the same run.
  const fanout = fans.length > 0 ? await fanPhase(fans, subscribers, feed1, (lastAck - t0) / 1000, "") : null;
  let floorFan: FanPhase | null = null;
  let feedFloor: FeedMark | null = null;
  if (fans.length > 0 && floor.length > 0) {
    await sleep(500);
    await fanPhase(fans, subscribers, await feedMark(server), 1, null); // what arrived between the phases
    const pf = await sendOrders(floor, floorRate);
    const feedF = (feedFloor = await feedMark(server));
    floorFan = await fanPhase(fans, subscribers, feedF, (pf.lastAck - pf.t0) / 1000, `floor (${floorRate} orders/s, ack p99 ${pct(pf.lat, 0.99).toFixed(2)} ms): `);
    if (fanout !== null && fanout.p99 !== null && floorFan.p99 !== null) console.log(`fan-out p99 under load ${fanout.p99} ms against the floor's ${floorFan.p99} ms in the same run (x${(fanout.p99 / floorFan.p99).toFixed(2)})`);
  }
  for (const f of fans) await stop(f);

  // ---- phase 2: Bulk transactions (64 PLACE actions under one signature), 16 in flight per socket, full
  // speed. Socket c sends only the bulks of the traders k with k % conns == c, in nonce order.
  let bAcked = 0;
  let bErrors = 0;
  let bFirstError = "";
  for (const ws of sockets) ws.close();
  const bulkSockets = await Promise.all(Array.from({ length: conns }, () => connect(wsUrl)));
  const queues: string[][] = bulkSockets.map(() => []);
  batched.forEach((o, i) => queues[(i % traders) % conns].push(o));
  await mark(server);
  const t1 = performance.now();
  await Promise.all(bulkSockets.map((ws, c) => new Promise<void>((ok) => {
    const q = queues[c];
    let next = 0;
    let answered = 0;
    const sendNext = () => {
      if (next >= q.length) return;
      const i = next++;
      ws.send(`{"jsonrpc":"2.0","id":${i},"method":"rb_bulk","params":[${q[i]}]}`);
    };
    ws.onmessage = (e) => {
      const s = String(e.data);
      if (s.includes('"error"')) {
        bErrors++;
        if (bFirstError === "") bFirstError = s.slice(0, 300);
      } else bAcked += perBulk;
      if (++answered === q.length) ok();
      else sendNext();
    };
    if (q.length === 0) ok();
    for (let i = 0; i < 16; i++) sendNext();
  })));
  const bulkPerS = (bAcked / (performance.now() - t1)) * 1000;
  const cost2 = await mark(server);
  console.log(`bulk: ${bAcked} orders in ${batched.length} Bulk txs of ${perBulk} (${bErrors} refused${bFirstError ? `, first: ${bFirstError}` : ""}) = ${bulkPerS.toFixed(0)} orders/s; server ${(cost2.cpuUs / Math.max(1, bAcked)).toFixed(1)} us CPU, ${(cost2.mainCpuUs / Math.max(1, bAcked)).toFixed(1)} us main-thread CPU per order`);
  console.log(`bulk: ${threadLine(cost2, bAcked)}`);

  for (const ws of bulkSockets) ws.close();
  await stop(server);
  console.log(JSON.stringify({
    bench: "rpc",
    orders_per_s: Math.round(ordersPerS),
    ack_ms_p50: Number(pct(lat, 0.5).toFixed(2)),
    ack_ms_p99: Number(pct(lat, 0.99).toFixed(2)),
    warmup_ack_ms_p99: warmP99,
    server_warmup_orders: serverWarmUp,
    server_node_args: [...nodeSettings, ...extra].join(" "),
    fanout_nice: args.includes("--fanout-nice") ? arg(args, "fanout-nice", 0) : DEFAULT_CONFIG.rpc.fanoutNice,
    subscriber_nice: subscriberNice,
    bulk_orders_per_s: Math.round(bulkPerS),
    fanout_subscribers: subscribers,
    fanout_ms_p99: fanout?.p99 ?? null,
    server_cpu_us_per_order: Number(perOrder.cpuUs.toFixed(1)),
    server_main_us_per_order: Number(perOrder.mainUs.toFixed(1)),
    server_fanout_procs_us_per_order: Number(perOrder.fanoutUs.toFixed(1)),
    server_cpu_us_per_order_by_thread: perOrderByThread(cost1, acked),
    wal_groups_per_s: Math.round(cost1.wal.groups / ((lastAck - t0) / 1000)),
    wal_group_interval_ms: walIntervalMs,
    fanout_cut: Object.values(fanout?.closes ?? {}).reduce((a, b) => a + b, 0),
    fanout_gaps: fanout?.gaps ?? 0,
    tick_ms: tickMs,
    max_tick_ms: maxTickMs,
    fanout_ticks_per_s: Number((feed1.ticks / ((lastAck - t0) / 1000)).toFixed(1)),
    fanout_writes_per_s: Math.round(feed1.writes / ((lastAck - t0) / 1000)),
    fanout_tick_delay_ms_p99: feed1.delayP99,
    fanout_tick_late_ms_p99: feed1.lateP99,
    fanout_ms_p50: fanout?.p50 ?? null,
    fanout_tick_write_ms_p50: feed1.writeLagP50,
    fanout_tick_write_ms_p99: feed1.writeLagP99,
    fanout_tick_read_ms_p50: fanout?.readP50 ?? null,
    fanout_tick_read_ms_p99: fanout?.readP99 ?? null,
    fanout_floor_rate: floorFan === null ? null : floorRate,
    fanout_floor_ms_p50: floorFan?.p50 ?? null,
    fanout_floor_ms_p99: floorFan?.p99 ?? null,
    fanout_floor_tick_delay_ms_p99: feedFloor?.delayP99 ?? null,
    fanout_floor_tick_write_ms_p99: feedFloor?.writeLagP99 ?? null,
    fanout_floor_tick_read_ms_p99: floorFan?.readP99 ?? null,
    fanout_floor_gaps: floorFan?.gaps ?? null,
    server_fanout_procs: serverFanout,
    errors: errors + bErrors,
    server_loop_delay_ms_p99: cost1.loopDelay.p99Ms,
    server_promoted_bytes_per_order: Math.round(cost1.gcNvp.promoted / n1),
    server_allocated_bytes_per_order: Math.round(cost1.gcNvp.allocated / n1),
    server_mark_compacts: cost1.gcNvp.markCompacts,
    admission_messages_per_order: Number((cost1.admissionMessages / n1).toFixed(3)),
    server_gc_ms_max: cost1.gc.maxMs,
    wal_sync_ms_max: cost1.wal.maxMs,
    load_average: (await import("node:os")).loadavg()[0].toFixed(1),
  }));
}
