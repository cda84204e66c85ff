// The order path's fast reader (node/rpc/fast-tx.ts) against the full path (JSON.parse, schema, fromWire,
// encodeTx): for valid transaction requests of every fixed-width kind, in the shapes clients send, the fast
// reader yields the same Tx and canonical bytes; for 20,000 mutated requests, handleBytes (fast path first)
// and handleText (full path only) give the same answer and submit the same transaction, byte for byte.

import { expect } from "chai";
import { EIP712_TYPES, TxKind, type Tx } from "../../../node/clob/types.ts";
import { encodeTx, HALF_N } from "../../../node/codec/tx.ts";
import { type DispatchHooks, handleBytes, handleText } from "../../../node/rpc/dispatch.ts";
import { FastTxReader } from "../../../node/rpc/fast-tx.ts";
import { type CallContext, METHODS } from "../../../node/rpc/methods.ts";
import type { NodeView, SubmitResult, TxInfo } from "../../../node/rpc/node-view.ts";
import { DEFAULT_LIMITS, DEFAULT_RPC_OPTIONS } from "../../../node/rpc/options.ts";
import { fromWire, toWire, type WireTx } from "../../../node/rpc/wire.ts";
import { XorShift32 } from "../../../node/sim/rng.ts";

const FIXED = [TxKind.PLACE, TxKind.CANCEL, TxKind.CANCEL_BY_CLIENT_ID, TxKind.CANCEL_ALL, TxKind.AMEND, TxKind.WITHDRAW, TxKind.APPROVE_AGENT, TxKind.REVOKE_AGENT];
const PRIMARY: Record<number, string> = { 1: "Place", 2: "Cancel", 3: "CancelByClientId", 4: "CancelAll", 5: "Amend", 6: "Withdraw", 8: "ApproveAgent", 9: "RevokeAgent" };
const METHOD_OF: Record<number, string> = {
  [TxKind.PLACE]: "rb_placeOrder", [TxKind.CANCEL]: "rb_cancelOrder", [TxKind.CANCEL_BY_CLIENT_ID]: "rb_cancelByClientId", [TxKind.CANCEL_ALL]: "rb_cancelAll",
  [TxKind.AMEND]: "rb_amendOrder", [TxKind.WITHDRAW]: "rb_withdraw", [TxKind.APPROVE_AGENT]: "rb_approveAgent", [TxKind.REVOKE_AGENT]: "rb_revokeAgent",
};
const RANGE: Record<string, number> = { uint64: Number.MAX_SAFE_INTEGER, uint32: 0xffffffff };
const ENUM_MAX: Record<string, number> = { side: 1, tif: 4, stp: 3 };

function randomHex(r: XorShift32, bytes: number): string {
  let s = "";
  for (let i = 0; i < bytes; i++) s += r.int(256).toString(16).padStart(2, "0");
  return s;
}

/** A random transaction of `kind` with a random low-s signature (the reader does not recover signers). */
function randomTx(r: XorShift32, kind: number): Tx {
  const tx: Record<string, unknown> = { kind };
  for (const f of EIP712_TYPES[PRIMARY[kind] as "Place"]) {
    if (f.type === "address") tx[f.name] = `0x${randomHex(r, 20)}`;
    else {
      const max = f.type === "uint8" ? (ENUM_MAX[f.name] ?? 255) : RANGE[f.type]!;
      const pick = r.int(4);
      tx[f.name] = pick === 0 ? 0 : pick === 1 ? max : pick === 2 ? Math.min(max, r.int(1000)) : Math.floor((r.int(2 ** 30) / 2 ** 30) * max);
    }
  }
  const s = Uint8Array.from(Buffer.from(randomHex(r, 32), "hex"));
  s[0] = s[0]! & 0x7f;
  if (s[0] === 0x7f) s[1] = 0;
  tx.sig = { r: Uint8Array.from(Buffer.from(randomHex(r, 32), "hex")), s, v: r.int(2) };
  return tx as unknown as Tx;
}

