// Issue 16: the market maker's inventory after a soft-state rebuild. The `mm` runtime quotes through the
// real sequencer (as runtime.test.ts); then a competing proposer's batch lands instead of ours: it carries
// the maker's bulks and a taker order the sequencer never saw that trades with the maker, while the
// taker's soft order with the same nonce (which the maker counted as a fill) is dropped. The sequencer
// rebuilds soft state; the maker's tracked inventory no longer equals its balances; the runtime's next step
// reconciles it from the account's balances, the P&L attribution still adds up, and quoting goes on.

import { expect } from "chai";
import { Side } from "../../../node/clob/types.ts";
import { encodeBatch } from "../../../node/codec/batch.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { prepareMakerAccount } from "../../../node/mm/devnet.ts";
import { PullInput } from "../../../node/mm/references.ts";
import { MakerRuntime } from "../../../node/mm/runtime.ts";
import { encodeSealed, landBatch } from "../sequencer/helpers.ts";
import { BASE_FUNDS, MARKETS, START_S, Taker, key, makerConfig, marketParams, syntheticSource } from "./support/setup.ts";
import { MarketsChain } from "./support/chain.ts";

describe("mm: inventory reconciled from balances after a soft-state rebuild", function () {
  this.timeout(60_000);
  let chain: MarketsChain | undefined;

  afterEach(async () => {
    await chain?.close();
    chain = undefined;
  });

  it("a competing proposer's batch undoes a counted fill and adds an unseen one: the next step sets inventory = balances", async () => {
    const makerKey = key("rec-maker");
    const agentKey = key("rec-agent");
    const takerKey = key("rec-taker");
    chain = await MarketsChain.open("mm-rec", [makerKey.address, takerKey.address]);
    const { seq: s, store, canonical, l1 } = chain;
    await prepareMakerAccount({ sequencer: s, accountKey: makerKey.priv, agentKey: agentKey.priv, assets: [1, 2, 3, 4], timeoutMs: 5000 });

    let nowMs = START_S * 1000;
    const cfg = makerConfig();
    const rt = new MakerRuntime({ config: cfg, port: s, account: makerKey.address, agentKey: agentKey.priv, clock: () => nowMs, inputs: [new PullInput(syntheticSource(5), nowMs - 3000)], manual: true });
    await rt.ready();
    const mm = rt.maker!;
    const taker = new Taker(takerKey, 3);
    const soft = () => s.softState();
    const balance = (asset: number) => {
      const a = soft().accounts[soft().accountIndex.get(makerKey.address)!]!;
      return a.available(asset) + a.locked(asset);
    };
    /** Inventory (lots) the balances say, per market (each market has its own base asset here). */
    const held = (m: number) => (balance(marketParams(m).baseAsset) - BASE_FUNDS) / marketParams(m).lotSize;
    const tracked = (m: number) => mm.quoters.find((q) => q.market === m)!.pnl.inventory;
    const step = async () => {
      nowMs += 1000;
      l1.advance(1);
      rt.step(nowMs);
      await mm.settle();
    };
    const seal = () => {
      const b = s.seal();
      if (b === null) throw new Error("nothing to seal");
      return b;
    };
    const hit = async (m: number, side: Side, size: number) => {
      const top = rt.exchange!.top(m);
      const tx = taker.tx(m, side, side === Side.BUY ? top.bestAsk + 5 : top.bestBid - 5, size);
      const r = await s.submit(encodeTx(tx));
      expect(r.verdict).to.equal("valid");
      await mm.settle();
    };

    // a few ordinary batches: quotes rest, the taker trades, tracked inventory = balances
    for (let i = 0; i < 4; i++) {
      await step();
      await hit(1 + (i % 2), i % 2 === 0 ? Side.BUY : Side.SELL, 2);
      const b = seal();
      await landBatch(s, store, canonical, l1, encodeSealed(b), b.index);
      await mm.settle();
    }
    for (const m of MARKETS) expect(tracked(m), `market ${m} before the rebuild`).to.equal(held(m));
    expect(rt.exchange!.rebuilds).to.equal(0);

    // our next batch: the maker's bulks and a taker buy of 3 lots on market 1 (the maker sells: counted)
    await step();
    const top1 = rt.exchange!.top(1);
    const nonce = s.nextNonce(takerKey.address);
    await hit(1, Side.BUY, 3);
    const ours = seal();
    expect(tracked(1)).to.equal(held(1));
    // a competing proposer's batch at the same index: our transactions without the taker's, and instead a
    // taker sell of 4 lots on market 1 with the same nonce (the maker buys) that the sequencer never saw
    const makerTxs = ours.txs.map((p) => p.tx).filter((tx) => tx.account.toLowerCase() === makerKey.address.toLowerCase());
    expect(makerTxs.length).to.be.greaterThan(0);
    const other = new Taker(takerKey, 4);
    for (let i = 0; i < nonce; i++) other.tx(1, Side.BUY, 1, 1); // advance its nonce to the dropped order's
    const unseen = other.tx(1, Side.SELL, top1.bestBid - 5, 4);
    const competing = encodeBatch({
      header: { parentBatchHash: `0x${"00".repeat(32)}`, timestamp: ours.timestamp, l1MsgStart: ours.l1MsgStart, l1MsgEnd: ours.l1MsgEnd },
      txs: [...makerTxs, unseen],
    });
    await landBatch(s, store, canonical, l1, competing, ours.index);
    await mm.settle();
    expect(rt.exchange!.rebuilds, "the sequencer rebuilt soft state").to.equal(1);
    // the maker counted a sale of 3 that did not happen and never saw a purchase of 4
    const drift = held(1) - tracked(1);
    expect(drift, "tracked inventory drifted from the balances (a sale undone, a purchase unseen)").to.be.greaterThan(0);

    // the next step reconciles from the balances: inventory = balances, attribution still adds up
    await step();
    for (const m of MARKETS) expect(tracked(m), `market ${m} after reconciliation`).to.equal(held(m));
    const q1 = mm.quoters.find((q) => q.market === 1)!;
    expect(Math.abs(q1.pnl.check()) / (1 + Math.abs(q1.pnl.total))).to.be.below(1e-9);
    const st = rt.status(nowMs);
    expect(st.reconciliations).to.deep.include({ count: 1, lots: drift });
    expect(st.markets.find((m) => m.market === 1)!.inventory).to.equal(held(1));

    // quoting goes on: the next batches land as ours, inventory stays equal to balances, no new reconciliation
    for (let i = 0; i < 3; i++) {
      await hit(2, Side.BUY, 1);
      const b = seal();
      await landBatch(s, store, canonical, l1, encodeSealed(b), b.index);
      await mm.settle();
      await step();
      for (const m of MARKETS) expect(tracked(m), `market ${m} after batch ${b.index}`).to.equal(held(m));
    }
    expect(rt.status(nowMs).reconciliations.count).to.equal(1);
    expect(rt.cycleErrors).to.equal(0);
    await rt.stop();
  });
});
