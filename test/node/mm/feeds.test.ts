// Reference feeds: the recorded Binance and Hyperliquid samples parse without issues; every quality check
// fires on crafted input; the live WebSocket adapters, pointed at local servers replaying the recorded
// messages, produce the same events as the replay.

import { expect } from "chai";
import fastify, { type FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { BinanceParser } from "../../../node/mm/feeds/binance.ts";
import { HyperliquidParser } from "../../../node/mm/feeds/hyperliquid.ts";
import { BinanceFeed, HyperliquidFeed } from "../../../node/mm/feeds/live.ts";
import { ReplaySource, loadRecording } from "../../../node/mm/feeds/replay.ts";
import { SyntheticSource } from "../../../node/mm/feeds/synthetic.ts";
import { CollectSink, QualityIssueKind, StaleMonitor, type RefEvent } from "../../../node/mm/feeds/types.ts";

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../../node/mm/fixtures");
const BINANCE = loadRecording(path.join(FIX, "binance-btcusdt-usdm-20240808.jsonl.gz"));
const HL = loadRecording(path.join(FIX, "hyperliquid-btc-20250126.jsonl.gz"));

function replayAll(msgs: typeof BINANCE, parser: BinanceParser | HyperliquidParser) {
  const sink = new CollectSink();
  for (const m of msgs) parser.parse(m.raw, m.recvMs, sink);
  return sink;
}

function counts(events: readonly RefEvent[]) {
  const c = { top: 0, levels: 0, trade: 0 };
  for (const e of events) {
    if (e.kind === "trade") c.trade++;
    else c[e.depth]++;
  }
  return c;
}

describe("mm feeds", () => {
  it("parses the recorded Binance sample: synced depth book, bookTicker, trades, no issues", () => {
    const sink = replayAll(BINANCE, new BinanceParser({ symbol: "BTCUSDT" }));
    expect(sink.issues).to.deep.equal([]);
    const c = counts(sink.events);
    expect(c.levels).to.be.greaterThan(100);
    expect(c.top).to.be.greaterThan(1000);
    expect(c.trade).to.be.greaterThan(200);
    for (const e of sink.events) {
      if (e.kind === "book") {
        expect(e.bids[0]!.price).to.be.below(e.asks[0]!.price);
        expect(e.bids[0]!.price).to.be.within(61_000, 62_500);
        for (let i = 1; i < e.bids.length; i++) expect(e.bids[i]!.price).to.be.below(e.bids[i - 1]!.price);
        for (let i = 1; i < e.asks.length; i++) expect(e.asks[i]!.price).to.be.above(e.asks[i - 1]!.price);
      } else {
        expect(e.size).to.be.greaterThan(0);
        expect([1, -1]).to.include(e.aggressor);
      }
    }
  });

  it("parses the recorded Hyperliquid sample: l2Book and trades, no issues", () => {
    const sink = replayAll(HL, new HyperliquidParser({ coin: "BTC" }));
    expect(sink.issues).to.deep.equal([]);
    const c = counts(sink.events);
    expect(c).to.deep.equal({ top: 0, levels: 46, trade: 64 });
    const book = sink.events.find((e) => e.kind === "book")!;
    expect(book.kind === "book" && book.bids.length).to.equal(20);
    expect(book.kind === "book" && book.bids[0]!.price).to.equal(105_055);
  });

  it("Binance: a missing depth diff is a GAP; the book waits for a new snapshot", () => {
    const parser = new BinanceParser({ symbol: "BTCUSDT" });
    const snapAt = BINANCE.findIndex((m) => m.raw.startsWith('{"lastUpdateId"'));
    const depthIdx = BINANCE.map((m, i) => (m.raw.includes('"depthUpdate"') && i > snapAt + 5 ? i : -1)).filter((i) => i >= 0);
    const skip = depthIdx[3]!;
    const sink = replayAll(BINANCE.filter((_, i) => i !== skip), parser);
    const gaps = sink.issues.filter((i) => i.kind === QualityIssueKind.GAP);
    expect(gaps).to.have.length(1);
    expect(parser.needsSnapshot).to.equal(true);
    const full = counts(replayAll(BINANCE, new BinanceParser({ symbol: "BTCUSDT" })).events);
    expect(counts(sink.events).levels).to.be.below(full.levels - 100);
    // a new snapshot re-syncs
    const snap = JSON.parse(BINANCE[snapAt]!.raw) as Record<string, unknown>;
    const p2 = new BinanceParser({ symbol: "BTCUSDT" });
    const s2 = new CollectSink();
    for (const m of BINANCE.slice(0, depthIdx[6]!).filter((_, i) => i !== skip)) p2.parse(m.raw, m.recvMs, s2);
    expect(p2.needsSnapshot).to.equal(true);
    // a snapshot covering the first diff buffered after the gap (lastUpdateId within [U, u])
    const firstBuffered = JSON.parse(BINANCE[depthIdx[5]!]!.raw).data as { U: number };
    const before = s2.events.length;
    p2.snapshot({ ...snap, lastUpdateId: firstBuffered.U, bids: [["61000.0", "1"]], asks: [["62500.0", "1"]] }, 0, s2);
    expect(p2.needsSnapshot).to.equal(false);
    expect(s2.events.length).to.equal(before + 1);
    expect(s2.issues.map((i) => i.kind)).to.deep.equal(["gap"]);
  });

  it("both parsers report a message that is not JSON or not a JSON object as malformed, with their source", () => {
    for (const p of [new BinanceParser({ symbol: "BTCUSDT" }), new HyperliquidParser({ coin: "BTC" })]) {
      const sink = new CollectSink();
      p.parse("{not json", 7, sink);
      p.parse("42", 8, sink);
      p.parse("null", 9, sink);
      const malformed = (recvMs: number, detail: string) => ({ kind: QualityIssueKind.MALFORMED, source: p.source, recvMs, detail });
      expect(sink.issues, p.source).to.deep.equal([malformed(7, "not JSON"), malformed(8, "not an object"), malformed(9, "not an object")]);
      expect(sink.events, p.source).to.deep.equal([]);
    }
  });

  it("Binance: out-of-order, crossed and malformed messages are reported and dropped", () => {
    const p = new BinanceParser({ symbol: "BTCUSDT" });
    const sink = new CollectSink();
    const trade = (T: number) => JSON.stringify({ stream: "btcusdt@trade", data: { e: "trade", T, t: 1, p: "100", q: "1", m: false } });
    p.parse(trade(2000), 0, sink);
    p.parse(trade(1000), 0, sink);
    p.parse(JSON.stringify({ data: { e: "bookTicker", u: 5, b: "101", B: "1", a: "100", A: "1", E: 1 } }), 0, sink);
    p.parse(JSON.stringify({ data: { e: "bookTicker", u: 6, b: "99", B: "1", a: "100", A: "1", E: 1 } }), 0, sink);
    p.parse(JSON.stringify({ data: { e: "bookTicker", u: 4, b: "99", B: "1", a: "100", A: "1", E: 1 } }), 0, sink);
    p.parse("{not json", 0, sink);
    p.parse(JSON.stringify({ data: { e: "trade", p: "x" } }), 0, sink);
    expect(sink.issues.map((i) => i.kind)).to.deep.equal(["out_of_order", "crossed", "out_of_order", "malformed", "malformed"]);
    expect(sink.events.map((e) => e.kind)).to.deep.equal(["trade", "book"]);
  });

  it("Hyperliquid: out-of-order and crossed books are reported and dropped", () => {
    const p = new HyperliquidParser({ coin: "BTC" });
    const sink = new CollectSink();
    const book = (time: number, bid: string, ask: string) =>
      JSON.stringify({ channel: "l2Book", data: { coin: "BTC", time, levels: [[{ px: bid, sz: "1", n: 1 }], [{ px: ask, sz: "1", n: 1 }]] } });
    p.parse(book(10, "100", "101"), 0, sink);
    p.parse(book(9, "100", "101"), 0, sink);
    p.parse(book(11, "102", "101"), 0, sink);
    p.parse(JSON.stringify({ channel: "subscriptionResponse", data: {} }), 0, sink);
    expect(sink.issues.map((i) => i.kind)).to.deep.equal(["out_of_order", "crossed"]);
    expect(sink.events).to.have.length(1);
  });

  it("stale monitor reports once per outage", () => {
    const m = new StaleMonitor("binance", 1000);
    const sink = new CollectSink();
    m.seen({ kind: "book", source: "binance", symbol: "X", exchMs: 0, recvMs: 0, bids: [{ price: 1, size: 1 }], asks: [{ price: 2, size: 1 }], depth: "top" });
    expect(m.check(900, sink)).to.equal(false);
    expect(m.check(1500, sink)).to.equal(true);
    m.check(2500, sink);
    expect(sink.issues.map((i) => i.kind)).to.deep.equal(["stale"]);
  });

  it("replay loops with shifted times; the synthetic source is seeded", () => {
    const r = new ReplaySource(HL, new HyperliquidParser({ coin: "BTC" }), { loop: true });
    let last = -Infinity;
    let n = 0;
    while (r.loops < 2) {
      const e = r.next()!;
      if (e.kind === "book") {
        expect(e.recvMs).to.be.greaterThan(last);
        last = e.recvMs;
      }
      n++;
    }
    expect(n).to.be.greaterThan(2 * 100);
    const mk = () => new SyntheticSource({ seed: 9, start: 100, startMs: 0, dtMs: 100, process: { mu: 0, sigma: 1e-3, jumpRate: 1, jumpMean: 0, jumpStd: 0.01 } });
    const a = mk();
    const b = mk();
    for (let i = 0; i < 50; i++) expect(a.next()).to.deep.equal(b.next());
  });

  describe("live adapters against local WebSocket servers replaying the recordings", () => {
    let app: FastifyInstance;
    let base = "";
    let hlSubs: string[] = [];
    const snapshot = BINANCE.find((m) => m.raw.startsWith('{"lastUpdateId"'))!.raw;

    before(async () => {
      app = fastify();
      await app.register(websocket);
      app.register(async (f) => {
        f.get("/stream", { websocket: true }, (socket) => {
          for (const m of BINANCE) if (!m.raw.startsWith('{"lastUpdateId"')) socket.send(m.raw);
        });
        f.get("/fapi/v1/depth", async (_req, reply) => reply.type("application/json").send(snapshot));
        f.get("/ws", { websocket: true }, (socket) => {
          socket.on("message", (data: Buffer) => {
            hlSubs.push(data.toString());
            if (hlSubs.length === 2) for (const m of HL) socket.send(m.raw);
          });
        });
      });
      await app.listen({ port: 0, host: "127.0.0.1" });
      const addr = app.server.address() as { port: number };
      base = `127.0.0.1:${addr.port}`;
    });
    after(async () => {
      await app.close();
    });

    async function until(cond: () => boolean, ms = 10_000) {
      const end = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > end) throw new Error("timeout");
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    it("Binance: stream + REST snapshot give the replay's events", async () => {
      const want = counts(replayAll(BINANCE, new BinanceParser({ symbol: "BTCUSDT" })).events);
      const sink = new CollectSink();
      const feed = new BinanceFeed({ symbol: "BTCUSDT", sink, wsBase: `ws://${base}`, restBase: `http://${base}` });
      feed.start();
      try {
        await until(() => { const c = counts(sink.events); return c.trade === want.trade && c.top === want.top && c.levels >= want.levels - 60; });
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        feed.stop();
      }
      const got = counts(sink.events);
      expect(sink.issues.filter((i) => i.kind !== QualityIssueKind.MALFORMED)).to.deep.equal([]);
      expect(got.trade).to.equal(want.trade);
      expect(got.top).to.equal(want.top);
      // depth diffs before the snapshot arrived are buffered or dropped as older: the synced book is the same
      expect(got.levels).to.be.within(want.levels - 60, want.levels);
      expect(feed.snapshots).to.equal(1);
    });

    it("Hyperliquid: subscribes to l2Book and trades and gets the replay's events", async () => {
      hlSubs = [];
      const want = replayAll(HL, new HyperliquidParser({ coin: "BTC" })).events;
      const sink = new CollectSink();
      const feed = new HyperliquidFeed({ coin: "BTC", sink, url: `ws://${base}/ws` });
      feed.start();
      try {
        await until(() => sink.events.length === want.length);
      } finally {
        feed.stop();
      }
      expect(hlSubs.map((s) => JSON.parse(s).subscription.type)).to.deep.equal(["l2Book", "trades"]);
      expect(sink.issues).to.deep.equal([]);
      expect(sink.events.map(({ recvMs: _r, ...e }) => e)).to.deep.equal(want.map(({ recvMs: _r, ...e }) => e));
    });
  });
});