/** The shapes a client may send one request in. */
function request(r: XorShift32, w: WireTx, method: string, id: number | string): string {
  const tx = r.chance(0.5) ? JSON.stringify(w) : JSON.stringify(w, null, 1);
  const params = r.chance(0.7) ? `[${tx}]` : `{"tx":${tx}}`;
  const members = [`"jsonrpc":"2.0"`, `"id":${JSON.stringify(id)}`, `"method":"${method}"`, `"params":${params}`];
  if (r.chance(0.3)) members.reverse();
  return r.chance(0.5) ? `{${members.join(",")}}` : `{ ${members.join(" ,\n ")} }\n`;
}

/** A context whose view records what it is asked to submit and answers with a canned receipt. */
function recorder(): { ctx: CallContext; calls: { tx: Tx; bytes: string }[]; hooks: DispatchHooks } {
  const calls: { tx: Tx; bytes: string }[] = [];
  const view = {
    submit: async (tx: Tx, bytes?: Uint8Array): Promise<SubmitResult> => {
      calls.push({ tx, bytes: Buffer.from(bytes ?? encodeTx(tx)).toString("hex") });
      return { ok: true, tx: { txHash: `0x${"ab".repeat(32)}`, account: tx.account, nonce: tx.nonce, kind: tx.kind } as unknown as TxInfo };
    },
  } as unknown as NodeView;
  const ctx: CallContext = {
    view, options: { ...DEFAULT_RPC_OPTIONS, l2ChainId: 1, limits: DEFAULT_LIMITS }, conn: { transport: "ws" } as CallContext["conn"],
    chargeAccount: () => {}, bookSeq: () => 0, discover: () => null,
  };
  const hooks: DispatchHooks = { chargeConnection: () => true, onInternalError: () => {}, onAnswer: () => {} };
  return { ctx, calls, hooks };
}

const plain = (tx: Tx) => ({ ...tx, sig: { r: Buffer.from(tx.sig.r).toString("hex"), s: Buffer.from(tx.sig.s).toString("hex"), v: tx.sig.v } });

