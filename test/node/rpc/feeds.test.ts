// The feeds' adaptive tick (node/rpc/feeds.ts; docs/api.md "Subscriptions"), over a real SoftNode: a change
// after a quiet spell is written at the end of its event-loop turn; while changes keep coming, ticks are
// spaced by the measured write cost (writes per process x CPU per write / FANOUT_CPU_SHARE) between the
// bounds; a new subscriber never gets a delta before its snapshot, whatever the order of the two in a turn;
// and the write cost estimate (ws-frame.ts WriteCost) follows what was measured, window by window.

import { expect } from "chai";
import { Registry } from "prom-client";
import { FANOUT_CPU_SHARE, Feeds, type Sink, type WriteCostSource, feedMetrics } from "../../../node/rpc/feeds.ts";
import { LagHistogram } from "../../../node/rpc/lag.ts";
import { SoftNode } from "../../../node/rpc/soft-node.ts";
import { type SharedMessage, WriteCost } from "../../../node/rpc/ws-frame.ts";
import { BASE, DOMAIN, QUOTE, Trader, deposit, makeKeys, setMarket } from "../clob/stf-helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const turn = () => new Promise((r) => setImmediate(r));

interface Got {
  type: string;
  seq: number;
  at: number;
  changedAt?: number;
  tickAt?: number;
  /** The shared message's stamp (NaN: not a tick's). */
  stamp: number;
}

/** A sink that records the book messages it is given, with the time they came. */
class Recorder implements Sink {
  readonly got: Got[] = [];
  private add(bytes: Buffer, stamp: number): void {
    const m = JSON.parse(bytes.toString()).params.result;
    this.got.push({ type: m.type, seq: m.seq, at: performance.now(), changedAt: m.changedAt, tickAt: m.tickAt, stamp });
  }
  send(data: Buffer | string): void {
    this.add(Buffer.from(data), NaN);
  }
  sendShared(m: SharedMessage): void {
    this.add(m.payload, m.stamp);
  }
  deltas(): Got[] {
    return this.got.filter((g) => g.type === "delta");
  }
}

function market(): { node: SoftNode; a: Trader; b: Trader } {
  const node = new SoftNode({ domain: DOMAIN, now: () => 1_000_000 });
  node.enqueueL1(setMarket(1));
  const [a, b] = makeKeys(2).map((k) => new Trader(k));
  for (const t of [a, b]) {
    node.enqueueL1(deposit(t.address, BASE, 1_000_000_000));
    node.enqueueL1(deposit(t.address, QUOTE, 1_000_000_000_000));
  }
  node.seal();
  return { node, a, b };
}

