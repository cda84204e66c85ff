// WebSocket transport and subscriptions over a real SoftNode (docs/api.md "Subscriptions"): book snapshot
// then in-order deltas, gap -> resync equal to a fresh snapshot, own orders/fills/txs behind a signed
// challenge, batches, and the slow-consumer cut-off.

import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
// @ts-expect-error: ws ships no types here; the test uses its client to stop reading a socket
import WebSocketNode from "ws";
import { bytesToHex } from "../../../node/clob/eip712.ts";
import { LocalBook, RollbookClient, type BookMessage } from "../../../node/client/client.ts";
import { WsTransport } from "../../../node/client/transport.ts";
import { RpcErrors } from "../../../node/rpc/errors.ts";
import { CloseCode } from "../../../node/rpc/server.ts";
import { type Harness, startHarness as start, sleep, until } from "./helpers.ts";

// Each test runs with the sockets on the RPC thread (fanoutProcs 0) and in two fan-out processes.
for (const fanoutProcs of [0, 2]) describe(`rpc: WebSocket and subscriptions (fanoutProcs ${fanoutProcs})`, () => {
  let h: Harness;
  afterEach(async () => h.close());
  const startHarness = (n: number, options: Parameters<typeof start>[1] = {}) => start(n, { fanoutProcs, ...options });

  it("serves JSON-RPC over /ws, including batches and the error table", async () => {
    h = await startHarness(3);
    const ws = await WsTransport.connect(h.wsUrl);
    expect(await ws.request("net_version")).to.equal("4242");
    const raw: string[] = [];
    ws.socket.addEventListener("message", (e) => raw.push(String(e.data)));
    ws.socket.send("{bad json");
    ws.socket.send(JSON.stringify([{ jsonrpc: "2.0", id: 7, method: "rb_getMarkets" }, { jsonrpc: "2.0", id: 8, method: "nope" }]));
    ws.socket.send("x".repeat((1 << 20) + 10));
    await until(() => raw.length === 3);
    expect(JSON.parse(raw[0]).error.code).to.equal(RpcErrors.INVALID_JSON.code);
    const batch = JSON.parse(raw[1]);
    expect(batch[0].result[0].market).to.equal(1);
    expect(batch[1].error.code).to.equal(RpcErrors.METHOD_NOT_FOUND.code);
    expect(JSON.parse(raw[2]).error.code).to.equal(RpcErrors.TOO_LARGE.code);
    ws.close();
  });

  it("book: snapshot then every delta in order; the kept book equals a fresh snapshot; a forced gap resyncs", async () => {
    h = await startHarness(4);
    const client = new RollbookClient({ url: h.url });
    const book = await client.watchBook(1);
    const [a, b, c] = h.traders;
    const seqs: number[] = [];
    await client.subscribe("trades", { market: 1 }, () => {});
    const ws = await client.socket();
    const msgs: BookMessage[] = [];
    ws.socket.addEventListener("message", (e) => {
      const m = JSON.parse(String(e.data));
      if (m.params?.subscription === "book:1") msgs.push(m.params.result);
    });
    // a stream of changes: rest, trade through, amend, cancel
    for (let i = 0; i < 40; i++) {
      h.node.submitSync(a.sell(1000 + (i % 7), 1 + (i % 3)));
      h.node.submitSync(b.buy(990 - (i % 5), 2));
      if (i % 4 === 0) h.node.submitSync(c.buy(1003, 3));
      if (i % 10 === 0) await sleep(15);
    }
    await sleep(60);
    for (const m of msgs) if (m.type === "delta") seqs.push(m.seq);
    expect(seqs.length).to.be.greaterThan(1);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).to.equal(seqs[i - 1] + 1);
    const fresh = await client.getBook(1, 5000);
    expect(book.seq).to.equal(fresh.seq);
    expect(book.levels("bids")).to.deep.equal(fresh.bids);
    expect(book.levels("asks")).to.deep.equal(fresh.asks);
    // forced gap: a second local book misses one delta, notices, resyncs with one call
    const local = new LocalBook(1, () => client.getBook(1, 5000));
    await local.apply({ type: "snapshot", market: 1, seq: fresh.seq, bids: fresh.bids, asks: fresh.asks });
    const before = msgs.length;
    h.node.submitSync(a.sell(1010, 1));
    await sleep(30);
    h.node.submitSync(b.buy(980, 1));
    await sleep(30);
    const newer = msgs.slice(before).filter((m) => m.type === "delta");
    expect(newer).to.have.length(2);
    await local.apply(newer[1]); // newer[0] lost
    expect(local.resyncs).to.equal(1);
    const again = await client.getBook(1, 5000);
    expect(local.seq).to.equal(again.seq);
    expect(local.levels("bids")).to.deep.equal(again.bids);
    expect(local.levels("asks")).to.deep.equal(again.asks);
    client.close();
  });

  it("own orders, fills and tx levels need a signed challenge; batches report levels", async () => {
    h = await startHarness(2);
    const [a, b] = h.traders;
    const client = new RollbookClient({ url: h.url, signer: privateKeyToAccount(bytesToHex(a.key.priv)) });
    const ws = await client.socket();
    const err = await ws.request("rb_subscribe", ["orders"]).catch((e: { code: number }) => e);
    expect((err as { code: number }).code).to.equal(RpcErrors.UNAUTHORIZED.code);
    // a signature by another key is refused
    const other = privateKeyToAccount(bytesToHex(b.key.priv));
    const challenge = await ws.request<string>("rb_challenge");
    const forged = await ws.request("rb_auth", [a.address, await other.signMessage({ message: challenge })]).catch((e: { code: number }) => e);
    expect((forged as { code: number }).code).to.equal(RpcErrors.BAD_SIGNATURE.code);
    expect(await client.authenticate()).to.equal(a.address);
    const orders: any[] = [];
    const fills: any[] = [];
    const txs: any[] = [];
    const batches: any[] = [];
    await client.subscribe("orders", {}, (m) => orders.push(m));
    await client.subscribe("fills", {}, (m) => fills.push(m));
    await client.subscribe("txs", {}, (m) => txs.push(m));
    await client.subscribe("batches", {}, (m) => batches.push(m));
    const placed = await client.placeOrder({ market: 1, side: "sell", price: 1000, size: 3 });
    h.node.submitSync(b.buy(1000, 1)); // b's tx fills a's order: a sees its order update and fill
    h.node.submitSync(b.buy(900, 1)); // b's own order: nothing for a
    await until(() => orders.length === 2 && fills.length === 1 && txs.length === 1);
    expect(orders[0].updates[0]).to.include({ orderId: placed.orderId, status: 0 });
    expect(orders[1].updates.find((u: any) => u.orderId === placed.orderId)).to.include({ remaining: 2 });
    expect(fills[0].fills[0]).to.include({ makerOrderId: placed.orderId, size: 1 });
    expect(txs[0]).to.include({ type: "tx", txHash: placed.txHash, level: "soft" });
    const batch = h.node.seal();
    h.node.markLevel(batch, "included");
    h.node.markLevel(batch, "proven");
    await until(() => txs.length === 3);
    expect(txs.slice(1).map((t) => t.level)).to.deep.equal(["included", "proven"]);
    expect(batches.map((x) => x.batch.level)).to.include("proven");
    expect(batches.at(-1).proof.provenBatch).to.equal(batch);
    client.close();
  });

  it("cuts a consumer that stops reading (close 4008) and stops buffering for it", async () => {
    h = await startHarness(2, { limits: { maxBufferedBytes: 256 << 10, slowConsumerGraceMs: 60_000 } });
    const [a, b] = h.traders;
    for (let i = 0; i < 1500; i++) {
      h.node.submitSync(a.sell(10_000 + i, 1));
      h.node.submitSync(b.buy(9_000 - i, 1));
    }
    const sock = new WebSocketNode(h.wsUrl);
    await new Promise((r) => sock.once("open", r));
    const closed = new Promise<number>((r) => sock.once("close", (code: number) => r(code)));
    (sock as any)._socket.pause(); // stop reading
    // each answer is a ~100 KB book
    for (let i = 0; i < 300; i++) {
      sock.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "rb_getBook", params: [1, 5000] }));
      if (i % 10 === 0) await sleep(2);
    }
    await sleep(200);
    const metrics = await (await import("prom-client")).register.getSingleMetric("rollbook_rpc_slow_consumers_total")!.get();
    expect(metrics.values[0].value).to.be.greaterThan(0);
    // the sockets of the RPC thread (with fan-out processes, they check the same bound before each write)
    for (const c of h.server.connections()) expect(c.bufferedAmount).to.be.lessThan(8 << 20);
    (sock as any)._socket.resume();
    expect(await closed).to.equal(CloseCode.SLOW_CONSUMER);
  });
});
