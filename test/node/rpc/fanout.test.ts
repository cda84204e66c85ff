// WebSocket fan-out processes (node/rpc/fanout.ts, fanout-process.ts; docs/api.md "Fan-out processes"):
// the sockets live in child processes and the main thread sends each tick's delta once per child (and the
// children report the CPU time of their socket writes). Every
// subscriber, whichever child owns it, receives the same deltas in seq order ending at the feed's seq; a
// child that dies takes only its own connections (reported gone, their subscriptions dropped) and is
// replaced, and new connections are served. The children write with the native send loop (send-loop.ts)
// where the addon is built, and through libuv without it. The slow-consumer cut-off in a child is in
// ws.test.ts, which runs every WebSocket test with and without fan-out processes.

import { expect } from "chai";
import { getPriority } from "node:os";
import { register } from "prom-client";
import { type Harness, startHarness, sleep, until } from "./helpers.ts";

interface Sub {
  ws: WebSocket;
  seqs: number[];
  closed: number | null;
}

async function subscribe(url: string): Promise<Sub> {
  const s: Sub = { ws: new WebSocket(url), seqs: [], closed: null };
  await new Promise<void>((ok, fail) => {
    s.ws.onerror = () => fail(new Error("connect failed"));
    s.ws.onclose = (e) => (s.closed = e.code);
    s.ws.onopen = () => s.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rb_subscribe", params: ["book", { market: 1 }] }));
    s.ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.id === 1) ok();
      else if (m.params?.result?.type === "delta") s.seqs.push(m.params.result.seq);
    };
  });
  return s;
}

const gauge = async (): Promise<number> => (await register.getSingleMetric("rollbook_rpc_ws_connections")!.get()).values[0].value;

