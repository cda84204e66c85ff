// The RPC over a real SoftNode: every method, the error table, limits (docs/api.md).

import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import { bytesToHex } from "../../../node/clob/eip712.ts";
import { RpcErrors } from "../../../node/rpc/errors.ts";
import { RollbookClient } from "../../../node/client/client.ts";
import { METHODS } from "../../../node/rpc/methods.ts";
import { openRpcDocument } from "../../../node/rpc/openrpc.ts";
import { call, digest, type Harness, post, startHarness, wire } from "./helpers.ts";
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { register } from "prom-client";
import { createRpcServer } from "../../../node/rpc/server.ts";

describe("rpc: methods and errors over HTTP", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it("identifies the chain: eth_chainId and net_version from config, rb_domain the L1 signing domain", async () => {
    expect((await call(h.url, "eth_chainId")).result).to.equal("0x1092");
    expect((await call(h.url, "net_version")).result).to.equal("4242");
    const d = (await call(h.url, "rb_domain")).result;
    expect(d).to.deep.equal({ name: "Rollbook", version: "1", chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3", l2ChainId: 4242 });
  });

  it("counts answered requests by method and code in rollbook_rpc_requests_total at each collection", async () => {
    const counter = register.getSingleMetric("rollbook_rpc_requests_total")!;
    const count = async (method: string, code: number): Promise<number> =>
      (await counter.get()).values.find((v) => v.labels.method === method && v.labels.code === code)?.value ?? 0;
    const chain0 = await count("eth_chainId", 0);
    const unknown0 = await count("(unknown)", RpcErrors.METHOD_NOT_FOUND.code);
    for (let i = 0; i < 3; i++) await call(h.url, "eth_chainId");
    await call(h.url, "no_such_method");
    expect(await count("eth_chainId", 0)).to.equal(chain0 + 3);
    expect(await count("(unknown)", RpcErrors.METHOD_NOT_FOUND.code)).to.equal(unknown0 + 1);
    expect(await count("eth_chainId", 0)).to.equal(chain0 + 3); // a second collection adds nothing
    expect(await register.getSingleMetricAsString("rollbook_rpc_requests_total")).to.include(`rollbook_rpc_requests_total{method="eth_chainId",code="0"} ${chain0 + 3}`);
  });

  it("places, matches, amends, cancels and withdraws; reads carry confirmation levels", async () => {
    const [a, b] = h.traders;
    const r1 = (await call(h.url, "rb_placeOrder", [wire(a.sell(1000, 5))])).result;
    expect(r1.status).to.equal("accepted");
    expect(r1.level).to.equal("soft");
    const sellId = r1.orderId;
    const r2 = (await call(h.url, "rb_placeOrder", { tx: wire(b.buy(1000, 2)) })).result;
    expect(r2.fills).to.have.length(1);
    expect(r2.fills[0]).to.include({ price: 1000, size: 2, makerOrderId: sellId, level: "soft" });
    const order = (await call(h.url, "rb_getOrder", [sellId])).result;
    expect(order).to.include({ orderId: sellId, filled: 2, remaining: 3, state: "partially-filled", level: "soft" });
    expect((await call(h.url, "rb_getFills", [a.address])).result).to.have.length(1);
    const book = (await call(h.url, "rb_getBook", [1, 10])).result;
    expect(book.asks).to.deep.equal([{ price: 1000, size: 3, orders: 1 }]);
    expect(book.bids).to.deep.equal([]);
    const am = (await call(h.url, "rb_amendOrder", [wire(a.amend(sellId, 1100, 2))])).result;
    expect(am.status).to.equal("accepted");
    expect((await call(h.url, "rb_getBook", [1])).result.asks).to.deep.equal([{ price: 1100, size: 2, orders: 1 }]);
    expect((await call(h.url, "rb_getOpenOrders", [a.address])).result.map((o: any) => o.orderId)).to.deep.equal([sellId]);
    expect((await call(h.url, "rb_cancelOrder", [wire(a.cancel(sellId))])).result.status).to.equal("accepted");
    expect((await call(h.url, "rb_getOpenOrders", [a.address, 1])).result).to.deep.equal([]);
    const hist = (await call(h.url, "rb_getOrderHistory", [a.address, 10])).result;
    expect(hist[0]).to.include({ orderId: sellId, state: "cancelled" });
    const c1 = (await call(h.url, "rb_placeOrder", [wire(a.sell(2000, 1, { clientId: 77 }))])).result;
    expect((await call(h.url, "rb_cancelByClientId", [wire(a.cancelByClientId(77))])).result.orders[0].orderId).to.equal(c1.orderId);
    await call(h.url, "rb_placeOrder", [wire(a.sell(2000, 1))]);
    expect((await call(h.url, "rb_cancelAll", [wire(a.cancelAll())])).result.orders).to.have.length(1);
    const w = (await call(h.url, "rb_withdraw", [wire(a.withdraw(1, 10))])).result;
    expect(w.withdrawalId).to.be.at.least(0);
    const tx = (await call(h.url, "rb_getTx", [w.txHash])).result;
    expect(tx).to.include({ txHash: w.txHash, status: "accepted", level: "soft" });
    const bal = (await call(h.url, "rb_getBalances", [a.address])).result;
    expect(bal.level).to.equal("soft");
    expect(bal.nonce).to.equal(a.nonce);
    expect((await call(h.url, "rb_getNonce", [a.address])).result).to.equal(a.nonce);
    expect((await call(h.url, "rb_getTrades", [1])).result).to.have.length(1);
    expect((await call(h.url, "rb_getCandles", [1, 60])).result[0]).to.include({ open: 1000, close: 1000, volume: 2, trades: 1 });
    expect((await call(h.url, "rb_getMarkets")).result[0]).to.include({ market: 1, status: "active" });
    // levels advance with L1 progress
    const batch = h.node.seal();
    h.node.markLevel(batch, "included");
    expect((await call(h.url, "rb_getTx", [w.txHash])).result.level).to.equal("included");
    h.node.markLevel(batch, "proven");
    expect((await call(h.url, "rb_getFills", [b.address])).result[0].level).to.equal("proven");
    expect((await call(h.url, "rb_syncStatus")).result).to.include({ soft: batch, included: batch, safe: batch, proven: batch });
    expect((await call(h.url, "rb_proofStatus")).result).to.deep.equal({ provenBatch: batch, safeBatch: batch, includedBatch: batch });
    expect((await call(h.url, "rb_getBatch", [batch])).result).to.include({ batchIndex: batch, level: "proven", open: false });
    expect((await call(h.url, "rb_getDeposit", [1])).result).to.include({ state: "credited", batchIndex: 1, level: "proven" });
  });

  it("answers every row of the error table, with the STF's code in error.data, and changes nothing", async () => {
    const [a, b] = h.traders;
    const code = (r: any) => r.error.code;
    expect(code((await post(h.url, "{nope")).json)).to.equal(RpcErrors.INVALID_JSON.code);
    expect(code((await post(h.url, { jsonrpc: "1.0", id: 1, method: "x" })).json)).to.equal(RpcErrors.INVALID_REQUEST.code);
    expect(code(await call(h.url, "eth_sendTransaction"))).to.equal(RpcErrors.METHOD_NOT_FOUND.code);
    expect(code(await call(h.url, "rb_getBook", ["1"]))).to.equal(RpcErrors.INVALID_PARAMS.code);
    expect(code(await call(h.url, "rb_getOrder", [12345]))).to.equal(RpcErrors.NOT_FOUND.code);
    const before = digest(h.node);
    // bad signature: signed by b for a's account
    const forged = wire(a.sell(1000, 1));
    a.nonce--;
    forged.signature = wire(b.sell(1000, 1)).signature;
    b.nonce--;
    const bad = await call(h.url, "rb_placeOrder", [forged]);
    expect(bad.error).to.deep.include({ code: RpcErrors.BAD_SIGNATURE.code });
    expect(bad.error.data).to.include({ stfCode: 3, stfName: "WRONG_SIGNER", nonceConsumed: false });
    // replayed nonce
    const tx = wire(a.sell(1000, 1));
    expect((await call(h.url, "rb_placeOrder", [tx])).result.status).to.equal("accepted");
    const after1 = digest(h.node);
    const replay = await call(h.url, "rb_placeOrder", [tx]);
    expect(replay.error.code).to.equal(RpcErrors.NONCE_REPLAYED.code);
    expect(replay.error.data).to.include({ stfName: "NONCE_TOO_LOW" });
    expect(digest(h.node)).to.equal(after1);
    expect(after1).to.not.equal(before);
    // insufficient balance (nonce consumed, nothing else)
    const big = await call(h.url, "rb_placeOrder", [wire(a.buy(1_000_000, 1_000_000))]);
    expect(big.error.code).to.equal(RpcErrors.INSUFFICIENT_BALANCE.code);
    expect(big.error.data).to.include({ stfCode: 22, nonceConsumed: true });
    // market halted: unknown market is a generic TX_REJECTED with code 10
    const unk = await call(h.url, "rb_placeOrder", [wire(a.sell(1000, 1, { market: 9 }))]);
    expect(unk.error.code).to.equal(RpcErrors.TX_REJECTED.code);
    expect(unk.error.data.stfName).to.equal("UNKNOWN_MARKET");
    h.node.enqueueL1({ kind: 4, market: 1, params: { ...h.node.state.markets.get(1)!.params, status: 2 } });
    h.node.seal();
    const halted = await call(h.url, "rb_placeOrder", [wire(a.sell(1000, 1))]);
    expect(halted.error.code).to.equal(RpcErrors.MARKET_HALTED.code);
    // too large: batch over the limit, body over the limit
    const batch = Array.from({ length: 101 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "net_version" }));
    expect(code((await post(h.url, batch)).json)).to.equal(RpcErrors.TOO_LARGE.code);
    const huge = await post(h.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "net_version", params: ["x".repeat(2 << 20)] }));
    expect(huge.status).to.equal(413);
    expect(code(huge.json)).to.equal(RpcErrors.TOO_LARGE.code);
    // ws-only methods over HTTP
    expect(code(await call(h.url, "rb_subscribe", ["batches"]))).to.equal(RpcErrors.METHOD_NOT_FOUND.code);
  });

  it("NONCE_GAP: a nonce ahead of the account's next one is refused without consuming anything", async () => {
    const [a] = h.traders;
    const before = digest(h.node);
    a.nonce += 3;
    const ahead = await call(h.url, "rb_placeOrder", [wire(a.sell(1000, 1))]);
    expect(ahead.error.code).to.equal(RpcErrors.NONCE_GAP.code);
    expect(ahead.error.message).to.equal(RpcErrors.NONCE_GAP.message);
    expect(ahead.error.data).to.include({ stfName: "NONCE_TOO_HIGH", nonceConsumed: false });
    expect(digest(h.node)).to.equal(before);
    expect((await call(h.url, "rb_getNonce", [a.address])).result).to.equal(0);
  });

  it("INTERNAL: a handler that throws (a bug) is answered -32603 without its message, and the server keeps serving", async () => {
    const logged: string[] = [];
    const logger = pino({ level: "error" }, { write: (line: string) => void logged.push(line) });
    const server = await createRpcServer({ view: h.node, logger, options: { l2ChainId: 4242 } });
    const url = await server.listen("127.0.0.1", 0);
    const markets = h.node.markets.bind(h.node);
    h.node.markets = () => {
      throw new Error("secret detail of a bug");
    };
    try {
      const r = await call(url, "rb_getMarkets");
      expect(r.error).to.deep.equal({ code: RpcErrors.INTERNAL.code, message: RpcErrors.INTERNAL.message });
      const batch = (await post(url, [{ jsonrpc: "2.0", id: 1, method: "rb_getMarkets" }, { jsonrpc: "2.0", id: 2, method: "net_version" }])).json;
      expect(batch[0].error.code).to.equal(RpcErrors.INTERNAL.code);
      expect(batch[1].result).to.equal("4242");
      expect(logged.join("")).to.contain("secret detail of a bug"); // logged for the operator, not sent to the caller
    } finally {
      h.node.markets = markets;
    }
    expect((await call(url, "rb_getMarkets")).result[0]).to.include({ market: 1 });
    await server.close();
  });

  it("batches: answers in order, notifications get no answer, empty batch is invalid", async () => {
    const r = await post(h.url, [
      { jsonrpc: "2.0", id: "a", method: "net_version" },
      { jsonrpc: "2.0", method: "net_version" },
      { jsonrpc: "2.0", id: 2, method: "nope" },
    ]);
    expect(r.json.map((x: any) => x.id)).to.deep.equal(["a", 2]);
    expect(r.json[1].error.code).to.equal(RpcErrors.METHOD_NOT_FOUND.code);
    expect((await post(h.url, [])).json.error.code).to.equal(RpcErrors.INVALID_REQUEST.code);
    expect((await post(h.url, { jsonrpc: "2.0", method: "net_version" })).status).to.equal(204);
  });

  it("rate limits per account and per connection", async () => {
    await h.close();
    h = await startHarness(2, { limits: { accountRate: 1, accountBurst: 3, connRate: 1, connBurst: 20 } });
    const [a] = h.traders;
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(h.url, "rb_placeOrder", [wire(a.sell(1000 + i, 1))]);
      codes.push(r.error?.code ?? 0);
      if (r.error !== undefined) a.nonce--;
    }
    expect(codes).to.deep.equal([0, 0, 0, RpcErrors.RATE_LIMITED.code, RpcErrors.RATE_LIMITED.code]);
    let limited = 0;
    for (let i = 0; i < 30; i++) if ((await call(h.url, "net_version")).error?.code === RpcErrors.RATE_LIMITED.code) limited++;
    expect(limited).to.be.greaterThan(5);
  });

  it("the typed client signs with a viem account and reads back", async () => {
    const key = bytesToHex(h.traders[0].key.priv);
    const client = new RollbookClient({ url: h.url, signer: privateKeyToAccount(key) });
    const r = await client.placeOrder({ market: 1, side: "sell", price: 1500, size: 4, clientId: 9 });
    expect(r.status).to.equal("accepted");
    const r2 = await client.amendOrder(1, r.orderId, 1400, 3);
    expect(r2.status).to.equal("accepted");
    expect((await client.getOpenOrders(h.traders[0].address))[0]).to.include({ price: 1400, remaining: 3 });
    await client.cancelByClientId(1, 9);
    expect(await client.getNonce(h.traders[0].address)).to.equal(3);
    expect(await client.chainId()).to.equal("0x1092");
  });

  it("bulk actions and agent keys, signed by viem accounts: per-action receipts, agent trades for the account", async () => {
    const owner = privateKeyToAccount(bytesToHex(h.traders[0].key.priv));
    const agentKey = privateKeyToAccount(bytesToHex(h.traders[2].key.priv));
    const client = new RollbookClient({ url: h.url, signer: owner });
    const r = await client.bulk([
      { op: 1, market: 1, side: "sell", price: 2000, size: 2, tif: 0, expiry: 0, clientId: 5, stp: 0 },
      { op: 1, market: 1, side: "sell", price: 2100, size: 1 },
      { op: 2, market: 1, orderId: 999_999 },
    ]);
    expect(r.status).to.equal("accepted");
    expect(r.actions.map((a) => a.codeName)).to.deep.equal(["OK", "OK", "ORDER_NOT_FOUND"]);
    const ids = r.actions.slice(0, 2).map((a) => a.orderId);
    const amended = await client.bulk([{ op: 5, market: 1, orderId: ids[0], price: 2050, size: 2 }, { op: 3, market: 1, clientId: 5 }]);
    expect(amended.actions.map((a) => a.codeName)).to.deep.equal(["OK", "OK"]);
    expect((await client.getBook(1)).asks).to.deep.equal([{ price: 2100, size: 1, orders: 1 }]);
    // an agent: refused before approval, trades for the account after, refused again after revocation
    const asAgent = new RollbookClient({ url: h.url, signer: agentKey, account: owner.address.toLowerCase() as `0x${string}` });
    const refused = await asAgent.placeOrder({ market: 1, side: "buy", price: 1, size: 1 }).catch((e) => e);
    expect(refused.code).to.equal(RpcErrors.BAD_SIGNATURE.code);
    await client.approveAgent(agentKey.address, 2_000_000);
    asAgent.resetNonce();
    const byAgent = await asAgent.placeOrder({ market: 1, side: "buy", price: 1, size: 1 });
    expect(byAgent).to.include({ status: "accepted", account: owner.address.toLowerCase(), signer: agentKey.address.toLowerCase() });
    client.resetNonce();
    await client.revokeAgent(agentKey.address);
    asAgent.resetNonce();
    expect((await asAgent.cancelAll(1).catch((e) => e)).code).to.equal(RpcErrors.BAD_SIGNATURE.code);
  });

  it("rpc.discover serves the OpenRPC document built from the method table; docs/openrpc.json is current", async () => {
    const doc = (await call(h.url, "rpc.discover")).result;
    expect(doc.methods.map((m: any) => m.name)).to.deep.equal(METHODS.map((m) => m.name));
    const committed = JSON.parse(readFileSync(new URL("../../../docs/openrpc.json", import.meta.url), "utf8"));
    expect(committed).to.deep.equal(JSON.parse(JSON.stringify(openRpcDocument())));
    // what the server serves is the committed document, byte for byte in JSON terms
    expect(doc).to.deep.equal(committed);
    // every error row of the table is in the document's x-errors
    expect(doc["x-errors"].map((e: any) => e.code).sort()).to.deep.equal(Object.values(RpcErrors).map((e) => e.code).sort());
  });
});
