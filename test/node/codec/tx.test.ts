// Canonical single-tx encoding: round trips of every kind and edge value, byte layout, every reason code.
import { expect } from "chai";
import { MAX_AMOUNT, SelfTradePrevention, TimeInForce, TxKind, type Tx } from "../../../node/clob/types.ts";
import { CodecError, DecodeReason, MAX_TX_BYTES, TX_BYTES, decodeTx, encodeTx, txEncodingProblem } from "../../../node/codec/index.ts";
import { HALF_N, sig, A, B, allKinds } from "./fixtures.ts";

function roundTrip(tx: Tx): Uint8Array {
  const b = encodeTx(tx);
  expect(b.length).to.equal(TX_BYTES[tx.kind]);
  const d = decodeTx(b);
  if (!d.ok) throw new Error(`rejected: ${d.reasonName}`);
  expect(d.tx).to.deep.equal(tx);
  expect(encodeTx(d.tx)).to.deep.equal(b);
  return b;
}

describe("codec: single-tx encoding", () => {
  it("round-trips every kind", () => {
    for (const tx of allKinds()) roundTrip(tx);
  });

  it("round-trips edge values: 0 and max of every field, every side/TIF/STP", () => {
    for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, MAX_AMOUNT]) {
      for (const side of [0, 1] as const) {
        for (const tif of Object.values(TimeInForce)) {
          for (const stp of Object.values(SelfTradePrevention)) {
            roundTrip({ kind: TxKind.PLACE, account: A, nonce: v, market: Math.min(v, 2 ** 32 - 1), side, tif, price: v, size: v, expiry: v, clientId: v, stp, sig: sig(1, side) });
          }
        }
      }
      roundTrip({ kind: TxKind.CANCEL, account: A, nonce: v, market: Math.min(v, 2 ** 32 - 1), orderId: v, sig: sig(2) });
      roundTrip({ kind: TxKind.CANCEL_BY_CLIENT_ID, account: A, nonce: v, market: 0, clientId: v, sig: sig(3) });
      roundTrip({ kind: TxKind.AMEND, account: B, nonce: v, market: 1, orderId: v, price: v, size: v, sig: sig(4) });
      roundTrip({ kind: TxKind.WITHDRAW, account: B, nonce: v, asset: Math.min(v, 2 ** 32 - 1), amount: v, recipient: A, sig: sig(5) });
    }
    // s = n/2 exactly is low-s; r and s all zero are representable (the STF rejects them as signatures)
    roundTrip({ kind: TxKind.CANCEL_ALL, account: A, nonce: 0, market: 0, sig: { r: new Uint8Array(32), s: HALF_N.slice(), v: 1 } });
    roundTrip({ kind: TxKind.CANCEL_ALL, account: A, nonce: 0, market: 0, sig: { r: new Uint8Array(32).fill(0xff), s: new Uint8Array(32), v: 0 } });
  });

  it("has the documented byte layout", () => {
    const tx: Tx = { kind: TxKind.CANCEL, account: A, nonce: 0x0102, market: 7, orderId: 2 ** 40, sig: sig(9, 1) };
    const b = encodeTx(tx);
    expect(b[0]).to.equal(TxKind.CANCEL);
    expect(Buffer.from(b.subarray(1, 21)).toString("hex")).to.equal(A.slice(2));
    expect(Buffer.from(b.subarray(21, 29)).toString("hex")).to.equal("0000000000000102");
    expect(Buffer.from(b.subarray(29, 33)).toString("hex")).to.equal("00000007");
    expect(Buffer.from(b.subarray(33, 41)).toString("hex")).to.equal("0000010000000000");
    expect(b.subarray(41, 73)).to.deep.equal(tx.sig.r);
    expect(b.subarray(73, 105)).to.deep.equal(tx.sig.s);
    expect(b[105]).to.equal(1);
    expect(b.length).to.equal(106);
    expect(TX_BYTES[TxKind.PLACE]).to.equal(133);
    expect(MAX_TX_BYTES).to.equal(95 + 48 * 64);
  });

  it("refuses to encode what it could not decode", () => {
    const base = allKinds()[0]! as Extract<Tx, { kind: 1 }>;
    const bad: Array<[string, unknown]> = [
      ["uppercase account", { ...base, account: A.toUpperCase().replace("0X", "0x") }],
      ["nonce > 2^53-1", { ...base, nonce: 2 ** 53 }],
      ["fractional price", { ...base, price: 1.5 }],
      ["negative size", { ...base, size: -1 }],
      ["market > u32", { ...base, market: 2 ** 32 }],
      ["side 2", { ...base, side: 2 }],
      ["tif 5", { ...base, tif: 5 }],
      ["stp 4", { ...base, stp: 4 }],
      ["v 27", { ...base, sig: { ...base.sig, v: 27 } }],
      ["high s", { ...base, sig: { ...base.sig, s: new Uint8Array(32).fill(0xff) } }],
      ["short r", { ...base, sig: { ...base.sig, r: new Uint8Array(31) } }],
      ["kind 7", { ...base, kind: 7 }],
    ];
    for (const [what, tx] of bad) {
      expect(txEncodingProblem(tx as Tx), what).to.be.a("string");
      expect(() => encodeTx(tx as Tx), what).to.throw(CodecError);
    }
  });

  it("rejects every malformed input with its reason code and never throws", () => {
    const good = encodeTx(allKinds()[0]!);
    const place = (edit: (b: Uint8Array) => void) => {
      const b = good.slice();
      edit(b);
      return b;
    };
    const cases: Array<[unknown, number]> = [
      ["not bytes", DecodeReason.NOT_BYTES],
      [null, DecodeReason.NOT_BYTES],
      [new Uint8Array(0), DecodeReason.TRUNCATED],
      [place((b) => (b[0] = 0)), DecodeReason.BAD_KIND],
      [place((b) => (b[0] = 10)), DecodeReason.BAD_KIND],
      [good.subarray(0, good.length - 1), DecodeReason.TRUNCATED],
      [Uint8Array.of(...good, 0), DecodeReason.TRAILING_BYTES],
      [place((b) => (b[21] = 0x00, b[22] = 0x20)), DecodeReason.FIELD_RANGE], // nonce = 2^53
      [place((b) => (b[33] = 2)), DecodeReason.FIELD_RANGE], // side
      [place((b) => (b[34] = 5)), DecodeReason.FIELD_RANGE], // tif
      [place((b) => (b[67] = 4)), DecodeReason.FIELD_RANGE], // stp
      [place((b) => (b[132] = 27)), DecodeReason.BAD_SIG_V],
      [place((b) => (b[100] = 0x80)), DecodeReason.HIGH_S],
    ];
    for (const [input, reason] of cases) {
      const r = decodeTx(input as Uint8Array);
      expect(r.ok, String(reason)).to.equal(false);
      if (!r.ok) expect(r.reason, `${r.reasonName}`).to.equal(reason);
    }
  });
});