describe("rpc: WebSocket fan-out processes", () => {
  let h: Harness;
  afterEach(async () => h.close());

  it("delivers every delta in order to 120 subscribers spread over 3 processes", async () => {
    h = await startHarness(2, { fanoutProcs: 3 });
    const subs = await Promise.all(Array.from({ length: 120 }, () => subscribe(h.wsUrl)));
    const [a, b] = h.traders;
    for (let i = 0; i < 200; i++) {
      h.node.submitSync(a.sell(1000 + (i % 9), 1 + (i % 3)));
      h.node.submitSync(b.buy(990 - (i % 7), 1));
      if (i % 5 === 0) h.node.submitSync(b.buy(1004, 2));
      if (i % 20 === 0) await sleep(12);
    }
    await sleep(30);
    const last = h.server.feeds.bookSeq(1);
    expect(last).to.be.greaterThan(5);
    await until(() => subs.every((s) => s.seqs.at(-1) === last));
    const first = subs[0].seqs;
    for (let i = 1; i < first.length; i++) expect(first[i]).to.equal(first[i - 1] + 1);
    for (const s of subs) expect(s.seqs).to.deep.equal(first);
    // the children report their socket writes and the CPU they took (what the tick is spaced by)
    await until(() => h.server.fanout!.writes > 0);
    expect(h.server.fanout!.parallel).to.equal(3);
    expect(h.server.fanout!.usPerWrite).to.be.greaterThan(0).and.lessThan(1e6);
    // and, per socket write that carried a tick's delta, the time from the tick to the end of the write,
    // from a stamp taken on the main thread (lag.ts nowMs: one clock for every process)
    // (one per socket write: at least one per subscriber, at most one per delta and subscriber)
    const fan = h.server.fanout!;
    await until(() => fan.lag.count >= 120);
    await sleep(150); // the children's next report
    expect(fan.lag.count).to.be.at.most(120 * first.length);
    expect(fan.hop.count).to.be.greaterThan(0);
    expect(fan.lag.quantile(0)).to.be.at.least(0);
    expect(fan.lag.quantile(0.5)).to.be.at.least(fan.hop.quantile(0)!).and.lessThan(5000);
    for (const s of subs) s.ws.close();
  });

  it("without the native send loop (SEND_BACKEND=js: the children write through libuv) every delta arrives in order", async () => {
    process.env.SEND_BACKEND = "js"; // the children forked now inherit it
    try {
      h = await startHarness(2, { fanoutProcs: 2 });
    } finally {
      delete process.env.SEND_BACKEND;
    }
    const subs = await Promise.all(Array.from({ length: 30 }, () => subscribe(h.wsUrl)));
    const [a, b] = h.traders;
    for (let i = 0; i < 60; i++) {
      h.node.submitSync(a.sell(1000 + (i % 9), 1));
      h.node.submitSync(b.buy(990 - (i % 7), 1));
      if (i % 10 === 0) await sleep(12);
    }
    await sleep(30);
    const last = h.server.feeds.bookSeq(1);
    await until(() => subs.every((s) => s.seqs.at(-1) === last));
    const first = subs[0].seqs;
    for (let i = 1; i < first.length; i++) expect(first[i]).to.equal(first[i - 1] + 1);
    for (const s of subs) expect(s.seqs).to.deep.equal(first);
    for (const s of subs) s.ws.close();
  });

  it("a connection that unsubscribes leaves its channel in the child: it gets no more deltas, the others do", async () => {
    h = await startHarness(2, { fanoutProcs: 2 });
    const subs = await Promise.all(Array.from({ length: 6 }, () => subscribe(h.wsUrl)));
    const [a] = h.traders;
    h.node.submitSync(a.sell(1000, 1));
    await until(() => subs.every((s) => s.seqs.length === 1));
    const leaving = subs.slice(0, 3); // both processes hold some of them
    const answers: unknown[] = [];
    for (const s of leaving) {
      s.ws.onmessage = (e) => answers.push(JSON.parse(String(e.data)));
      s.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "rb_unsubscribe", params: ["book:1"] }));
    }
    await until(() => answers.length === 3);
    expect(answers.every((m) => (m as { result: unknown }).result === true)).to.equal(true);
    h.node.submitSync(a.sell(1001, 1));
    h.node.submitSync(a.sell(1002, 1));
    await until(() => subs.slice(3).every((s) => s.seqs.at(-1) === h.server.feeds.bookSeq(1)));
    await sleep(50);
    expect(answers).to.have.length(3); // no delta reached a connection that left
    for (const s of subs) s.ws.close();
  });

  it("a tick's message leaves for the children from the tick, not after the rest of the RPC thread's turn", async () => {
    h = await startHarness(2, { fanoutProcs: 1 });
    const sub = await subscribe(h.wsUrl);
    const fan = h.server.fanout!;
    await until(() => sub.ws.readyState === WebSocket.OPEN);
    await sleep(150);
    fan.hop.drain();
    // the RPC thread stays busy for 300 ms right after the tick (as with a long I/O round)
    h.server.feeds.onTick = () => {
      const end = performance.now() + 300;
      while (performance.now() < end);
    };
    h.node.submitSync(h.traders[0].sell(1200, 1));
    await until(() => sub.seqs.at(-1) === h.server.feeds.bookSeq(1));
    h.server.feeds.onTick = null;
    await until(() => fan.hop.count > 0);
    expect(fan.hop.quantile(1)).to.be.lessThan(250); // arrived in the child while this thread was busy
    sub.ws.close();
  });

  it("runs the children at rpc.fanoutNice, a replaced one too", async () => {
    h = await startHarness(2, { fanoutProcs: 2, fanoutNice: 3 });
    const pids = h.server.fanout!.pids();
    expect(pids.map((p) => getPriority(p))).to.deep.equal([3, 3]);
    process.kill(pids[0], "SIGKILL");
    await until(() => h.server.fanout!.pids()[0] !== pids[0]);
    expect(getPriority(h.server.fanout!.pids()[0])).to.equal(3);
    expect(getPriority(process.pid)).to.equal(0); // the node itself keeps its own
  });

  it("a fan-out process that dies takes only its connections, which are dropped, and is replaced", async () => {
    h = await startHarness(2, { fanoutProcs: 2 });
    const base = await gauge();
    const subs = await Promise.all(Array.from({ length: 10 }, () => subscribe(h.wsUrl)));
    expect(await gauge()).to.equal(base + 10);
    const [victim, other] = h.server.fanout!.pids();
    process.kill(victim, "SIGKILL");
    await until(() => subs.filter((s) => s.closed !== null).length === 5);
    await until(() => h.server.fanout!.pids()[0] !== victim);
    expect(h.server.fanout!.pids()[1]).to.equal(other);
    expect(await gauge()).to.equal(base + 5);
    // the survivors still get deltas, and new connections are served (by either process)
    const late = await Promise.all(Array.from({ length: 4 }, () => subscribe(h.wsUrl)));
    h.node.submitSync(h.traders[0].sell(1500, 1));
    const live = [...subs.filter((s) => s.closed === null), ...late];
    await until(() => live.every((s) => s.seqs.length === 1));
    for (const s of live) s.ws.close();
  });

  it("a terminal's Ctrl-C (SIGINT to the process group) leaves the children to the node's own shutdown", async () => {
    h = await startHarness(2, { fanoutProcs: 1 });
    const subs = await Promise.all(Array.from({ length: 3 }, () => subscribe(h.wsUrl)));
    const [child] = h.server.fanout!.pids();
    process.kill(child!, "SIGINT");
    await sleep(200);
    expect(h.server.fanout!.pids()).to.deep.equal([child]);
    h.node.submitSync(h.traders[0].sell(1500, 1));
    await until(() => subs.every((s) => s.seqs.length === 1));
    expect(subs.every((s) => s.closed === null)).to.equal(true);
    for (const s of subs) s.ws.close();
  });
});
