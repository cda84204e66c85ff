// The sequencing node's view (node/app/soft-index.ts feeding node/app/view.ts from the sequencer) when soft
// state is rebuilt: real Sequencer, STF, LevelDB store and history index, derivation and reorgs composed as
// node/app/node.ts composes them (view-fixture.ts; the write lands later, and an L1 poll sets the levels again).
//   Another proposer's batch takes one of our acknowledged nonces: the taken transaction is answered
//   dropped, and the others, executed again in the next soft batch, are answered at every moment (before,
//   the view forgot them with the batch they had first been soft in, while the history index did not hold
//   them yet: rb_getTx NOT_FOUND, the adversity e2e flake).
//   The same after an L1 reorg that undoes our included batch.
import { expect } from "chai";
import { txHash } from "../../../node/clob/eip712.ts";
import type { NodeEvent } from "../../../node/rpc/node-view.ts";
import { DropReason } from "../../../node/sequencer/index.ts";
import { DOMAIN, Trader } from "../clob/stf-helpers.ts";
import { encodeSealed } from "../sequencer/helpers.ts";
import { SequencingViewFixture } from "./view-fixture.ts";

describe("node/app: the sequencer's view across soft-state rebuilds (competing proposer, reorg)", function () {
  this.timeout(30_000);
  let fx: SequencingViewFixture;
  const events: NodeEvent[] = [];

  beforeEach(async () => {
    fx = await SequencingViewFixture.open("soft-index-test");
    events.length = 0;
    fx.view.subscribe((e) => events.push(e));
  });
  afterEach(() => fx.close());

  /** rb_getTx's answer: status, level and batch (null: NOT_FOUND). */
  async function answer(h: string): Promise<[string, string, number] | null> {
    const t = await fx.view.tx(h);
    return t === null ? null : [t.status, t.level, t.batchIndex];
  }

  it("another proposer takes an acknowledged nonce: the others, executed again in the next soft batch, are answered at every step", async () => {
    const [alice, bob] = [new Trader(fx.keys[0]!), new Trader(fx.keys[1]!)];
    const a1 = await fx.ack(alice.sell(100, 1));
    const a2 = await fx.ack(alice.sell(101, 1));
    const b1 = await fx.ack(bob.buy(90, 1));
    expect(fx.seq.openBatch()!.index).to.equal(1);
    fx.seq.seal(); // our batch 1 goes to L1 ...
    const taker = new Trader(fx.keys[0]!).sell(105, 2); // ... but another proposer's batch 1 takes alice's nonce 0
    const takerHash = txHash(DOMAIN, taker);
    const landed = fx.derive(fx.foreign(1, [taker]), 1);
    expect(await answer(a1)).to.deep.equal(["dropped", "soft", 1]);
    expect((await fx.view.tx(a1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    for (const h of [a2, b1]) expect(await answer(h), h).to.deep.equal(["accepted", "soft", 2]);
    expect(await answer(takerHash)).to.deep.equal(["accepted", "included", 1]);
    expect((await fx.view.batch(1))!.txCount, "batch 1 holds only the taker").to.equal(1);
    await landed;
    fx.view.setLevels(1, 0); // an L1 poll after the write landed: batch 1 is now the history index's
    for (const h of [a2, b1]) expect(await answer(h), h).to.deep.equal(["accepted", "soft", 2]);
    expect(await answer(a1)).to.deep.equal(["dropped", "soft", 1]);
    expect((await fx.view.batch(1))!.txCount).to.equal(1);

    // Our batch 2 (a2, b1) lands: answered while its write runs and after.
    const ours = fx.seq.seal()!;
    expect(ours.txs.map((p) => p.hash)).to.deep.equal([a2, b1]);
    const landed2 = fx.derive(encodeSealed(ours), 2);
    for (const h of [a2, b1]) expect(await answer(h), h).to.deep.equal(["accepted", "included", 2]);
    await landed2;
    fx.view.setLevels(2, 0);
    for (const h of [a2, b1]) expect(await answer(h), h).to.deep.equal(["accepted", "included", 2]);
    // What a `txs` subscriber was told about alice's transactions: a2 executed in 1; then, in the order a node
    // that only saw the canonical history tells it, the taker in batch 1, a1 dropped, a2 executed again in 2.
    const told = events.flatMap((e) => (e.type === "txDropped" && e.account === alice.address.toLowerCase() ? [`dropped ${e.txHash} ${e.drop.reason}`] : e.type === "tx" && (e.tx.txHash === a2 || e.tx.txHash === takerHash) ? [`${e.tx.txHash === a2 ? "a2" : "taker"} ${e.tx.batchIndex}`] : []));
    expect(told).to.deep.equal(["a2 1", "taker 1", `dropped ${a1} NONCE_TAKEN`, "a2 2"]);
  });

  it("an L1 reorg undoes our included batch and another proposer takes a nonce: the re-executed transaction is answered at every step", async () => {
    const [alice, carol] = [new Trader(fx.keys[0]!), new Trader(fx.keys[2]!)];
    const c1 = await fx.ack(alice.buy(100, 2));
    const d1 = await fx.ack(carol.sell(100, 1));
    expect((await fx.view.tx(d1))!.fills.length, "d1 crossed c1 softly").to.equal(1);
    await fx.derive(encodeSealed(fx.seq.seal()!), 1);
    fx.view.setLevels(1, 0);
    for (const h of [c1, d1]) expect(await answer(h), h).to.deep.equal(["accepted", "included", 1]);

    // The reorg: batch 1 is undone (store, view, sequencer: c1 and d1 soft again in batch 1) ...
    await fx.reorg(0);
    for (const h of [c1, d1]) expect(await answer(h), h).to.deep.equal(["accepted", "soft", 1]);
    fx.seq.seal();
    // ... and on the new history another proposer's batch 1 takes alice's nonce 0.
    const landed = fx.derive(fx.foreign(1, [new Trader(fx.keys[0]!).sell(120, 1)]), 1);
    expect((await fx.view.tx(c1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect(await answer(d1)).to.deep.equal(["accepted", "soft", 2]);
    await landed;
    fx.view.setLevels(1, 0);
    expect(await answer(d1)).to.deep.equal(["accepted", "soft", 2]);
    expect((await fx.view.tx(d1))!.fills, "nothing to cross any more: d1 rests").to.deep.equal([]);
    const landed2 = fx.derive(encodeSealed(fx.seq.seal()!), 2);
    expect(await answer(d1)).to.deep.equal(["accepted", "included", 2]);
    await landed2;
    fx.view.setLevels(2, 0);
    expect(await answer(d1)).to.deep.equal(["accepted", "included", 2]);
    expect(events.some((e) => e.type === "txDropped" && e.txHash === c1 && e.drop.reason === DropReason.NONCE_TAKEN)).to.equal(true);
  });
});
