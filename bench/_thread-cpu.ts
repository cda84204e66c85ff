// CPU time of this process's threads by kind, from /proc/self/task/<tid>/{stat,comm} (Linux): where the
// CPU that process.cpuUsage() reports for all threads goes (docs/benchmarks.md "rpc: server CPU by thread").
// Node names only some of its threads, so the kind comes from the name and from when the thread appeared:
//   main      the thread whose id is the process id
//   libuv     "libuv-worker": libuv's thread pool (fs writes and fdatasync, dns, zlib, crypto callbacks)
//   v8        "DelayedTaskSche" and the threads named "node" that exist when the tally starts: the V8
//             platform's worker threads (GC helpers of every isolate, concurrent compilation) and Node's
//             idle SIGUSR1 watchdog
//   workers   threads named "node" that appeared after the tally started: worker_threads (in the rpc bench
//             the sequencer's admission workers, started after the tally)
//   other     any other name

import { readFileSync, readdirSync } from "node:fs";

export type ThreadKind = "main" | "workers" | "libuv" | "v8" | "other";
export const THREAD_KINDS: readonly ThreadKind[] = ["main", "workers", "libuv", "v8", "other"];

/** CPU microseconds and live thread count of one kind over a window. */
export interface KindCpu {
  us: number;
  threads: number;
}
export type ThreadCpuSample = Record<ThreadKind, KindCpu>;

/** USER_HZ: /proc reports utime and stime in these ticks (100 on every Linux this runs on). */
const TICKS_PER_S = 100;

/**
 * One /proc/<pid>/task/<tid>/stat line: the thread's name (field 2, in parentheses, may itself hold spaces
 * and parentheses: the last ")" ends it) and utime + stime (fields 14 and 15) in microseconds.
 */
export function parseTaskStat(stat: string): { comm: string; cpuUs: number } {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${stat.slice(0, 80)}`);
  const rest = stat.slice(close + 2).split(" "); // rest[0] is field 3 (state)
  const ticks = Number(rest[11]) + Number(rest[12]);
  if (!Number.isFinite(ticks)) throw new Error(`no utime/stime in: ${stat.slice(0, 80)}`);
  return { comm: stat.slice(open + 1, close), cpuUs: (ticks * 1e6) / TICKS_PER_S };
}

/** Every live thread of this process: id, name, CPU microseconds so far. */
export function readTasks(): { tid: number; comm: string; cpuUs: number }[] {
  const out: { tid: number; comm: string; cpuUs: number }[] = [];
  for (const t of readdirSync("/proc/self/task")) {
    try {
      out.push({ tid: Number(t), ...parseTaskStat(readFileSync(`/proc/self/task/${t}/stat`, "latin1")) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export function kindOf(tid: number, comm: string, startup: ReadonlySet<number>): ThreadKind {
  if (tid === process.pid) return "main";
  if (comm === "libuv-worker") return "libuv";
  if (comm === "DelayedTaskSche") return "v8";
  if (comm === "node") return startup.has(tid) ? "v8" : "workers";
  return "other";
}

/**
 * Per-kind CPU between calls of `sample()`. Construct it before starting worker_threads (so that they are
 * told apart from the V8 platform's threads). A thread that ended between two samples loses its last
 * window (it is no longer listed); a thread new since the last sample counts from zero.
 */
export class ThreadCpu {
  private readonly startup: Set<number>;
  private last = new Map<number, number>();

  constructor() {
    const tasks = readTasks();
    this.startup = new Set(tasks.filter((t) => t.comm === "node").map((t) => t.tid));
    for (const t of tasks) this.last.set(t.tid, t.cpuUs);
  }

  sample(): ThreadCpuSample {
    const s = Object.fromEntries(THREAD_KINDS.map((k) => [k, { us: 0, threads: 0 }])) as ThreadCpuSample;
    const now = new Map<number, number>();
    for (const t of readTasks()) {
      const k = s[kindOf(t.tid, t.comm, this.startup)];
      k.us += t.cpuUs - (this.last.get(t.tid) ?? 0);
      k.threads++;
      now.set(t.tid, t.cpuUs);
    }
    this.last = now;
    return s;
  }
}
