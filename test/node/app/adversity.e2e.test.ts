// The composed node (node/app startNode) under L1 adversity, on a real anvil with real blobs: node-1
// (follower, sequencer, proposer) and node-2 (follower only, deriving from L1 alone), plus an independent
// proposer posting batches to the Inbox with node/da's BlobPoster (harness.ts OtherProposer).
//   competing proposer: its batch (taking one of node-1's acknowledged nonces) lands first, in the block
//     that also holds node-1's proposal; node-1 rebuilds on the canonical order, the taken transaction is
//     dropped with NONCE_TAKEN (rb_getTx and the `txs` subscription say so), the others land; equal roots.
//   reorg: a block holding node-1's batch is reverted away (evm_snapshot / evm_revert); on the new history
//     another proposer takes one of its nonces; both nodes roll back, node-1 re-applies or drops, equal roots.
//   reorg after a restart (#14): node-1 restarts after its batch was included (its pool no longer remembers
//     the batch's transactions), then a reorg reverts the batch away: the transactions come back from the
//     store's undo data, are executed soft again and included again; rb_getTx and `txs` say so. The same
//     when the reorg happens while node-1 is stopped (the rollback runs at startup, before its sequencer opens).
//   hostile proposer: garbage blob data, a forged signature, a wrong parent, a clock after L1, a wrong L1
//     range, while node-1 keeps sequencing: both nodes skip them identically, stay ready and equal.
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import type { RunningNode } from "../../../node/app/node.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import type { Eip712Domain, Tx } from "../../../node/clob/types.ts";
import { RollbookClient } from "../../../node/client/client.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import type { DerivedBatch } from "../../../node/derive/index.ts";
import { OTHER_PROPOSER_KEY, OtherProposer, TRADER_KEYS, NODE_KEY, converged, domainOf, hashOf, nodeConfig, rpcCall, signedOrder, startChain, startFollowerNode, startSequencerNode, until, type Chain } from "./harness.ts";

type TxAnswer = { txHash: string; status: string; code: number; level: string; batchIndex: number; drop?: { reason: string; code: number | null } };
type TxFrame = { type: string; txHash: string; reason?: string; level?: string };

