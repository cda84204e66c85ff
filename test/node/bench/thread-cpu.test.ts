// The rpc bench's per-thread CPU tally (bench/_thread-cpu.ts) on this machine's /proc.

import { expect } from "chai";
import { Worker } from "node:worker_threads";
import { ThreadCpu, kindOf, parseTaskStat, readTasks } from "../../../bench/_thread-cpu.ts";

describe("bench: CPU by thread from /proc/self/task", () => {
  it("parses a stat line whose thread name holds spaces and parentheses", () => {
    // Fields 14 and 15 (utime, stime) are 250 and 50 ticks: 3 s at USER_HZ 100.
    const line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 10 0 0 0 250 50 0 0 20 0 8 0 100 1000 200";
    expect(parseTaskStat(line)).to.deep.equal({ comm: "a (b) c", cpuUs: 3_000_000 });
    expect(() => parseTaskStat("garbage")).to.throw();
  });

  it("lists this process's threads, the main thread by its id, with the CPU that thread used", () => {
    const before = readTasks().find((t) => t.tid === process.pid);
    expect(before?.comm).to.equal("node");
    // Spin until the thread itself counts 200 ms of CPU (wall time would depend on the machine's load).
    const c0 = process.threadCpuUsage();
    let x = 0;
    for (let d = process.threadCpuUsage(c0); d.user + d.system < 200_000; d = process.threadCpuUsage(c0)) x += Math.sqrt(x + 1);
    const after = readTasks().find((t) => t.tid === process.pid)!;
    // /proc counts in 10 ms ticks: within a few ticks of the thread's own figure.
    expect(after.cpuUs - before!.cpuUs).to.be.within(150_000, 260_000);
    expect(x).to.be.greaterThan(0);
  });

  it("names the kinds: main, libuv's pool, V8's threads at start, worker_threads started later", () => {
    const startup = new Set([7, 8]);
    expect(kindOf(process.pid, "node", startup)).to.equal("main");
    expect(kindOf(7, "node", startup)).to.equal("v8");
    expect(kindOf(9, "DelayedTaskSche", startup)).to.equal("v8");
    expect(kindOf(10, "libuv-worker", startup)).to.equal("libuv");
    expect(kindOf(11, "node", startup)).to.equal("workers");
    expect(kindOf(12, "leveldb", startup)).to.equal("other");
  });

  it("attributes a spinning worker thread's CPU to `workers` and the main thread's to `main`", async () => {
    const cpu = new ThreadCpu();
    // The worker spins until it has used 300 ms of CPU, then idles until terminated.
    const w = new Worker("const c = process.threadCpuUsage(); let x = 0; for (let d = process.threadCpuUsage(c); d.user + d.system < 300000; d = process.threadCpuUsage(c)) x += Math.sqrt(x + 1); require('node:worker_threads').parentPort.postMessage(x); setInterval(() => {}, 1000);", { eval: true });
    await new Promise((ok) => w.once("message", ok));
    const s = cpu.sample(); // the worker is still listed: it idles until terminated
    await w.terminate();
    expect(s.workers.threads).to.equal(1);
    expect(s.workers.us).to.be.within(250_000, 400_000);
    expect(s.main.threads).to.equal(1);
    expect(s.v8.threads).to.be.greaterThan(0);
    // The next window starts from this one's figures (the worker, gone now, is not listed).
    const next = cpu.sample();
    expect(next.workers.threads).to.equal(0);
    expect(next.main.us).to.be.lessThan(100_000);
  });
});
