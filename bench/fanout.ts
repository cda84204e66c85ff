// `npm run bench -- fanout [--subscribers K] [--rate R] [--seconds S] [--tick-ms MIN] [--max-tick-ms MAX]
// [--server-fanout F] [--fanout-procs P] [--fanout-nice N] [--subscriber-nice N]`: the cost of fanning book deltas out to K WebSocket subscribers,
// isolated from the order path (docs/benchmarks.md "fanout"). The RPC server runs in this process over a
// SoftNode; K subscribers in P separate processes (bench/_rpc-fanout.ts, raw RFC 6455 clients that parse
// every frame and check every seq) subscribe to book:1. Then orders are executed in-process at R per second
// for S seconds (every one changes the book), so the feed's own tick decides how many deltas go out
// (feeds.ts: at least MIN ms apart, stretched by the measured write cost up to MAX), twice: with the
// subscribers and, as the baseline, after they left. The difference in this thread's CPU time is the
// fan-out's cost on the main thread; the fan-out processes' CPU (F > 0) is read from /proc, the subscriber
// processes report theirs. Delivery latency is receipt minus the delta's changedAt (the time its first
// change reached the feed). Ends with one JSON line.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg, setPriority } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { LagHistogram } from "../node/rpc/lag.ts";
import { DEFAULT_RPC_OPTIONS } from "../node/rpc/options.ts";
import { createRpcServer } from "../node/rpc/server.ts";
import { SoftNode } from "../node/rpc/soft-node.ts";
import { DOMAIN, benchKeys, signedOrders } from "./_rpc-common.ts";
import { syntheticMarket } from "../node/sequencer/synthetic.ts";

const dir = path.dirname(fileURLToPath(import.meta.url));
const arg = (args: string[], name: string, dflt: number): number => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : dflt);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (us) of the given processes, from /proc (USER_HZ 100). */
function procCpuUs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    ticks += Number(rest[11]) + Number(rest[12]);
  }
  return ticks * 1e4;
}

interface SubscriberReport {
  /** tick -> read, node/rpc/lag.ts pairs. */
  lag_read: number[];
  deltas: number;
  gaps: number;
  hist: Record<string, number>;
  closes: Record<string, number>;
  cpu: number;
  cpu_us_per_message: number;
}

