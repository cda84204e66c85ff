// Proofs served by the RPC (docs/api.md "Proofs") over a real SoftNode: balance, order, withdrawal and exit
// proofs verify locally with node/state's verifiers against the roots the node committed (and those roots
// equal a from-scratch commitment of the same state); unfinalized withdrawals, states the node does not keep
// and bad params get their stable error codes and change nothing.

import { expect } from "chai";
import { hexToBytes, type Address, type Hex } from "viem";
import { RollbookClient } from "../../../node/client/client.ts";
import { verifyWithdrawalClaim } from "../../../node/client/l1.ts";
import { RpcErrors } from "../../../node/rpc/errors.ts";
import { createRpcServer } from "../../../node/rpc/server.ts";
import { SoftNode } from "../../../node/rpc/soft-node.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { verifyBalanceProof, verifyOrderProof, verifyStateProof } from "../../../node/state/proofs.ts";
import { verifyWithdrawalProof } from "../../../node/state/withdrawals.ts";
import { BASE, DOMAIN, QUOTE, Trader, call, digest, type Harness, makeKeys, startHarness, wire } from "./helpers.ts";
import { deposit } from "../clob/stf-helpers.ts";

const code = (r: any) => r.error?.code;

describe("rpc: Merkle proofs (balance, order, withdrawal, exit)", () => {
  let h: Harness;
  let client: RollbookClient;
  beforeEach(async () => {
    h = await startHarness(2);
    client = new RollbookClient({ url: h.url });
  });
  afterEach(async () => h.close());

  it("balance proofs against the finalized root (genesis until a range is finalized) and the latest batch", async () => {
    const [a] = h.traders;
    const fin0 = await client.getFinalized();
    expect(fin0).to.deep.equal({ firstBatch: 0, lastBatch: 0, stateRoot: h.node.stateRoot(0), withdrawalRoot: `0x${"00".repeat(32)}` });
    // nothing finalized yet: the account does not exist in the finalized (genesis) state, proven absent
    const absent = await client.getBalanceProof(a.address as Address, BASE);
    expect(absent).to.include({ exists: false, available: 0, locked: 0, nonce: 0 });
    expect(absent.proof).to.include({ batchIndex: 0, root: fin0.stateRoot, level: "proven" });
    expect(verifyBalanceProof(absent.proof, BASE, fin0.stateRoot!)).to.deep.equal({ available: 0, locked: 0, nonce: 0 });

    // the latest sealed batch (1: the deposits): its root is a from-scratch commitment of the node's state
    const latest = await client.getBalanceProof(a.address as Address, BASE, "latest");
    expect(latest.proof).to.include({ batchIndex: 1, level: "soft" });
    expect(latest.proof.root).to.equal(hex(StateCommitment.fromState(h.node.state).root()));
    expect(latest).to.include({ exists: true, available: 1_000_000_000, locked: 0 });
    expect(verifyBalanceProof(latest.proof, BASE, latest.proof.root)).to.deep.equal({ available: 1_000_000_000, locked: 0, nonce: 0 });
    // the same state named by batch index and by root
    expect(await client.getBalanceProof(a.address as Address, BASE, 1)).to.deep.equal(latest);
    expect(await client.getBalanceProof(a.address as Address, BASE, latest.proof.root as Hex)).to.deep.equal(latest);

    h.node.markLevel(1, "proven");
    const fin1 = await client.getFinalized();
    expect(fin1).to.deep.include({ firstBatch: 1, lastBatch: 1, stateRoot: latest.proof.root });
    const p = await client.getBalanceProof(a.address as Address, BASE);
    expect(p.proof).to.include({ batchIndex: 1, level: "proven", root: fin1.stateRoot });
    expect(verifyBalanceProof(p.proof, BASE, fin1.stateRoot!).available).to.equal(1_000_000_000);
    // a tampered leaf does not verify
    const leaf = hexToBytes(p.proof.leaf as Hex);
    leaf[leaf.length - 1] ^= 1;
    expect(() => verifyStateProof({ ...p.proof, leaf: hex(leaf) }, fin1.stateRoot!)).to.throw();
  });

  it("order proofs: resting in the latest batch, absent in the finalized state; locked funds in the balance proof", async () => {
    const [a] = h.traders;
    const placed = (await call(h.url, "rb_placeOrder", [wire(a.sell(1500, 4))])).result;
    const batch = h.node.seal();
    const op = await client.getOrderProof(placed.orderId, "latest");
    expect(op.proof.batchIndex).to.equal(batch);
    expect(op.order).to.include({ id: placed.orderId, market: 1, side: 1, price: 1500, size: 4 });
    expect(verifyOrderProof(op.proof, op.proof.root)).to.deep.equal(op.order);
    const before = await client.getOrderProof(placed.orderId);
    expect(before.order).to.equal(null);
    expect(verifyOrderProof(before.proof, h.node.stateRoot(0)!)).to.equal(null);

    h.node.markLevel(batch, "proven");
    const after = await client.getOrderProof(placed.orderId);
    expect(after.proof.level).to.equal("proven");
    expect(after.order).to.deep.equal(op.order);
    const bal = await client.getBalanceProof(a.address as Address, BASE);
    const own = h.node.balances(a.address).balances.find((x) => x.asset === BASE)!;
    expect(own.locked).to.be.greaterThan(0);
    expect(bal).to.include({ available: own.available, locked: own.locked });
    expect(bal.available + bal.locked).to.equal(1_000_000_000);
  });

  it("withdrawal proofs: NOT_FINALIZED until the batch is finalized, then the Vault.claim arguments", async () => {
    const [a, b] = h.traders;
    const w1 = (await call(h.url, "rb_withdraw", [wire(a.withdraw(BASE, 700))])).result;
    const w2 = (await call(h.url, "rb_withdraw", [wire(b.withdraw(QUOTE, 9000))])).result;
    expect([w1.withdrawalId, w2.withdrawalId]).to.deep.equal([0, 1]);
    const stillOpen = await call(h.url, "rb_getWithdrawalProof", [w1.withdrawalId]);
    expect(code(stillOpen)).to.equal(RpcErrors.NOT_FINALIZED.code);
    expect(stillOpen.error.data).to.include({ batchIndex: 2, provenBatch: 0 });
    const batch = h.node.seal();
    expect(code(await call(h.url, "rb_getWithdrawalProof", [w2.txHash]))).to.equal(RpcErrors.NOT_FINALIZED.code);
    // what a prover puts in its public values for (0, batch]
    const expectedRoot = h.node.withdrawalRoot(1, batch);
    h.node.markLevel(batch, "proven");

    for (const [w, who, asset, amount] of [[w1, a, BASE, 700], [w2, b, QUOTE, 9000]] as const) {
      const byId = await client.getWithdrawalProof(w.withdrawalId);
      expect(await client.getWithdrawalProof(w.txHash)).to.deep.equal(byId);
      expect(byId).to.include({ withdrawalId: w.withdrawalId, recipient: who.address, asset, amount, batchIndex: batch, withdrawalRoot: expectedRoot, firstBatch: 1, lastBatch: batch });
      expect(byId.stateRoot).to.equal(h.node.stateRoot(batch));
      const rec = { withdrawalId: byId.withdrawalId, recipient: byId.recipient, asset, amount };
      expect(verifyWithdrawalProof(hexToBytes(expectedRoot as Hex), rec, byId.proof.map((x) => hexToBytes(x as Hex)))).to.equal(true);
      // the client's browser-safe check agrees, and refuses a changed amount
      const claim = { withdrawalId: byId.withdrawalId, recipient: byId.recipient as Address, assetId: asset, amount, withdrawalRoot: byId.withdrawalRoot as Hex, proof: byId.proof as Hex[] };
      expect(verifyWithdrawalClaim(claim)).to.equal(true);
      expect(verifyWithdrawalClaim({ ...claim, amount: amount + 1 })).to.equal(false);
    }
    // a later range has its own root
    const w3 = (await call(h.url, "rb_withdraw", [wire(a.withdraw(BASE, 1))])).result;
    const b2 = h.node.seal();
    h.node.markLevel(b2, "proven");
    const p3 = await client.getWithdrawalProof(w3.withdrawalId);
    expect(p3).to.include({ firstBatch: batch + 1, lastBatch: b2, batchIndex: b2 });
    expect(p3.proof).to.deep.equal([]); // the only leaf of its range: the root is the leaf
    // the earlier range still serves its withdrawals, against its own root
    expect(await client.getWithdrawalProof(w1.withdrawalId)).to.include({ withdrawalRoot: expectedRoot, lastBatch: batch });
    // a finalization must cover sealed batches beyond the last one
    expect(() => h.node.withdrawalRoot(b2, b2)).to.throw(/not all sealed and unfinalized/);
  });

  it("exit proofs: available + locked of the finalized state, as Vault.exit's leaf and siblings", async () => {
    const [a] = h.traders;
    await call(h.url, "rb_placeOrder", [wire(a.buy(1000, 3))]);
    const batch = h.node.seal();
    expect(code(await call(h.url, "rb_getExitProof", [a.address, QUOTE]))).to.equal(RpcErrors.NOT_FOUND.code); // genesis: no account
    h.node.markLevel(batch, "proven");
    const e = await client.getExitProof(a.address as Address, QUOTE);
    const bal = h.node.balances(a.address).balances.find((x) => x.asset === QUOTE)!;
    expect(e).to.include({ account: a.address, asset: QUOTE, amount: bal.available + bal.locked, available: bal.available, locked: bal.locked, batchIndex: batch });
    expect(bal.locked).to.be.greaterThan(0);
    expect(e.stateRoot).to.equal(h.node.finalized().stateRoot);
    const v = verifyBalanceProof({ root: e.stateRoot, key: `0x04${a.address.slice(2)}`, siblings: e.siblings, leaf: e.leaf }, QUOTE, e.stateRoot);
    expect(v.available + v.locked).to.equal(e.amount);
    const none = await call(h.url, "rb_getExitProof", [a.address, 99]);
    expect(code(none)).to.equal(RpcErrors.NOT_FOUND.code);
    expect(none.error.data.reason).to.match(/no balance of asset 99/);
  });

  it("bad inputs get stable codes and change nothing", async () => {
    const [a] = h.traders;
    await call(h.url, "rb_withdraw", [wire(a.withdraw(BASE, 5))]);
    const place = (await call(h.url, "rb_placeOrder", [wire(a.sell(5000, 1))])).result;
    h.node.seal();
    const d0 = digest(h.node);
    const cases: [string, unknown[], number][] = [
      ["rb_getBalanceProof", ["0x12", BASE], RpcErrors.INVALID_PARAMS.code],
      ["rb_getBalanceProof", [a.address], RpcErrors.INVALID_PARAMS.code],
      ["rb_getBalanceProof", [a.address, BASE, "soon"], RpcErrors.INVALID_PARAMS.code],
      ["rb_getBalanceProof", [a.address, BASE, -1], RpcErrors.INVALID_PARAMS.code],
      ["rb_getBalanceProof", [a.address, BASE, 999], RpcErrors.PROOF_UNAVAILABLE.code],
      ["rb_getBalanceProof", [a.address, BASE, 1], RpcErrors.PROOF_UNAVAILABLE.code], // neither finalized nor latest
      ["rb_getBalanceProof", [a.address, BASE, `0x${"ab".repeat(32)}`], RpcErrors.PROOF_UNAVAILABLE.code],
      ["rb_getOrderProof", ["1"], RpcErrors.INVALID_PARAMS.code],
      ["rb_getOrderProof", [1, 1e300], RpcErrors.INVALID_PARAMS.code],
      ["rb_getWithdrawalProof", [12345], RpcErrors.NOT_FOUND.code],
      ["rb_getWithdrawalProof", [`0x${"11".repeat(32)}`], RpcErrors.NOT_FOUND.code],
      ["rb_getWithdrawalProof", [place.txHash], RpcErrors.NOT_FOUND.code], // a Place made no withdrawal
      ["rb_getWithdrawalProof", [0], RpcErrors.NOT_FINALIZED.code],
      ["rb_getWithdrawalProof", ["0x1234"], RpcErrors.INVALID_PARAMS.code],
      ["rb_getWithdrawalProof", [], RpcErrors.INVALID_PARAMS.code],
      ["rb_getDepositsByTx", [`0x${"22".repeat(32)}`], RpcErrors.NOT_FOUND.code],
      ["rb_getDepositsByTx", ["0x12"], RpcErrors.INVALID_PARAMS.code],
      ["rb_getExitProof", [a.address], RpcErrors.INVALID_PARAMS.code],
      ["rb_getExitProof", [a.address, 2 ** 32], RpcErrors.INVALID_PARAMS.code],
    ];
    for (const [method, params, expected] of cases) {
      const r = await call(h.url, method, params);
      expect(code(r), `${method} ${JSON.stringify(params)}: ${JSON.stringify(r)}`).to.equal(expected);
    }
    expect(digest(h.node)).to.equal(d0);
  });

  it("stateProofs: false: no trie work; state proofs PROOF_UNAVAILABLE, withdrawal proofs still served", async () => {
    const node = new SoftNode({ domain: DOMAIN, now: () => 1_000_000, stateProofs: false });
    const [t] = makeKeys(1).map((k) => new Trader(k));
    node.enqueueL1(deposit(t.address, BASE, 1000));
    node.seal();
    const server = await createRpcServer({ view: node, options: { l2ChainId: 4242 } });
    const url = await server.listen("127.0.0.1", 0);
    try {
      expect(node.stateRoot(1)).to.equal(null);
      expect((await call(url, "rb_getFinalized")).result.stateRoot).to.equal(null);
      expect(code(await call(url, "rb_getBalanceProof", [t.address, BASE, "latest"]))).to.equal(RpcErrors.PROOF_UNAVAILABLE.code);
      expect(code(await call(url, "rb_getExitProof", [t.address, BASE]))).to.equal(RpcErrors.PROOF_UNAVAILABLE.code);
      const w = (await call(url, "rb_withdraw", [wire(t.withdraw(BASE, 10))])).result;
      node.markLevel(node.seal(), "proven");
      const p = (await call(url, "rb_getWithdrawalProof", [w.txHash])).result;
      expect(p).to.include({ withdrawalId: 0, amount: 10, stateRoot: null, firstBatch: 1, lastBatch: 2 });
      expect(verifyWithdrawalProof(hexToBytes(p.withdrawalRoot), { withdrawalId: 0, recipient: p.recipient, asset: BASE, amount: 10 }, [])).to.equal(true);
    } finally {
      await server.close();
    }
  });
});
