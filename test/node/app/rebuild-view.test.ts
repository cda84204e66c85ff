// The API's answers across a soft-state rebuild (issue 15): after another proposer's batch or an L1 reorg
// makes the sequencer execute its acknowledged transactions again, every answer the view gives (orders,
// open orders, order history, fills, trades, candles, transactions) equals what a fresh view fed only the
// canonical history and the re-executed soft batches gives, before the displacing batch's write lands and
// after; and a subscriber that applies the feeds' messages (book, trades, candles, orders, fills) ends with
// the view's answers, never with a trade, fill or order that was undone.
// Real Sequencer, STF, LevelDB store and history index; derivation and reorgs composed as node/app/node.ts
// composes them (view-fixture.ts: the store write started, the sequencer told, the derived batch indexed
// before what executes again).
import { expect } from "chai";
import { txHash } from "../../../node/clob/eip712.ts";
import { LocalBook } from "../../../node/client/client.ts";
import { DEFAULT_CANDLE_INTERVALS } from "../../../node/app/history-records.ts";
import { NodeStateView } from "../../../node/app/view.ts";
import { Feeds, type Sink } from "../../../node/rpc/feeds.ts";
import type { Candle, FillInfo, OrderInfo, Trade } from "../../../node/rpc/node-view.ts";
import type { SharedMessage } from "../../../node/rpc/ws-frame.ts";
import { DropReason } from "../../../node/sequencer/index.ts";
import { DOMAIN, Trader } from "../clob/stf-helpers.ts";
import { encodeSealed } from "../sequencer/helpers.ts";
import { SequencingViewFixture } from "./view-fixture.ts";

const MARKET = 1;
const turn = () => new Promise((ok) => setImmediate(ok));

/** A subscriber's picture of the node, built only from the feed messages it received. */
class Subscriber implements Sink {
  readonly book: LocalBook;
  trades: Trade[] = [];
  readonly candles = new Map<number, Map<number, Candle>>();
  fills: FillInfo[] = [];
  /** Order id -> remaining, from `orders` updates and rollback messages. */
  readonly remaining = new Map<number, number>();
  readonly kinds: string[] = [];
  constructor(view: NodeStateView) {
    this.book = new LocalBook(MARKET, async () => ({ ...view.book(MARKET, 1000)!, seq: -1 }));
  }
  send(data: Buffer | string): void {
    this.on(JSON.parse(data.toString()));
  }
  sendShared(m: SharedMessage): void {
    this.on(JSON.parse(m.payload.toString()));
  }
  private on(msg: { params: { subscription: string; result: Record<string, unknown> & { type: string } } }): void {
    const { subscription: id, result: r } = msg.params;
    this.kinds.push(`${id.split(":")[0]}/${r.type}`);
    if (id.startsWith("book:")) void this.book.apply(r as never);
    else if (id.startsWith("trades:")) {
      if (r.type === "trades") this.trades.push(...(r.trades as Trade[]));
      else if (r.type === "rollback") this.trades = this.trades.filter((t) => t.batchIndex <= (r.batchIndex as number));
    } else if (id.startsWith("candles:")) {
      const interval = r.interval as number;
      let m = this.candles.get(interval);
      if (m === undefined) this.candles.set(interval, (m = new Map()));
      if (r.type === "candle") m.set((r.candle as Candle).start, r.candle as Candle);
      else if (r.type === "candles") {
        for (const s of [...m.keys()]) if (s >= (r.from as number)) m.delete(s);
        for (const c of r.candles as Candle[]) m.set(c.start, c);
      }
    } else if (id === "fills") {
      if (r.type === "fills") this.fills.push(...(r.fills as FillInfo[]));
      else if (r.type === "rollback") this.fills = this.fills.filter((f) => f.batchIndex <= (r.batchIndex as number));
    } else if (id === "orders") {
      if (r.type === "orders") for (const u of r.updates as { orderId: number; remaining: number }[]) this.remaining.set(u.orderId, u.remaining);
      else if (r.type === "rollback") {
        for (const o of r.voided as OrderInfo[]) this.remaining.delete(o.orderId);
        for (const o of r.restored as OrderInfo[]) this.remaining.set(o.orderId, o.remaining);
      }
    }
  }
}