describe("node/app: reorgs, competing and hostile proposers (composed nodes on anvil)", function () {
  this.timeout(240_000);
  let chain: Chain;
  let node1: RunningNode;
  let node1Config: Awaited<ReturnType<typeof nodeConfig>>;
  let node2: RunningNode;
  let domain: Eip712Domain;
  let other: OtherProposer;
  const [A, B, C] = TRADER_KEYS as [Hex, Hex, Hex];
  const alice = privateKeyToAccount(A).address.toLowerCase();
  const bob = privateKeyToAccount(B).address.toLowerCase();
  const carol = privateKeyToAccount(C).address.toLowerCase();
  const nodeAddress = privateKeyToAccount(NODE_KEY).address;
  const frames: TxFrame[] = [];
  let ws: RollbookClient;
  const derived: Record<string, DerivedBatch[]> = { "node-1": [], "node-2": [] };

  /** Acknowledged by node-1's sequencer (WAL written). */
  async function ack(tx: Tx): Promise<string> {
    const r = await node1.sequencer!.submit(encodeTx(tx));
    expect(r.verdict, JSON.stringify(r)).to.equal("valid");
    return (r as { hash: string }).hash;
  }
  const getTx = (n: RunningNode, h: string) => rpcCall<TxAnswer>(n.rpcUrl, "rb_getTx", { txHash: h });
  const levelOf = (h: string) => node1.sequencer!.status(h)?.level;
  const consumed = () => node2.deriver.current().state.l1MessagesConsumed;

  before(async () => {
    chain = await startChain("adversity");
    domain = domainOf(chain);
    node1Config = await nodeConfig(chain, "node-1", ["follower", "sequencer", "proposer"]);
    node1 = await startSequencerNode(chain, node1Config);
    node2 = await startFollowerNode(chain, await nodeConfig(chain, "node-2", ["follower"]));
    for (const n of [node1, node2]) n.deriver.on("batch", (b) => derived[n.name]!.push(b));
    other = new OtherProposer(chain);
    await until("deposits credited on node-1", () => node1.view.balances(carol).balances.length === 3);
    // alice's transaction answers over the WebSocket (authenticated `txs` subscription)
    ws = new RollbookClient({ url: node1.rpcUrl, signer: privateKeyToAccount(A) });
    await ws.authenticate();
    await ws.subscribe("txs", {}, (m) => frames.push(m as TxFrame));
    await converged(node1, node2);
  });

  after(async () => {
    ws?.close();
    await node2?.stop();
    await node1?.stop();
    await chain?.stop();
  });

  it("competing proposer: its batch lands first; node-1 rebuilds, the taken tx is dropped with its reason, both nodes equal", async () => {
    const seq = node1.sequencer!;
    const n = seq.nextNonce(alice);
    await chain.intervalMining(0);
    const a1 = await ack(signedOrder(domain, A, n, { market: 3, side: 0, price: 90, size: 1 }));
    const a2 = await ack(signedOrder(domain, A, n + 1, { market: 3, side: 0, price: 91, size: 1 }));
    const b1 = await ack(signedOrder(domain, B, seq.nextNonce(bob), { market: 3, side: 1, price: 110, size: 1 }));
    expect([a1, a2, b1].map(levelOf)).to.deep.equal(["soft", "soft", "soft"]);
    // node-1 seals and sends its proposal; it waits in the pool (no mining)
    const latest = await chain.pub.getTransactionCount({ address: nodeAddress, blockTag: "latest" });
    await until("node-1's proposal in the pool", async () => (await chain.pub.getTransactionCount({ address: nodeAddress, blockTag: "pending" })) > latest, 30_000);
    // another proposer takes alice's nonce n with a different order; one block holds both proposals, its first
    const taker = signedOrder(domain, A, n, { market: 3, side: 0, price: 80, size: 2 });
    const landed = await other.post([taker], consumed(), { mineWhenSent: true });
    await chain.intervalMining(1);
    const theirs = Number(landed.event!.batchIndex);
    const block = await chain.pub.getBlock({ blockNumber: landed.receipt.blockNumber, includeTransactions: true });
    expect(block.transactions.map((t) => t.from.toLowerCase())).to.include(nodeAddress.toLowerCase(), "node-1's proposal shares the block");

    await until("a1 dropped, a2 and b1 included", () => levelOf(a1) === "dropped" && ["included", "safe", "proven"].includes(levelOf(a2) ?? "") && ["included", "safe", "proven"].includes(levelOf(b1) ?? ""), 90_000);
    const root = await converged(node1, node2);
    expect(node2.status().stateRoot).to.equal(root);
    // node-1's proposal in the shared block was a no-op (it extended the chain before theirs); both nodes say so
    for (const name of ["node-1", "node-2"]) {
      const b = derived[name]!.filter((x) => x.batchIndex === theirs || x.batchIndex === theirs + 1);
      expect(b.map((x) => [x.proposer.toLowerCase(), x.valid, x.invalidReason ?? null])).to.deep.equal([
        [privateKeyToAccount(OTHER_PROPOSER_KEY).address.toLowerCase(), true, null],
        [nodeAddress.toLowerCase(), false, "WRONG_PARENT"],
      ]);
    }
    // the dropped acknowledgement through the API: rb_getTx and the txs subscription
    const dropped = await getTx(node1, a1);
    expect(dropped.status).to.equal("dropped");
    expect(dropped.drop).to.deep.equal({ reason: "NONCE_TAKEN", code: null });
    await until("txDropped frame", () => frames.some((f) => f.type === "txDropped" && f.txHash === a1 && f.reason === "NONCE_TAKEN"), 10_000);
    for (const h of [a2, b1, hashOf(domain, taker)]) {
      const [r1, r2] = [await getTx(node1, h), await getTx(node2, h)];
      expect([r1.status, r1.code, r1.batchIndex], h).to.deep.equal([r2.status, r2.code, r2.batchIndex]);
      expect(r2.status).to.equal("accepted");
    }
    expect((await getTx(node2, hashOf(domain, taker))).batchIndex).to.equal(theirs);
    await rpcCall(node2.rpcUrl, "rb_getTx", { txHash: a1 }).then(() => expect.fail("a1 is on no chain"), (e: Error) => expect(e.message).to.match(/not found/i));
    // node-1's orders and fills are the follower's: the first execution of the rebuilt batch left nothing behind (issue 15)
    const strip = <T extends { level?: unknown }>(l: T[]) => l.map(({ level: _, ...x }) => x);
    for (const acct of [alice, bob]) {
      expect(strip(await node1.view.orderHistory(acct, 100)), `order history ${acct}`).to.deep.equal(strip(await node2.view.orderHistory(acct, 100)));
      expect(strip(node1.view.openOrders(acct, 3)), `open orders ${acct}`).to.deep.equal(strip(node2.view.openOrders(acct, 3)));
      expect(strip(await node1.view.fills(acct, 100)), `fills ${acct}`).to.deep.equal(strip(await node2.view.fills(acct, 100)));
    }
    expect(strip(node1.view.trades(3, 100))).to.deep.equal(strip(node2.view.trades(3, 100)));
  });

  it("reorg: a block holding node-1's batch is reverted away; both nodes roll back, node-1 re-applies or drops, both equal", async () => {
    const seq = node1.sequencer!;
    const snap = await chain.rpc<Hex>("evm_snapshot");
    const from = consumed();
    const n = seq.nextNonce(alice);
    const c1 = await ack(signedOrder(domain, A, n, { market: 3, side: 0, price: 100, size: 2 }));
    const d1 = await ack(signedOrder(domain, C, seq.nextNonce(carol), { market: 3, side: 1, price: 100, size: 1 }));
    expect((await node1.view.tx(d1))!.fills.length, "d1 crossed c1 softly").to.equal(1);
    await until("c1, d1 included on node-1 and derived by node-2", () => levelOf(c1) === "included" && levelOf(d1) === "included" && node2.status().derivedBatch === seq.status(d1)!.batchIndex, 60_000);
    const orphanRoot = node2.status().stateRoot;
    const orphanBatch = node2.status().derivedBatch;
    const reorgsBefore = [node1, node2].map((x) => (x.view.rollup().reorgs ?? []).length);

    // L1 reorg: the history from the snapshot on is replaced; on it another proposer takes alice's nonce n
    await chain.intervalMining(0);
    const oldHead = Number(await chain.pub.getBlockNumber());
    await chain.rpc("evm_revert", [snap]);
    other.reset();
    const taker = signedOrder(domain, A, n, { market: 3, side: 1, price: 120, size: 1 });
    await other.post([taker], from, { mineWhenSent: true });
    await chain.mine(Math.max(1, oldHead - Number(await chain.pub.getBlockNumber()) + 1)); // the new history is longer
    await chain.intervalMining(1);

    await until("c1 dropped, d1 included again", () => levelOf(c1) === "dropped" && ["included", "safe", "proven"].includes(levelOf(d1) ?? ""), 90_000);
    const root = await converged(node1, node2);
    expect(root).to.not.equal(orphanRoot);
    expect(node2.status().derivedBatch).to.be.greaterThanOrEqual(orphanBatch);
    [node1, node2].forEach((x, i) => expect((x.view.rollup().reorgs ?? []).length, x.name).to.be.greaterThan(reorgsBefore[i]!));
    expect((await getTx(node1, c1)).drop).to.deep.equal({ reason: "NONCE_TAKEN", code: null });
    await until("txDropped frame for c1", () => frames.some((f) => f.type === "txDropped" && f.txHash === c1), 10_000);
    // d1 executed again on the new order: nothing to cross any more, it rests
    const [r1, r2] = [await getTx(node1, d1), await getTx(node2, d1)];
    expect(r1.status).to.equal("accepted");
    expect([r1.batchIndex, r1.code]).to.deep.equal([r2.batchIndex, r2.code]);
    expect(node2.view.openOrders(carol, 3).some((o) => o.price === 100 && o.remaining === 1)).to.equal(true);
    const book = (x: RunningNode) => x.view.openOrders(carol, 3).map((o) => [o.orderId, o.price, o.remaining]);
    expect(book(node1)).to.deep.equal(book(node2));
  });

  it("reorg after a restart: node-1's included batch is reverted away after node-1 restarted; its transactions are executed and included again", async () => {
    const snap = await chain.rpc<Hex>("evm_snapshot");
    let seq = node1.sequencer!;
    const e1 = await ack(signedOrder(domain, A, seq.nextNonce(alice), { market: 3, side: 0, price: 100, size: 1 }));
    const f1 = await ack(signedOrder(domain, C, seq.nextNonce(carol), { market: 3, side: 1, price: 100, size: 1 }));
    await until("e1, f1 included on node-1 and derived by node-2", () => levelOf(e1) === "included" && levelOf(f1) === "included" && node2.status().derivedBatch === seq.status(f1)!.batchIndex, 60_000);
    const batch = seq.status(f1)!.batchIndex;
    const fills = (await node2.view.tx(f1))!.fills.length;
    // node-1 restarts: its pool no longer remembers e1 and f1
    ws.close();
    await node1.stop();
    node1 = await startSequencerNode(chain, node1Config);
    node1.deriver.on("batch", (b) => derived["node-1"]!.push(b));
    seq = node1.sequencer!;
    expect([e1, f1].map(levelOf)).to.deep.equal([undefined, undefined]);
    ws = new RollbookClient({ url: node1.rpcUrl, signer: privateKeyToAccount(A) });
    await ws.authenticate();
    frames.length = 0;
    await ws.subscribe("txs", {}, (m) => frames.push(m as TxFrame));

    // L1 reorg: the history from the snapshot on (node-1's batch) is replaced by a longer, empty one
    await chain.intervalMining(0);
    const oldHead = Number(await chain.pub.getBlockNumber());
    await chain.rpc("evm_revert", [snap]);
    other.reset();
    await chain.mine(Math.max(1, oldHead - Number(await chain.pub.getBlockNumber()) + 1));
    await chain.intervalMining(1);

    await until("e1 and f1 included again", () => ["included", "safe", "proven"].includes(levelOf(e1) ?? "") && ["included", "safe", "proven"].includes(levelOf(f1) ?? ""), 90_000);
    await converged(node1, node2);
    for (const h of [e1, f1]) {
      const [r1, r2] = [await getTx(node1, h), await getTx(node2, h)];
      expect([r1.status, r1.code, r1.batchIndex], h).to.deep.equal([r2.status, r2.code, r2.batchIndex]);
      expect(r2.status, h).to.equal("accepted");
      expect(r2.batchIndex, h).to.be.greaterThanOrEqual(batch);
    }
    expect((await node2.view.tx(f1))!.fills.length, "the same fills on the same state, in the same order").to.equal(fills);
    await until("alice told of e1 executed again", () => frames.some((f) => f.txHash === e1 && f.type === "tx"), 10_000);
  });

  it("reorg while node-1 is stopped: derivation rolls back at startup before the sequencer opens; the undone transactions are pending when it does", async () => {
    const snap = await chain.rpc<Hex>("evm_snapshot");
    let seq = node1.sequencer!;
    const g1 = await ack(signedOrder(domain, A, seq.nextNonce(alice), { market: 3, side: 0, price: 101, size: 1 }));
    const h1 = await ack(signedOrder(domain, C, seq.nextNonce(carol), { market: 3, side: 1, price: 101, size: 1 }));
    await until("g1, h1 included on node-1 and derived by node-2", () => levelOf(g1) === "included" && levelOf(h1) === "included" && node2.status().derivedBatch === seq.status(h1)!.batchIndex, 60_000);
    const fills = (await node2.view.tx(h1))!.fills.length;
    ws.close();
    await node1.stop();
    // a restart in between: the WAL's rotation at open drops the included g1, h1 (else they replay from it)
    node1 = await startSequencerNode(chain, node1Config);
    expect([g1, h1].map((h) => node1.sequencer!.status(h))).to.deep.equal([undefined, undefined]);
    await node1.stop();
    // L1 reorg while node-1 is down: the history from the snapshot on is replaced by a longer, empty one
    await chain.intervalMining(0);
    const oldHead = Number(await chain.pub.getBlockNumber());
    await chain.rpc("evm_revert", [snap]);
    other.reset();
    await chain.mine(Math.max(1, oldHead - Number(await chain.pub.getBlockNumber()) + 1));
    await chain.intervalMining(1);
    node1 = await startSequencerNode(chain, node1Config);
    node1.deriver.on("batch", (b) => derived["node-1"]!.push(b));
    seq = node1.sequencer!;
    ws = new RollbookClient({ url: node1.rpcUrl, signer: privateKeyToAccount(A) });
    await ws.authenticate();
    await ws.subscribe("txs", {}, (m) => frames.push(m as TxFrame));
    expect([g1, h1].map(levelOf), "pending when the sequencer opened").to.satisfy((l: (string | undefined)[]) => l.every((x) => x !== undefined && x !== "dropped"));

    await until("g1 and h1 included again", () => ["included", "safe", "proven"].includes(levelOf(g1) ?? "") && ["included", "safe", "proven"].includes(levelOf(h1) ?? ""), 90_000);
    await converged(node1, node2);
    for (const h of [g1, h1]) {
      const [r1, r2] = [await getTx(node1, h), await getTx(node2, h)];
      expect([r1.status, r1.code, r1.batchIndex], h).to.deep.equal([r2.status, r2.code, r2.batchIndex]);
      expect(r2.status, h).to.equal("accepted");
    }
    expect((await node2.view.tx(h1))!.fills.length, "the same fills on the same state, in the same order").to.equal(fills);
  });

  it("hostile proposer: garbage, a forged signature, broken rules: skipped identically, both nodes ready and equal", async () => {
    const seq = node1.sequencer!;
    const hostile = privateKeyToAccount(OTHER_PROPOSER_KEY).address.toLowerCase();
    const mark = { "node-1": derived["node-1"]!.length, "node-2": derived["node-2"]!.length };
    const own: string[] = [];
    const n = seq.nextNonce(alice);
    // Blocks only when a hostile proposal is in the pool (node-1's proposals, if sent, share them, after it).
    await chain.intervalMining(0);
    const post = (txs: Tx[], o: Parameters<OtherProposer["post"]>[2] = {}) => other.post(txs, consumed(), { ...o, mineWhenSent: true });
    own.push(await ack(signedOrder(domain, A, n, { market: 3, side: 0, price: 95, size: 1 })));
    await post([], { raw: Uint8Array.from(Buffer.from("not a batch at all".repeat(50))) });
    own.push(await ack(signedOrder(domain, A, n + 1, { market: 3, side: 0, price: 94, size: 1 })));
    const forged = signedOrder(domain, B, seq.nextNonce(bob), { market: 3, side: 0, price: 93, size: 1 }, OTHER_PROPOSER_KEY);
    const fine = signedOrder(domain, C, seq.nextNonce(carol), { market: 3, side: 0, price: 92, size: 1 });
    await post([fine, forged]);
    await post([signedOrder(domain, C, seq.nextNonce(carol) + 1, { market: 3, side: 0, price: 91, size: 1 })], { tamper: (h) => (h.parentBatchHash = `0x${"11".repeat(32)}`) });
    own.push(await ack(signedOrder(domain, A, n + 2, { market: 3, side: 0, price: 93, size: 1 })));
    await post([], { tamper: (h) => (h.timestamp += 3600) });
    await post([], { tamper: (h) => (h.l1MsgEnd += 1) });
    await chain.intervalMining(1);
    await until("node-1's own transactions included", () => own.every((h) => ["included", "safe", "proven"].includes(levelOf(h) ?? "")), 90_000);
    await converged(node1, node2);

    const seen = (name: "node-1" | "node-2") => derived[name]!.slice(mark[name]).filter((b) => b.proposer.toLowerCase() === hostile).map((b) => [b.batchIndex, b.valid, b.invalidReason ?? null, b.root]);
    expect(seen("node-1")).to.deep.equal(seen("node-2"));
    // Each hostile batch fails its own rule (the other proposer's tip puts it first in every block it
    // shares with node-1's proposal, harness.ts OtherProposer, so none extends a stale parent).
    const reasons = seen("node-2").map((x) => x[2]);
    expect(reasons).to.deep.equal(["UNDECODABLE_BAD_VERSION", null, "WRONG_PARENT", "CLOCK_AFTER_L1", "WRONG_L1_RANGE"]);
    for (const n of [node1, node2]) {
      expect((await getTx(n, hashOf(domain, forged))).code).to.equal(ErrorCode.WRONG_SIGNER);
      expect((await getTx(n, hashOf(domain, fine))).status).to.equal("accepted");
      const ready = await fetch(`${n.rpcUrl}/ready`);
      expect(ready.status, n.name).to.equal(200);
      expect(n.status().lastError, n.name).to.equal(undefined);
    }
    for (const h of own) expect(levelOf(h)).to.not.equal("dropped");
  });
});
