// The signer recovery pipeline's pieces without L1 (node/derive/recovery.ts, recovery-worker.ts): the worker
// recovers the signers of a batch's bytes exactly as the STF would, the hints are used only when they line up
// with the executed transactions, and the STF reaches the same state with and without them.
import { expect } from "chai";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { addressOfPrivateKey, domainSeparator, signTx } from "../../../node/clob/eip712.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { SelfTradePrevention, Side, TimeInForce, TxKind, type Address, type PlaceOrderTx } from "../../../node/clob/types.ts";
import { decodeBatch, encodeBatch } from "../../../node/codec/index.ts";
import { SignerRecovery, admittedFrom } from "../../../node/derive/recovery.ts";
import { recoverBatch } from "../../../node/derive/recovery-worker.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";

const domain = { chainId: 31337, verifyingContract: "0x00000000000000000000000000000000000000aa" as Address };
const key = (i: number) => keccak_256(new TextEncoder().encode(`recovery-test-${i}`));

function place(i: number, nonce: number, price: number, signer = i): PlaceOrderTx {
  const tx: PlaceOrderTx = {
    kind: TxKind.PLACE, account: addressOfPrivateKey(key(i)), nonce, market: 1, side: Side.BUY, tif: TimeInForce.GTC, price, size: 1, expiry: 0, clientId: 0,
    stp: SelfTradePrevention.EXPIRE_MAKER, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
  };
  return signTx(domain, tx, key(signer));
}

describe("derive/recovery: signers recovered off the main thread", function () {
  this.timeout(60_000);
  const txs = [place(1, 0, 10), place(2, 0, 11), place(3, 0, 12, 4) /* signed by another key */, place(1, 1, 13)];
  const bytes = encodeBatch({ header: { parentBatchHash: `0x${"00".repeat(32)}`, timestamp: 1, l1MsgStart: 0, l1MsgEnd: 0 }, txs });
  const separator = domainSeparator(domain);

  it("recovers every signer from the batch bytes as the STF would (a forged one as the key that signed)", () => {
    const r = recoverBatch({ id: 1, data: bytes, separator });
    if (!("signers" in r)) throw new Error("expected signers");
    expect(r.signers).to.deep.equal([addressOfPrivateKey(key(1)), addressOfPrivateKey(key(2)), addressOfPrivateKey(key(4)), addressOfPrivateKey(key(1))]);
    expect([...r.known]).to.deep.equal([1, 1, 1, 1]);
    expect(recoverBatch({ id: 2, data: Uint8Array.from([9, 9, 9]), separator })).to.deep.equal({ id: 2, undecodable: true });
  });

  it("a part (index modulo parts) recovers exactly its transactions; the parts together are the whole", () => {
    const whole = recoverBatch({ id: 1, data: bytes, separator });
    if (!("signers" in whole)) throw new Error("expected signers");
    for (const parts of [2, 3]) {
      const got = Array.from({ length: parts }, (_, part) => recoverBatch({ id: 1, data: bytes, separator, part, parts }));
      for (let i = 0; i < whole.signers.length; i++) {
        for (let part = 0; part < parts; part++) {
          const r = got[part]!;
          if (!("signers" in r)) throw new Error("expected signers");
          const mine = i % parts === part;
          expect(r.signers[i]).to.equal(mine ? whole.signers[i] : null);
          expect(r.known[i]).to.equal(mine ? 1 : 0);
          expect(Buffer.from(r.r.subarray(32 * i, 32 * i + 32)).equals(mine ? Buffer.from(whole.r.subarray(32 * i, 32 * i + 32)) : Buffer.alloc(32))).to.equal(true);
        }
      }
    }
  });

  it("hints apply only to the transactions they were computed for", () => {
    const r = recoverBatch({ id: 1, data: bytes, separator });
    if (!("signers" in r)) throw new Error("expected signers");
    const d = decodeBatch(bytes);
    if (!d.ok) throw new Error("decode");
    expect(admittedFrom(d.batch.txs, r)!.map((a) => a?.signer)).to.deep.equal(r.signers);
    expect(admittedFrom(d.batch.txs.slice(1), r), "another count: no hints").to.equal(undefined);
    const swapped = [d.batch.txs[1]!, d.batch.txs[0]!, d.batch.txs[2]!, d.batch.txs[3]!];
    expect(admittedFrom(swapped, r)!.map((a) => a?.signer), "another signature at an index: no hint there").to.deep.equal([undefined, undefined, r.signers[2], r.signers[3]]);
    expect(admittedFrom(d.batch.txs, undefined)).to.equal(undefined);
  });

  it("the worker pool answers with the same signers; the STF reaches the same root and receipts with the hints as without", async () => {
    const pool = new SignerRecovery(separator, 2);
    try {
      const [r, bad] = await Promise.all([pool.recover(bytes), pool.recover(Uint8Array.from([1, 2, 3]))]);
      expect(bad).to.equal(undefined);
      expect(r!.signers).to.deep.equal((recoverBatch({ id: 1, data: bytes, separator }) as { signers: unknown }).signers);
      const run = (withHints: boolean) => {
        const st = createGenesisState({ domain });
        const d = decodeBatch(bytes);
        if (!d.ok) throw new Error("decode");
        const res = applyBatch(st, { index: 1, timestamp: 1, proposer: domain.verifyingContract, txs: d.batch.txs }, [], { admitted: withHints ? admittedFrom(d.batch.txs, r) : undefined });
        return { root: hex(StateCommitment.fromState(st).root()), codes: Array.from({ length: res.receipts.txCount }, (_, i) => res.receipts.tx(i).code) };
      };
      const a = run(false);
      const b = run(true);
      expect(b).to.deep.equal(a);
      expect(a.codes[2]).to.equal(ErrorCode.WRONG_SIGNER);
    } finally {
      await pool.close();
    }
    expect(await pool.recover(bytes), "closed: no hints").to.equal(undefined);
  });
});
