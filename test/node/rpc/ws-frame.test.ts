// The shared subscription frame (node/rpc/ws-frame.ts) is a valid RFC 6455 server frame at every length
// class, as the ws library's own receiver parses it; and params validation reports nested paths exactly.
import { strict as assert } from "node:assert";
// @ts-expect-error: ws ships no types here; its Receiver is the reference parser of the frames
import { Receiver } from "ws";
import { LagHistogram, nowMs } from "../../../node/rpc/lag.ts";
import { type RawSocket, SharedMessage, TurnCorker, textFrame } from "../../../node/rpc/ws-frame.ts";
import { validate } from "../../../node/rpc/schema.ts";
import { COMPONENT_SCHEMAS } from "../../../node/rpc/openrpc.ts";

function parse(frame: Buffer): { text: string; binary: boolean }[] {
  const out: { text: string; binary: boolean }[] = [];
  const r = new Receiver({ isServer: false });
  r.on("message", (data: Buffer, isBinary: boolean) => out.push({ text: data.toString("utf8"), binary: isBinary }));
  r.on("error", (err: Error) => assert.fail(err.message));
  r.write(frame);
  return out;
}

describe("rpc: shared WebSocket frames", () => {
  it("frames payloads of 0, 125, 126, 65535, 65536 and 300000 bytes as one final text message", () => {
    for (const n of [0, 1, 125, 126, 65535, 65536, 300_000]) {
      const payload = Buffer.from("x".repeat(n));
      const f = textFrame(payload);
      assert.equal(f.length, n + (n < 126 ? 2 : n < 65536 ? 4 : 10));
      assert.deepEqual(parse(f), [{ text: payload.toString(), binary: false }], `length ${n}`);
    }
  });

  it("builds the frame once and hands every subscriber the same bytes", () => {
    const m = new SharedMessage(Buffer.from('{"jsonrpc":"2.0","method":"rb_subscription"}'));
    assert.equal(m.frame, m.frame);
    assert.deepEqual(parse(Buffer.concat([m.frame, m.frame])).map((x) => x.text), [m.payload.toString(), m.payload.toString()]);
  });
});

describe("rpc: the write lag (tick -> end of the socket write)", () => {
  it("counts delays in 0.1 ms buckets, merges drained pairs and answers quantiles", () => {
    const h = new LagHistogram();
    expect0(h.quantile(0.5));
    for (const ms of [0.04, 1.26, 1.3, 7, 7, 7, 7, 7, 7, 9999]) h.add(ms);
    assert.equal(h.count, 10);
    assert.equal(h.quantile(0), 0);
    assert.equal(h.quantile(0.15), 1.3);
    assert.equal(h.quantile(0.5), 7);
    assert.equal(h.quantile(0.99), (LagHistogram.BUCKETS - 1) / 10); // past the last bucket: in it
    const into = new LagHistogram();
    into.add(7);
    into.merge(h.drain());
    assert.equal(h.count, 0);
    assert.equal(into.count, 11);
    assert.equal(into.quantile(0.5), 7);
  });

  it("times each corked socket's write from the oldest tick stamp it carries, and not other writes", async () => {
    const c = new TurnCorker();
    const raw = (): RawSocket & { wrote: number } => ({ wrote: 0, write() { return true; }, cork() {}, uncork() { this.wrote++; } });
    const [a, b, plain] = [raw(), raw(), raw()];
    const t = nowMs();
    c.hold(a, t - 30);
    c.hold(a, t - 10); // later: the older stamp counts
    c.hold(b, NaN);
    c.hold(b, t - 5); // a tick's message after an answer in the same turn
    c.hold(plain);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([a.wrote, b.wrote, plain.wrote], [1, 1, 1]);
    assert.equal(c.lag.count, 2);
    assert.ok(c.lag.quantile(0)! >= 5 && c.lag.quantile(0)! < 1000);
    assert.ok(c.lag.quantile(0.99)! >= 30 && c.lag.quantile(0.99)! < 1000);
  });
});

function expect0(v: number | null): void {
  assert.equal(v, null);
}

describe("rpc: params validation messages", () => {
  const bulk = COMPONENT_SCHEMAS.Bulk!;
  const good = { kind: "Bulk", account: "0x" + "11".repeat(20), nonce: 1, actions: [{ op: 1, market: 1 }], signature: "0x" + "22".repeat(64) + "1b" };
  it("accepts a conforming value and names the nested path of the first problem", () => {
    assert.equal(validate(bulk, good, COMPONENT_SCHEMAS, "params.tx"), null);
    assert.equal(validate(bulk, { ...good, actions: [{ op: 1, market: 1 }, { op: 9, market: 1 }] }, COMPONENT_SCHEMAS, "params.tx"), "params.tx.actions[1].op: above maximum 5");
    assert.equal(validate(bulk, { ...good, actions: [{ op: 1, market: 1, bogus: 1 }] }, COMPONENT_SCHEMAS, "params.tx"), "params.tx.actions[0].bogus: unknown field");
    const { nonce: _n, ...noNonce } = good;
    assert.equal(validate(bulk, noNonce, COMPONENT_SCHEMAS, "params.tx"), "params.tx.nonce: required");
    assert.equal(validate(bulk, 5, COMPONENT_SCHEMAS), "params: expected an object, got number");
  });
});
