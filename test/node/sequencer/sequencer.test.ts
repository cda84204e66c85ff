// The sequencer against the real STF, codec and LevelDB store: admission verdicts, nonce gaps, durable
// acknowledgements and WAL replay, soft execution equal to the STF applied to the built batch, batch
// commits recorded in the WAL (CANON), and soft-state rebuilds on a competing canonical order.
import { expect } from "chai";
import path from "node:path";
import { cloneState, stateDigest } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { signTx, txHash } from "../../../node/clob/eip712.ts";
import { decodeBatch } from "../../../node/codec/batch.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { StateStore } from "../../../node/state/store.ts";
import { DropReason, PoolCode, Sequencer, Wal, type SequencerEvent, type WalContents } from "../../../node/sequencer/index.ts";
import { DOMAIN, Trader, makeKeys } from "../clob/stf-helpers.ts";
import { SelfTradePrevention, TimeInForce, TxKind, type Tx } from "../../../node/clob/types.ts";
import { SequencerHarness, encodeSealed, genesis, landBatch, writeGenesis } from "./helpers.ts";

describe("sequencer", function () {
  this.timeout(60_000);
  const keys = makeKeys(6, "sequencer-test");
  let h: SequencerHarness;

  beforeEach(async () => {
    h = await SequencerHarness.open("seq", keys);
  });
  afterEach(() => h.close());

  const bytes = (tx: Parameters<typeof encodeTx>[0]) => encodeTx(tx);
  /** What a restart would read from the WAL directory now. */
  const walContents = (): WalContents => new Wal(path.join(h.dir, "db.wal")).load();

  it("answers valid / never valid (with the STF code) and parks nonce gaps", async () => {
    const s = await h.start();
    const [a, b] = [new Trader(keys[0]!), new Trader(keys[1]!)];
    const r1 = await s.submit(bytes(a.sell(100, 5)));
    expect(r1.verdict).to.equal("valid");
    if (r1.verdict !== "valid") return;
    expect(r1.level).to.equal("soft");
    expect(r1.batchIndex).to.equal(1);
    expect(r1.receipt!()!.code).to.equal(ErrorCode.OK);
    // nonce too low
    a.nonce = 0;
    const low = await s.submit(bytes(a.sell(101, 1)));
    expect(low).to.include({ verdict: "invalid", code: ErrorCode.NONCE_TOO_LOW });
    // wrong signer: b signs a tx for a's account
    const forged = signTx(DOMAIN, { ...a.sell(100, 1), nonce: 1 }, keys[1]!.priv);
    expect(await s.submit(bytes(forged))).to.include({ verdict: "invalid", code: ErrorCode.WRONG_SIGNER });
    // malformed bytes
    expect(await s.submit(new Uint8Array([1, 2, 3]))).to.include({ verdict: "invalid", code: ErrorCode.MALFORMED });
    // gap: b's nonce 1 before 0 -> queued, then executed after 0
    b.nonce = 1;
    const later = b.buy(100, 2);
    b.nonce = 0;
    const first = b.buy(99, 1);
    const rq = await s.submit(bytes(later));
    expect(rq).to.include({ verdict: "valid", level: "queued" });
    const rf = await s.submit(bytes(first));
    expect(rf).to.include({ verdict: "valid", level: "soft" });
    expect(s.status(txHash(DOMAIN, later))!.level).to.equal("soft");
    expect(s.nextNonce(b.address)).to.equal(2);
    // gap too large
    b.nonce = 500;
    expect(await s.submit(bytes(b.buy(99, 1)))).to.include({ verdict: "invalid", code: PoolCode.GAP_TOO_LARGE });
  });

  it("answers a burst in submission order after one WAL write; a parked tx and the ones it unblocks are announced once each", async () => {
    const s = await h.start();
    const [a, b] = [new Trader(keys[0]!), new Trader(keys[1]!)];
    const events: SequencerEvent[] = [];
    s.subscribe((e) => events.push(e));
    // b's nonces 2 and 1 parked, then 0 unblocks both; a's burst of 50 in the same turn.
    b.nonce = 2;
    const b2 = b.buy(90, 1);
    b.nonce = 1;
    const b1 = b.buy(91, 1);
    b.nonce = 0;
    const b0 = b.buy(92, 1);
    const burst = Array.from({ length: 50 }, (_, i) => a.sell(200 + i, 1));
    const groupsBefore = s.wal.stats.groups;
    const order: string[] = [];
    const all = [b2, b1, ...burst, b0].map((tx) => s.submit(bytes(tx)).then((r) => {
      order.push((r as { hash: string }).hash);
      expect(events.some((e) => e.type === "receipt" && e.hash === (r as { hash: string }).hash) || (r as { level: string }).level === "queued").to.equal(true);
      return r;
    }));
    const res = await Promise.all(all);
    expect(res.map((r) => r.verdict)).to.deep.equal(res.map(() => "valid"));
    // b2 was parked; answered at its level when its group was durable (b0 may have promoted it by then)
    expect(["queued", "soft"]).to.include((res[0] as { level: string }).level);
    expect(res[res.length - 1]).to.include({ level: "soft" });
    // answered in submission order, and the whole burst went out in very few group writes
    expect(order).to.deep.equal([b2, b1, ...burst, b0].map((tx) => txHash(DOMAIN, tx)));
    expect(s.wal.stats.groups - groupsBefore).to.be.lessThan(10);
    // b0 executed, then b1 and b2 promoted: one receipt each, in nonce order; two "queued" statuses
    const receipts = events.filter((e) => e.type === "receipt").map((e) => (e as { hash: string }).hash);
    expect(new Set(receipts).size).to.equal(receipts.length);
    expect(receipts.length).to.equal(53);
    const bHashes: string[] = [b0, b1, b2].map((tx) => txHash(DOMAIN, tx));
    expect(receipts.filter((h) => bHashes.includes(h))).to.deep.equal(bHashes);
    expect(events.filter((e) => e.type === "status" && e.level === "queued").length).to.equal(2);
    expect(s.nextNonce(b.address)).to.equal(3);
    for (const r of res) expect((r as { receipt(): unknown }).receipt()).to.not.equal(undefined);
  });

  it("admission handled in slices of one per turn gives the same answers, events and soft state as in one turn", async () => {
    const traders = keys.slice(0, 4).map((k) => new Trader(k));
    const txs: Tx[] = [];
    for (let i = 0; i < 80; i++) {
      const t = traders[i % 4]!;
      txs.push(i % 2 === 1 ? t.buy(100 + (i % 5), 1 + (i % 3)) : t.sell(101 - (i % 5), 1 + (i % 2)));
    }
    // A nonce gap filled later in the same burst, a nonce already taken, a forged signature, undecodable bytes.
    [txs[0], txs[8]] = [txs[8]!, txs[0]!];
    traders[1]!.nonce = 0;
    txs.push(traders[1]!.buy(99, 1));
    txs.push(signTx(DOMAIN, { ...traders[2]!.sell(100, 1) }, keys[3]!.priv));
    const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
    const run = async (db: StateStore, drainSlice: number) => {
      const s = await Sequencer.open({ db: db.db, canonical: genesis(), l1: h.l1, seal: { maxAgeMs: 100_000, maxTxs: 16 }, drainSlice, now: () => 1000 });
      // Events by type: receipts and statuses follow WAL groups, seals follow execution, so only their
      // interleaving may differ between slicings.
      const events: Record<string, string[]> = {};
      s.subscribe((e) => (events[e.type] ??= []).push(json(e)));
      const valid: number[] = [];
      const answers = await Promise.all([...txs.map((tx) => bytes(tx)), new Uint8Array([1, 2, 3])].map((b, i) => s.submit(b).then((r) => {
        if (r.verdict === "valid") valid.push(i);
        // A parked tx is answered at the level it has when its WAL group is durable (queued, or soft when
        // a later submission promoted it by then), which depends on the slicing: its final status is compared.
        return r.verdict === "valid" ? json([r.verdict, r.hash]) : json(r);
      })));
      const final = txs.map((tx) => json(s.status(txHash(DOMAIN, tx))));
      const out = { answers, final, valid, events, digest: stateDigest(s.softState()), sealed: s.sealed().map((b) => b.txs.map((p) => p.hash)) };
      await s.close();
      return out;
    };
    const whole = await run(h.store, 1e9);
    const other = await StateStore.open(path.join(h.dir, "db2"));
    try {
      expect(await run(other, 1)).to.deep.equal(whole);
    } finally {
      await other.close();
    }
    // Valid answers in submission order; the burst spans several batches; three never-valid answers.
    expect(whole.valid).to.deep.equal(whole.valid.slice().sort((a, b) => a - b));
    expect(whole.sealed.length).to.be.greaterThan(3);
    expect(whole.answers.filter((a) => a.includes('"verdict":"invalid"')).length).to.equal(3);
  });

  it("admits a BULK signed by an active agent key, and refuses one signed by a key that is not an agent", async () => {
    const s = await h.start();
    const a = new Trader(keys[0]!);
    const agent = keys[5]!;
    const sig = { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 as const };
    const approve = signTx(DOMAIN, { kind: TxKind.APPROVE_AGENT, account: a.address, nonce: a.nonce++, agent: agent.address, expiry: h.l1.current.timestamp + 3600, sig }, keys[0]!.priv);
    expect(await s.submit(bytes(approve))).to.include({ verdict: "valid", level: "soft" });
    const actions = Array.from({ length: 32 }, (_, i) => ({
      op: TxKind.PLACE, market: 1, side: (i & 1) as 0 | 1, tif: TimeInForce.GTC, price: 100 + (i % 4), size: 1, expiry: 0, clientId: i + 1, stp: SelfTradePrevention.EXPIRE_MAKER,
    }));
    const bulk = signTx(DOMAIN, { kind: TxKind.BULK, account: a.address, nonce: a.nonce++, actions, sig } as Tx, agent.priv);
    const r = await s.submit(bytes(bulk));
    expect(r).to.include({ verdict: "valid", level: "soft" });
    expect((r as { receipt: () => { code: number } }).receipt().code).to.equal(ErrorCode.OK);
    const stranger = signTx(DOMAIN, { kind: TxKind.BULK, account: a.address, nonce: a.nonce, actions, sig } as Tx, keys[4]!.priv);
    expect(await s.submit(bytes(stranger))).to.include({ verdict: "invalid", code: ErrorCode.WRONG_SIGNER });
  });

  it("closing answers every submission still in admission (valid or SHUTTING_DOWN), none hangs", async () => {
    const s = await h.start();
    const a = new Trader(keys[3]!);
    const pending = Array.from({ length: 200 }, () => s.submit(bytes(a.sell(100, 1))));
    await h.stop();
    const results = await Promise.all(pending);
    for (const r of results) expect(r.verdict === "valid" || (r.verdict === "error" && r.code === PoolCode.SHUTTING_DOWN)).to.equal(true);
  });

  it("a duplicate submission gets the same answer", async () => {
    const s = await h.start();
    const a = new Trader(keys[0]!);
    const tx = bytes(a.sell(100, 5));
    const r1 = await s.submit(tx);
    const r2 = await s.submit(tx);
    expect(r2).to.include({ verdict: "valid", duplicate: true, hash: (r1 as { hash: string }).hash });
  });

  it("soft execution equals the STF applied to the batch that was built (clock, L1 messages, proposer reward)", async () => {
    const canonical = genesis();
    const proposer = "0x00000000000000000000000000000000000b0b01";
    const s = await h.start(canonical, { proposer });
    const traders = keys.map((k) => new Trader(k));
    const subs: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const t = traders[i % traders.length]!;
      const tx = i % 3 === 0 ? t.buy(100 + (i % 7), 1 + (i % 4), { expiry: i % 5 === 0 ? h.l1.current.timestamp + 30 : 0 }) : t.sell(100 + (i % 5), 1 + (i % 3));
      subs.push(s.submit(bytes(tx)));
    }
    const results = await Promise.all(subs);
    expect(results.every((r) => (r as { verdict: string }).verdict === "valid")).to.equal(true);
    const b = s.seal()!;
    expect(b.txs.length).to.equal(200);
    const posted = decodeBatch(encodeSealed(b));
    if (!posted.ok) throw new Error(posted.reasonName);
    const direct = cloneState(canonical);
    const out = applyBatch(direct, { index: b.index, timestamp: posted.batch.header.timestamp, proposer, txs: posted.batch.txs }, h.l1.queue.slice(b.l1MsgStart, b.l1MsgEnd));
    expect(out.rewards.length).to.be.greaterThan(0);
    expect(posted.batch.header.timestamp).to.equal(h.l1.current.timestamp);
    expect(stateDigest(direct)).to.equal(stateDigest(s.softState()));
    expect(JSON.stringify(out.receipts.txs())).to.equal(JSON.stringify(b.receipts.txs()));
    expect(out.receipts.fillCount).to.be.greaterThan(0);
  });

  it("replays the WAL after a restart: sealed batches with their headers, then loose transactions", async () => {
    const canonical = genesis();
    let s = await h.start(canonical);
    const a = new Trader(keys[0]!);
    const c = new Trader(keys[2]!);
    for (let i = 0; i < 10; i++) await s.submit(bytes(a.sell(100 + i, 1)));
    const sealed = s.seal()!;
    h.l1.advance();
    for (let i = 0; i < 5; i++) await s.submit(bytes(c.buy(105, 1)));
    c.nonce = 8;
    const parked = await s.submit(bytes(c.buy(90, 1)));
    expect(parked).to.include({ level: "queued" });
    const before = stateDigest(s.softState());
    await h.stop();
    s = await h.start(canonical);
    expect(stateDigest(s.softState())).to.equal(before);
    expect(s.sealed().map((b) => [b.index, b.timestamp, b.txs.length])).to.deep.equal([[sealed.index, sealed.timestamp, 10]]);
    expect(s.openBatch()!.txs.length).to.equal(5);
    expect(s.status((parked as { hash: string }).hash)!.level).to.equal("queued");
  });

  it("the batch commit is recorded in the WAL before the store commit; a canonical batch equal to ours keeps soft state", async () => {
    const canonical = await writeGenesis(h.store);
    const s = await h.start(canonical.state);
    const a = new Trader(keys[0]!);
    for (let i = 0; i < 20; i++) await s.submit(bytes(a.sell(100 + i, 1)));
    const b1 = s.seal()!;
    for (let i = 0; i < 3; i++) await s.submit(bytes(a.sell(200 + i, 1)));
    await s.wal.flush();
    let log = walContents();
    expect([log.txs.size, log.seals.size, log.canon.size]).to.deep.equal([23, 1, 0]);
    const events: SequencerEvent[] = [];
    s.subscribe((e) => events.push(e));
    const softBefore = s.softState();
    await landBatch(s, h.store, canonical, h.l1, encodeSealed(b1), b1.index);
    expect(s.softState()).to.equal(softBefore); // not rebuilt
    log = walContents();
    expect(log.canon.get(b1.index)).to.deep.equal(b1.txs.map((p) => p.hash));
    expect((await h.store.mempool()).length).to.equal(0); // nothing of the WAL in LevelDB
    expect(events.filter((e) => e.type === "status" && e.level === "included").length).to.equal(20);
    expect(s.status(b1.txs[0]!.hash)!.level).to.equal("included");
    s.setFinality(1, 0);
    expect(s.status(b1.txs[0]!.hash)!.level).to.equal("safe");
    // A restart: the 20 included transactions are the store's (not re-executed, not NONCE_TAKEN), the 3 pending soft.
    const after = stateDigest(s.softState());
    await h.stop();
    const r = await h.start(canonical.state);
    expect(stateDigest(r.softState())).to.equal(after);
    expect(r.status(b1.txs[0]!.hash)).to.equal(undefined);
    expect(r.openBatch()!.txs.length).to.equal(3);
    expect(r.pool.count).to.equal(3);
  });

  it("a reorg that rolls back our included batch puts its transactions back: re-executed, back in the WAL", async () => {
    const canonical = await writeGenesis(h.store);
    const before = cloneState(canonical.state);
    const s = await h.start(canonical.state);
    const a = new Trader(keys[0]!);
    const b = new Trader(keys[1]!);
    for (let i = 0; i < 5; i++) await s.submit(bytes(a.sell(100, 1)));
    const b1 = s.seal()!;
    await landBatch(s, h.store, canonical, h.l1, encodeSealed(b1), b1.index);
    for (let i = 0; i < 3; i++) await s.submit(bytes(b.buy(100, 1)));
    expect(s.status(b1.txs[0]!.hash)!.level).to.equal("included");
    await s.wal.flush();
    expect(walContents().canon.get(1)).to.deep.equal(b1.txs.map((p) => p.hash));
    const events: SequencerEvent[] = [];
    s.subscribe((e) => events.push(e));
    // L1 reorg: batch 1 is gone; the canonical state is back at genesis
    h.l1.advance();
    const r = s.onCanonical({ state: before, batches: [], reorg: true });
    expect(r).to.deep.include({ rebuilt: true, reexecuted: 8, dropped: 0 });
    expect(s.status(b1.txs[0]!.hash)!.level).to.equal("soft");
    expect(events.filter((e) => e.type === "receipt" && e.reexecuted).length).to.equal(8);
    await s.wal.flush();
    const log = walContents();
    expect(log.txs.size).to.equal(8); // the reverted 5 again, and the 3 pending
    const expectState = cloneState(before);
    applyBatch(expectState, { index: 1, timestamp: s.openBatch()!.timestamp, txs: [...b1.txs.map((p) => p.tx), ...s.openBatch()!.txs.slice(5).map((p) => p.tx)] }, h.l1.queue);
    expect(stateDigest(s.softState())).to.equal(stateDigest(expectState));
  });

  it("another proposer's batch lands first: soft state rebuilt, the conflicting tx dropped with NONCE_TAKEN", async () => {
    const canonical = await writeGenesis(h.store);
    const s = await h.start(canonical.state);
    const a = new Trader(keys[0]!);
    const b = new Trader(keys[1]!);
    const mine = a.sell(100, 3); // nonce 0 of a, sent to us
    const r = await s.submit(bytes(mine));
    expect(r).to.include({ level: "soft" });
    const bTxs = [b.buy(100, 1), b.buy(100, 1)];
    for (const t of bTxs) await s.submit(bytes(t));
    // The other proposer includes a different a-nonce-0 tx and one of b's.
    const other = new Trader(keys[0]!);
    const theirs = other.sell(150, 1);
    const events: SequencerEvent[] = [];
    s.subscribe((e) => events.push(e));
    const foreign = {
      index: 1, timestamp: h.l1.current.timestamp, l1MsgStart: 0, l1MsgEnd: h.l1.queue.length,
      l1Origin: h.l1.current, txs: [{ tx: theirs }, { tx: bTxs[0]! }],
    };
    await landBatch(s, h.store, canonical, h.l1, encodeSealed(foreign as never), 1);
    const dropped = events.filter((e) => e.type === "status" && e.level === "dropped");
    expect(dropped.length).to.equal(1);
    expect(s.status(txHash(DOMAIN, mine))).to.deep.include({ level: "dropped", drop: { reason: DropReason.NONCE_TAKEN } });
    expect(s.status(txHash(DOMAIN, bTxs[0]!))!.level).to.equal("included");
    expect(s.status(txHash(DOMAIN, bTxs[1]!))!.level).to.equal("soft");
    // soft = canonical + the re-applied tx
    const expectState = cloneState(canonical.state);
    applyBatch(expectState, { index: 2, timestamp: s.openBatch()!.timestamp, txs: [bTxs[1]!] }, []);
    expect(stateDigest(s.softState())).to.equal(stateDigest(expectState));
    // the drop answer survives a restart
    await h.stop();
    const s2 = await h.start(canonical.state);
    expect(s2.status(txHash(DOMAIN, mine))).to.deep.include({ level: "dropped", drop: { reason: DropReason.NONCE_TAKEN } });
    expect(s2.status(txHash(DOMAIN, bTxs[1]!))!.level).to.equal("soft");
  });
});
