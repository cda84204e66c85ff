// `npm run bench -- wsrequests [--requests 100000] [--conns 4] [--window 16] [--server-fanout 1]`
// (docs/benchmarks.md "fanout"): the CPU cost of the WebSocket transport alone, per request, on the RPC
// thread and in the fan-out processes. An RPC server over a SoftNode in this process; a client process
// (bench/_wsrequests-client.ts) with C raw WebSocket connections keeping W `net_version` requests in
// flight each, so what is measured is reading frames, dispatch of the cheapest method and writing answers,
// with no order path and no WAL to batch differently from run to run. This thread's CPU time
// (`process.threadCpuUsage`) and the fan-out processes' (/proc) over the timed phase, divided by the requests.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createRpcServer } from "../node/rpc/server.ts";
import { SoftNode } from "../node/rpc/soft-node.ts";
import { DOMAIN } from "./_rpc-common.ts";

const dir = path.dirname(fileURLToPath(import.meta.url));
const arg = (args: string[], name: string, dflt: number): number => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : dflt);

/** CPU time (us) of the given processes, from /proc (USER_HZ 100). */
function procCpuUs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const rest = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    ticks += Number(rest[11]) + Number(rest[12]);
  }
  return ticks * 1e4;
}

export async function main(args: string[]): Promise<void> {
  const requests = arg(args, "requests", 100_000);
  const conns = arg(args, "conns", 4);
  const window = arg(args, "window", 16);
  const fanoutProcs = arg(args, "server-fanout", 1);
  const node = new SoftNode({ domain: DOMAIN });
  const server = await createRpcServer({ view: node, options: { fanoutProcs, limits: { connRate: 1e9, connBurst: 1e9 } } });
  const url = (await server.listen("127.0.0.1", 0)).replace("http", "ws") + "/ws";
  const load0 = loadavg()[0];
  const client = spawn(process.execPath, [path.join(dir, "_wsrequests-client.ts"), url, String(requests), String(conns), String(window)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  const exited = new Promise((r) => client.once("exit", r));
  await new Promise<void>((ok) => createInterface({ input: client.stdout! }).on("line", (l) => {
    lines.push(l);
    if (l === "READY") ok();
  }));
  const pids = server.fanout?.pids() ?? [];
  const main0 = process.threadCpuUsage();
  const fan0 = procCpuUs(pids);
  const t0 = performance.now();
  await exited;
  const ms = performance.now() - t0;
  const m = process.threadCpuUsage(main0);
  const fanUs = procCpuUs(pids) - fan0;
  await server.close();
  const mainUs = (m.user + m.system) / requests;
  const fanPer = fanUs / requests;
  console.log(`${requests} net_version requests over ${conns} WebSockets (${window} in flight each), server fan-out processes ${fanoutProcs}: ${(ms / 1000).toFixed(2)} s = ${Math.round(requests / (ms / 1000))}/s`);
  console.log(`CPU per request: RPC thread ${mainUs.toFixed(2)} us, fan-out processes ${fanPer.toFixed(2)} us (/proc, 10 ms resolution); load average ${load0.toFixed(1)}`);
  console.log(JSON.stringify({ bench: "wsrequests", requests, conns, window, server_fanout: fanoutProcs, requests_per_s: Math.round(requests / (ms / 1000)), main_us_per_request: Number(mainUs.toFixed(2)), fanout_procs_us_per_request: Number(fanPer.toFixed(2)), load_average: Number(load0.toFixed(1)) }));
}
