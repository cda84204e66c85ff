// `npm run bench -- wal [--rate N] [--seconds S] [--intervals 0,2,4] [--rounds R]`: the sequencer's WAL
// (node/sequencer/wal.ts) alone at N order-sized TX records per second (default 5,000, issued every ~1 ms
// as the rpc bench's arrivals come), for S seconds (default 5) per group spacing (WalOptions
// .groupIntervalMs), the spacings alternated R times (default 2). Per run: groups per second, records per
// group, acknowledgement latency (request -> durable, p50 / p99 / max ms), and CPU per record and per group
// of the libuv pool (write + fdatasync) and of the main thread (bench/_thread-cpu.ts). Ends with one JSON
// line (every run). docs/benchmarks.md "rpc: server CPU by thread (branch cpu15)".

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wal } from "../node/sequencer/wal.ts";
import { ThreadCpu } from "./_thread-cpu.ts";

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
}

interface Run {
  interval_ms: number;
  groups_per_s: number;
  records_per_group: number;
  ack_ms_p50: number;
  ack_ms_p99: number;
  ack_ms_max: number;
  libuv_us_per_record: number;
  main_us_per_record: number;
  libuv_us_per_group: number;
  main_us_per_group: number;
}

async function once(dir: string, rate: number, seconds: number, interval: number): Promise<Run> {
  const wal = new Wal(dir, { groupIntervalMs: interval });
  await wal.rotate(); // opens the segment (the first write is a rotation)
  const groups0 = wal.stats.groups;
  const threads = new ThreadCpu();
  const signer = "0x" + "ab".repeat(20);
  const tx = new Uint8Array(150).fill(7); // a single-order PLACE's encoding is ~150 bytes
  const lat: number[] = [];
  const acks: Promise<void>[] = [];
  const t0 = performance.now();
  const total = rate * seconds;
  let sent = 0;
  await new Promise<void>((ok) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      for (; sent < due; sent++) {
        const at = performance.now();
        acks.push(wal.tx(sent, "0x" + sent.toString(16).padStart(64, "0"), signer, tx).then(() => void lat.push(performance.now() - at)));
      }
      if (sent < total) setTimeout(tick, 1);
      else ok();
    };
    tick();
  });
  await Promise.all(acks);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = threads.sample();
  const groups = wal.stats.groups - groups0;
  wal.close();
  lat.sort((a, b) => a - b);
  const q = (p: number): number => Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2));
  return {
    interval_ms: interval,
    groups_per_s: Math.round(groups / wallS),
    records_per_group: Number((total / groups).toFixed(1)),
    ack_ms_p50: q(0.5),
    ack_ms_p99: q(0.99),
    ack_ms_max: Number(lat.at(-1)!.toFixed(2)),
    libuv_us_per_record: Number((cpu.libuv.us / total).toFixed(2)),
    main_us_per_record: Number((cpu.main.us / total).toFixed(2)),
    libuv_us_per_group: Math.round(cpu.libuv.us / groups),
    main_us_per_group: Math.round(cpu.main.us / groups),
  };
}

export async function main(args: string[]): Promise<void> {
  const rate = Number(arg(args, "rate", "5000"));
  const seconds = Number(arg(args, "seconds", "5"));
  const intervals = arg(args, "intervals", "0,2,4").split(",").map(Number);
  const rounds = Number(arg(args, "rounds", "2"));
  const root = mkdtempSync(path.join(tmpdir(), "rollbook-wal-bench-"));
  const runs: Run[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const i of intervals) {
        const run = await once(path.join(root, `${r}-${i}`), rate, seconds, i);
        runs.push(run);
        console.log(`interval ${i} ms: ${run.groups_per_s} groups/s (${run.records_per_group} records each); ack p50 ${run.ack_ms_p50} ms, p99 ${run.ack_ms_p99} ms, max ${run.ack_ms_max} ms; per record libuv ${run.libuv_us_per_record} us, main ${run.main_us_per_record} us; per group libuv ${run.libuv_us_per_group} us, main ${run.main_us_per_group} us`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: "wal", rate, seconds, runs, load_average: (await import("node:os")).loadavg()[0].toFixed(1) }));
}
