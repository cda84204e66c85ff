// The API's answers across a soft-state rebuild (issue 15): after another proposer's batch or an L1 reorg
// makes the sequencer execute its acknowledged transactions again, every answer the view gives (orders,
// open orders, order history, fills, trades, candles, transactions) equals what a fresh view fed only the
// canonical history and the re-executed soft batches gives, before the displacing batch's write lands and
// after; and a subscriber that applies the feeds' messages (book, trades, candles, orders, fills) ends with
// the view's answers, never with a trade, fill or order that was undone.
// Real Sequencer, STF, LevelDB store and history index; derivation is done here as node/app/node.ts does it
// (the store write started, the sequencer told, the derived batch indexed before what executes again).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { txHash } from "../../../node/clob/eip712.ts";
import type { ReceiptLog } from "../../../node/clob/receipts.ts";
import type { ClobState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import type { L1Message, Tx } from "../../../node/clob/types.ts";
import { decodeBatch } from "../../../node/codec/batch.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { LocalBook } from "../../../node/client/client.ts";
import { HistoryIndex } from "../../../node/app/history.ts";
import { DEFAULT_CANDLE_INTERVALS } from "../../../node/app/history-records.ts";
import { indexSoftExecution } from "../../../node/app/soft-index.ts";
import { NodeStateView } from "../../../node/app/view.ts";
import { Feeds, type Sink } from "../../../node/rpc/feeds.ts";
import type { Candle, FillInfo, OrderInfo, Trade } from "../../../node/rpc/node-view.ts";
import type { SharedMessage } from "../../../node/rpc/ws-frame.ts";
import { DropReason, Sequencer } from "../../../node/sequencer/index.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { DOMAIN, Trader, makeKeys } from "../clob/stf-helpers.ts";
import { MemoryL1, encodeSealed, fundingMessages, genesis } from "../sequencer/helpers.ts";

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

/** A canonical batch as derivation executed it. */
interface Derived {
  index: number;
  timestamp: number;
  l1MsgStart: number;
  msgs: L1Message[];
  txs: readonly Tx[];
  hashes: string[];
  receipts: ReceiptLog;
}

describe("node/app: API answers across a soft-state rebuild equal a fresh node's (issue 15)", function () {
  this.timeout(30_000);
  const keys = makeKeys(3, "rebuild-view-test");
  let dir: string;
  let store: StateStore;
  let history: HistoryIndex;
  let seq: Sequencer;
  let view: NodeStateView;
  let feeds: Feeds;
  let sub: Subscriber;
  let l1: MemoryL1;
  let canon: { state: ClobState; sc: StateCommitment };
  let derived: Derived[];
  let hook: (() => void) | undefined;
  const [alice, bob, carol] = [0, 1, 2].map((i) => keys[i]!.address.toLowerCase());

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-rebuild-view-"));
    history = new HistoryIndex({ domain: DOMAIN, keepReceipts: 0, candleIntervals: DEFAULT_CANDLE_INTERVALS });
    store = await StateStore.open(path.join(dir, "db"), { indexer: history });
    canon = { state: genesis(), sc: undefined as unknown as StateCommitment };
    canon.sc = StateCommitment.fromState(canon.state);
    await store.writeFullState(canon.sc, 0);
    l1 = new MemoryL1(fundingMessages(keys));
    derived = [];
    seq = await Sequencer.open({ db: store.db, canonical: canon.state, l1, seal: { maxAgeMs: 100_000 } });
    view = new NodeStateView({ domain: DOMAIN, state: () => seq.softState(), sequencer: () => seq, history });
    await view.load();
    indexSoftExecution(view, seq, undefined, () => hook?.());
    feeds = new Feeds(view, { minMs: 1, maxMs: 1 });
    sub = new Subscriber(view);
    feeds.subscribeBook(sub, MARKET, 1000);
    feeds.subscribeTrades(sub, MARKET);
    feeds.subscribeCandles(sub, MARKET, 60);
    feeds.subscribeAccount(sub, "orders", alice);
    feeds.subscribeAccount(sub, "fills", alice);
    await turn();
  });
  afterEach(async () => {
    feeds.close();
    await seq.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ack(tx: Tx): Promise<string> {
    const r = await seq.submit(encodeTx(tx));
    expect(r.verdict, JSON.stringify(r)).to.equal("valid");
    return txHash(DOMAIN, tx);
  }

  /** Derivation of a landed batch as node/app/node.ts does it; returns the store write, still running. */
  function derive(bytes: Uint8Array, index: number): Promise<void> {
    const d = decodeBatch(bytes);
    if (!d.ok) throw new Error(`batch does not decode: ${d.reasonName}`);
    const { timestamp, l1MsgStart, l1MsgEnd } = d.batch.header;
    const txs = d.batch.txs;
    const msgs = l1.queue.slice(l1MsgStart, l1MsgEnd);
    const res = applyBatch(canon.state, { index, timestamp, txs }, msgs);
    const { root, derived: dv, undo } = canon.sc.commitBatch(canon.state, { undo: true });
    const hashes = txs.map((tx) => txHash(DOMAIN, tx));
    derived.push({ index, timestamp, l1MsgStart, msgs, txs, hashes, receipts: res.receipts });
    history.prepare({ index, timestamp, txs, hashes });
    const landed = store.commitBatch({ batchIndex: index, root, derived: dv, receipts: res.receipts, undo, mempool: { del: seq.commitKeys(index, hashes) } });
    const indexDerived = (): void => {
      if (!view.hasBatch(index)) view.onBatchOpened(index, timestamp, l1MsgStart, msgs, res.receipts.l1(), txs.length, false, res.receipts.expired());
      txs.forEach((tx, i) => {
        if (!view.hasTx(hashes[i]!)) view.onTx(index, timestamp, hashes[i]!, tx, res.receipts.tx(i));
      });
    };
    hook = indexDerived;
    seq.onCanonical({ state: canon.state, batches: [{ index, timestamp, l1MsgStart, l1MsgEnd, txHashes: hashes }] });
    hook = undefined;
    indexDerived();
    view.setLevels(index, 0);
    return landed;
  }

  /** Another proposer's batch `index` with `txs` (and the L1 messages not yet consumed). */
  function foreign(index: number, txs: Tx[]): Uint8Array {
    const l1MsgStart = canon.state.l1MessagesConsumed;
    return encodeSealed({ index, timestamp: l1.current.timestamp, l1MsgStart, l1MsgEnd: l1.queue.length, txs: txs.map((tx) => ({ tx })) } as never);
  }

  /** A view that only ever saw the canonical batches derived so far and the sequencer's current soft batches. */
  function freshView(): NodeStateView {
    const v = new NodeStateView({ domain: DOMAIN, state: () => seq.softState(), sequencer: () => seq, retainBatches: 0 });
    for (const b of derived) {
      v.onBatchOpened(b.index, b.timestamp, b.l1MsgStart, b.msgs, b.receipts.l1(), b.txs.length, false, b.receipts.expired());
      b.txs.forEach((tx, i) => v.onTx(b.index, b.timestamp, b.hashes[i]!, tx, b.receipts.tx(i), { log: b.receipts, row: i }));
    }
    const soft = [...seq.sealed(), ...(seq.openBatch() === null ? [] : [seq.openBatch()!])];
    for (const b of soft) {
      v.onBatchOpened(b.index, b.timestamp, b.l1MsgStart, b.l1Messages, b.receipts.l1(), b.txs.length, !b.sealed, b.receipts.expired());
      for (const p of b.txs) v.onTx(b.index, b.timestamp, p.hash, p.tx, p.receipts!.tx(p.row), { log: p.receipts!, row: p.row });
    }
    v.setLevels(derived.at(-1)?.index ?? 0, 0);
    return v;
  }

  /** Every answer of the view equals the fresh view's; `hashes`: transactions to compare (not dropped ones). */
  async function expectFresh(hashes: string[], what: string): Promise<void> {
    const f = freshView();
    const maxOrder = Math.max(0, ...[...(await f.orderHistory(alice, 100)), ...(await f.orderHistory(bob, 100)), ...(await f.orderHistory(carol, 100))].map((o) => o.orderId)) + 3;
    for (let id = 1; id <= maxOrder; id++) expect(await view.order(id), `${what}: rb_getOrder ${id}`).to.deep.equal(await f.order(id));
    for (const a of [alice, bob, carol]) {
      expect(view.openOrders(a, null), `${what}: open orders ${a}`).to.deep.equal(f.openOrders(a, null));
      expect(await view.orderHistory(a, 100), `${what}: order history ${a}`).to.deep.equal(await f.orderHistory(a, 100));
      expect(await view.fills(a, 100), `${what}: fills ${a}`).to.deep.equal(await f.fills(a, 100));
    }
    expect(view.trades(MARKET, 100), `${what}: trades`).to.deep.equal(f.trades(MARKET, 100));
    for (const i of DEFAULT_CANDLE_INTERVALS) expect(view.candles(MARKET, i, 100), `${what}: candles ${i}`).to.deep.equal(f.candles(MARKET, i, 100));
    for (const h of hashes) expect(await view.tx(h), `${what}: rb_getTx ${h}`).to.deep.equal(await f.tx(h));
  }

  /** What the subscriber holds after the feeds' next tick equals the view's answers. */
  async function expectSubscriber(what: string): Promise<void> {
    feeds.flush();
    await turn();
    const strip = <T extends { level?: unknown }>(l: T[]) => l.map(({ level: _, ...x }) => x);
    const snap = view.book(MARKET, 1000)!;
    expect(sub.book.levels("bids"), `${what}: book bids`).to.deep.equal(snap.bids);
    expect(sub.book.levels("asks"), `${what}: book asks`).to.deep.equal(snap.asks);
    expect(strip(sub.trades), `${what}: trades`).to.deep.equal(strip(view.trades(MARKET, 100)));
    expect([...(sub.candles.get(60)?.values() ?? [])].sort((a, b) => a.start - b.start), `${what}: candles`).to.deep.equal(view.candles(MARKET, 60, 100));
    expect(strip(sub.fills).reverse(), `${what}: fills`).to.deep.equal(strip(await view.fills(alice, 100)));
    const open = new Map([...sub.remaining].filter(([, r]) => r > 0));
    expect(open, `${what}: open orders`).to.deep.equal(new Map(view.openOrders(alice, null).map((o) => [o.orderId, o.remaining])));
  }

  it("another proposer's batch makes a soft fill happen at another price and a soft order rest: answers and feeds equal a fresh node's, before and after the write", async () => {
    const [a, b, c] = keys.map((k) => new Trader(k));
    const a1 = await ack(a.sell(100, 2)); // alice rests 2 at 100 ...
    const b1 = await ack(b.buy(100, 1)); // ... bob takes 1 of it (soft fill at 100)
    const c1 = await ack(c.buy(99, 1));
    const a2 = await ack(a.sell(101, 1));
    expect((await view.tx(b1))!.fills.map((f) => f.price)).to.deep.equal([100]);
    await expectSubscriber("soft");
    seq.seal(); // our batch 1 goes to L1 ...
    // ... but another proposer's batch 1 has alice's nonce 0 selling 1 at 98 and carol's nonce 0 selling 1 at 103.
    const a1x = new Trader(keys[0]!).sell(98, 1);
    const c1x = new Trader(keys[2]!).sell(103, 1);
    const landed = derive(foreign(1, [a1x, c1x]), 1);
    // a1 and c1 dropped (nonce taken); bob's buy executes again in soft batch 2 against alice's 98; a2 rests.
    expect((await view.tx(a1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect((await view.tx(c1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect((await view.tx(b1))!.fills.map((f) => [f.price, f.batchIndex])).to.deep.equal([[98, 2]]);
    const hashes = [b1, a2, txHash(DOMAIN, a1x), txHash(DOMAIN, c1x)];
    await expectFresh(hashes, "before the write");
    await expectSubscriber("before the write");
    expect(sub.kinds, "the subscriber was told").to.include.members(["book/snapshot", "trades/rollback", "candles/candles", "fills/rollback", "orders/rollback"]);
    await landed;
    view.setLevels(1, 0); // an L1 poll after the write landed: batch 1 is the history index's now
    await expectFresh(hashes, "after the write");
    await expectSubscriber("after the write");
    // Our batch 2 lands too.
    const landed2 = derive(encodeSealed(seq.seal()!), 2);
    await expectFresh(hashes, "batch 2 before its write");
    await landed2;
    view.setLevels(2, 0);
    await expectFresh(hashes, "batch 2 after its write");
    await expectSubscriber("batch 2 after its write");
  });

  it("after a restart, a reorg below what the view loaded: orders and candles come back from the history index, equal to a fresh node's", async () => {
    const [a, b] = keys.map((k) => new Trader(k));
    const a1 = await ack(a.sell(100, 2));
    const b1 = await ack(b.buy(100, 1)); // a trade in batch 1
    await derive(encodeSealed(seq.seal()!), 1);
    l1.advance(120);
    const b2 = await ack(b.buy(100, 1)); // fills the rest of alice's order in batch 2, another candle
    await derive(encodeSealed(seq.seal()!), 2);
    // A restart of the view: it loads what the index holds (batches 1 and 2 written) and serves the sequencer.
    view = new NodeStateView({ domain: DOMAIN, state: () => seq.softState(), sequencer: () => seq, history });
    await view.load();
    view.setLevels(2, 0);
    indexSoftExecution(view, seq, undefined, () => hook?.());
    expect((await view.order(1))!.state).to.equal("filled");
    expect(view.candles(MARKET, 60, 100)).to.have.length(2);
    // The reorg undoes batch 2: the store and the index roll back in one write; the view follows.
    await store.rollback(1);
    const back = (await store.load())!;
    canon = { state: back.state, sc: back.commitment };
    derived.pop();
    view.rollBack(1);
    expect((await view.order(1))!.remaining, "alice's order rests again").to.equal(1);
    expect(view.candles(MARKET, 60, 100), "batch 2's candle is gone").to.have.length(1);
    // The sequencer executes b2 again (soft batch 2), as a fresh node would index it.
    seq.onCanonical({ state: canon.state, batches: [], reorg: true });
    expect((await view.tx(b2))!.level).to.equal("soft");
    await expectFresh([a1, b1, b2], "after the reorg");
  });

  it("a transaction answered dropped that another proposer's batch includes after all: answered included, with its order and fills", async () => {
    const [a, b] = keys.map((k) => new Trader(k));
    const b1 = await ack(b.buy(100, 1));
    const a1tx = a.sell(100, 1);
    const a1 = txHash(DOMAIN, a1tx);
    view.onDropped(a1, { reason: DropReason.GAP_TIMEOUT, code: null }, a1tx); // as the sequencer announces a drop
    expect((await view.tx(a1))!.status).to.equal("dropped");
    seq.seal();
    const bx = new Trader(keys[1]!).buy(101, 1); // bob's nonce 0 again (b1 is dropped), crossed by a1
    const landed = derive(foreign(1, [bx, a1tx]), 1);
    expect((await view.tx(b1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect((await view.tx(a1))!.status).to.equal("accepted");
    expect((await view.tx(a1))!.fills).to.have.length(1);
    await expectFresh([a1, txHash(DOMAIN, bx)], "before the write");
    await landed;
    view.setLevels(1, 0);
    await expectFresh([a1, txHash(DOMAIN, bx)], "after the write");
  });

  it("an L1 reorg undoes an included batch and the new history takes a nonce: the soft fill is undone in every answer and feed", async () => {
    const [a, b] = keys.map((k) => new Trader(k));
    const a1 = await ack(a.sell(100, 2));
    await derive(encodeSealed(seq.seal()!), 1); // alice's order included and written
    view.setLevels(1, 0);
    const b1 = await ack(b.buy(100, 1)); // a soft fill in batch 2 against the included order
    l1.advance(120); // batch 2's clock: another candle
    const b2 = await ack(b.buy(100, 1));
    expect((await view.tx(b1))!.fills).to.have.length(1);
    await expectSubscriber("soft");
    await expectFresh([a1, b1, b2], "soft");

    // The reorg: batch 1 is undone (store, view, sequencer: alice's order soft again, bob's buys after it) ...
    await store.rollback(0);
    const back = (await store.load())!;
    canon = { state: back.state, sc: back.commitment };
    derived = [];
    view.rollBack(0);
    seq.onCanonical({ state: canon.state, batches: [], reorg: true });
    await expectFresh([a1, b1, b2], "after the reorg");
    await expectSubscriber("after the reorg");
    seq.seal();
    // ... and on the new history another proposer's batch 1 has alice's nonce 0 selling at 120: nothing to cross.
    const a1x = new Trader(keys[0]!).sell(120, 1);
    const landed = derive(foreign(1, [a1x]), 1);
    expect((await view.tx(a1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect((await view.tx(b1))!.fills, "b1 rests now").to.deep.equal([]);
    const hashes = [b1, b2, txHash(DOMAIN, a1x)];
    await expectFresh(hashes, "before the write");
    await expectSubscriber("before the write");
    expect(view.trades(MARKET, 100)).to.deep.equal([]);
    expect(view.candles(MARKET, 60, 100)).to.deep.equal([]);
    await landed;
    view.setLevels(1, 0);
    await expectFresh(hashes, "after the write");
    await expectSubscriber("after the write");
  });
});
