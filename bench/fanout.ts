// `npm run bench -- fanout [--subscribers K] [--ticks T] [--tick-ms MS] [--server-fanout F] [--fanout-procs P]`:
// the cost of fanning book deltas out to K WebSocket subscribers, isolated from the order path
// (docs/benchmarks.md "fanout"). The RPC server runs in this process over a SoftNode; K subscribers in P
// separate processes (bench/_rpc-fanout.ts) subscribe to book:1. Then T ticks, each with one resting order
// executed in-process, then a sleep of one tick (so every tick carries one delta and no request is
// parsed; when the fan-out runs on this thread it also slows the loop, hence deltas_per_s), twice: with the
// subscribers and, as the baseline, after they left. The difference in this thread's CPU time is the
// fan-out's cost on the main thread; the fan-out processes' CPU (F > 0) is read from /proc. Delivery
// latency is receipt minus the delta's changedAt. Ends with one JSON line.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createRpcServer } from "../node/rpc/server.ts";
import { SoftNode } from "../node/rpc/soft-node.ts";
import { DOMAIN, benchKeys, setupMessages, signedOrders } from "./_rpc-common.ts";

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

export async function main(args: string[]): Promise<void> {
  const subscribers = arg(args, "subscribers", 1000);
  const ticks = arg(args, "ticks", 300);
  const tickMs = arg(args, "tick-ms", 10);
  const serverFanout = arg(args, "server-fanout", 0);
  const fanProcs = Math.max(1, arg(args, "fanout-procs", 1));

  const keys = benchKeys(2);
  const node = new SoftNode({ domain: DOMAIN });
  for (const m of setupMessages(keys.map((k) => k.address))) node.enqueueL1(m);
  node.seal();
  const orders = signedOrders(keys, [0, 0], 2 * ticks, 7);
  const server = await createRpcServer({ view: node, options: { tickMs, fanoutProcs: serverFanout, limits: { maxConnections: subscribers + 10 } } });
  const url = (await server.listen("127.0.0.1", 0)).replace("http", "ws") + "/ws";

  const fans = await Promise.all(Array.from({ length: fanProcs }, (_, i) => new Promise<{ stop: () => Promise<string> }>((ok, fail) => {
    const k = Math.floor(subscribers / fanProcs) + (i < subscribers % fanProcs ? 1 : 0);
    const child = spawn(process.execPath, [path.join(dir, "_rpc-fanout.ts"), url, String(k)], { stdio: ["pipe", "pipe", "inherit"] });
    const lines: string[] = [];
    const done = new Promise<string>((r) => child.once("exit", () => r(lines.at(-1)!)));
    createInterface({ input: child.stdout! }).on("line", (l) => {
      lines.push(l);
      if (l === "SUBSCRIBED") ok({ stop: () => (child.stdin!.end(), done) });
    });
    child.once("exit", (code) => code !== 0 && fail(new Error(`subscriber process exited (${code})`)));
  })));

  // T ticks with one delta each; returns this thread's CPU (us) and the fan-out processes' CPU (us).
  let next = 0;
  const run = async (): Promise<{ mainUs: number; childUs: number; wallMs: number }> => {
    const pids = server.fanout?.pids() ?? [];
    const c0 = process.threadCpuUsage();
    const p0 = procCpuUs(pids);
    const w0 = performance.now();
    for (let t = 0; t < ticks; t++) {
      node.submitSync(orders[next++]);
      await sleep(tickMs);
    }
    const wallMs = performance.now() - w0;
    await sleep(100);
    const c = process.threadCpuUsage(c0);
    return { mainUs: c.user + c.system, childUs: procCpuUs(pids) - p0, wallMs };
  };
  const load0 = loadavg()[0];
  const sent0 = server.feeds.sent;
  const withSubs = await run();
  const messages = server.feeds.sent - sent0;
  const hist = new Map<number, number>();
  let deltas = 0;
  let gaps = 0;
  for (const f of fans) {
    const r = JSON.parse(await f.stop()) as { deltas: number; gaps: number; hist: Record<string, number> };
    deltas += r.deltas;
    gaps += r.gaps;
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
  const perTickMain = (withSubs.mainUs - base.mainUs) / ticks;
  const perTickChild = withSubs.childUs / ticks;
  console.log(`${subscribers} subscribers in ${fanProcs} process(es), ${ticks} ticks of ${tickMs} ms with one delta each, server fan-out processes ${serverFanout}`);
  console.log(`main thread: ${(withSubs.mainUs / ticks).toFixed(0)} us per tick with subscribers, ${(base.mainUs / ticks).toFixed(0)} without: fan-out ${perTickMain.toFixed(0)} us per tick = ${(perTickMain / subscribers).toFixed(2)} us per subscriber message (${messages} messages written)`);
  console.log(`fan-out processes: ${perTickChild.toFixed(0)} us per tick = ${(perTickChild / subscribers).toFixed(2)} us per subscriber message`);
  console.log(`the ${ticks} ticks took ${(withSubs.wallMs / 1000).toFixed(2)} s with subscribers (${((ticks * 1000) / withSubs.wallMs).toFixed(0)} deltas/s), ${(base.wallMs / 1000).toFixed(2)} s without`);
  console.log(`delivered ${deltas} deltas (${gaps} seq gaps); delivery p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${sorted.at(-1)?.[0] ?? null} ms`);
  console.log(JSON.stringify({
    bench: "fanout", subscribers, ticks, tick_ms: tickMs, server_fanout_procs: serverFanout,
    main_us_per_tick: Number(perTickMain.toFixed(1)), main_us_per_message: Number((perTickMain / subscribers).toFixed(3)),
    fanout_procs_us_per_tick: Number(perTickChild.toFixed(1)), deltas_per_s: Math.round((ticks * 1000) / withSubs.wallMs), deltas, gaps, fanout_ms_p50: q(0.5), fanout_ms_p99: q(0.99),
    load_average: `${load0.toFixed(1)}-${loadavg()[0].toFixed(1)}`,
  }));
}
