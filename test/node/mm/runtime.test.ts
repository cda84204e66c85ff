// The `mm` role live against the real sequencer (admission workers, WAL on LevelDB, soft execution, sealing)
// with an in-memory L1 and the canonical side of inclusion as the sequencer tests use (landBatch): the
// maker's account is funded by L1 deposits and approves its agent with prepareMakerAccount, the runtime
// quotes through SequencerExchange (BULK transactions signed by the agent) for more than 30 batches while a
// taker trades against it. Checked at every batch: two-sided on both markets, inventory = the account's
// soft balances and within limits, P&L attribution adding up to the P&L (= balance change at the mark);
// confirmation levels follow inclusion and finality; the kill switch (manual through the admin route, and
// stale reference data) pulls every quote within one batch; the admin routes refuse without the token.

import { expect } from "chai";
import Fastify, { type FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { Side } from "../../../node/clob/types.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { mmAdminRoutes } from "../../../node/mm/admin-routes.ts";
import { prepareMakerAccount } from "../../../node/mm/devnet.ts";
import { PullInput, type ReferenceInput, type ReferenceSink } from "../../../node/mm/references.ts";
import { KillReason } from "../../../node/mm/risk.ts";
import { MakerRuntime, type RuntimeStatus } from "../../../node/mm/runtime.ts";
import { encodeSealed, landBatch } from "../sequencer/helpers.ts";
import { BASE_FUNDS, MARKETS, QUOTE_FUNDS, START_S, Taker, key, makerConfig, marketParams, syntheticSource } from "./support/setup.ts";
import { MarketsChain } from "./support/chain.ts";

const TOKEN = "test-admin-token";

/** A reference input whose feed can be cut (a venue outage): while cut nothing is delivered. */
class Cuttable implements ReferenceInput {
  cut = false;
  private readonly inner: ReferenceInput;
  constructor(inner: ReferenceInput) {
    this.inner = inner;
  }
  start(sink: ReferenceSink): void {
    this.inner.start(sink);
  }
  poll(nowMs: number): void {
    if (!this.cut) this.inner.poll(nowMs);
  }
  stop(): void {
    this.inner.stop();
  }
}

describe("mm: the market maker role live against the sequencer", function () {
  this.timeout(120_000);
  let chain: MarketsChain | undefined;
  let admin: FastifyInstance | undefined;

  afterEach(async () => {
    await admin?.close();
    await chain?.close();
    chain = undefined;
  });

  it("quotes two-sided for 34 batches against a taker; limits, attribution, confirmations; kill (manual, stale) pulls all within one batch; admin auth", async () => {
    const makerKey = key("rt-maker");
    const agentKey = key("rt-agent");
    const takerKey = key("rt-taker");
    chain = await MarketsChain.open("mm-rt", [makerKey.address, takerKey.address]);
    const { seq: s, store, canonical, l1 } = chain;

    // the devnet path: deposits credited (MarketsChain.open opened a batch on the queued L1 messages), then the agent approved
    const prepared = await prepareMakerAccount({ sequencer: s, accountKey: makerKey.priv, agentKey: agentKey.priv, assets: [1, 2, 3, 4], timeoutMs: 5000 });
    expect(prepared).to.include({ account: makerKey.address, agent: agentKey.address, approved: true });
    // idempotent: a restart finds the agent approved
    expect((await prepareMakerAccount({ sequencer: s, accountKey: makerKey.priv, agentKey: agentKey.priv })).approved).to.equal(false);

    let nowMs = START_S * 1000;
    const cfg = makerConfig({
      limits: { maxPosition: 100, maxActionsPerMin: 100_000, maxFillsPerMin: 10_000, pullStaleS: 2, killStaleS: 4 },
    });
    const feed = new Cuttable(new PullInput(syntheticSource(5), nowMs - 3000));
    const registry = new Registry();
    const rt = new MakerRuntime({ config: cfg, port: s, account: makerKey.address, agentKey: agentKey.priv, registry, clock: () => nowMs, inputs: [feed], manual: true });
    expect(rt.status().state).to.equal("waiting");
    await rt.ready();
    expect(rt.state).to.equal("running");
    const mm = rt.maker!;

    admin = Fastify();
    await admin.register(mmAdminRoutes, { runtime: rt, token: TOKEN, webOrigin: "http://127.0.0.1:8645" });
    const auth = { authorization: `Bearer ${TOKEN}` };

    const taker = new Taker(takerKey, 9);
    let fills = 0;
    rt.exchange!.subscribe((e) => {
      if (e.kind === "fill") fills++;
    });
    const soft = () => s.softState();
    const ordersOf = (m: number) => {
      const st = soft();
      const idx = st.accountIndex.get(makerKey.address)!;
      return [...st.markets.get(m)!.book.ordersOf(idx)];
    };
    const balance = (asset: number) => {
      const a = soft().accounts[soft().accountIndex.get(makerKey.address)!]!;
      return a.available(asset) + a.locked(asset);
    };
    let batches = 0;
    /** One batch: the maker's cycle at the clock, the taker's IOC orders, seal, land on the canonical chain. */
    const batch = async (opts: { take?: boolean } = {}) => {
      nowMs += 1000;
      l1.advance(1);
      rt.step(nowMs);
      await mm.settle();
      if (opts.take !== false) {
        for (const m of MARKETS) {
          const n = 1 + (batches % 2);
          for (let i = 0; i < n; i++) {
            const top = rt.exchange!.top(m);
            const buy = (batches + i + m) % 2 === 0;
            const ref = buy ? top.bestAsk : top.bestBid;
            if (ref < 0) continue;
            const r = await s.submit(encodeTx(taker.tx(m, buy ? Side.BUY : Side.SELL, buy ? ref + 5 : ref - 5, 1 + ((batches * 7 + i) % 6))));
            expect(r.verdict).to.equal("valid");
          }
        }
      }
      const b = s.seal();
      batches++;
      if (b !== null) await landBatch(s, store, canonical, l1, encodeSealed(b), b.index);
      await mm.settle();
      return b;
    };
    const checkBook = (label: string) => {
      for (const m of MARKETS) {
        const orders = ordersOf(m);
        expect(orders.some((o) => o.side === 0), `${label} market ${m}: a bid rests`).to.equal(true);
        expect(orders.some((o) => o.side === 1), `${label} market ${m}: an ask rests`).to.equal(true);
        const q = mm.quoters.find((x) => x.market === m)!;
        const p = marketParams(m);
        const baseLots = (balance(p.baseAsset) - BASE_FUNDS) / p.lotSize;
        expect(q.pnl.inventory, `${label} market ${m}: tracked inventory = soft balance`).to.equal(baseLots);
        expect(Math.abs(baseLots)).to.be.at.most(cfg.limits.maxPosition);
        if (!Number.isNaN(q.pnl.mark)) {
          const value = balance(p.quoteAsset) - QUOTE_FUNDS + baseLots * q.pnl.mark * p.tickSize;
          const scale = 1 + Math.abs(value);
          expect(Math.abs(q.pnl.markToMarket - value) / scale, `${label}: P&L = balance change at the mark`).to.be.below(1e-9);
          expect(Math.abs(q.pnl.check()) / scale, `${label}: components add up`).to.be.below(1e-9);
        }
      }
    };

    // the admin routes refuse without the token (and with a wrong one); CORS for the configured origin only
    expect((await admin.inject({ method: "GET", url: "/mm/status" })).statusCode).to.equal(401);
    expect((await admin.inject({ method: "GET", url: "/mm/status", headers: { authorization: "Bearer nope" } })).statusCode).to.equal(401);
    const noAuthKill = await admin.inject({ method: "POST", url: "/mm/kill", payload: { reason: "x" } });
    expect(noAuthKill.statusCode).to.equal(401);
    expect(noAuthKill.json().error.code).to.equal("MM_UNAUTHORIZED");
    expect((await admin.inject({ method: "POST", url: "/mm/reset", payload: {} })).statusCode).to.equal(401);
    expect(mm.risk.killed, "an unauthenticated kill changes nothing").to.equal(false);
    const pre = await admin.inject({ method: "OPTIONS", url: "/mm/status", headers: { origin: "http://127.0.0.1:8645", "access-control-request-method": "GET" } });
    expect(pre.statusCode).to.equal(204);
    expect(pre.headers["access-control-allow-origin"]).to.equal("http://127.0.0.1:8645");
    const other = await admin.inject({ method: "GET", url: "/mm/status", headers: { ...auth, origin: "http://evil.example" } });
    expect(other.headers["access-control-allow-origin"]).to.equal(undefined);

    // 34 batches with the taker: two-sided at every batch
    for (let i = 1; i <= 34; i++) {
      await batch();
      checkBook(`batch ${i}`);
    }
    expect(fills, "the taker traded with the maker").to.be.greaterThan(20);
    // confirmation levels: every bulk is acknowledged; landed batches raised bulks to included, finality to safe
    let st = rt.status(nowMs);
    for (const m of st.markets) {
      expect(m.inFlight.pending).to.equal(0);
      expect(m.inFlight.included).to.be.greaterThan(0);
      expect(m.pnl.fees, "maker rebates earned").to.be.greaterThan(0);
      expect(m.pulled).to.equal("");
      // our quotes against the fair value (skewed by inventory, so either may sit beyond it): never crossed
      const v = m.quotesVsReference;
      expect(v.bestBid!).to.be.below(v.bestAsk!);
      expect(v.bidDistance! + v.askDistance!).to.be.closeTo(v.bestAsk! - v.bestBid!, 1e-6);
    }
    s.setFinality(batches, 0);
    await mm.settle();
    st = rt.status(nowMs);
    for (const m of st.markets) expect(m.inFlight.safe).to.be.greaterThan(0);
    const res = await admin.inject({ method: "GET", url: "/mm/status", headers: { ...auth, origin: "http://127.0.0.1:8645" } });
    expect(res.statusCode).to.equal(200);
    expect(res.headers["access-control-allow-origin"]).to.equal("http://127.0.0.1:8645");
    const body = res.json() as RuntimeStatus;
    expect(body.state).to.equal("running");
    expect(body.markets.map((m) => m.market)).to.deep.equal(MARKETS);
    expect(body.limits.maxPosition).to.equal(100);
    expect(body.references[0]!.events).to.be.greaterThan(0);
    for (const m of body.markets) expect(Object.keys(m.pnl)).to.include.members(["spread", "adverse", "carry", "fees", "total"]);
    const metrics = await registry.metrics();
    expect(metrics).to.match(/rollbook_mm_inventory_lots\{market="2"\}/);
    expect(metrics).to.match(/rollbook_mm_kill_switch 0/);

    // bad admin input: a clear error, nothing changes
    expect((await admin.inject({ method: "POST", url: "/mm/kill", headers: auth, payload: { reason: 5 } })).json().error.code).to.equal("MM_BAD_REQUEST");
    const notKilled = await admin.inject({ method: "POST", url: "/mm/reset", headers: auth, payload: { by: "op" } });
    expect(notKilled.statusCode).to.equal(409);
    expect(notKilled.json().error.code).to.equal("MM_NOT_KILLED");
    expect(mm.risk.killed).to.equal(false);

    // manual kill through the admin route: answers once the cancel-all is soft; the next batch has no quote
    const kill = await admin.inject({ method: "POST", url: "/mm/kill", headers: auth, payload: { reason: "operator test" } });
    expect(kill.statusCode).to.equal(200);
    const killed = kill.json() as RuntimeStatus;
    expect(killed.killed).to.equal(true);
    expect(killed.killCancel).to.equal("soft");
    expect(killed.kills.map((k) => k.reason)).to.deep.equal([KillReason.MANUAL]);
    await batch();
    for (const m of MARKETS) expect(ordersOf(m), `market ${m} empty one batch after the manual kill`).to.have.length(0);
    await batch();
    for (const m of MARKETS) expect(ordersOf(m), `market ${m} stays empty while killed`).to.have.length(0);
    expect((await registry.metrics())).to.match(/rollbook_mm_kill_switch 1/);
    const reset = await admin.inject({ method: "POST", url: "/mm/reset", headers: auth, payload: { by: "operator" } });
    expect(reset.statusCode).to.equal(200);
    expect((reset.json() as RuntimeStatus).killed).to.equal(false);
    await batch({ take: false });
    checkBook("after the reset");

    // stale reference data: the feed is cut; quotes are pulled after pullStaleS, the kill fires after killStaleS
    feed.cut = true;
    let killedAt = -1;
    for (let i = 1; i <= 8 && killedAt < 0; i++) {
      await batch({ take: false });
      if (mm.risk.killed) killedAt = i;
      else if (i >= 3) for (const m of MARKETS) expect(mm.quoters.find((q) => q.market === m)!.pulled, `gate pulls at ${i} s`).to.equal("stale_reference");
    }
    expect(killedAt, "the stale kill fired").to.be.greaterThan(0);
    const sk = rt.status(nowMs);
    expect(sk.kills.map((k) => k.reason)).to.deep.equal([KillReason.MANUAL, KillReason.STALE_REFERENCE]);
    await batch({ take: false });
    for (const m of MARKETS) expect(ordersOf(m), `market ${m} empty one batch after the stale kill`).to.have.length(0);
    // the feed comes back, an operator resets: quoting resumes
    feed.cut = false;
    rt.reset("operator", nowMs);
    await batch({ take: false });
    await batch({ take: false });
    checkBook("after the feed returned");

    // shutdown: one cancel-all per market, soft before stop() resolves
    await rt.stop();
    for (const m of MARKETS) expect(ordersOf(m), `market ${m} empty after stop`).to.have.length(0);
    expect(rt.status().state).to.equal("stopped");
    const gone = await admin.inject({ method: "POST", url: "/mm/kill", headers: auth, payload: { reason: "late" } });
    expect(gone.json().error.code).to.equal("MM_NOT_RUNNING");
    expect(rt.cycleErrors).to.equal(0);
  });
});

