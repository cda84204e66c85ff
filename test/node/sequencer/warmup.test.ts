// The start-up warm-up (node/sequencer/warmup.ts, admission-worker.ts warmAdmission, the RPC's
// warmFastReader, the view's warmNodeView): the synthetic orders really run the order path (accepted,
// crossing ones fill), nothing of them reaches the real view, and a sequencer that warmed up answers real
// orders exactly as one that did not, with the canonical state it was given untouched.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { indexSoftExecution } from "../../../node/app/soft-index.ts";
import { NodeStateView, warmNodeView } from "../../../node/app/view.ts";
import { signTx } from "../../../node/clob/eip712.ts";
import { stateDigest } from "../../../node/clob/state.ts";
import { TxKind, type PlaceOrderTx } from "../../../node/clob/types.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { warmFastReader } from "../../../node/rpc/dispatch.ts";
import { admitBytes, warmAdmission, REPLY_BYTES, STATUS_BAD } from "../../../node/sequencer/admission-worker.ts";
import { Sequencer } from "../../../node/sequencer/index.ts";
import { syntheticOrders } from "../../../node/sequencer/synthetic.ts";
import { warmSoftExecution } from "../../../node/sequencer/warmup.ts";
import { StateStore } from "../../../node/state/store.ts";
import { DOMAIN, makeKeys } from "../clob/stf-helpers.ts";
import { MemoryL1, fundingMessages, genesis } from "./helpers.ts";

describe("sequencer warm-up", function () {
  this.timeout(60_000);

  it("runs every synthetic order through soft execution: all accepted, the crossing ones fill", () => {
    const w = warmSoftExecution(DOMAIN, 2000);
    expect(w.accepted).to.equal(2000);
    expect(w.fills).to.be.greaterThan(100);
    expect(warmSoftExecution(DOMAIN, 0)).to.deep.equal({ ms: 0, accepted: 0, fills: 0 });
  });

  it("the admission warm-up's orders decode and hash (placeholder signatures)", () => {
    const txs = syntheticOrders(64).map((t) => encodeTx(t));
    const offs = new Uint32Array(65);
    txs.forEach((b, i) => (offs[i + 1] = offs[i]! + b.length));
    const data = new Uint8Array(offs[64]!);
    txs.forEach((b, i) => data.set(b, offs[i]));
    const r = admitBytes({ id: 1, data, offs, separator: new Uint8Array(32).fill(7) });
    if (!("out" in r)) throw new Error(r.error);
    for (let i = 0; i < 64; i++) expect(r.out[i * REPLY_BYTES]).to.not.equal(STATUS_BAD);
    expect(warmAdmission(256)).to.be.a("number");
  });

  it("the RPC's fast reader and the view warm on scratch copies: a view fed from a warmed sequencer holds none of the synthetic orders", async () => {
    expect(warmFastReader(200)).to.be.a("number");
    expect(warmNodeView(DOMAIN, 200)).to.be.greaterThan(0);
    const dir = mkdtempSync(path.join(tmpdir(), "rollbook-warmup-view-"));
    const store = await StateStore.open(path.join(dir, "db"));
    const seq = await Sequencer.open({ db: store.db, canonical: genesis(), l1: new MemoryL1(fundingMessages(makeKeys(2, "warmup-view"))), seal: { maxAgeMs: 100_000 }, warmUp: 200 });
    try {
      const view = new NodeStateView({ domain: DOMAIN, state: () => seq.softState(), sequencer: () => seq });
      indexSoftExecution(view, seq);
      expect(seq.warmUpOrders).to.equal(200);
      expect(view.hasTx(`0x${"0".repeat(64)}`)).to.equal(false);
      expect(view.hasBatch(1)).to.equal(false);
      expect(seq.softState().batchIndex).to.equal(0);
    } finally {
      await seq.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a warmed-up sequencer answers real orders as a cold one does, and leaves the canonical state as given", async () => {
    const keys = makeKeys(4, "warmup-test");
    const orders: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const k = keys[i % 4]!;
      const side = (i & 1) as 0 | 1;
      const tx: PlaceOrderTx = {
        kind: TxKind.PLACE, account: k.address, nonce: i >> 2, market: 1, side, tif: i % 5 === 0 ? 1 : 0,
        price: 1000 + (side === 0 ? -1 : 1) * (i % 7) * (i % 5 === 0 ? -1 : 1), size: 1 + (i % 3), expiry: 0, clientId: 0, stp: 0,
        sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
      };
      orders.push(encodeTx(signTx(DOMAIN, tx, k.priv)));
    }
    const run = async (warmUp: number) => {
      const dir = mkdtempSync(path.join(tmpdir(), "rollbook-warmup-"));
      const store = await StateStore.open(path.join(dir, "db"));
      const canonical = genesis();
      const before = stateDigest(canonical);
      const seq = await Sequencer.open({ db: store.db, canonical, l1: new MemoryL1(fundingMessages(keys)), seal: { maxAgeMs: 100_000 }, warmUp });
      try {
        const answers = [];
        for (const b of orders) {
          const r = await seq.submit(b);
          answers.push(r.verdict === "valid" ? { hash: r.hash, receipt: r.receipt?.() } : r);
        }
        return { answers, digest: stateDigest(seq.softState()), canonicalUnchanged: stateDigest(canonical) === before, warmUpMs: seq.warmUpMs };
      } finally {
        await seq.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const cold = await run(0);
    const warm = await run(2000);
    expect(cold.warmUpMs).to.equal(0);
    expect(warm.warmUpMs).to.be.greaterThan(0);
    expect(warm.canonicalUnchanged).to.equal(true);
    expect(warm.digest).to.equal(cold.digest);
    expect(warm.answers).to.deep.equal(cold.answers);
  });
});