describe("rpc: the order path's fast reader", () => {
  const reader = new FastTxReader(METHODS);

  it("reads every fixed-width kind in the shapes clients send: the full path's Tx and canonical bytes", () => {
    const r = new XorShift32(7);
    for (let n = 0; n < 2000; n++) {
      const kind = FIXED[n % FIXED.length]!;
      const tx = randomTx(r, kind);
      const w = toWire(tx);
      if (r.chance(0.3)) w.account = (w.account as string).toUpperCase().replace("0X", "0x");
      if (r.chance(0.3)) w.signature = `0x${w.signature.slice(2, 130).toUpperCase()}${r.pick(["1b", "1B", "1c", "1C", "00", "01"])}`;
      const method = r.chance(0.2) ? "rb_sendTx" : METHOD_OF[kind]!;
      const id = r.chance(0.5) ? r.int(1e9) : `req-${r.int(1000)}`;
      const got = reader.read(Buffer.from(request(r, w, method, id)));
      expect(got, `${method} ${JSON.stringify(w)}`).to.not.equal(null);
      const full = fromWire(w);
      expect(plain(got!.tx)).to.deep.equal(plain(full));
      expect(Buffer.from(got!.bytes).toString("hex")).to.equal(Buffer.from(encodeTx(full)).toString("hex"));
      expect(got!.id).to.equal(id);
      expect(got!.method.name).to.equal(method);
    }
  });

  it("leaves to the full path what it does not read plainly: other kinds and methods, odd JSON, out-of-range values, high-s", () => {
    const r = new XorShift32(9);
    const w = toWire(randomTx(r, TxKind.PLACE));
    const req = (o: unknown) => Buffer.from(JSON.stringify(o));
    const base = { jsonrpc: "2.0", id: 1, method: "rb_placeOrder", params: [w] };
    expect(reader.read(req(base))).to.not.equal(null);
    const highS = `0x${w.signature.slice(2, 66)}${Buffer.from(HALF_N).toString("hex").slice(0, 63)}f${w.signature.slice(130)}`;
    for (const bad of [
      { ...base, method: "rb_cancelOrder" }, // a Place is not a Cancel
      { ...base, method: "rb_getNonce" },
      { ...base, jsonrpc: "1.0" },
      { ...base, id: null },
      { ...base, id: 1.5 },
      { ...base, id: -1 },
      { jsonrpc: "2.0", method: "rb_placeOrder", params: [w] }, // a notification
      { ...base, extra: 1 },
      { ...base, params: [w, 1] },
      { ...base, params: [{ ...w, price: 1.5 }] },
      { ...base, params: [{ ...w, side: 2 }] },
      { ...base, params: [{ ...w, market: 2 ** 32 }] },
      { ...base, params: [{ ...w, nonce: 2 ** 53 }] },
      { ...base, params: [{ ...w, extra: 1 }] },
      { ...base, params: [{ ...w, signature: highS }] },
      { ...base, params: [{ ...w, signature: w.signature.slice(0, 130) + "1d" }] },
      { ...base, params: [{ account: w.account, ...w }] }, // kind not first
      [base], // a batch
    ]) expect(reader.read(req(bad)), JSON.stringify(bad).slice(0, 120)).to.equal(null);
    const text = JSON.stringify(base);
    for (const bad of [
      text.replace('"price":', '"price":1e2,"x":'),
      text.replace(/"price":(\d+)/, '"price":$1.0'),
      text.replace(/"price":(\d+)/, '"price":0$1'),
      text.replace('"kind"', '"\\u006bind"'),
      text.replace(/"size":(\d+)/, '"size":$1,"size":$1'),
      text + "x",
      text.slice(0, -1),
    ]) expect(reader.read(Buffer.from(bad)), bad.slice(0, 120)).to.equal(null);
  });

  it("20,000 mutated requests: handleBytes and handleText give the same answers and submit the same bytes", async () => {
    const r = new XorShift32(11);
    const fast = recorder();
    const full = recorder();
    let fastTaken = 0;
    for (let n = 0; n < 20_000; n++) {
      const kind = FIXED[r.int(FIXED.length)]!;
      const w = toWire(randomTx(r, kind));
      let text = request(r, w, r.chance(0.9) ? METHOD_OF[kind]! : r.pick(["rb_sendTx", "rb_placeOrder", "rb_getNonce"]), r.int(100));
      const edits = r.int(4);
      for (let e = 0; e < edits; e++) {
        const i = r.int(text.length);
        switch (r.int(5)) {
          case 0: text = text.slice(0, i) + text.slice(i + 1); break; // delete a char
          case 1: text = text.slice(0, i) + r.pick(["0", "9", "-", ".", "e", '"', ",", "}", "]", " ", "a", "F", "\\", "é"]) + text.slice(i); break;
          case 2: text = text.slice(0, i) + r.pick(["0", "1", "f", "x", ":", "{"]) + text.slice(i + 1); break; // replace
          case 3: text = text.replace(/"(\w+)":(\d+)/, (_m, k, v) => `"${k}":${r.pick([`${v}0`, "-1", String(2 ** 53), "4294967296", "256", "5", "2"])}`); break;
          default: text = text.replace(r.pick(['"kind"', '"account"', '"nonce"', '"signature"', '"market"']), r.pick(['"kind"', '"x"', '"nonce"', '"signature"'])); break;
        }
      }
      const buf = Buffer.from(text);
      if (reader.read(buf) !== null) fastTaken++;
      const a = await handleBytes(buf, fast.ctx, fast.hooks, 1 << 20, 100);
      const b = await handleText(buf.toString("utf8"), full.ctx, full.hooks, 1 << 20, 100);
      expect(a, text).to.equal(b);
      expect(fast.calls.length, text).to.equal(full.calls.length);
      const x = fast.calls.at(-1);
      const y = full.calls.at(-1);
      if (x !== undefined && y !== undefined) {
        expect(x.bytes, text).to.equal(y.bytes);
        expect(plain(x.tx), text).to.deep.equal(plain(y.tx));
      }
    }
    // both kinds of outcome are exercised
    expect(fastTaken).to.be.greaterThan(2000);
    expect(fast.calls.length).to.be.greaterThan(fastTaken);
  });
});