export async function main(args: string[]): Promise<void> {
  const subscribers = arg(args, "subscribers", 1000);
  const rate = arg(args, "rate", 200);
  const seconds = arg(args, "seconds", 5);
  const tickMs = arg(args, "tick-ms", DEFAULT_RPC_OPTIONS.tickMs);
  const maxTickMs = arg(args, "max-tick-ms", DEFAULT_RPC_OPTIONS.maxTickMs);
  const serverFanout = arg(args, "server-fanout", 1);
  const fanProcs = Math.max(1, arg(args, "fanout-procs", 1));
  const total = Math.round(rate * seconds);

  const keys = benchKeys(2);
  const node = new SoftNode({ domain: DOMAIN });
  for (const m of syntheticMarket(keys.map((k) => k.address))) node.enqueueL1(m);
  node.seal();
  const orders = signedOrders(keys, [0, 0], 2 * total, 7);
  const server = await createRpcServer({ view: node, options: { tickMs, maxTickMs, fanoutProcs: serverFanout, limits: { maxConnections: subscribers + 10 } } });
  const url = (await server.listen("127.0.0.1", 0)).replace("http", "ws") + "/ws";
  // `--fanout-nice N`: the fan-out processes' nice value (rpc.fanoutNice, set here on the running children).
  if (args.includes("--fanout-nice")) for (const pid of server.fanout?.pids() ?? []) setPriority(pid, arg(args, "fanout-nice", 0));

  const fans = await Promise.all(Array.from({ length: fanProcs }, (_, i) => new Promise<{ stop: () => Promise<SubscriberReport> }>((ok, fail) => {
    const k = Math.floor(subscribers / fanProcs) + (i < subscribers % fanProcs ? 1 : 0);
    const child = spawn(process.execPath, [path.join(dir, "_rpc-fanout.ts"), url, String(k)], { stdio: ["pipe", "pipe", "inherit"] });
    // `--subscriber-nice N`: the subscriber processes' nice value (harness: how much CPU the clients take).
    if (args.includes("--subscriber-nice")) setPriority(child.pid!, arg(args, "subscriber-nice", 0));
    const lines: string[] = [];
    const done = new Promise<SubscriberReport>((r) => child.once("exit", () => r(JSON.parse(lines.at(-1)!) as SubscriberReport)));
    createInterface({ input: child.stdout! }).on("line", (l) => {
      lines.push(l);
      if (l === "SUBSCRIBED") ok({ stop: () => (child.stdin!.end(), done) });
    });
    child.once("exit", (code) => code !== 0 && fail(new Error(`subscriber process exited (${code})`)));
  })));

  // `total` orders at `rate`/s; returns this thread's CPU (us), the fan-out processes' CPU (us), the wall
  // time, the ticks that wrote and the socket writes made.
  let next = 0;
  const run = async () => {
    const pids = server.fanout?.pids() ?? [];
    const c0 = process.threadCpuUsage();
    const p0 = procCpuUs(pids);
    const ticks0 = server.feeds.ticks;
    const sent0 = server.feeds.sent;
    const writes0 = server.fanout?.writes ?? 0;
    const w0 = performance.now();
    for (let i = 0; i < total; i++) {
      node.submitSync(orders[next++]);
      const wait = w0 + ((i + 1) * 1000) / rate - performance.now();
      if (wait >= 1) await sleep(wait);
    }
    const wallMs = performance.now() - w0;
    await sleep(300); // the last tick and the child's next cost report (every 100 ms)
    const c = process.threadCpuUsage(c0);
    return {
      mainUs: c.user + c.system, childUs: procCpuUs(pids) - p0, wallMs, ticks: server.feeds.ticks - ticks0,
      messages: server.feeds.sent - sent0, writes: (server.fanout?.writes ?? 0) - writes0,
    };
  };
  const load0 = loadavg()[0];
  server.fanout?.lag.drain(); // the subscribe phase's writes
  server.fanout?.hop.drain();
  const withSubs = await run();
  const lag = server.fanout?.lag ?? null;
  const hop = server.fanout?.hop ?? null;
  const where = { writeP50: lag?.quantile(0.5) ?? null, writeP99: lag?.quantile(0.99) ?? null, hopP50: hop?.quantile(0.5) ?? null, hopP99: hop?.quantile(0.99) ?? null };
  const read = new LagHistogram();
  const interval = server.feeds.intervalMs;
  const usPerWrite = (server.fanout ?? null)?.usPerWrite ?? null;
  const hist = new Map<number, number>();
  let deltas = 0;
  let gaps = 0;
  let cut = 0;
  const subCpu: number[] = [];
  const subUs: number[] = [];
  for (const f of fans) {
    const r = await f.stop();
    deltas += r.deltas;
    gaps += r.gaps;
    cut += Object.values(r.closes).reduce((a, b) => a + b, 0);
    subCpu.push(r.cpu);
    subUs.push(r.cpu_us_per_message);
    read.merge(r.lag_read);
    for (const [ms, c] of Object.entries(r.hist)) hist.set(Number(ms), (hist.get(Number(ms)) ?? 0) + c);
  }
  await sleep(200);
  const base = await run();
  await server.close();

  const sorted = [...hist].sort((a, b) => a[0] - b[0]);
  const q = (p: number): number | null => {
    let seen = 0;
    for (const [ms, c] of sorted) if ((seen += c) > p * deltas) return ms;
    return null;
  };
  const s = withSubs.wallMs / 1000;
  const perMsgMain = (withSubs.mainUs - base.mainUs) / Math.max(1, withSubs.messages);
  const perMsgChild = withSubs.childUs / Math.max(1, withSubs.messages);
  // With fan-out processes the children count their socket writes; on the RPC thread each message is one.
  const writes = serverFanout > 0 ? withSubs.writes : withSubs.messages;
  console.log(`${subscribers} subscribers in ${fanProcs} process(es); ${total} orders at ${rate}/s in-process; tick ${tickMs}-${maxTickMs} ms; server fan-out processes ${serverFanout}`);
  console.log(`ticks: ${withSubs.ticks} in ${s.toFixed(2)} s = ${(withSubs.ticks / s).toFixed(1)} deltas/s (last interval ${interval.toFixed(1)} ms${usPerWrite === null ? "" : `, fan-out processes report ${usPerWrite.toFixed(2)} us CPU per socket write`})`);
  console.log(`messages: ${withSubs.messages} (${(withSubs.messages / s).toFixed(0)}/s); socket writes ${writes} (${(writes / s).toFixed(0)}/s)`);
  console.log(`CPU per subscriber message: main thread ${perMsgMain.toFixed(2)} us (${(withSubs.mainUs / s / 1e4).toFixed(1)}% of a core with subscribers, ${(base.mainUs / (base.wallMs / 1000) / 1e4).toFixed(1)}% without), fan-out processes ${perMsgChild.toFixed(2)} us (${(withSubs.childUs / s / 1e4).toFixed(1)}% of a core), subscriber processes ${subUs.join(", ")} us (${subCpu.join(", ")} cores)`);
  console.log(`delivered ${deltas} deltas (${gaps} seq gaps, ${cut} cut); delivery p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${sorted.at(-1)?.[0] ?? null} ms`);
  console.log(`where the time goes (p50 / p99 ms): tick -> arrival in the fan-out process ${where.hopP50} / ${where.hopP99}, tick -> end of the socket write ${where.writeP50} / ${where.writeP99}, tick -> read by the subscriber ${read.quantile(0.5)} / ${read.quantile(0.99)}`);
  console.log(JSON.stringify({
    bench: "fanout", subscribers, rate, seconds, tick_ms: tickMs, max_tick_ms: maxTickMs, server_fanout_procs: serverFanout,
    deltas_per_s: Number((withSubs.ticks / s).toFixed(1)), socket_writes_per_s: Math.round(writes / s),
    main_us_per_message: Number(perMsgMain.toFixed(3)), fanout_procs_us_per_message: Number(perMsgChild.toFixed(3)),
    fanout_procs_cores: Number((withSubs.childUs / s / 1e6).toFixed(3)), subscriber_us_per_message: subUs,
    deltas, gaps, cut, fanout_ms_p50: q(0.5), fanout_ms_p99: q(0.99),
    tick_write_ms_p50: where.writeP50, tick_write_ms_p99: where.writeP99, tick_read_ms_p50: read.quantile(0.5), tick_read_ms_p99: read.quantile(0.99),
    load_average: `${load0.toFixed(1)}-${loadavg()[0].toFixed(1)}`,
  }));
}