describe("rpc: the feeds' adaptive tick", () => {
  let feeds: Feeds | null = null;
  afterEach(() => feeds?.close());

  it("writes a change after a quiet spell at the end of its turn, all of the turn's changes in one delta", async () => {
    const { node, a, b } = market();
    feeds = new Feeds(node, { minMs: 200, maxMs: 400 });
    const sink = new Recorder();
    feeds.subscribeBook(sink, 1, 10);
    await turn();
    expect(sink.got.map((g) => g.type)).to.deep.equal(["snapshot"]);
    node.submitSync(a.sell(1000, 1));
    node.submitSync(b.buy(990, 1));
    expect(sink.deltas()).to.have.length(0);
    await turn();
    expect(sink.deltas().map((g) => g.seq)).to.deep.equal([1]);
    // the next change comes sooner than minMs after that tick: it waits for it
    node.submitSync(a.sell(1001, 1));
    await sleep(50);
    expect(sink.deltas()).to.have.length(1);
    await sleep(250);
    expect(sink.deltas().map((g) => g.seq)).to.deep.equal([1, 2]);
    // a delta carries the time of its first change and of its tick (ms since the epoch): the second waited
    // for its tick, and the message is stamped with the tick's time for the write lag (lag.ts)
    const [d1, d2] = sink.deltas();
    for (const d of [d1, d2]) {
      expect(d.tickAt! - d.changedAt!).to.be.at.least(-1);
      expect(Math.abs(d.stamp - d.tickAt!)).to.be.at.most(0.5);
      expect(Math.abs(d.tickAt! - Date.now())).to.be.lessThan(5000);
    }
    expect(d1.tickAt! - d1.changedAt!).to.be.lessThan(100);
    expect(d2.tickAt! - d2.changedAt!).to.be.at.least(100);
  });

  it("spaces ticks by the write cost: writes per process x CPU per write / share, within the bounds", async () => {
    const { node, a } = market();
    const cost: { usPerWrite: number; parallel: number; writes: number; lag: LagHistogram } = { usPerWrite: 100, parallel: 1, writes: 0, lag: new LagHistogram() };
    feeds = new Feeds(node, { minMs: 5, maxMs: 60 });
    feeds.writeCost = cost satisfies WriteCostSource;
    const sinks = Array.from({ length: 100 }, () => new Recorder());
    for (const s of sinks) feeds.subscribeBook(s, 1, 10);
    await turn();
    const tickWith = async (price: number): Promise<number> => {
      node.submitSync(a.sell(price, 1));
      await sleep(80);
      return feeds!.intervalMs;
    };
    // 100 writes x 100 us = 10 ms of writing per tick: 10 / 0.25 = 40 ms
    expect(await tickWith(1000)).to.be.closeTo((100 * 100) / 1000 / FANOUT_CPU_SHARE, 1e-9);
    cost.parallel = 2; // the same writes over two processes
    expect(await tickWith(1001)).to.be.closeTo(20, 1e-9);
    cost.usPerWrite = 1000; // beyond the bound
    expect(await tickWith(1002)).to.equal(60);
    cost.usPerWrite = 1; // below it
    expect(await tickWith(1003)).to.equal(5);
    // under a steady stream of changes, deltas are at least the interval apart
    cost.usPerWrite = 100;
    cost.parallel = 1;
    await tickWith(1004);
    const from = sinks[0].deltas().length;
    const end = performance.now() + 400;
    for (let p = 1100; performance.now() < end; p++) {
      node.submitSync(a.sell(p, 1));
      await sleep(2);
    }
    await sleep(80);
    const got = sinks[0].deltas().slice(from);
    expect(got.length).to.be.within(5, 12); // ~400 ms / 40 ms, not one per change
    for (let i = 1; i < got.length; i++) {
      expect(got[i].seq).to.equal(got[i - 1].seq + 1);
      expect(got[i].at - got[i - 1].at).to.be.greaterThan(38);
    }
    for (const s of sinks) expect(s.deltas().map((g) => g.seq)).to.deep.equal(sinks[0].deltas().map((g) => g.seq));
  });

  it("gives a new subscriber no delta before its snapshot, when both fall in the same turn", async () => {
    const { node, a, b } = market();
    feeds = new Feeds(node, { minMs: 1, maxMs: 1 });
    const early = new Recorder();
    feeds.subscribeBook(early, 1, 10);
    await turn();
    // the change schedules a tick at the end of this turn before the new subscription's snapshot
    node.submitSync(a.sell(1000, 1));
    const late = new Recorder();
    feeds.subscribeBook(late, 1, 10);
    await turn();
    await turn();
    node.submitSync(b.buy(990, 2));
    await sleep(20);
    expect(early.got.map((g) => [g.type, g.seq])).to.deep.equal([["snapshot", 0], ["delta", 1], ["delta", 2]]);
    // its snapshot already holds the first change, with its seq; the next delta applies on top of it
    expect(late.got.map((g) => [g.type, g.seq])).to.deep.equal([["snapshot", 1], ["delta", 2]]);
  });

  it("exports the tick spacing, ticks, messages, socket writes and CPU per write as metrics", async () => {
    const { node, a } = market();
    const registry = new Registry();
    feeds = new Feeds(node, { minMs: 5, maxMs: 60 });
    feedMetrics(registry, feeds);
    feeds.writeCost = { usPerWrite: 50, parallel: 1, writes: 1234, lag: new LagHistogram() };
    const sinks = Array.from({ length: 40 }, () => new Recorder());
    for (const s of sinks) feeds.subscribeBook(s, 1, 10);
    await turn();
    node.submitSync(a.sell(1000, 1));
    await turn();
    const value = async (name: string): Promise<number> => (await registry.getSingleMetric(name)!.get()).values[0].value;
    expect(await value("rollbook_rpc_feed_tick_interval_ms")).to.equal((40 * 50) / 1000 / FANOUT_CPU_SHARE);
    expect(await value("rollbook_rpc_feed_ticks_total")).to.equal(1);
    expect(await value("rollbook_rpc_feed_messages_total")).to.equal(40);
    expect(await value("rollbook_rpc_fanout_socket_writes_total")).to.equal(1234);
    expect(await value("rollbook_rpc_fanout_write_cpu_us")).to.equal(50);
    const other = new Feeds(node, { minMs: 5, maxMs: 60 });
    feedMetrics(new Registry(), other); // another registry's feeds do not count here
    const second = new Feeds(node, { minMs: 5, maxMs: 60 });
    feedMetrics(registry, second); // a second one in the same registry adds up (nothing written yet)
    expect(await value("rollbook_rpc_feed_messages_total")).to.equal(40);
    second.close();
    feeds.close();
    expect(await value("rollbook_rpc_feed_ticks_total")).to.equal(0); // only open feeds count
    other.close();
    feeds = null;
  });

  it("estimates the CPU per write from whole windows of measured writes", () => {
    const c = new WriteCost(10);
    c.add(3000, 0); // time before the writes counts with them
    c.add(5000, 500);
    expect(c.usPerWrite).to.equal(10);
    c.add(4000, 500);
    expect(c.usPerWrite).to.equal(12);
    c.add(6000, WriteCost.WINDOW);
    expect(c.usPerWrite).to.equal(6);
    expect(c.writes).to.equal(2000);
  });
});