describe("node/app: API answers across a soft-state rebuild equal a fresh node's (issue 15)", function () {
  this.timeout(30_000);
  let fx: SequencingViewFixture;
  let feeds: Feeds;
  let sub: Subscriber;
  let alice: string, bob: string, carol: string;

  beforeEach(async () => {
    fx = await SequencingViewFixture.open("rebuild-view-test");
    [alice, bob, carol] = fx.keys.map((k) => k.address.toLowerCase());
    feeds = new Feeds(fx.view, { minMs: 1, maxMs: 1 });
    sub = new Subscriber(fx.view);
    feeds.subscribeBook(sub, MARKET, 1000);
    feeds.subscribeTrades(sub, MARKET);
    feeds.subscribeCandles(sub, MARKET, 60);
    feeds.subscribeAccount(sub, "orders", alice);
    feeds.subscribeAccount(sub, "fills", alice);
    await turn();
  });
  afterEach(async () => {
    feeds.close();
    await fx.close();
  });

  /** A view that only ever saw the canonical batches derived so far and the sequencer's current soft batches. */
  function freshView(): NodeStateView {
    const v = new NodeStateView({ domain: DOMAIN, state: () => fx.seq.softState(), sequencer: () => fx.seq, retainBatches: 0 });
    for (const b of fx.derived) {
      v.onBatchOpened(b.index, b.timestamp, b.l1MsgStart, b.messages, b.receipts.l1(), b.txs.length, false, b.receipts.expired());
      b.txs.forEach((tx, i) => v.onTx(b.index, b.timestamp, b.hashes[i]!, tx, b.receipts.tx(i), { log: b.receipts, row: i }));
    }
    const soft = [...fx.seq.sealed(), ...(fx.seq.openBatch() === null ? [] : [fx.seq.openBatch()!])];
    for (const b of soft) {
      v.onBatchOpened(b.index, b.timestamp, b.l1MsgStart, b.l1Messages, b.receipts.l1(), b.txs.length, !b.sealed, b.receipts.expired());
      for (const p of b.txs) v.onTx(b.index, b.timestamp, p.hash, p.tx, p.receipts!.tx(p.row), { log: p.receipts!, row: p.row });
    }
    v.setLevels(fx.derived.at(-1)?.index ?? 0, 0);
    return v;
  }

  /** Every answer of the view equals the fresh view's; `hashes`: transactions to compare (not dropped ones). */
  async function expectFresh(hashes: string[], what: string): Promise<void> {
    const f = freshView();
    const maxOrder = Math.max(0, ...[...(await f.orderHistory(alice, 100)), ...(await f.orderHistory(bob, 100)), ...(await f.orderHistory(carol, 100))].map((o) => o.orderId)) + 3;
    for (let id = 1; id <= maxOrder; id++) expect(await fx.view.order(id), `${what}: rb_getOrder ${id}`).to.deep.equal(await f.order(id));
    for (const a of [alice, bob, carol]) {
      expect(fx.view.openOrders(a, null), `${what}: open orders ${a}`).to.deep.equal(f.openOrders(a, null));
      expect(await fx.view.orderHistory(a, 100), `${what}: order history ${a}`).to.deep.equal(await f.orderHistory(a, 100));
      expect(await fx.view.fills(a, 100), `${what}: fills ${a}`).to.deep.equal(await f.fills(a, 100));
    }
    expect(fx.view.trades(MARKET, 100), `${what}: trades`).to.deep.equal(f.trades(MARKET, 100));
    for (const i of DEFAULT_CANDLE_INTERVALS) expect(fx.view.candles(MARKET, i, 100), `${what}: candles ${i}`).to.deep.equal(f.candles(MARKET, i, 100));
    for (const h of hashes) expect(await fx.view.tx(h), `${what}: rb_getTx ${h}`).to.deep.equal(await f.tx(h));
  }

  /** What the subscriber holds after the feeds' next tick equals the view's answers. */
  async function expectSubscriber(what: string): Promise<void> {
    feeds.flush();
    await turn();
    const strip = <T extends { level?: unknown }>(l: T[]) => l.map(({ level: _, ...x }) => x);
    const snap = fx.view.book(MARKET, 1000)!;
    expect(sub.book.levels("bids"), `${what}: book bids`).to.deep.equal(snap.bids);
    expect(sub.book.levels("asks"), `${what}: book asks`).to.deep.equal(snap.asks);
    expect(strip(sub.trades), `${what}: trades`).to.deep.equal(strip(fx.view.trades(MARKET, 100)));
    expect([...(sub.candles.get(60)?.values() ?? [])].sort((a, b) => a.start - b.start), `${what}: candles`).to.deep.equal(fx.view.candles(MARKET, 60, 100));
    expect(strip(sub.fills).reverse(), `${what}: fills`).to.deep.equal(strip(await fx.view.fills(alice, 100)));
    const open = new Map([...sub.remaining].filter(([, r]) => r > 0));
    expect(open, `${what}: open orders`).to.deep.equal(new Map(fx.view.openOrders(alice, null).map((o) => [o.orderId, o.remaining])));
  }

  it("another proposer's batch makes a soft fill happen at another price and a soft order rest: answers and feeds equal a fresh node's, before and after the write", async () => {
    const [a, b, c] = fx.keys.map((k) => new Trader(k));
    const a1 = await fx.ack(a.sell(100, 2)); // alice rests 2 at 100 ...
    const b1 = await fx.ack(b.buy(100, 1)); // ... bob takes 1 of it (soft fill at 100)
    const c1 = await fx.ack(c.buy(99, 1));
    const a2 = await fx.ack(a.sell(101, 1));
    expect((await fx.view.tx(b1))!.fills.map((f) => f.price)).to.deep.equal([100]);
    await expectSubscriber("soft");
    fx.seq.seal(); // our batch 1 goes to L1 ...
    // ... but another proposer's batch 1 has alice's nonce 0 selling 1 at 98 and carol's nonce 0 selling 1 at 103.
    const a1x = new Trader(fx.keys[0]!).sell(98, 1);
    const c1x = new Trader(fx.keys[2]!).sell(103, 1);
    const landed = fx.derive(fx.foreign(1, [a1x, c1x]), 1);
    // a1 and c1 dropped (nonce taken); bob's buy executes again in soft batch 2 against alice's 98; a2 rests.
    expect((await fx.view.tx(a1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect((await fx.view.tx(c1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect((await fx.view.tx(b1))!.fills.map((f) => [f.price, f.batchIndex])).to.deep.equal([[98, 2]]);
    const hashes = [b1, a2, txHash(DOMAIN, a1x), txHash(DOMAIN, c1x)];
    await expectFresh(hashes, "before the write");
    await expectSubscriber("before the write");
    expect(sub.kinds, "the subscriber was told").to.include.members(["book/snapshot", "trades/rollback", "candles/candles", "fills/rollback", "orders/rollback"]);
    await landed;
    fx.view.setLevels(1, 0); // an L1 poll after the write landed: batch 1 is the history index's now
    await expectFresh(hashes, "after the write");
    await expectSubscriber("after the write");
    // Our batch 2 lands too.
    const landed2 = fx.derive(encodeSealed(fx.seq.seal()!), 2);
    await expectFresh(hashes, "batch 2 before its write");
    await landed2;
    fx.view.setLevels(2, 0);
    await expectFresh(hashes, "batch 2 after its write");
    await expectSubscriber("batch 2 after its write");
  });

  it("after a restart, a reorg below what the view loaded: orders and candles come back from the history index, equal to a fresh node's", async () => {
    const [a, b] = fx.keys.map((k) => new Trader(k));
    const a1 = await fx.ack(a.sell(100, 2));
    const b1 = await fx.ack(b.buy(100, 1)); // a trade in batch 1
    await fx.derive(encodeSealed(fx.seq.seal()!), 1);
    fx.l1.advance(120);
    const b2 = await fx.ack(b.buy(100, 1)); // fills the rest of alice's order in batch 2, another candle
    await fx.derive(encodeSealed(fx.seq.seal()!), 2);
    // A restart of the view: it loads what the index holds (batches 1 and 2 written) and serves the sequencer.
    await fx.openView();
    expect((await fx.view.order(1))!.state).to.equal("filled");
    expect(fx.view.candles(MARKET, 60, 100)).to.have.length(2);
    // The reorg undoes batch 2: the store and the index roll back in one write; the view follows ...
    await fx.reorg(1, async () => {
      expect((await fx.view.order(1))!.remaining, "alice's order rests again").to.equal(1);
      expect(fx.view.candles(MARKET, 60, 100), "batch 2's candle is gone").to.have.length(1);
    });
    // ... then the sequencer executes b2 again (soft batch 2), as a fresh node would index it.
    expect((await fx.view.tx(b2))!.level).to.equal("soft");
    await expectFresh([a1, b1, b2], "after the reorg");
  });

  it("a transaction answered dropped that another proposer's batch includes after all: answered included, with its order and fills", async () => {
    const [a, b] = fx.keys.map((k) => new Trader(k));
    const b1 = await fx.ack(b.buy(100, 1));
    const a1tx = a.sell(100, 1);
    const a1 = txHash(DOMAIN, a1tx);
    fx.view.onDropped(a1, { reason: DropReason.GAP_TIMEOUT, code: null }, a1tx); // as the sequencer announces a drop
    expect((await fx.view.tx(a1))!.status).to.equal("dropped");
    fx.seq.seal();
    const bx = new Trader(fx.keys[1]!).buy(101, 1); // bob's nonce 0 again (b1 is dropped), crossed by a1
    const landed = fx.derive(fx.foreign(1, [bx, a1tx]), 1);
    expect((await fx.view.tx(b1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect((await fx.view.tx(a1))!.status).to.equal("accepted");
    expect((await fx.view.tx(a1))!.fills).to.have.length(1);
    await expectFresh([a1, txHash(DOMAIN, bx)], "before the write");
    await landed;
    fx.view.setLevels(1, 0);
    await expectFresh([a1, txHash(DOMAIN, bx)], "after the write");
  });

  it("an L1 reorg undoes an included batch and the new history takes a nonce: the soft fill is undone in every answer and feed", async () => {
    const [a, b] = fx.keys.map((k) => new Trader(k));
    const a1 = await fx.ack(a.sell(100, 2));
    await fx.derive(encodeSealed(fx.seq.seal()!), 1); // alice's order included and written
    fx.view.setLevels(1, 0);
    const b1 = await fx.ack(b.buy(100, 1)); // a soft fill in batch 2 against the included order
    fx.l1.advance(120); // batch 2's clock: another candle
    const b2 = await fx.ack(b.buy(100, 1));
    expect((await fx.view.tx(b1))!.fills).to.have.length(1);
    await expectSubscriber("soft");
    await expectFresh([a1, b1, b2], "soft");

    // The reorg: batch 1 is undone (store, view, sequencer: alice's order soft again, bob's buys after it) ...
    await fx.reorg(0);
    await expectFresh([a1, b1, b2], "after the reorg");
    await expectSubscriber("after the reorg");
    fx.seq.seal();
    // ... and on the new history another proposer's batch 1 has alice's nonce 0 selling at 120: nothing to cross.
    const a1x = new Trader(fx.keys[0]!).sell(120, 1);
    const landed = fx.derive(fx.foreign(1, [a1x]), 1);
    expect((await fx.view.tx(a1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect((await fx.view.tx(b1))!.fills, "b1 rests now").to.deep.equal([]);
    const hashes = [b1, b2, txHash(DOMAIN, a1x)];
    await expectFresh(hashes, "before the write");
    await expectSubscriber("before the write");
    expect(fx.view.trades(MARKET, 100)).to.deep.equal([]);
    expect(fx.view.candles(MARKET, 60, 100)).to.deep.equal([]);
    await landed;
    fx.view.setLevels(1, 0);
    await expectFresh(hashes, "after the write");
    await expectSubscriber("after the write");
  });
});
